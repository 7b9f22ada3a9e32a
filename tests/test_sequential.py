"""The sequential test's pieces against direct computation: the mixture
e-value against numerical integration, its interval against its own test,
e-BH by hand, the detectable drop against simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import log_ndtr

from evaltop.core.analysis import sequential as sq
from evaltop.core.analysis.stats import WeightedAgg, score_variance


@pytest.mark.parametrize("x", [-60.0, -30.0, -20.5, -19.5, -8.0, -1.0, 0.0, 3.0, 9.0])
def test_log_ndtr_matches_scipy_into_the_far_tail(x):
    assert sq._log_ndtr(x) == pytest.approx(float(log_ndtr(x)), rel=1e-8, abs=1e-12)


@pytest.mark.parametrize(("d", "var", "tau"), [
    (-0.05, 0.0004, 0.05), (-0.01, 0.0004, 0.05), (0.02, 0.0004, 0.05), (-0.2, 0.01, 0.4),
])
def test_mixture_e_is_the_integral_of_likelihood_ratios(d, var, tau):
    """E = integral over theta < 0 of the half-normal prior times the normal
    likelihood ratio of theta against 0, at the estimate d."""
    def integrand(theta):
        prior = 2 / tau * math.exp(-theta * theta / (2 * tau * tau)) / math.sqrt(2 * math.pi)
        return prior * math.exp((theta * d - theta * theta / 2) / var)

    want, _ = integrate.quad(integrand, -np.inf, 0)
    got = math.exp(sq.log_mixture_e(-d / math.sqrt(var), tau * tau / var))
    assert got == pytest.approx(want, rel=1e-6)


def test_e_value_points_the_right_way_and_averages_the_grid():
    base, worse = WeightedAgg.from_counts(285, 300), WeightedAgg.from_counts(255, 300)
    assert sq.e_value(base, worse, sq.LESS, 0.05) > 100
    assert sq.e_value(base, worse, sq.GREATER, 0.05) < 0.1
    assert sq.e_value(base, base, sq.LESS, 0.05) < 1  # no evidence: below its mean of 1
    var = score_variance(base, worse)
    s = 0.1 / math.sqrt(var)
    grid = [math.exp(sq.log_mixture_e(s, t * t / var)) for t in sq.taus(0.05)]
    assert sq.e_value(base, worse, sq.LESS, 0.05) == pytest.approx(sum(grid) / len(grid))
    assert sq.taus(0.05) == (0.025, 0.05, 0.1, 0.2, 0.4)
    assert sq.taus(0.3) == (0.15, 0.3, 0.6, 1.0)  # capped at 1


def test_the_interval_excludes_zero_exactly_when_the_evidence_reaches_one_over_alpha():
    rng = np.random.default_rng(8)
    for _ in range(150):
        n0, n1 = int(rng.integers(30, 600)), int(rng.integers(30, 600))
        r0 = float(rng.uniform(0.7, 0.99))
        base = WeightedAgg.from_counts(int(rng.binomial(n0, r0)), n0)
        cur = WeightedAgg.from_counts(int(rng.binomial(n1, r0 - rng.choice([0, 0.05, 0.15]))), n1)
        lo, hi = sq.sequence_interval(base, cur, 0.05, 0.05)
        assert lo <= cur.mean - base.mean <= hi
        assert (hi < 0) == (sq.e_value(base, cur, sq.LESS, 0.05) >= 20)
        assert (lo > 0) == (sq.e_value(base, cur, sq.GREATER, 0.05) >= 20)


def test_ebh_by_hand():
    # p = 1/e: 0.001, 0.02, 0.04, 0.5 -> BH with m = 4
    got = sq.ebh_qvalues([1000.0, 50.0, 25.0, 2.0])
    assert got == pytest.approx([0.004, 0.04, 0.16 / 3, 0.5])
    assert sq.ebh_qvalues([]) == [] and sq.ebh_qvalues([0.5, 0.0]) == [1.0, 1.0]


def test_detectable_drop_is_caught_about_80_percent_of_the_time():
    """Plant the drop the function names; the mSPRT marks it in ~80% of draws."""
    rng = np.random.default_rng(12)
    base = WeightedAgg.from_counts(950, 1000)
    drop = sq.detectable_drop(base, WeightedAgg.from_counts(475, 500), 0.05, 0.05)
    assert 0.02 < drop < 0.1
    hits = sum(
        sq.e_value(base, WeightedAgg.from_counts(int(rng.binomial(500, 0.95 - drop)), 500),
                   sq.LESS, 0.05) >= 20
        for _ in range(600))
    assert 0.72 <= hits / 600 <= 0.88
    more = sq.detectable_drop(WeightedAgg.from_counts(9500, 10000),
                              WeightedAgg.from_counts(4750, 5000), 0.05, 0.05)
    assert more < drop  # more data, smaller drops found
    assert sq.detectable_drop(WeightedAgg(), base, 0.05, 0.05) is None
