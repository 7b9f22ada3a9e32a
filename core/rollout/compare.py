"""`evaltop compare A B`: paired, per-case comparison of two runs.

A side is a run (``run_cases`` + ``run_scores``) or, for ``compare corpus B``,
the corpus's own production outputs and scores (rule checks a case lacks are
computed on its baseline output, for free). Only cases present on both sides
are paired.

Per judge: McNemar (exact) on pass/fail pairs; for scored judges (not rule
checks, whose score is just pass/fail) the Wilcoxon signed-rank test on score
pairs and the sign test on wins/losses. Overall: a case passes when every
judge with a verdict passed and the call did not fail; McNemar on those. All
p-values get Benjamini-Hochberg q-values; a *significant regression* is a
test with q < alpha (``[analysis] alpha``) that moved against B.
"""

from __future__ import annotations

import sqlite3
import statistics
from dataclasses import dataclass, field
from typing import Any

from evaltop.core.analysis.stats import bh_qvalues, mcnemar, sign_test, wilcoxon_paired
from evaltop.core.model.config import Config
from evaltop.core.model.money import format_usd, pusd_to_usd, usd_to_pusd
from evaltop.core.scoring.judges.rules import compile_rules, rule_verdicts
from evaltop.core.scoring.judges.subject import Subject
from evaltop.core.text.sanitize import clean
from evaltop.store import runs as store_runs

FLIP_LIMIT = 50


@dataclass
class CaseSide:
    task: str
    ok: bool  # the call produced an output
    passed: dict[str, bool] = field(default_factory=dict)
    score: dict[str, float] = field(default_factory=dict)
    kind: dict[str, str] = field(default_factory=dict)
    cost_pusd: int | None = None
    latency_ms: float | None = None
    output: str = ""

    def passes(self, judges: set[str]) -> bool:
        """The call succeeded and every one of ``judges`` passed."""
        return self.ok and all(self.passed[j] for j in judges)


@dataclass
class Side:
    name: str
    cases: dict[str, CaseSide]


def run_side(conn: sqlite3.Connection, run_id: str) -> Side:
    cases: dict[str, CaseSide] = {}
    for r in store_runs.run_cases(conn, run_id):
        if r["status"] in ("ok", "error"):
            cases[r["case_id"]] = CaseSide(
                task=r["task"],
                ok=r["status"] == "ok",
                cost_pusd=r["cost_pusd"],
                latency_ms=r["latency_ms"],
                output=r["output_text"] or "",
            )
    for s in store_runs.run_scores(conn, run_id):
        c = cases.get(s["case_id"])
        if c is None or s["status"] != "ok":
            continue
        c.kind[s["judge"]] = s["kind"]
        if s["passed"] is not None:
            c.passed[s["judge"]] = bool(s["passed"])
        if s["score"] is not None:
            c.score[s["judge"]] = float(s["score"])
    return Side(run_id, cases)


def corpus_side(cfg: Config, corpus: list[dict], name: str = "corpus") -> Side:
    """Production outputs and scores stored in the corpus file; rule checks a
    case has no score for are run on its baseline output (errors count as no
    verdict, as in ``run_side``)."""
    rules = compile_rules(cfg)
    cases: dict[str, CaseSide] = {}
    for case in corpus:
        base = case.get("baseline") or {}
        cost = base.get("cost_pusd")  # exact; older files and hand-written ones have cost_usd only
        if not isinstance(cost, int) and base.get("cost_usd") is not None:
            cost = usd_to_pusd(base["cost_usd"])
        side = CaseSide(task=case.get("task", "") or "", ok=not base.get("error"),
                        cost_pusd=cost if isinstance(cost, int) else None,
                        latency_ms=base.get("latency_ms"), output=case.get("baseline_output") or "")
        for judge, v in (case.get("scores") or {}).items():
            side.kind[judge] = v.get("kind", "")
            if v.get("passed") is not None:
                side.passed[judge] = bool(v["passed"])
            if v.get("score") is not None:
                side.score[judge] = float(v["score"])
        subject = Subject(id=case["id"], output_text=side.output, task=side.task,
                          model=case.get("model", "") or "", tags=tuple(case.get("tags") or ()),
                          latency_ms=side.latency_ms, error=base.get("error"))
        have = {(subject.id, judge) for judge in side.kind}
        for v in rule_verdicts(rules, [subject], have):
            if v.ok and v.passed is not None:
                side.kind[v.judge], side.passed[v.judge] = "rule", v.passed
                side.score[v.judge] = float(v.score if v.score is not None else v.passed)
        cases[case["id"]] = side
    return Side(name, cases)


def _mean(xs: list[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


def _judge_stats(judge: str, pairs: list[tuple[CaseSide, CaseSide]]) -> dict[str, Any]:
    pf = [
        (a.passed[judge], b.passed[judge])
        for a, b in pairs
        if judge in a.passed and judge in b.passed
    ]
    to_fail = sum(1 for x, y in pf if x and not y)
    to_pass = sum(1 for x, y in pf if not x and y)
    out: dict[str, Any] = {
        "n": len(pf), "pass_rate_a": _mean([float(x) for x, _ in pf]),
        "pass_rate_b": _mean([float(y) for _, y in pf]),
        "pass_to_fail": to_fail, "fail_to_pass": to_pass, "mcnemar_p": mcnemar(to_fail, to_pass),
    }
    kinds = {a.kind.get(judge) for a, _ in pairs} | {b.kind.get(judge) for _, b in pairs}
    if "rule" not in kinds:
        sc = [
            (a.score[judge], b.score[judge])
            for a, b in pairs
            if judge in a.score and judge in b.score
        ]
        wins = sum(1 for x, y in sc if y > x)
        losses = sum(1 for x, y in sc if y < x)
        wilcoxon = wilcoxon_paired([x for x, _ in sc], [y for _, y in sc]) if sc else 1.0
        out.update(
            {
                "n_scored": len(sc),
                "mean_a": _mean([x for x, _ in sc]),
                "mean_b": _mean([y for _, y in sc]),
                "mean_delta": _mean([y - x for x, y in sc]),
                "wins": wins,
                "ties": len(sc) - wins - losses,
                "losses": losses,
                "sign_p": sign_test(wins, losses),
                "wilcoxon_p": wilcoxon,
            }
        )
    return out


def _flip(case_id: str, x: CaseSide, y: CaseSide, *, worse: bool) -> dict[str, Any]:
    """A flipped case and the judges that failed on its losing side."""
    loser = y if worse else x
    failed = sorted(j for j, ok in loser.passed.items() if not ok)
    return {
        "case_id": case_id,
        "task": x.task,
        "direction": "pass_to_fail" if worse else "fail_to_pass",
        "judges": failed + ([] if loser.ok else ["(call failed)"]),
        "a_output": x.output[:300],
        "b_output": y.output[:300],
    }


def _money(cases: list[CaseSide]) -> dict[str, Any]:
    priced = [c.cost_pusd for c in cases if c.ok and c.cost_pusd is not None]
    lat = [c.latency_ms for c in cases if c.ok and c.latency_ms is not None]
    return {
        "cost_usd": pusd_to_usd(sum(priced)) if priced else None,
        "cost_pusd": sum(priced) if priced else None,
        "unpriced": sum(1 for c in cases if c.ok and c.cost_pusd is None),
        "latency_mean_ms": _mean(lat),
        "latency_p50_ms": statistics.median(lat) if lat else None,
        "errors": sum(1 for c in cases if not c.ok),
    }


def _delta(a: float | int | None, b: float | int | None) -> float | int | None:
    return None if a is None or b is None else b - a


def compare(a: Side, b: Side, *, alpha: float = 0.05) -> dict[str, Any]:
    """The paired comparison of B against A as a JSON-ready dict."""
    ids = sorted(set(a.cases) & set(b.cases))
    pairs = [(a.cases[i], b.cases[i]) for i in ids]
    judges = sorted({j for x, y in pairs for j in x.passed.keys() & y.passed.keys()}
                    | {j for x, y in pairs for j in x.score.keys() & y.score.keys()})
    per_judge = {j: _judge_stats(j, pairs) for j in judges}
    # Case level: a side passes when its call succeeded and every judge with a
    # verdict on *both* sides passed (a judge one side lacks cannot be compared).
    outcome = {}
    for i, (x, y) in zip(ids, pairs, strict=True):
        common = x.passed.keys() & y.passed.keys()
        outcome[i] = (x.passes(common), y.passes(common))
    to_fail = [i for i in ids if outcome[i] == (True, False)]
    to_pass = [i for i in ids if outcome[i] == (False, True)]
    overall = {"n": len(pairs), "pass_rate_a": _mean([float(outcome[i][0]) for i in ids]),
               "pass_rate_b": _mean([float(outcome[i][1]) for i in ids]),
               "pass_to_fail": len(to_fail), "fail_to_pass": len(to_pass),
               "mcnemar_p": mcnemar(len(to_fail), len(to_pass))}
    # Every test, its direction (True = moved against B), then BH q-values.
    tests: list[tuple[str, float, bool]] = [
        ("overall pass rate", overall["mcnemar_p"], len(to_fail) > len(to_pass))
    ]
    for j, s in per_judge.items():
        tests.append((f"{j} pass rate", s["mcnemar_p"], s["pass_to_fail"] > s["fail_to_pass"]))
        if "wilcoxon_p" in s:
            tests.append((f"{j} score", s["wilcoxon_p"], (s["mean_delta"] or 0) < 0))
    qs = bh_qvalues([p for _, p, _ in tests])
    significant = [{"test": t, "p": p, "q": q, "direction": "regressed" if worse else "improved"}
                   for (t, p, worse), q in zip(tests, qs, strict=True) if q < alpha]
    by_task: dict[str, list[str]] = {}
    for i in ids:
        by_task.setdefault(a.cases[i].task, []).append(i)
    tasks = [{"task": task, "n": len(members),
              "pass_rate_a": _mean([float(outcome[i][0]) for i in members]),
              "pass_rate_b": _mean([float(outcome[i][1]) for i in members]),
              "pass_to_fail": sum(1 for i in members if outcome[i] == (True, False)),
              "fail_to_pass": sum(1 for i in members if outcome[i] == (False, True))}
             for task, members in sorted(by_task.items())]
    flipped = [
        _flip(i, a.cases[i], b.cases[i], worse=i in to_fail)
        for i in (to_fail + to_pass)[:FLIP_LIMIT]
    ]
    ma, mb = _money([x for x, _ in pairs]), _money([y for _, y in pairs])
    return {
        "a": a.name, "b": b.name, "alpha": alpha,
        "cases": {"a": len(a.cases), "b": len(b.cases), "paired": len(pairs)},
        "overall": overall, "judges": per_judge, "by_task": tasks, "flipped": flipped,
        "cost": {"a_usd": ma["cost_usd"], "b_usd": mb["cost_usd"],
                 "delta_usd": pusd_to_usd(_delta(ma["cost_pusd"], mb["cost_pusd"])),
                 "unpriced_a": ma["unpriced"], "unpriced_b": mb["unpriced"]},
        "latency": {"a_mean_ms": ma["latency_mean_ms"], "b_mean_ms": mb["latency_mean_ms"],
                    "delta_mean_ms": _delta(ma["latency_mean_ms"], mb["latency_mean_ms"]),
                    "a_p50_ms": ma["latency_p50_ms"], "b_p50_ms": mb["latency_p50_ms"]},
        "errors": {"a": ma["errors"], "b": mb["errors"]},
        "significant": significant,
        "regression": any(s["direction"] == "regressed" for s in significant),
    }


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, fmt: str = "{:.3g}") -> str:
    return "n/a" if x is None else fmt.format(x)


def _usd(x: float | None) -> str:
    if x is None:
        return "unpriced"
    return ("-" if x < 0 else "") + format_usd(usd_to_pusd(abs(x)))


def to_markdown(r: dict[str, Any]) -> str:
    """The comparison as Markdown (also the text format). Case text is clipped
    and put in code spans, never interpreted."""
    o = r["overall"]
    verdict = "**significant regression**" if r["regression"] else "no significant regression"
    lines = [
        f"## Compare `{r['b']}` against `{r['a']}`: {verdict} (alpha {r['alpha']:g})",
        "",
        f"Paired cases: {r['cases']['paired']} (A {r['cases']['a']}, B {r['cases']['b']}). "
        f"Overall pass rate {_pct(o['pass_rate_a'])} -> {_pct(o['pass_rate_b'])}; "
        f"pass->fail {o['pass_to_fail']}, fail->pass {o['fail_to_pass']}, "
        f"McNemar p {_num(o['mcnemar_p'])}.",
        "",
        "| judge | n | pass A | pass B | pass->fail | fail->pass | McNemar p "
        "| mean A | mean B | W/T/L | Wilcoxon p |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for j, s in r["judges"].items():
        wtl = f"{s['wins']}/{s['ties']}/{s['losses']}" if "wins" in s else "-"
        lines.append(
            f"| {_cell(j)} | {s['n']} | {_pct(s['pass_rate_a'])} | {_pct(s['pass_rate_b'])} "
            f"| {s['pass_to_fail']} | {s['fail_to_pass']} | {_num(s['mcnemar_p'])} "
            f"| {_num(s.get('mean_a'))} | {_num(s.get('mean_b'))} "
            f"| {wtl} | {_num(s.get('wilcoxon_p'))} |"
        )
    if r["significant"]:
        lines.append("")
    for s in r["significant"]:
        lines.append(f"- {s['direction']}: {s['test']} (p {_num(s['p'])}, q {_num(s['q'])})")
    lines += ["", "| task | n | pass A | pass B | pass->fail | fail->pass |",
              "|---|---|---|---|---|---|"]
    for t in r["by_task"]:
        lines.append(f"| {_cell(t['task'] or '(none)')} | {t['n']} | {_pct(t['pass_rate_a'])} | "
                     f"{_pct(t['pass_rate_b'])} | {t['pass_to_fail']} | {t['fail_to_pass']} |")
    c, lat, e = r["cost"], r["latency"], r["errors"]
    lines += ["", f"Cost: A {_usd(c['a_usd'])}, B {_usd(c['b_usd'])}, delta {_usd(c['delta_usd'])} "
              f"(unpriced cases A {c['unpriced_a']}, B {c['unpriced_b']}). "
              f"Latency mean: A {_num(lat['a_mean_ms'], '{:.0f}')} ms, "
              f"B {_num(lat['b_mean_ms'], '{:.0f}')} ms. "
              f"Call errors: A {e['a']}, B {e['b']}."]
    if r["flipped"]:
        lines += ["", "Flipped cases (pass->fail first):", ""]
        for f in r["flipped"]:
            lines.append(f"- `{_code(f['case_id'])}` [{_cell(f['task'])}] {f['direction']}: "
                         f"{', '.join(_cell(j) for j in f['judges']) or 'overall'}; "
                         f"B: `{_code(f['b_output'][:120])}`")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return clean(str(text)).replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return _cell(text).replace("`", "'")
