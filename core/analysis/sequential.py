"""Evidence that stays valid however often it is looked at.

The dashboard re-runs the analysis every minute. A fixed-sample p-value
read at every look crosses 0.05 by chance far more often than 5% of the
time, so the "significant" mark of the Regressions screen, of alerts and of
``report --fail-on`` comes from a one-sided **mixture sequential
probability ratio test** (mSPRT) on the pass-rate difference instead.

Model: the estimated difference ``D = R_cur - R_base`` is normal around the
true ``delta`` with variance ``V`` (the score test's null variance, see
:func:`stats.score_variance`); as outputs arrive, ``D / V`` moves like a
Brownian motion in "information time" ``1 / V``. Mixing the likelihood
ratio of ``delta = theta`` against ``delta = 0`` over a half-normal prior
``theta ~ N(0, tau^2), theta < 0`` (a drop of about ``tau``) gives, with
``s = -D / sqrt(V)`` and ``rho = tau^2 / V``::

    E_tau = 2 / sqrt(1 + rho) * exp(s^2 rho / (2 (1 + rho))) * Phi(s sqrt(rho / (1 + rho)))

One ``tau`` is slow for drops far from it (a 70-point collapse on 20
outputs a side needs a wide prior; a 3-point slide on 5,000 a narrow one),
so ``E`` is the average of ``E_tau`` over ``tau`` = the ``[analysis]
detect_drop`` setting times 0.5, 1, 2, 4 and 8 (capped at 1): an average of
e-values is an e-value, and it costs at most a factor 5 against the best
single ``tau`` in hindsight.

``E`` is a nonnegative martingale with mean 1 while nothing has dropped
(a supermartingale when the rate improved), so by Ville's inequality the
chance that it *ever* reaches ``1 / alpha``, at any number of looks, is at
most ``alpha``: an e-value valid under optional stopping. Improvements get
the mirror image. ``1 / E`` is a p-value (anytime-valid); across segments
the e-BH procedure (BH on those p-values) controls the false discovery
rate under any dependence, also at data-dependent stopping times.

Intervals are the matching confidence *sequence*: every ``delta`` whose
own e-value (each direction at ``alpha``) stays below ``1 / alpha``; it
excludes 0 exactly when the e-value of the observed direction reaches
``1 / alpha``. docs/analysis.md says what a mark lets a user conclude.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from evaltop.core.analysis.stats import WeightedAgg, score_variance

LESS, GREATER = "less", "greater"
TAU_STEPS = (0.5, 1.0, 2.0, 4.0, 8.0)  # the mixture's drops, as multiples of detect_drop


def taus(detect_drop: float) -> tuple[float, ...]:
    return tuple(sorted({min(1.0, detect_drop * k) for k in TAU_STEPS}))


_SQRT2 = math.sqrt(2)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _log_ndtr(x: float) -> float:
    """``log Phi(x)`` (``scipy.special.log_ndtr``, which is 5x slower per
    scalar call), accurate far into the lower tail: ``erfc`` there, its
    asymptotic series where ``erfc`` would underflow."""
    if x > -20:
        return math.log(0.5 * math.erfc(-x / _SQRT2))
    x2 = x * x
    return -x2 / 2 - _LOG_SQRT_2PI - math.log(-x) + math.log1p(-1 / x2 + 3 / (x2 * x2))


def log_mixture_e(s: float, rho: float) -> float:
    """``log E`` for the standardised evidence ``s`` (positive when the data
    point in the tested direction) and prior-to-noise ratio ``rho``."""
    if rho <= 0:
        return 0.0
    k = rho / (1 + rho)
    return math.log(2) - 0.5 * math.log1p(rho) + s * s * k / 2 + _log_ndtr(s * math.sqrt(k))


def log_grid_e(s: float, var: float, detect_drop: float) -> float:
    """``log`` of the average of ``E_tau`` over :func:`taus` at noise ``var``."""
    logs = [log_mixture_e(s, t * t / var) for t in taus(detect_drop)]
    top = max(logs)
    return top + math.log(sum(math.exp(x - top) for x in logs) / len(logs))


def _evidence(base: WeightedAgg, cur: WeightedAgg, delta: float, direction: str,
              tau: float) -> float:
    """``log E`` against ``cur - base = delta`` in ``direction``."""
    var = score_variance(base, cur, delta)
    diff = (cur.mean or 0.0) - (base.mean or 0.0) - delta
    if var <= 0:  # rates pinned at 0 or 1: no noise left under this delta
        if abs(diff) < 1e-12:
            return 0.0
        toward = diff < 0 if direction == LESS else diff > 0
        return math.inf if toward else -math.inf
    s = (-diff if direction == LESS else diff) / math.sqrt(var)
    return log_grid_e(s, var, tau)


def e_value(base: WeightedAgg, cur: WeightedAgg, direction: str, tau: float) -> float:
    """The mSPRT e-value that the current pass rate is lower (``"less"``) or
    higher (``"greater"``) than the baseline's; ``tau`` is ``detect_drop``.
    Capped at 1e300."""
    return math.exp(min(_evidence(base, cur, 0.0, direction, tau), 690.0))


def sequence_interval(base: WeightedAgg, cur: WeightedAgg, tau: float,
                      alpha: float) -> tuple[float, float] | None:
    """Time-uniform ``1 - 2 alpha`` interval for ``cur - base``: the lower
    bound is where the evidence that the difference is *above* it reaches
    ``1 / alpha``, the upper bound where the evidence that it is *below* it
    does; [-1, 1] where it never does."""
    if base.n_eff <= 0 or cur.n_eff <= 0 or base.mean is None or cur.mean is None:
        return None
    from scipy.optimize import brentq

    crit, edge, est = math.log(1 / alpha), 1 - 1e-9, cur.mean - base.mean

    def above(d: float) -> float:  # decreasing in d
        return _evidence(base, cur, d, GREATER, tau) - crit

    def below(d: float) -> float:  # increasing in d
        return _evidence(base, cur, d, LESS, tau) - crit

    lo = -1.0 if above(-edge) <= 0 else brentq(above, -edge, est, xtol=1e-6)
    hi = 1.0 if below(edge) <= 0 else brentq(below, est, edge, xtol=1e-6)
    return lo, hi


@lru_cache(maxsize=4096)
def boundary(var: float, detect_drop: float, alpha: float) -> float:
    """The standardised evidence ``s`` at which ``E = 1 / alpha``."""
    from scipy.optimize import brentq

    target = math.log(1 / alpha)
    hi = 1.0
    while log_grid_e(hi, var, detect_drop) < target:
        hi *= 2
    return brentq(lambda s: log_grid_e(s, var, detect_drop) - target, 0.0, hi, xtol=1e-6)


def detectable_drop(base: WeightedAgg, cur: WeightedAgg, tau: float, alpha: float,
                    power: float = 0.8) -> float | None:
    """About the smallest pass-rate drop (absolute) the data in hand would
    mark at this look with probability ``power``: the ``drop`` with
    ``drop = s* sqrt(V0) + z_power sqrt(V1)``, ``V0`` the test's null
    variance (at the rate both sides would pool to), ``V1`` the variance of
    the difference if the current rate were ``drop`` lower than the
    baseline's, ``s*`` the mSPRT's boundary. Effective sizes as they are now;
    None without data on both sides."""
    if base.n_eff <= 0 or cur.n_eff <= 0:
        return None
    from scipy.special import ndtri

    n0, n1 = base.n_eff, cur.n_eff
    r0 = base.mean or 0.0  # the rate the segment had: what a drop starts from
    if not 0 < r0 < 1:  # no failure (or no pass) yet: the noise of half an outcome in n
        r0 = 1 - 0.5 / n0 if r0 >= 1 else 0.5 / n0
    z_power = float(ndtri(power))
    drop = 0.0
    for _ in range(6):  # a fixed point: the variances depend on the drop
        r1 = max(r0 - drop, 1e-6)
        pooled = (n0 * r0 + n1 * r1) / (n0 + n1)
        v0 = pooled * (1 - pooled) * (1 / n0 + 1 / n1)
        v1 = r0 * (1 - r0) / n0 + r1 * (1 - r1) / n1
        s_star = boundary(float(f"{v0:.3g}"), tau, alpha)
        drop = min(r0, s_star * math.sqrt(v0) + z_power * math.sqrt(v1))
    return drop


def ebh_qvalues(evalues: Sequence[float]) -> list[float]:
    """e-BH adjusted values: Benjamini-Hochberg on ``min(1, 1 / e)``. A
    hypothesis is rejected at level ``alpha`` by e-BH exactly when its value
    is at most ``alpha``; valid under any dependence between the e-values."""
    if not evalues:
        return []
    m = len(evalues)
    ps = [min(1.0, 1 / e) if e > 0 else 1.0 for e in evalues]
    order = sorted(range(m), key=lambda i: ps[i])
    out = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, ps[i] * m / rank)
        out[i] = running
    return out
