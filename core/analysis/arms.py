"""A/B arms: models or variants serving the same task in the same window.

For each task with two or more arms (model x variant), every arm gets its
judge and rule pass rates (weighted, with intervals), latency, cost per
output and downstream metrics, and a comparison against the reference arm
(the one with the most outputs): deltas with p-values (two-proportion test
for rates, Welch's t-test for latency and cost), BH q-values across all arm
comparisons in the window.
"""

from __future__ import annotations

import math
import sqlite3
from decimal import Decimal
from typing import Any

from evaltop.core.analysis.downstream import downstream_metrics
from evaltop.core.analysis.scores import summarise
from evaltop.core.analysis.stats import (
    WeightedAgg,
    bh_qvalues,
    delta_interval,
    two_proportion_test,
    welch_from_stats,
)
from evaltop.core.model.config import Config
from evaltop.core.model.money import PUSD_PER_USD
from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as q

ARM_DIMS = ("task", "model", "variant")
_RATES = ("task_completion", "error", "user_correction", "thumbs_up")


def _moments(n: int, total: float | None, sumsq: float | None) -> tuple[float | None, float | None]:
    if not n or total is None:
        return None, None
    mean = total / n
    if n < 2 or sumsq is None:
        return mean, None
    var = (sumsq - total * total / n) / (n - 1)
    return mean, math.sqrt(max(var, 0.0))


def _arm_base(row) -> dict[str, Any]:
    lat_mean, lat_sd = _moments(row["lat_n"], row["lat_sum"], row["lat_sumsq"])
    cost_mean, cost_sd = _moments(row["cost_n"], row["cost_sum"], row["cost_sumsq"])
    to_usd = float(1 / Decimal(PUSD_PER_USD))
    return {
        "model": row["model"], "variant": row["variant"], "outputs": row["n"],
        "latency_ms": {"mean": lat_mean, "sd": lat_sd, "n": row["lat_n"]},
        "cost_per_output_usd": None if cost_mean is None else cost_mean * to_usd,
        "cost_sd_usd": None if cost_sd is None else cost_sd * to_usd,
        "priced_outputs": row["cost_n"], "unpriced_outputs": row["n"] - row["cost_n"],
        "judges": {}, "downstream": {}, "vs_reference": {},
        "_aggs": {}, "_moments": {"latency_ms": (lat_mean, lat_sd, row["lat_n"]),
                                  "cost_per_output_usd": (cost_mean, cost_sd, row["cost_n"])},
    }


def _compare(ref: dict, arm: dict, tests: list[dict]) -> None:
    vs = arm["vs_reference"]
    for judge, agg in arm["_aggs"].items():
        ref_agg = ref["_aggs"].get(judge)
        if ref_agg is None or ref_agg.n == 0 or agg.n == 0:
            continue
        p, method = two_proportion_test(ref_agg, agg)
        ci = delta_interval(ref_agg, agg)
        vs[f"judge:{judge}"] = {"delta": agg.mean - ref_agg.mean, "ci": list(ci) if ci else None,
                                "p": p, "method": method}
    for name in ("latency_ms", "cost_per_output_usd"):
        m0, s0, n0 = ref["_moments"][name]
        m1, s1, n1 = arm["_moments"][name]
        if m0 is None or m1 is None or s0 is None or s1 is None:
            continue
        to = 1 / PUSD_PER_USD if name == "cost_per_output_usd" else 1
        vs[name] = {"delta": (m1 - m0) * to, "p": welch_from_stats(m0, s0, n0, m1, s1, n1),
                    "method": "welch"}
    for rate in _RATES:
        a, b = ref["downstream"].get(rate), arm["downstream"].get(rate)
        if not a or not b or not a["n"] or not b["n"]:
            continue
        if rate != "error" and not a.get("events") and not b.get("events"):
            continue  # no feedback on either arm: 0% vs 0% is no comparison
        ra = WeightedAgg.from_counts(a["count"], a["n"])
        rb = WeightedAgg.from_counts(b["count"], b["n"])
        p, method = two_proportion_test(ra, rb)
        vs[rate] = {"delta": rb.mean - ra.mean, "p": p, "method": method}
    tests.extend(vs.values())


def compare_arms(conn: sqlite3.Connection, cfg: Config, window: Window) -> list[dict[str, Any]]:
    """Per task with 2+ arms: ``{"task", "reference": {model, variant}, "arms": [...]}``."""
    arms: dict[str, dict[tuple, dict]] = {}
    for row in q.output_stats(conn, window.since, window.until, ARM_DIMS):
        arms.setdefault(row["task"], {})[(row["model"], row["variant"])] = _arm_base(row)
    arms = {t: a for t, a in arms.items() if len(a) >= 2}
    if not arms:
        return []
    for row in q.score_aggregates(conn, window.since, window.until, ARM_DIMS):
        arm = arms.get(row["task"], {}).get((row["model"], row["variant"]))
        if arm is not None:
            arm["judges"][row["judge"]] = summarise(row)
            arm["_aggs"][row["judge"]] = WeightedAgg.from_mapping(row, "p_")
    for d in downstream_metrics(conn, cfg, window, by=ARM_DIMS):
        arm = arms.get(d["task"], {}).get((d["model"], d["variant"]))
        if arm is not None:
            arm["downstream"] = {k: d[k] for k in _RATES}
    out, tests = [], []
    for task in sorted(arms):
        ordered = sorted(arms[task].values(),
                         key=lambda a: (-a["outputs"], a["model"], a["variant"]))
        ref = ordered[0]
        for arm in ordered[1:]:
            _compare(ref, arm, tests)
        out.append({"task": task, "reference": {"model": ref["model"], "variant": ref["variant"]},
                    "arms": ordered})
    for t, qv in zip(tests, bh_qvalues([t["p"] for t in tests]), strict=True):
        t["q"] = qv
        t["significant"] = qv <= cfg.analysis.alpha
    for task in out:
        for arm in task["arms"]:
            arm.pop("_aggs")
            arm.pop("_moments")
    return out
