"""Statistics against hand-computed values and simulated coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from evaltop.core.analysis import stats
from evaltop.core.analysis.stats import WeightedAgg


def three_strata() -> WeightedAgg:
    """p = 0.1 (w 10): 1,1,1,0; p = 0.5 (w 2): 1,0,0; p = 1 (w 1): 0,0,0,0,1."""
    ys = [1, 1, 1, 0] + [1, 0, 0] + [0, 0, 0, 0, 1]
    ws = [10] * 4 + [2] * 3 + [1] * 5
    return WeightedAgg.from_values(ys, ws)


def test_horvitz_thompson_on_three_strata_by_hand():
    agg = three_strata()
    assert agg.n == 12
    assert agg.raw_mean == pytest.approx(5 / 12)
    # sum(w*y) = 30 + 2 + 1 = 33, sum(w) = 40 + 6 + 5 = 51
    assert agg.mean == pytest.approx(33 / 51)
    # sum(w^2 (y - 11/17)^2) = (22900 + 1112 + 520) / 289; divided by 51^2
    assert agg.variance == pytest.approx(24532 / 751689)
    assert agg.n_eff == pytest.approx(2601 / 417)
    assert not agg.uniform_weights


def test_sums_add_up_like_concatenated_values():
    a = WeightedAgg.from_values([1, 0, 1], [2, 2, 5])
    b = WeightedAgg.from_values([0, 0], [1, 1])
    both = WeightedAgg.from_values([1, 0, 1, 0, 0], [2, 2, 5, 1, 1])
    assert a + b == both
    assert WeightedAgg.from_counts(3, 10) == WeightedAgg.from_values([1] * 3 + [0] * 7)


def test_equal_weights_reduce_to_the_binomial():
    agg = WeightedAgg.from_counts(30, 100)
    assert agg.mean == agg.raw_mean == pytest.approx(0.3)
    assert agg.variance == pytest.approx(0.3 * 0.7 / 100)
    assert agg.n_eff == pytest.approx(100) and agg.uniform_weights


def test_wilson_known_values():
    assert stats.wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    lo, hi = stats.wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert stats.wilson_interval(0, 0) is None


def test_weighted_interval_covers_the_population_rate():
    """Stratified Bernoulli sampling of a fixed population: the 95% interval
    of the weighted rate covers the true rate about 95% of the time, while the
    raw rate is far off (the oversampled stratum fails more)."""
    rng = np.random.default_rng(7)
    sizes, rates, probs = (5000, 1000, 200), (0.9, 0.5, 0.2), (0.05, 0.3, 1.0)
    y = np.concatenate([rng.random(n) < r for n, r in zip(sizes, rates, strict=True)]).astype(float)
    p = np.concatenate([np.full(n, pi) for n, pi in zip(sizes, probs, strict=True)])
    truth = y.mean()
    covered, raw_means = 0, []
    reps = 400
    for _ in range(reps):
        take = rng.random(y.size) < p
        agg = WeightedAgg.from_values(y[take], 1 / p[take])
        lo, hi = stats.weighted_interval(agg, proportion=True)
        covered += lo <= truth <= hi
        raw_means.append(agg.raw_mean)
    assert 0.92 <= covered / reps <= 0.99
    assert abs(np.mean(raw_means) - truth) > 0.1  # why weighting matters


def test_two_proportion_z_matches_the_classic_pooled_test():
    p, method = stats.two_proportion_test(
        WeightedAgg.from_counts(30, 100), WeightedAgg.from_counts(50, 100)
    )
    se = (0.4 * 0.6 * (2 / 100)) ** 0.5
    assert method == "score"
    assert p == pytest.approx(2 * sps.norm.sf(0.2 / se))
    assert p == pytest.approx(0.00389, abs=1e-5)


def test_unbalanced_windows_get_the_textbook_pooled_p():
    """The audit's example: 2 of 100 failed, now 59 of 1,000. The textbook
    pooled z gives p = 0.10 two-sided; the old variance (each side's own
    outcomes about the pooled rate) gave 0.016 and a false finding."""
    base, cur = WeightedAgg.from_counts(98, 100), WeightedAgg.from_counts(941, 1000)
    r = (98 + 941) / 1100
    z = (0.941 - 0.98) / (r * (1 - r) * (1 / 100 + 1 / 1000)) ** 0.5
    p, _ = stats.two_proportion_test(base, cur)
    assert p == pytest.approx(2 * sps.norm.sf(abs(z))) and p == pytest.approx(0.104, abs=1e-3)
    less, _ = stats.two_proportion_test(base, cur, "less")
    assert less == pytest.approx(p / 2)
    assert stats.two_proportion_test(base, cur, "greater")[0] == pytest.approx(1 - p / 2)


def test_one_test_at_every_size_and_no_jump():
    """No switch to Fisher below an expected count of 5: p moves smoothly
    as one more failure arrives, and equal constant sides give 1."""
    ps = [stats.two_proportion_test(WeightedAgg.from_counts(40, 40),
                                    WeightedAgg.from_counts(40 - k, 40))[0] for k in range(8)]
    assert ps[0] == 1.0 and all(a > b for a, b in zip(ps, ps[1:], strict=False))
    # the one-sided p of the monitoring family never exceeds the two-sided one
    assert all(stats.two_proportion_test(WeightedAgg.from_counts(40, 40),
                                         WeightedAgg.from_counts(40 - k, 40), "less")[0]
               <= ps[k] for k in range(8))
    with pytest.raises(ValueError, match="alternative"):
        stats.two_proportion_test(WeightedAgg.from_counts(1, 2), WeightedAgg.from_counts(1, 2),
                                  "lower")


def _restricted_by_search(x0, n0, x1, n1, d):
    """The restricted MLE by a bounded numerical search (reference)."""
    from scipy.optimize import minimize_scalar

    def nll(p0):
        p1, eps = p0 + d, 1e-300
        return -(x0 * np.log(max(p0, eps)) + (n0 - x0) * np.log(max(1 - p0, eps))
                 + x1 * np.log(max(p1, eps)) + (n1 - x1) * np.log(max(1 - p1, eps)))
    lo, hi = max(0.0, -d), min(1.0, 1.0 - d)
    return nll, minimize_scalar(nll, bounds=(lo, hi), method="bounded",
                                options={"xatol": 1e-12}).fun


def test_restricted_rates_maximise_the_likelihood():
    rng = np.random.default_rng(1)
    for _ in range(200):
        n0, n1 = (int(v) for v in rng.integers(5, 500, 2))
        x0, x1 = int(rng.integers(0, n0 + 1)), int(rng.integers(0, n1 + 1))
        d = float(rng.uniform(-0.9, 0.9))
        p0, p1 = stats.restricted_rates(WeightedAgg.from_counts(x0, n0),
                                        WeightedAgg.from_counts(x1, n1), d)
        assert p1 - p0 == pytest.approx(d) and 0 <= p0 <= 1 and 0 <= p1 <= 1
        nll, best = _restricted_by_search(x0, n0, x1, n1, d)
        assert nll(p0) <= best + 1e-6


def test_score_interval_agrees_with_the_test():
    """The difference interval excludes 0 exactly when the test rejects (the
    unpooled Wald interval did not), and covers the true difference ~95%."""
    rng = np.random.default_rng(4)
    agree, covered, reps = 0, 0, 600
    for _ in range(reps):
        n0, n1 = int(rng.integers(30, 400)), int(rng.integers(30, 400))
        r0 = float(rng.uniform(0.6, 0.99))
        r1 = r0 - float(rng.choice([0.0, 0.03, 0.08]))
        base = WeightedAgg.from_counts(int(rng.binomial(n0, r0)), n0)
        cur = WeightedAgg.from_counts(int(rng.binomial(n1, r1)), n1)
        lo, hi = stats.score_interval(base, cur)
        p, _ = stats.two_proportion_test(base, cur)
        agree += (p < 0.05) == (not lo <= 0 <= hi)
        covered += lo <= r1 - r0 <= hi
    assert agree == reps
    assert 0.93 <= covered / reps <= 0.975


def test_zero_spread_on_both_sides_is_no_test():
    five, four = WeightedAgg.from_values([5.0] * 40), WeightedAgg.from_values([4.0] * 40)
    assert stats.weighted_mean_test(five, four) is None
    assert stats.weighted_mean_test(five, five) == 1.0


def test_weighting_shrinks_the_evidence_to_the_effective_size():
    """The same rates from 100 outputs with uneven weights are less certain."""
    even = stats.two_proportion_test(
        WeightedAgg.from_counts(60, 100), WeightedAgg.from_counts(45, 100)
    )[0]
    ws = [10] * 20 + [1] * 80
    uneven = stats.two_proportion_test(
        WeightedAgg.from_values([1] * 12 + [0] * 8 + [1] * 48 + [0] * 32, ws),
        WeightedAgg.from_values([1] * 9 + [0] * 11 + [1] * 36 + [0] * 44, ws),
    )[0]
    assert even < 0.05 < uneven


def test_bh_qvalues_by_hand():
    assert stats.bh_qvalues([0.01, 0.04, 0.03, 0.5]) == pytest.approx(
        [0.04, 0.16 / 3, 0.16 / 3, 0.5]
    )
    assert stats.bh_qvalues([]) == []


@pytest.mark.parametrize(("table", "kappa"), [
    ((20, 5, 10, 15), 0.4),  # po 0.7, pe 0.5*0.6 + 0.5*0.4 = 0.5
    ((10, 0, 0, 10), 1.0),
    ((0, 10, 10, 0), -1.0),
    ((45, 5, 5, 45), 0.8),
    ((30, 0, 0, 0), None),  # both raters constant: undefined
    ((0, 0, 0, 0), None),
])
def test_cohen_kappa_by_hand(table, kappa):
    got = stats.cohen_kappa(*table)
    assert got == (None if kappa is None else pytest.approx(kappa))


def test_paired_helpers():
    assert stats.mcnemar(10, 2) == pytest.approx(158 / 4096)
    assert stats.sign_test(10, 2) == pytest.approx(158 / 4096)
    assert stats.mcnemar(0, 0) == 1.0
    a = [1.0] * 10
    b = [1.0 + d for d in range(1, 11)]
    assert stats.wilcoxon_paired(a, b) == pytest.approx(2 / 1024)
    assert stats.wilcoxon_paired(a, a) == 1.0
    with pytest.raises(ValueError, match="length"):
        stats.wilcoxon_paired([1.0], [1.0, 2.0])


def test_weighted_mean_test_and_its_interval_agree():
    lo, hi = [1, 2, 2, 3, 2, 1, 2, 3] * 5, [4, 5, 4, 3, 5, 4, 5, 4] * 5
    a, b = WeightedAgg.from_values(lo), WeightedAgg.from_values(hi)
    assert stats.weighted_mean_test(a, b) < 1e-6
    ci = stats.delta_interval(a, b)
    assert 0 < ci[0] < b.mean - a.mean < ci[1]
