"""The regression marks by simulation, small and seeded (full size:
``python -m bench stats``, figures in docs/analysis.md). Each scenario runs
the code the dashboard and the report run after SQL has summed the windows
(``compare_pass_rates`` then ``apply_fdr``). The bounds are the stated
levels plus binomial noise at these run counts; the previous test (each
side's own variance, BH per look) fails the first three."""

from __future__ import annotations

import pytest
from scipy import stats as sps

from bench import stats as sim


def _ceiling(runs: int, level: float = 0.05) -> float:
    """The share of runs a level-``level`` procedure exceeds 0.1% of the time."""
    return sps.binom.ppf(0.999, runs, level) / runs


@pytest.mark.parametrize(("n_base", "n_cur"), [(300, 300), (700, 100), (100, 700)])
def test_one_look_aa_stays_under_alpha_whichever_window_is_larger(n_base, n_cur):
    res = sim.one_look(300, n_base, n_cur, seed=21)
    assert res["regressed"] <= _ceiling(300) and res["improved"] <= _ceiling(300)
    # the fixed-sample one-sided p is uniform: about alpha below alpha
    assert 0.03 <= res["fixed_p_below_alpha"] <= 0.075


def test_fifty_looks_over_a_day_keep_the_level():
    res = sim.looks_over_a_day(150, per_day=100, looks=50, seed=22)
    assert res["ever_regressed"] <= _ceiling(150)


def test_rolling_windows_raise_at_most_one_false_alarm_a_month():
    res = sim.rolling(12, per_day=100, days=7, seed=23)
    assert res["false_alarms_per_segment_30d"] <= 1.0


def test_a_planted_drop_is_found_and_soon():
    one = sim.one_look(200, 700, 100, drop=0.10, seed=24)
    assert one["power"] >= 0.4  # the price of anytime validity against 0.96 fixed
    late = sim.rolling(8, per_day=100, drop=0.10, days=3, seed=25)
    assert late["found"] == 1.0 and late["median_delay_h"] <= 24


def test_weighted_rate_intervals_cover_with_any_stratum_oversampled():
    for row in sim.coverage(400, seed=26):
        assert 0.925 <= row["design_effect"] <= 0.975, row
    kish = [row["kish_wilson"] for row in sim.coverage(400, seed=26)]
    assert min(kish) < 0.9  # why the design effect: Kish's n_eff under-covers one case


def test_the_audit_example_is_not_a_finding():
    res = sim.audit_example()
    assert res["p_two_sided"] == pytest.approx(0.104, abs=1e-3)
    assert not res["significant"] and res["ci"][0] < 0 < res["ci"][1]


def test_an_llm_judge_drop_is_one_finding():
    res = sim.counted_once(20, seed=27)
    assert res["found"] >= 0.9 and res["two_findings"] == 0.0
