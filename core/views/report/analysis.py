"""The analysis part of `evaltop report` (contract in core/views/report/build.py).

Adds ``scores``, ``pending_samples``, ``sampling``, ``regressions`` (the
significant ones, both directions), ``regression_summary``,
``prompt_regressions``, ``arms``, ``downstream`` and ``agreement``.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.analysis.agreement import agreement
from evaltop.core.analysis.arms import compare_arms
from evaltop.core.analysis.downstream import downstream_metrics, overall
from evaltop.core.analysis.prompt_flips import prompt_regressions
from evaltop.core.analysis.regressions import (
    PRIMARY,
    SECONDARY,
    find_regressions,
)
from evaltop.core.analysis.scores import judge_summaries
from evaltop.core.model.window import baseline_for
from evaltop.core.scoring.sampling import sampling_state
from evaltop.store import analysis_queries as q

PROMPT_LIMIT = 20


def _baseline(ctx):
    """The context's baseline, else the configured one before its window."""
    return ctx.baseline if ctx.baseline is not None else baseline_for(ctx.window, ctx.cfg.analysis)


def report_section(ctx) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scores": judge_summaries(ctx.conn, ctx.window),
        "pending_samples": q.pending_count(ctx.conn),
        "sampling": sampling_state(ctx.cfg, ctx.conn, ctx.now),
        "arms": compare_arms(ctx.conn, ctx.cfg, ctx.window),
        "downstream": {"all": overall(ctx.conn, ctx.cfg, ctx.window),
                       "by_model": downstream_metrics(ctx.conn, ctx.cfg, ctx.window,
                                                      by=("model",))},
        "agreement": agreement(ctx.conn),
    }
    baseline = _baseline(ctx)
    if baseline is None:
        out["regressions"] = []
        out["regression_summary"] = {"tested": 0, "significant": 0, "insufficient": 0,
                                     "note": "no baseline: the current window is unbounded "
                                             "(--since all)"}
        out["prompt_regressions"] = []
        return out
    found = find_regressions(ctx.conn, ctx.cfg, ctx.window, baseline)
    significant = [r for r in found if r.significant]
    out["regressions"] = [r.to_dict() for r in significant]
    # one row per finding: only primary rows (pass rates) can be significant
    out["regression_summary"] = {
        "tested": sum(1 for r in found if not r.insufficient and r.role == PRIMARY),
        "significant": len(significant),
        "regressed": sum(1 for r in significant if r.regressed),
        "insufficient": sum(1 for r in found if r.insufficient),
        "alpha": ctx.cfg.analysis.alpha, "min_n": ctx.cfg.analysis.min_n,
        "secondary_tested": sum(1 for r in found if r.role == SECONDARY and r.p is not None),
        "test": "msprt", "detect_drop": ctx.cfg.analysis.detect_drop,
    }
    out["prompt_regressions"] = prompt_regressions(ctx.conn, ctx.window, baseline,
                                                   limit=PROMPT_LIMIT)
    return out


def _cell(value: Any) -> str:
    """Logged names are untrusted: one line, one table cell, no markup (links,
    HTML, emphasis) when the markdown is posted to a PR or chat."""
    text = "" if value is None else str(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    for ch, safe in (("\\", "\\\\"), ("|", "\\|"), ("`", "'"), ("<", "&lt;"), (">", "&gt;"),
                     ("[", "\\["), ("]", "\\]"), ("*", "\\*"), ("_", "\\_")):
        text = text.replace(ch, safe)
    return text[:80]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _segment(seg: dict) -> str:
    parts = [f"{k}={_cell(v)}" for k, v in seg.items() if v not in (None, "")]
    return ", ".join(parts) or "(all)"


def markdown(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    scores = report.get("scores") or {}
    if scores:
        lines += ["## Scores", "",
                  "| judge | judged | pass rate | weighted | 95% CI | errors | mean score |",
                  "|---|---:|---:|---:|---|---:|---:|"]
        for judge, s in scores.items():
            ci = s.get("ci95")
            ci_text = f"{_pct(ci[0])} to {_pct(ci[1])}" if ci else "n/a"
            mean = "n/a" if s.get("mean_score") is None else f"{s['mean_score']:.2f}"
            lines.append(f"| {_cell(judge)} | {s['judged']} | {_pct(s['pass_rate'])} | "
                         f"{_pct(s['pass_rate_weighted'])} | {ci_text} | {s['errors']} | {mean} |")
        lines.append("")
    state = report.get("sampling") or {}
    paused = f" (sampling paused: {_cell(state.get('reason'))})" if state.get("paused") else ""
    lines.append(f"Pending samples: {report.get('pending_samples', 0)}" + paused)
    lines.append("")
    summary = report.get("regression_summary") or {}
    regs = report.get("regressions") or []
    lines += ["## Regressions", ""]
    if not regs:
        tested, short = summary.get("tested", 0), summary.get("insufficient", 0)
        lines.append(f"No significant changes ({tested} comparison{'s' * (tested != 1)} tested, "
                     f"{short} with too little data).")
    else:
        lines += ["| segment | judge | metric | baseline | current | delta | interval | q | n |",
                  "|---|---|---|---:|---:|---:|---|---:|---|"]
        for r in regs:
            change = r.get("model_change") or r.get("prompt_version_change")
            seg = _segment(r["segment"])
            if change:
                seg += f" ({_cell(change['from'])} -> {_cell(change['to'])})"
            fmt = _pct if r["metric"] == "pass_rate" else _num
            ci = r.get("ci")
            level = f" ({r['ci_level']:.0%})" if r.get("ci_level") else ""
            ci_text = f"{fmt(ci[0])} to {fmt(ci[1])}{level}" if ci else "n/a"
            mark = "regressed" if r["direction"] == "regressed" else "improved"
            lines.append(f"| {seg} | {_cell(r['judge'])} | {r['metric']} ({mark}) | "
                         f"{fmt(r['baseline'])} | {fmt(r['current'])} | {fmt(r['delta'])} | "
                         f"{ci_text} | {r['q']:.3g} | {r['n_baseline']} / {r['n_current']} |")
    lines.append("")
    flips = report.get("prompt_regressions") or []
    if flips:
        lines += [f"Inputs that passed in the baseline and fail now: {len(flips)} "
                  "(newest first)", ""]
        for f in flips[:10]:
            lines.append(f"- {_cell(f['judge'])}: `{_cell(f['baseline']['output_id'])}` "
                         f"({_cell(f['baseline']['model'])}) -> "
                         f"`{_cell(f['current']['output_id'])}` "
                         f"({_cell(f['current']['model'])})")
        lines.append("")
    lines += _downstream_lines(report.get("downstream") or {})
    agree = report.get("agreement") or {}
    if agree:
        lines += ["## Judge-human agreement", ""]
        for judge, a in agree.items():
            kappa = "n/a (fewer than 20 labels)" if a["kappa"] is None else f"{a['kappa']:.2f}"
            lines.append(f"- {_cell(judge)}: kappa {kappa}, n={a['n']}")
        lines.append("")
    return lines


def _downstream_lines(downstream: dict[str, Any]) -> list[str]:
    total = downstream.get("all") or {}
    if not total.get("outputs"):
        return []
    parts = []
    for key, label in (("task_completion", "task completion"), ("error", "error rate"),
                       ("user_correction", "user corrections"), ("thumbs_up", "thumbs up")):
        m = total.get(key) or {}
        if key != "error" and not m.get("events"):  # no event could have moved it
            parts.append(f"{label}: no feedback")
        elif m.get("n"):
            parts.append(f"{label} {_pct(m['rate'])} (n={m['n']})")
    return ["## Downstream", "", "- " + "; ".join(parts), ""] if parts else []


def failures(report: dict[str, Any], conditions: set[str]) -> list[str]:
    if "regression" not in conditions:
        return []
    out = []
    for r in report.get("regressions") or []:
        if r.get("significant") and r.get("direction") == "regressed":
            out.append(f"regression: {r['judge']} {r['metric']} {_segment(r['segment'])}: "
                       f"{r['baseline']} -> {r['current']} (q={r['q']})")
    return out
