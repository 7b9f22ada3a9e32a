"""Per-judge score summaries over a window: raw and reweighted pass rates.

``pass_rate`` is the plain share of judged outputs that passed (Wilson
interval ``ci95_raw``); ``pass_rate_weighted`` reweights each output by
``1 / inclusion probability`` (Hajek estimator) so oversampled strata do not
bias the population estimate; ``ci95`` is its interval on the effective
sample size. ``errors`` (judging failed for good) are never counted as failed.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from evaltop.core.analysis.stats import WeightedAgg, weighted_interval, wilson_interval
from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as q


def _round(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits)


def summarise(row) -> dict[str, Any]:
    """One judge's summary from a :func:`score_aggregates` row."""
    p = WeightedAgg.from_mapping(row, "p_")
    s = WeightedAgg.from_mapping(row, "s_")
    passed = int(round(p.sum_y))
    ci = weighted_interval(p, proportion=True)
    ci_raw = wilson_interval(passed, p.n)
    return {
        "kind": row["kind"],
        "judged": int(row["judged"] or 0),
        "passed": passed,
        "failed": p.n - passed,
        "errors": int(row["errors"] or 0),
        "pass_rate": _round(p.raw_mean),
        "pass_rate_weighted": _round(p.mean),
        "ci95": [_round(ci[0]), _round(ci[1])] if ci else None,
        "ci95_raw": [_round(ci_raw[0]), _round(ci_raw[1])] if ci_raw else None,
        "n_effective": _round(p.n_eff, 2),
        "mean_score": _round(s.raw_mean),
        "mean_score_weighted": _round(s.mean),
    }


def judge_summaries(conn: sqlite3.Connection, window: Window) -> dict[str, dict[str, Any]]:
    """{judge: summary} for scores whose output ts is in the window."""
    rows = q.score_aggregates(conn, window.since, window.until)
    return {row["judge"]: summarise(row) for row in rows}
