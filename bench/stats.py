"""Regression statistics by simulation: false alarms, power, delay, coverage.

    python -m bench stats                  # full size, a few minutes on 2 cores
    python -m bench.stats --runs 200       # smaller

Every scenario marks regressions with the code the dashboard, the analyse
job and `evaltop report` run once SQL has summed each window:
``regressions.compare_pass_rates`` per judge and segment, then
``regressions.apply_fdr`` across them (``find_regressions`` is those two
after one GROUP BY). Rates, windows and traffic are stated per scenario;
each run is seeded, so a re-run prints the same figures. Pass rate 95% (5%
failures), 8 segments, alpha 0.05, min_n 30, detect_drop 0.05 unless said.
tests/test_stats_simulation.py runs every scenario small.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaltop.core.analysis import regressions as reg
from evaltop.core.analysis.stats import (
    WeightedAgg,
    score_interval,
    two_proportion_test,
    weighted_interval,
    wilson_interval,
)

RESULTS = Path(__file__).resolve().parent / "results"
SEGMENTS = [reg.Segment(task=f"task{i}") for i in range(8)]


@dataclass(frozen=True)
class Setup:
    alpha: float = 0.05
    min_n: int = 30
    detect_drop: float = 0.05
    pass_rate: float = 0.95
    segments: int = 8


def marks(base: list[WeightedAgg], cur: list[WeightedAgg], s: Setup) -> tuple[bool, bool]:
    """(any segment marked regressed, any marked improved) at one look."""
    rows = [reg.compare_pass_rates(SEGMENTS[i], "judge", "rule", b, c, s.min_n,
                                   tau=s.detect_drop, alpha=s.alpha, detail=False)
            for i, (b, c) in enumerate(zip(base, cur, strict=True))]
    done = reg.apply_fdr(rows, s.alpha)
    return any(r.regressed for r in done), any(r.improved for r in done)


def _counts(rng, n: int, rate: float) -> WeightedAgg:
    return WeightedAgg.from_counts(int(rng.binomial(n, rate)), n)


def one_look(runs: int, n_base: int, n_cur: int, s: Setup = Setup(), seed: int = 1,
             drop: float = 0.0) -> dict:
    """One look. A/A: the share of runs with any regressed / improved mark,
    and of single tests whose fixed-sample one-sided p is below alpha. With
    ``drop``: the first segment's pass rate falls by it; the share of runs
    that mark that segment regressed (power), and by the fixed-sample test
    at alpha (what a single look could have had)."""
    rng = np.random.default_rng(seed)
    regressed = improved = p_hits = tests = power = fixed_power = 0
    for _ in range(runs):
        base = [_counts(rng, n_base, s.pass_rate) for _ in range(s.segments)]
        cur = [_counts(rng, n_cur, s.pass_rate - (drop if j == 0 else 0.0))
               for j in range(s.segments)]
        rows = [reg.compare_pass_rates(SEGMENTS[i], "judge", "rule", b, c, s.min_n,
                                       tau=s.detect_drop, alpha=s.alpha, detail=False)
                for i, (b, c) in enumerate(zip(base, cur, strict=True))]
        done = {r.segment.task: r for r in reg.apply_fdr(rows, s.alpha)}
        regressed += any(r.regressed for r in done.values())
        improved += any(r.improved for r in done.values())
        power += done[SEGMENTS[0].task].regressed
        fixed_power += two_proportion_test(base[0], cur[0], "less")[0] < s.alpha
        for b, c in zip(base, cur, strict=True):
            p_hits += two_proportion_test(b, c, "less")[0] < s.alpha
            tests += 1
    if drop:
        return {"runs": runs, "n_baseline": n_base, "n_current": n_cur, "drop": drop,
                "power": power / runs, "fixed_sample_power": fixed_power / runs}
    return {"runs": runs, "n_baseline": n_base, "n_current": n_cur,
            "regressed": regressed / runs, "improved": improved / runs,
            "fixed_p_below_alpha": p_hits / tests}


def looks_over_a_day(runs: int, per_day: int = 100, looks: int = 50, baseline_days: int = 7,
                     s: Setup = Setup(), seed: int = 2) -> dict:
    """A/A: the baseline holds ``baseline_days`` of traffic; the current
    window fills over one day (``per_day`` judged outputs per segment) and
    the analysis looks ``looks`` times, evenly spread. Share of runs ever
    marked regressed, and ever marked either way."""
    rng = np.random.default_rng(seed)
    ever_r = ever_any = 0
    for _ in range(runs):
        base = [_counts(rng, per_day * baseline_days, s.pass_rate) for _ in range(s.segments)]
        cum = []
        for _ in range(s.segments):
            k = int(rng.poisson(per_day))
            arrivals = np.sort(rng.random(k))
            passes = np.cumsum(rng.random(k) < s.pass_rate)
            at = np.searchsorted(arrivals, np.arange(1, looks + 1) / looks, side="right")
            cum.append([(int(passes[a - 1]) if a else 0, int(a)) for a in at])
        r_any = a_any = False
        for look in range(looks):
            cur = [WeightedAgg.from_counts(*cum[j][look]) for j in range(s.segments)]
            r, i = marks(base, cur, s)
            r_any, a_any = r_any or r, a_any or r or i
        ever_r += r_any
        ever_any += a_any
    return {"runs": runs, "per_day": per_day, "looks": looks,
            "ever_regressed": ever_r / runs, "ever_either_way": ever_any / runs}


def _hourly(rng, hours: int, per_day: int, rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Judged outputs and passes per hour for one segment."""
    n = rng.poisson(per_day / 24, hours)
    return n, rng.binomial(n, rates)


def rolling(runs: int, per_day: int = 100, days: int = 7, s: Setup = Setup(), seed: int = 3,
            drop: float = 0.0, since_h: int = 24, baseline_h: int = 168) -> dict:
    """The dashboard's rolling windows (current: the last ``since_h`` hours,
    baseline: the ``baseline_h`` before), looked at every hour for ``days``.
    A/A: the share of runs ever marked regressed, and false alarms (a
    segment's mark switching on) per segment per 30 days. With ``drop``:
    every segment's pass rate falls by it at the first look; the hours
    until the first regressed mark (median, share found)."""
    rng = np.random.default_rng(seed)
    hours = baseline_h + since_h + days * 24
    start = baseline_h + since_h
    ever, alarms, delays, found = 0, 0, [], 0
    for _ in range(runs):
        rates = np.full(hours, s.pass_rate)
        rates[start:] -= drop
        series = [_hourly(rng, hours, per_day, rates) for _ in range(s.segments)]
        cn = [np.concatenate([[0], np.cumsum(n)]) for n, _ in series]
        cx = [np.concatenate([[0], np.cumsum(x)]) for _, x in series]
        on = [False] * s.segments
        ever_run, first = False, None
        for t in range(start, hours + 1):
            base, cur = [], []
            for j in range(s.segments):
                b0, b1, c1 = t - since_h - baseline_h, t - since_h, t
                base.append(WeightedAgg.from_counts(int(cx[j][b1] - cx[j][b0]),
                                                    int(cn[j][b1] - cn[j][b0])))
                cur.append(WeightedAgg.from_counts(int(cx[j][c1] - cx[j][b1]),
                                                   int(cn[j][c1] - cn[j][b1])))
            rows = [reg.compare_pass_rates(SEGMENTS[j], "judge", "rule", base[j], cur[j],
                                           s.min_n, tau=s.detect_drop, alpha=s.alpha,
                                           detail=False) for j in range(s.segments)]
            now_on = {r.segment.task for r in reg.apply_fdr(rows, s.alpha) if r.regressed}
            for j in range(s.segments):
                hit = SEGMENTS[j].task in now_on
                alarms += hit and not on[j]
                on[j] = hit
            if now_on:
                ever_run = True
                if first is None:
                    first = t - start
        ever += ever_run
        if first is not None:
            found += 1
            delays.append(first)
    out = {"runs": runs, "per_day": per_day, "days": days, "drop": drop,
           "current_h": since_h, "baseline_h": baseline_h, "ever_regressed": ever / runs}
    if drop:
        out |= {"found": found / runs,
                "median_delay_h": statistics.median(delays) if delays else None}
    else:
        out["false_alarms_per_segment_30d"] = alarms / (runs * s.segments) * 30 / days
    return out


def coverage(runs: int, seed: int = 4) -> list[dict]:
    """95% intervals of a weighted pass rate: a window of 5,000 outputs from
    three strata (70%, 20%, 10% of traffic, passing 95%, 80%, 40%: the
    process's rate is 86.5%), each oversampled in turn (rate 1.0, the others
    0.1). Coverage of the process's rate (evaltop compares processes, not
    finite sets: no finite-population correction) by the design-effect
    Wilson interval evaltop uses and by Wilson on Kish's n_eff."""
    rng = np.random.default_rng(seed)
    sizes, rates = (3500, 1000, 500), (0.95, 0.80, 0.40)
    truth = sum(n * r for n, r in zip(sizes, rates, strict=True)) / sum(sizes)
    out = []
    for over in range(3):
        probs = [1.0 if k == over else 0.1 for k in range(3)]
        p = np.concatenate([np.full(n, pk) for n, pk in zip(sizes, probs, strict=True)])
        design = kish = 0
        for _ in range(runs):
            y = np.concatenate([rng.random(n) < r
                                for n, r in zip(sizes, rates, strict=True)]).astype(float)
            take = rng.random(y.size) < p
            agg = WeightedAgg.from_values(y[take], 1 / p[take])
            lo, hi = weighted_interval(agg, proportion=True)
            design += lo <= truth <= hi
            lo, hi = wilson_interval(agg.mean * agg.n_eff, agg.n_eff)
            kish += lo <= truth <= hi
        out.append({"oversampled": f"stratum {over + 1} (pass {rates[over]:.0%})",
                    "runs": runs, "design_effect": design / runs, "kish_wilson": kish / runs})
    return out


def audit_example(s: Setup = Setup()) -> dict:
    """The audit's example: 2 of 100 failed, now 59 of 1,000."""
    base, cur = WeightedAgg.from_counts(98, 100), WeightedAgg.from_counts(941, 1000)
    row = reg.apply_fdr([reg.compare_pass_rates(SEGMENTS[0], "judge", "rule", base, cur,
                                                s.min_n, tau=s.detect_drop, alpha=s.alpha)],
                        s.alpha)[0]
    return {"p_two_sided": two_proportion_test(base, cur)[0], "p_one_sided": row.p,
            "e": row.e, "significant": row.significant, "ci": row.ci,
            "score_interval_95": score_interval(base, cur),
            "detectable_drop": row.detectable}


def counted_once(runs: int, n: int = 300, s: Setup = Setup(), seed: int = 5) -> dict:
    """An LLM judge's real drop (pass 95% -> 80%, mean score 4.6 -> 4.0 on
    a 1-5 scale) in one of 8 segments: findings per run (pass rate primary,
    mean score secondary, never a finding)."""
    rng = np.random.default_rng(seed)
    findings = []
    for _ in range(runs):
        rows = []
        for j, seg in enumerate(SEGMENTS):
            sides = []
            for rate, mean in ((0.95, 4.6), (0.80, 4.0) if j == 0 else (0.95, 4.6)):
                passed = rng.random(n) < rate
                score = np.clip(np.round(rng.normal(mean, 0.6, n)), 1, 5)
                sides.append((WeightedAgg.from_values(passed.astype(float)),
                              WeightedAgg.from_values(score)))
            (bp, bs), (cp, cs) = sides
            rows.append(reg.compare_pass_rates(seg, "quality", "llm", bp, cp, s.min_n,
                                               tau=s.detect_drop, alpha=s.alpha, detail=False))
            rows.append(reg.compare_scores(seg, "quality", "llm", bs, cs, s.min_n))
        findings.append(sum(r.significant for r in reg.apply_fdr(rows, s.alpha)))
    return {"runs": runs, "n": n, "found": sum(f > 0 for f in findings) / runs,
            "two_findings": sum(f > 1 for f in findings) / runs}


def run_all(runs: int) -> dict:
    """Every scenario; ``runs`` scales them (the full bench uses 2,000)."""
    small, week = max(runs // 5, 20), max(runs // 10, 10)
    return {
        "one_look": [one_look(runs, 300, 300), one_look(runs, 700, 100),
                     one_look(runs, 100, 700)],
        "power_one_look": [one_look(small, 700, 100, drop=0.10),
                           one_look(small, 300, 300, drop=0.10),
                           one_look(small, 700, 100, drop=0.05)],
        "looks_over_a_day": [looks_over_a_day(small, per_day=100),
                             looks_over_a_day(small, per_day=1000)],
        "rolling_aa": [rolling(week, per_day=100), rolling(week, per_day=1000)],
        "rolling_drop": [rolling(week, per_day=100, drop=0.10, days=3),
                         rolling(week, per_day=1000, drop=0.10, days=3),
                         rolling(week, per_day=1000, drop=0.05, days=3)],
        "coverage": coverage(max(runs // 2, 100)),
        "audit_example": audit_example(),
        "counted_once": counted_once(small),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.stats",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000,
                    help="runs of the one-look scenarios; the others use a fifth or a tenth")
    args = ap.parse_args(argv)
    started = time.monotonic()
    res = run_all(args.runs)
    res["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(res, indent=1))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"stats-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
