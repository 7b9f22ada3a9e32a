"""`evaltop spend --by model|day|kind`: inference and judge spend in a window,
one row per key, judge spend confirmed with unconfirmed apart (the bucket
split, ``--by bucket``, is :func:`evaltop.core.views.costs.spend_by_bucket`).

Inference sums come from the hourly rollups (whole hours touching the
window), judge sums from the daily judge spend rollup and its edges.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from evaltop.core.model.money import format_usd, pusd_to_usd
from evaltop.core.text.sanitize import one_line
from evaltop.store import inference_queries as store_inference
from evaltop.store import judge_calls as store_judge_calls

BY = ("model", "day", "kind")


def spend_rows(conn: sqlite3.Connection, by: str, since: float | None,
               until: float) -> list[dict[str, Any]]:
    """Rows of {key, outputs, inference_pusd, unpriced_outputs, judge_calls,
    judge_pusd, judge_unconfirmed_pusd, judge_unconfirmed_calls}, costliest first."""
    if by not in BY:
        raise ValueError(f"--by: expected one of {', '.join(BY)} or bucket, got {by!r}")
    if by == "kind":
        inf = store_inference.inference_totals(conn, since, until)
        _, unc, unc_n = store_judge_calls.unconfirmed(conn, since, until)
        judge = store_judge_calls.judge_spend_by(conn, "judge", since, until)
        return [
            _row("inference", inf["outputs"], inf["cost_pusd"], inf["unpriced_outputs"]),
            _row("judge", 0, 0, 0, sum(j["calls"] for j in judge),
                 sum(j["cost_pusd"] for j in judge), unc, unc_n),
        ]
    rows: dict[str, dict[str, Any]] = {}
    for r in store_inference.inference_by(conn, by, since, until):
        rows[r["k"]] = _row(r["k"], r["outputs"], r["cost_pusd"], r["unpriced_outputs"])
    for j in store_judge_calls.judge_spend_by(conn, by, since, until):
        row = rows.setdefault(j["k"], _row(j["k"], 0, 0, 0))
        row.update(judge_calls=j["calls"], judge_pusd=j["cost_pusd"],
                   judge_unconfirmed_pusd=j["unconfirmed_pusd"],
                   judge_unconfirmed_calls=j["unconfirmed_attempts"])
    order = (lambda r: r["key"]) if by == "day" else (
        lambda r: -(r["inference_pusd"] + r["judge_pusd"]))
    return sorted(rows.values(), key=order, reverse=by == "day")


def _row(key: str, outputs: int, inf: int | None, unpriced: int, calls: int = 0,
         judge: int = 0, unconfirmed: int = 0, unconfirmed_calls: int = 0) -> dict[str, Any]:
    return {"key": key, "outputs": outputs or 0, "inference_pusd": inf or 0,
            "unpriced_outputs": unpriced or 0, "judge_calls": calls or 0,
            "judge_pusd": judge or 0, "judge_unconfirmed_pusd": unconfirmed or 0,
            "judge_unconfirmed_calls": unconfirmed_calls or 0}


def to_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"key": r["key"], "outputs": r["outputs"],
             "inference_usd": pusd_to_usd(r["inference_pusd"]),
             "unpriced_outputs": r["unpriced_outputs"], "judge_calls": r["judge_calls"],
             "judge_usd": pusd_to_usd(r["judge_pusd"]),
             "judge_unconfirmed_usd": pusd_to_usd(r["judge_unconfirmed_pusd"]),
             "judge_unconfirmed_calls": r["judge_unconfirmed_calls"]} for r in rows]


def text_lines(by: str, rows: list[dict[str, Any]]) -> list[str]:
    out = [f"{by:<32}{'outputs':>9}{'inference':>12}{'judge calls':>13}{'judge':>12}"
           "  unconfirmed"]
    for r in rows:
        unpriced = f" +{r['unpriced_outputs']} unpriced" if r["unpriced_outputs"] else ""
        unc = (f"  {format_usd(r['judge_unconfirmed_pusd'])} "
               f"({r['judge_unconfirmed_calls']})" if r["judge_unconfirmed_calls"] else "  -")
        out.append(f"{one_line(r['key'], 31):<32}{r['outputs']:>9,}"
                   f"{format_usd(r['inference_pusd']):>12}{r['judge_calls']:>13,}"
                   f"{format_usd(r['judge_pusd']):>12}{unc}{unpriced}")
    return out
