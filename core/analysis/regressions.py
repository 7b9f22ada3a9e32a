"""Regressions between a baseline window and the current window.

Segments are task x model x prompt_version x variant, per judge (rule checks
are judges of kind 'rule'). Each side is a weighted aggregate (weights
``1 / inclusion probability``) so oversampled strata do not bias the
comparison. Pass rates use :func:`stats.two_proportion_test` on effective
counts; LLM scores use Mann-Whitney U when both sides are equally weighted,
else a z-test on the weighted means. Below ``cfg.analysis.min_n`` judged
outputs on either side a segment is reported as insufficient instead of
tested. Benjamini-Hochberg q-values across every test; significant means
``q <= alpha``. See docs/analysis.md.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from evaltop.core.analysis.stats import (
    WeightedAgg,
    bh_qvalues,
    bootstrap_delta_ci,
    delta_interval,
    mann_whitney,
    two_proportion_test,
    weighted_mean_test,
)
from evaltop.core.model.config import Config
from evaltop.core.model.window import Window, parse_duration
from evaltop.store import analysis_queries as q

DIMS = q.DIMENSIONS
BOOTSTRAP_MAX_ROWS = 5000  # larger sides use the linearised interval (they agree there)
TEXT_LIMIT = 2000


def default_windows(cfg: Config, now: float) -> tuple[Window, Window]:
    """(current, baseline) from ``[analysis] since`` and ``baseline``."""
    current = Window.ending_at(now, parse_duration(cfg.analysis.since, what="analysis.since"))
    return current, current.before(parse_duration(cfg.analysis.baseline, what="analysis.baseline"))


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _sig(x: float) -> float:
    """p and q values: 6 decimals, or 4 significant digits when tiny (never 0.0 by rounding)."""
    return round(x, 6) if x >= 1e-4 else float(f"{x:.4g}")


def _base_result(segment: dict, judge: str, kind: str, metric: str,
                 base: WeightedAgg, cur: WeightedAgg, min_n: int) -> dict[str, Any]:
    out = {
        "segment": segment, "judge": judge, "kind": kind, "metric": metric,
        "baseline": _r(base.mean), "current": _r(cur.mean),
        "baseline_raw": _r(base.raw_mean), "current_raw": _r(cur.raw_mean),
        "delta": _r(cur.mean - base.mean) if base.mean is not None and cur.mean is not None else None,
        "ci": None, "p": None, "q": None, "method": None,
        "n_baseline": base.n, "n_current": cur.n,
        "significant": False, "direction": None, "insufficient": False,
    }
    if base.n < min_n or cur.n < min_n:
        out["insufficient"] = True
        out["reason"] = f"insufficient data: need {min_n} judged outputs per side, have {base.n} and {cur.n}"
    return out


def compare_pass_rates(segment: dict, judge: str, kind: str, base: WeightedAgg, cur: WeightedAgg,
                       min_n: int) -> dict[str, Any]:
    """One pass-rate comparison (not yet FDR-adjusted)."""
    out = _base_result(segment, judge, kind, "pass_rate", base, cur, min_n)
    if not out["insufficient"]:
        out["p"], out["method"] = two_proportion_test(base, cur)
        ci = delta_interval(base, cur)
        out["ci"] = [_r(ci[0]), _r(ci[1])] if ci else None
    return out


def compare_scores(segment: dict, judge: str, kind: str, base: WeightedAgg, cur: WeightedAgg,
                   base_rows: tuple[list, list], cur_rows: tuple[list, list], min_n: int) -> dict[str, Any]:
    """One mean-score comparison; rows are (scores, weights) per side."""
    out = _base_result(segment, judge, kind, "mean_score", base, cur, min_n)
    if out["insufficient"]:
        return out
    (ya, wa), (yb, wb) = base_rows, cur_rows
    if base.uniform_weights and cur.uniform_weights and ya and yb:
        out["p"], out["method"] = mann_whitney(ya, yb), "mann-whitney"
    else:
        out["p"], out["method"] = weighted_mean_test(base, cur), "weighted-z"
    if ya and yb and len(ya) <= BOOTSTRAP_MAX_ROWS and len(yb) <= BOOTSTRAP_MAX_ROWS:
        ci = bootstrap_delta_ci(ya, wa, yb, wb)
    else:
        ci = delta_interval(base, cur)
    out["ci"] = [_r(ci[0]), _r(ci[1])] if ci else None
    return out


def apply_fdr(results: list[dict[str, Any]], alpha: float) -> list[dict[str, Any]]:
    """BH q-values over every tested result; significance, direction, order."""
    tested = [r for r in results if r["p"] is not None]
    for r, qv in zip(tested, bh_qvalues([r["p"] for r in tested]), strict=True):
        r["q"] = _sig(qv)
        r["p"] = _sig(r["p"])
        r["significant"] = qv <= alpha
        d = r["delta"] or 0.0
        r["direction"] = "regressed" if d < 0 else "improved" if d > 0 else "unchanged"
    results.sort(key=lambda r: (r["insufficient"], r["q"] if r["q"] is not None else 2.0,
                                -abs(r["delta"] or 0.0)))
    return results


def _aggs(conn, window: Window) -> dict[tuple, tuple[str, WeightedAgg, WeightedAgg]]:
    out = {}
    for row in q.score_aggregates(conn, window.since, window.until, DIMS):
        key = (row["judge"], *(row[d] for d in DIMS))
        out[key] = (row["kind"], WeightedAgg.from_mapping(row, "p_"), WeightedAgg.from_mapping(row, "s_"))
    return out


def _rows(conn, judge: str, window: Window) -> dict[tuple, tuple[list, list]]:
    grouped: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for row in q.score_rows(conn, judge, window.since, window.until):
        ys, ws = grouped[tuple(row[d] for d in DIMS)]
        ys.append(row["score"])
        ws.append(row["w"])
    return grouped


def _dominant(counts: dict[str, int]) -> str:
    return max(sorted(counts), key=lambda k: counts[k])


def _takeovers(base: dict, cur: dict) -> dict[tuple[str, str], dict[str, Any]]:
    """(judge, task) -> {"model_change": ..., "prompt_version_change": ...} where
    the current window's models (or prompt versions) share none with the baseline's."""
    served: dict[tuple[str, str], dict[str, list[dict[str, int]]]] = {}
    for side, aggs in ((0, base), (1, cur)):
        for (judge, task, model, pv, _variant), (_k, p, _s) in aggs.items():
            if p.n == 0:
                continue
            entry = served.setdefault((judge, task), {"model": [{}, {}], "prompt_version": [{}, {}]})
            for dim, value in (("model", model), ("prompt_version", pv)):
                entry[dim][side][value] = entry[dim][side].get(value, 0) + p.n
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, entry in served.items():
        change = {}
        for dim in ("model", "prompt_version"):
            old, new = entry[dim]
            if old and new and not set(old) & set(new):
                change[f"{dim}_change"] = {"from": _dominant(old), "to": _dominant(new)}
        if change:
            out[key] = change
    return out


def find_regressions(conn: sqlite3.Connection, cfg: Config, current: Window, baseline: Window) -> list[dict]:
    """Every segment compared (and task-level model/prompt changes), sorted by q
    then |delta|; segments with too little data are included with
    ``"insufficient": true``."""
    min_n = cfg.analysis.min_n
    base, cur = _aggs(conn, baseline), _aggs(conn, current)
    empty = WeightedAgg()
    llm_judges = sorted({k[0] for k, v in {**base, **cur}.items() if v[0] != "rule" and v[2].n})
    rows = {j: (_rows(conn, j, baseline), _rows(conn, j, current)) for j in llm_judges}
    results: list[dict[str, Any]] = []
    for key in sorted(set(base) | set(cur)):
        judge, seg = key[0], dict(zip(DIMS, key[1:], strict=True))
        kind, bp, bs = base.get(key, ("", empty, empty))
        kind2, cp, cs = cur.get(key, ("", empty, empty))
        kind = kind or kind2
        results.append(compare_pass_rates(seg, judge, kind, bp, cp, min_n))
        if judge in rows and (bs.n or cs.n):
            rb, rc = rows[judge]
            results.append(compare_scores(seg, judge, kind, bs, cs, rb.get(key[1:], ([], [])),
                                          rc.get(key[1:], ([], [])), min_n))
    results += _task_level(base, cur, rows, min_n)
    return apply_fdr(results, cfg.analysis.alpha)


def _task_level(base: dict, cur: dict, rows: dict, min_n: int) -> list[dict[str, Any]]:
    """A new model / prompt version took over a task: compare the task as a whole."""
    out = []
    for (judge, task), change in sorted(_takeovers(base, cur).items()):
        seg = {"task": task, "model": None, "prompt_version": None, "variant": None}
        sides = []
        for aggs, side_rows in ((base, 0), (cur, 1)):
            kind, p, s, ys, ws = "", WeightedAgg(), WeightedAgg(), [], []
            for key, (k, kp, ks) in aggs.items():
                if key[0] == judge and key[1] == task:
                    kind, p, s = k, p + kp, s + ks
                    if judge in rows:
                        y, w = rows[judge][side_rows].get(key[1:], ([], []))
                        ys, ws = ys + y, ws + w
            sides.append((kind, p, s, ys, ws))
        (kind_b, bp, bs, by, bw), (kind_c, cp, cs, cy, cw) = sides
        kind = kind_b or kind_c
        found = [compare_pass_rates(seg, judge, kind, bp, cp, min_n)]
        if judge in rows and (bs.n or cs.n):
            found.append(compare_scores(seg, judge, kind, bs, cs, (by, bw), (cy, cw), min_n))
        for r in found:
            r.update(change, level="task")
            out.append(r)
    return out


def prompt_regressions(conn: sqlite3.Connection, current: Window, baseline: Window,
                       limit: int = 50) -> list[dict[str, Any]]:
    """Inputs (same normalised hash) that passed a judge in the baseline and fail
    it now, newest first, with both outputs."""
    hits = q.prompt_regressions(conn, (current.since, current.until), (baseline.since, baseline.until), limit)
    brief = q.outputs_brief(conn, [h["cur_id"] for h in hits] + [h["base_id"] for h in hits])

    def side(oid: str) -> dict[str, Any]:
        o = brief[oid]
        return {"output_id": oid, "ts": o["ts"], "model": o["model"], "prompt_version": o["prompt_version"],
                "variant": o["variant"], "output_text": o["output_text"][:TEXT_LIMIT]}

    out = []
    for h in hits:
        if h["cur_id"] not in brief or h["base_id"] not in brief:
            continue
        cur_o = brief[h["cur_id"]]
        out.append({"judge": h["judge"], "input_hash": h["input_hash"], "task": cur_o["task"],
                    "input_text": cur_o["input_text"][:TEXT_LIMIT],
                    "baseline": side(h["base_id"]), "current": side(h["cur_id"])})
    return out
