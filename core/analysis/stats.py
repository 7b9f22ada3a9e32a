"""Statistics for sampled LLM scores: weighted estimates, tests, intervals.

Every sampled output carries its inclusion probability ``p``; its weight is
``w = 1 / p``. Estimates use the Hajek ratio form of Horvitz-Thompson,
``R = sum(w*y) / sum(w)``, with the linearised variance
``V(R) = sum(w**2 * (y - R)**2) / sum(w)**2`` (no finite-population
correction: we compare the *process* that produced two windows, not two
finite sets of outputs). With equal weights this is ``R(1-R)/n``.

Everything is computed from :class:`WeightedAgg` sums so SQL can aggregate
and only counts leave the database. Distributions come from scipy.
See docs/analysis.md for the choices and formulas.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache

# numpy and scipy load when a computation first needs them, on the dashboard's
# fetch worker, not when the app imports the analysis: scipy.stats alone took
# half of the first paint, numpy and scipy.special another 0.15 s of start-up.


def _sps():
    """scipy.stats, imported when a test first needs it."""
    from scipy import stats

    return stats


def _np():
    import numpy

    return numpy


@lru_cache(maxsize=16)
def z_for(conf: float) -> float:
    """Two-sided normal quantile for a confidence level (0.95 -> 1.96)."""
    from scipy.special import ndtri  # light beside scipy.stats

    return float(ndtri(0.5 + conf / 2))  # what scipy.stats.norm.ppf computes, bit for bit


@dataclass(frozen=True)
class WeightedAgg:
    """Sufficient statistics of values ``y`` with weights ``w`` (one side, one segment)."""

    n: int = 0
    sum_y: float = 0.0
    sum_yy: float = 0.0
    sum_w: float = 0.0
    sum_wy: float = 0.0
    sum_wyy: float = 0.0
    sum_ww: float = 0.0
    sum_wwy: float = 0.0
    sum_wwyy: float = 0.0

    @classmethod
    def from_values(cls, ys: Iterable[float], ws: Iterable[float] | None = None) -> WeightedAgg:
        np = _np()
        y = np.asarray(list(ys), dtype=float)
        w = np.ones_like(y) if ws is None else np.asarray(list(ws), dtype=float)
        if y.shape != w.shape:
            raise ValueError(f"values and weights differ in length ({y.size} vs {w.size})")
        return cls(
            int(y.size), float(y.sum()), float((y * y).sum()), float(w.sum()), float((w * y).sum()),
            float((w * y * y).sum()), float((w * w).sum()), float((w * w * y).sum()),
            float((w * w * y * y).sum()),
        )

    @classmethod
    def from_counts(cls, successes: int, n: int) -> WeightedAgg:
        """Unweighted binary outcomes: ``successes`` of ``n``."""
        x = float(successes)
        return cls(int(n), x, x, float(n), x, x, float(n), x, x)

    @classmethod
    def from_mapping(cls, row, prefix: str = "") -> WeightedAgg:
        """From a row with columns ``{prefix}n``, ``{prefix}sum_y``, ... (NULL sums are 0)."""
        n, *sums = [row[k] for k in _agg_keys(prefix)]
        return cls(int(n or 0), *[float(v or 0.0) for v in sums])

    def __add__(self, other: WeightedAgg) -> WeightedAgg:
        return WeightedAgg(*(getattr(self, name) + getattr(other, name) for name in _AGG_FIELDS))

    @property
    def raw_mean(self) -> float | None:
        return self.sum_y / self.n if self.n else None

    @property
    def mean(self) -> float | None:
        """Hajek (weighted) mean."""
        return self.sum_wy / self.sum_w if self.sum_w > 0 else None

    @property
    def variance(self) -> float | None:
        """Linearised variance of :attr:`mean`."""
        r = self.mean
        return None if r is None else self.variance_about(r)

    def variance_about(self, r: float) -> float:
        """``sum(w**2 * (y - r)**2) / sum(w)**2``: the variance with ``r`` as the centre."""
        if self.sum_w <= 0:
            return 0.0
        num = self.sum_wwyy - 2 * r * self.sum_wwy + r * r * self.sum_ww
        return max(num, 0.0) / (self.sum_w ** 2)

    @property
    def n_eff(self) -> float:
        """Kish effective sample size ``sum(w)**2 / sum(w**2)`` (= n for equal weights)."""
        return self.sum_w ** 2 / self.sum_ww if self.sum_ww > 0 else 0.0

    @property
    def uniform_weights(self) -> bool:
        return self.n > 0 and math.isclose(self.n_eff, self.n, rel_tol=1e-9)


_AGG_FIELDS = tuple(f.name for f in fields(WeightedAgg))  # n first, then the sums, in order


@lru_cache(maxsize=16)
def _agg_keys(prefix: str) -> tuple[str, ...]:
    """Column names of a prefixed row of WeightedAgg fields (from_mapping)."""
    return tuple(prefix + name for name in _AGG_FIELDS)


def wilson_interval(successes: float, n: float, conf: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion (works for 0 and n)."""
    if n <= 0:
        return None
    z = z_for(conf)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def weighted_interval(agg: WeightedAgg, *, proportion: bool,
                      conf: float = 0.95) -> tuple[float, float] | None:
    """Interval for the Hajek mean.

    Proportions: a Wilson interval on the *design-effect* sample size
    ``n* = R (1 - R) / V(R)`` with ``V(R)`` the linearised variance, so it
    widens when weights and outcomes go together (an oversampled stratum that
    fails more) where Kish's ``n_eff`` does not; equal weights give plain
    Wilson (``n* = n``). At 0% or 100% ``V(R)`` is 0 and Kish's ``n_eff`` is
    used. Scores: mean +- z * sqrt(linearised variance).
    """
    if agg.n == 0 or agg.mean is None:
        return None
    if proportion:
        r, var = agg.mean, agg.variance or 0.0
        n_star = r * (1 - r) / var if var > 0 and 0 < r < 1 else agg.n_eff
        return wilson_interval(r * n_star, n_star, conf)
    z = z_for(conf)
    half = z * math.sqrt(agg.variance or 0.0)
    return (agg.mean - half, agg.mean + half)


def pooled_rate(base: WeightedAgg, cur: WeightedAgg) -> float:
    """The common rate under H0: both sides' weighted rates averaged by their
    effective sizes (scale-free: a window sampled at 0.1 does not outweigh
    one sampled at 1.0 because its weights are 10x larger)."""
    n0, n1 = base.n_eff, cur.n_eff
    return (n0 * (base.mean or 0.0) + n1 * (cur.mean or 0.0)) / (n0 + n1)


def restricted_rates(base: WeightedAgg, cur: WeightedAgg, delta: float) -> tuple[float, float]:
    """Maximum-likelihood rates ``(base, cur)`` under ``cur - base = delta``
    on effective counts (Farrington-Manning's closed form of the cubic); at
    ``delta = 0`` both are :func:`pooled_rate`."""
    n0, n1 = base.n_eff, cur.n_eff
    r0, r1 = base.mean or 0.0, cur.mean or 0.0
    if delta == 0:
        r = pooled_rate(base, cur)
        return r, r
    theta = n0 / n1
    a = 1 + theta
    b = -(1 + theta + r1 + theta * r0 + delta * (theta + 2))
    c = delta * delta + delta * (2 * r1 + theta + 1) + r1 + theta * r0
    d = -r1 * delta * (1 + delta)
    v = b ** 3 / (27 * a ** 3) - b * c / (6 * a * a) + d / (2 * a)
    u = math.copysign(math.sqrt(max(b * b / (9 * a * a) - c / (3 * a), 0.0)), v)
    if u == 0:
        p1 = -b / (3 * a)
    else:
        w = (math.pi + math.acos(max(-1.0, min(1.0, v / u ** 3)))) / 3
        p1 = 2 * u * math.cos(w) - b / (3 * a)
    p1 = min(1.0, 1.0 + delta, max(0.0, delta, p1))  # keeps both rates in [0, 1]
    p0 = p1 - delta
    return p0, p1


def score_variance(base: WeightedAgg, cur: WeightedAgg, delta: float = 0.0) -> float:
    """Variance of ``cur.mean - base.mean`` if the true difference were
    ``delta``: ``r0 (1 - r0) / n_eff0 + r1 (1 - r1) / n_eff1`` at the
    restricted rates. At ``delta = 0`` it is ``r (1 - r) (1/n_eff0 +
    1/n_eff1)``: with equal weights the classic pooled two-proportion test."""
    p0, p1 = restricted_rates(base, cur, delta)
    return p0 * (1 - p0) / base.n_eff + p1 * (1 - p1) / cur.n_eff


def score_z(base: WeightedAgg, cur: WeightedAgg, delta: float = 0.0) -> float:
    """``(cur - base - delta) / sqrt(score_variance)``; +-inf when that
    variance is 0 and the difference is not ``delta``, 0 when it is."""
    diff = (cur.mean or 0.0) - (base.mean or 0.0) - delta
    var = score_variance(base, cur, delta)
    if var <= 0:
        return 0.0 if abs(diff) < 1e-12 else math.copysign(math.inf, diff)
    return diff / math.sqrt(var)


def normal_sf(z: float) -> float:
    """Upper tail of the standard normal (``scipy.stats.norm.sf``) without
    loading scipy.stats."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def two_proportion_test(base: WeightedAgg, cur: WeightedAgg,
                        alternative: str = "two-sided") -> tuple[float, str]:
    """p-value of the score test that two weighted pass rates are equal, and
    the method ("score"; "none" when a side is empty).

    ``z = (R_cur - R_base) / sqrt(r (1 - r) (1/n_eff_base + 1/n_eff_cur))``,
    ``r`` the :func:`pooled_rate`; each side's null variance is ``r (1 - r)``
    scaled by its ``sum(w^2) / sum(w)^2``. With equal weights this is exactly
    the classic pooled two-proportion z-test. One test for every size (no
    switch to another test at small counts, so p never jumps); ``min_n``
    keeps tiny samples out. ``alternative``: "two-sided", "less" (the
    current rate is lower) or "greater".
    """
    if base.n_eff <= 0 or cur.n_eff <= 0:
        return 1.0, "none"
    z = score_z(base, cur)
    if alternative == "less":
        p = normal_sf(-z)
    elif alternative == "greater":
        p = normal_sf(z)
    elif alternative == "two-sided":
        p = min(1.0, 2 * normal_sf(abs(z)))
    else:
        raise ValueError(f"alternative must be two-sided, less or greater, not {alternative!r}")
    return p, "score"


def score_interval(base: WeightedAgg, cur: WeightedAgg,
                   conf: float = 0.95) -> tuple[float, float] | None:
    """Two-sided interval for ``cur.mean - base.mean``: the differences the
    score test does not reject (Miettinen-Nurminen type, no small-sample
    factor). It excludes 0 exactly when :func:`two_proportion_test` gives p
    below ``1 - conf``, and stays inside [-1, 1]."""
    if base.n_eff <= 0 or cur.n_eff <= 0 or base.mean is None or cur.mean is None:
        return None
    z = z_for(conf)
    return invert(lambda d: score_z(base, cur, d), cur.mean - base.mean, z)


def invert(stat, estimate: float, crit: float) -> tuple[float, float]:
    """``[lo, hi]``: the differences in [-1, 1] where the statistic
    ``stat(delta)``, decreasing in ``delta`` and 0 at ``estimate``, stays
    within ``+-crit``."""
    from scipy.optimize import brentq

    edge = 1 - 1e-9
    lo = -1.0 if stat(-edge) <= crit else brentq(
        lambda d: stat(d) - crit, -edge, estimate, xtol=1e-7)
    hi = 1.0 if stat(edge) >= -crit else brentq(
        lambda d: stat(d) + crit, estimate, edge, xtol=1e-7)
    return lo, hi


def delta_interval(base: WeightedAgg, cur: WeightedAgg,
                   conf: float = 0.95) -> tuple[float, float] | None:
    """Wald interval for ``cur.mean - base.mean`` from the linearised
    variances (mean scores; pass rates use :func:`score_interval`)."""
    if base.mean is None or cur.mean is None:
        return None
    z = z_for(conf)
    d = cur.mean - base.mean
    half = z * math.sqrt((base.variance or 0.0) + (cur.variance or 0.0))
    return (d - half, d + half)


def weighted_mean_test(base: WeightedAgg, cur: WeightedAgg) -> float | None:
    """Two-sided z-test on two Hajek means with linearised variances; None
    (no test) when neither side varies: two constant samples give no
    estimate of the noise, and p = 0 would claim certainty they do not hold."""
    if base.mean is None or cur.mean is None:
        return 1.0
    se = math.sqrt((base.variance or 0.0) + (cur.variance or 0.0))
    if se == 0:
        return 1.0 if cur.mean == base.mean else None
    return min(1.0, 2 * normal_sf(abs(cur.mean - base.mean) / se))


def welch_from_stats(m0: float, s0: float, n0: int, m1: float, s1: float, n1: int) -> float:
    """Welch's t-test p-value from means, standard deviations and counts."""
    if n0 < 2 or n1 < 2:
        return 1.0
    if s0 == 0 and s1 == 0:
        return 1.0 if m0 == m1 else 0.0
    return float(_sps().ttest_ind_from_stats(m0, s0, n0, m1, s1, n1, equal_var=False).pvalue)


def bh_qvalues(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in input order."""
    if len(pvalues) == 0:
        return []
    qs = _sps().false_discovery_control(_np().asarray(pvalues, dtype=float), method="bh")
    return [float(q) for q in qs]


def cohen_kappa(both_pass: int, judge_pass_human_fail: int, judge_fail_human_pass: int,
                both_fail: int) -> float | None:
    """Cohen's kappa for two raters on pass/fail from the 2x2 table.

    ``kappa = (po - pe) / (1 - pe)``; None when undefined (no data, or both
    raters constant and identical so ``pe == 1``).
    """
    a, b, c, d = both_pass, judge_pass_human_fail, judge_fail_human_pass, both_fail
    n = a + b + c + d
    if n == 0:
        return None
    po = (a + d) / n
    pe = ((a + b) / n) * ((a + c) / n) + ((c + d) / n) * ((b + d) / n)
    if math.isclose(pe, 1.0):
        return None
    return (po - pe) / (1 - pe)


def mcnemar(b: int, c: int) -> float:
    """Exact McNemar p-value for paired pass/fail: ``b`` pass->fail, ``c`` fail->pass."""
    if b + c == 0:
        return 1.0
    return float(_sps().binomtest(b, b + c, 0.5).pvalue)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided sign test (ties dropped before calling)."""
    if wins + losses == 0:
        return 1.0
    return float(_sps().binomtest(wins, wins + losses, 0.5).pvalue)


def wilcoxon_paired(a: Sequence[float], b: Sequence[float]) -> float:
    """Wilcoxon signed-rank p-value for paired scores (zero differences dropped)."""
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length ({len(a)} vs {len(b)})")
    diffs = [y - x for x, y in zip(a, b, strict=True) if y != x]
    if not diffs:
        return 1.0
    return float(_sps().wilcoxon(diffs, zero_method="wilcox").pvalue)
