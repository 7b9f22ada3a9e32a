"""Score time series for charts: pass rate (raw and weighted) and mean score per bucket."""

from __future__ import annotations

import sqlite3
from typing import Any

from evaltop.core.analysis.stats import WeightedAgg, weighted_interval
from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as q


def score_trend(conn: sqlite3.Connection, judge: str | None, window: Window, bucket_s: int,
                by: str | None = None) -> list[dict[str, Any]]:
    """One point per bucket (and per ``by`` value: "model", "task", "prompt_version",
    "variant"): ``{"ts": bucket start, "key", "n", "pass_rate", "weighted",
    "ci95", "mean_score"}``. ``judge=None`` pools every judge. Buckets with no
    scores are absent (a gap, not a zero)."""
    if bucket_s <= 0:
        raise ValueError(f"bucket_s must be a positive number of seconds, got {bucket_s}")
    out = []
    for row in q.trend_buckets(conn, judge, window.since, window.until, int(bucket_s), by):
        p = WeightedAgg.from_mapping(row, "p_")
        s = WeightedAgg.from_mapping(row, "s_")
        if p.n == 0 and s.n == 0:
            continue
        ci = weighted_interval(p, proportion=True)
        out.append({
            "ts": float(row["bucket"] * int(bucket_s)),
            "key": row["key"],
            "n": p.n,
            "pass_rate": p.raw_mean,
            "weighted": p.mean,
            "ci95": list(ci) if ci else None,
            "mean_score": s.raw_mean,
        })
    return out
