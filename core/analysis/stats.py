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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

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


SMALL_EXPECTED = 5.0  # any expected 2x2 cell below this: Fisher exact instead of z


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

    Proportions: a Wilson interval on the effective sample size (stays inside
    [0, 1] and behaves at 0% / 100%); equal weights give plain Wilson.
    Scores: mean +- z * sqrt(linearised variance).
    """
    if agg.n == 0 or agg.mean is None:
        return None
    if proportion:
        n_eff = agg.n_eff
        return wilson_interval(agg.mean * n_eff, n_eff, conf)
    z = z_for(conf)
    half = z * math.sqrt(agg.variance or 0.0)
    return (agg.mean - half, agg.mean + half)


def two_proportion_test(base: WeightedAgg, cur: WeightedAgg) -> tuple[float, str]:
    """Two-sided p-value that two weighted pass rates differ, and the method used.

    Rule: a z-test of ``cur.mean - base.mean`` with each side's linearised
    variance taken about the pooled rate (the H0 value; with equal weights
    this is the classic pooled two-proportion z-test). When any expected
    cell of the 2x2 table on effective counts (``n_eff``, ``n_eff * rate``)
    is below 5, or the variance is zero, Fisher's exact test on the rounded
    effective counts instead.
    """
    n0, n1 = base.n_eff, cur.n_eff
    if n0 <= 0 or n1 <= 0:
        return 1.0, "none"
    x0, x1 = base.mean * n0, cur.mean * n1
    pooled = (base.sum_wy + cur.sum_wy) / (base.sum_w + cur.sum_w)
    expected = min(pooled * n0, (1 - pooled) * n0, pooled * n1, (1 - pooled) * n1)
    var = base.variance_about(pooled) + cur.variance_about(pooled)
    if expected < SMALL_EXPECTED or var <= 0:
        a, c = round(x0), round(x1)
        b, d = max(round(n0) - a, 0), max(round(n1) - c, 0)
        return float(_sps().fisher_exact([[a, b], [c, d]]).pvalue), "fisher"
    z = (cur.mean - base.mean) / math.sqrt(var)
    return float(2 * _sps().norm.sf(abs(z))), "z"


def delta_interval(base: WeightedAgg, cur: WeightedAgg,
                   conf: float = 0.95) -> tuple[float, float] | None:
    """Wald interval for ``cur.mean - base.mean`` from the linearised variances."""
    if base.mean is None or cur.mean is None:
        return None
    z = z_for(conf)
    d = cur.mean - base.mean
    half = z * math.sqrt((base.variance or 0.0) + (cur.variance or 0.0))
    return (d - half, d + half)


def weighted_mean_test(base: WeightedAgg, cur: WeightedAgg) -> float:
    """Two-sided z-test on two Hajek means with linearised variances."""
    if base.mean is None or cur.mean is None:
        return 1.0
    se = math.sqrt((base.variance or 0.0) + (cur.variance or 0.0))
    if se == 0:
        return 1.0 if cur.mean == base.mean else 0.0
    return float(2 * _sps().norm.sf(abs(cur.mean - base.mean) / se))


def mann_whitney(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value (1.0 when a side is empty or all values tie)."""
    if len(a) == 0 or len(b) == 0:
        return 1.0
    if len(set(a) | set(b)) == 1:
        return 1.0
    return float(_sps().mannwhitneyu(a, b, alternative="two-sided").pvalue)


def welch_from_stats(m0: float, s0: float, n0: int, m1: float, s1: float, n1: int) -> float:
    """Welch's t-test p-value from means, standard deviations and counts."""
    if n0 < 2 or n1 < 2:
        return 1.0
    if s0 == 0 and s1 == 0:
        return 1.0 if m0 == m1 else 0.0
    return float(_sps().ttest_ind_from_stats(m0, s0, n0, m1, s1, n1, equal_var=False).pvalue)


def bootstrap_delta_ci(
    a: Sequence[float], wa: Sequence[float], b: Sequence[float], wb: Sequence[float],
    *, conf: float = 0.95, n_resamples: int = 999, seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval for ``hajek(b) - hajek(a)``.

    Rows are resampled with replacement within each side and keep their
    weights, so each replicate is a Hajek estimate like the original. Seeded:
    the same data always gives the same interval.
    """
    if len(a) == 0 or len(b) == 0:
        return None
    np = _np()
    rng = np.random.default_rng(seed)

    def replicates(y: Sequence[float], w: Sequence[float]) -> np.ndarray:
        y_arr, w_arr = np.asarray(y, dtype=float), np.asarray(w, dtype=float)
        idx = rng.integers(0, y_arr.size, size=(n_resamples, y_arr.size))
        ws = w_arr[idx]
        return (ws * y_arr[idx]).sum(axis=1) / ws.sum(axis=1)

    deltas = replicates(b, wb) - replicates(a, wa)
    tail = (1 - conf) / 2 * 100
    lo, hi = np.percentile(deltas, [tail, 100 - tail])
    return (float(lo), float(hi))


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
