"""Regressions between a baseline window and the current window.

Segments are task x model x prompt_version x variant, per judge (rule checks
are judges of kind 'rule'). Each side is a weighted aggregate (weights
``1 / inclusion probability``) so oversampled strata do not bias the
comparison. One finding per judge and segment: the pass rate is the
primary metric, marked by the one-sided mixture SPRT of
:mod:`.sequential` (valid however often the analysis re-runs), with e-BH
across segments, each direction its own family; ``p`` is the fixed-sample
one-sided score test, for reading a single look. An LLM judge's mean score
is shown beside it as secondary (a z-test on the weighted means, never a
finding). Below ``cfg.analysis.min_n`` effective judged outputs on either
side a segment is reported as insufficient instead of tested. See
docs/analysis.md.

Results are :class:`Regression` values; :func:`find_regressions` returns
them by q (the report's order), :func:`ranked` in the order screens show.
:meth:`Regression.to_dict` is the report's JSON form (a public contract).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from evaltop.core.analysis.sequential import (
    GREATER,
    LESS,
    detectable_drop,
    e_value,
    ebh_qvalues,
    sequence_interval,
)
from evaltop.core.analysis.stats import (
    WeightedAgg,
    delta_interval,
    two_proportion_test,
    weighted_mean_test,
)
from evaltop.core.model.config import Config
from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as q

DIMS = q.DIMENSIONS
PRIMARY, SECONDARY = "primary", "secondary"

REGRESSED, IMPROVED, UNCHANGED = "regressed", "improved", "unchanged"


@dataclass(frozen=True)
class Segment:
    """The traffic a comparison covers; None = every value (task-level rows)."""

    task: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    variant: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"task": self.task, "model": self.model, "prompt_version": self.prompt_version,
                "variant": self.variant}

    def text(self) -> str:
        """``task / model / prompt / variant`` without the empty parts; "(all)" if none."""
        parts = [str(v) for v in self.as_dict().values() if v not in (None, "", "*")]
        return " / ".join(parts) or "(all)"


@dataclass(frozen=True)
class Change:
    """A task's model (or prompt version) in the baseline and the one that took over."""

    old: str
    new: str

    def to_dict(self) -> dict[str, str]:
        return {"from": self.old, "to": self.new}


@dataclass(slots=True)
class Regression:
    """One comparison of a metric between the baseline and the current window.

    A value: the analysis builds it and nothing changes it afterwards (the
    analysis cache hands one parsed copy to every reader). Not frozen only
    because a frozen dataclass costs 2 us more per instance, and the analysis
    builds ~1,000 of them per run and a dashboard parses them again.

    ``direction`` is set once tested (FDR applied): "regressed" (delta < 0),
    "improved" (delta > 0) or "unchanged"; None when not tested (too little
    data, a secondary metric, or before :func:`apply_fdr`). Only
    ``significant`` ones are findings, and only primary rows can be.
    ``e_less``/``e_greater`` are the two directions' e-values, used by
    :func:`apply_fdr` and not stored.
    """

    segment: Segment
    judge: str
    kind: str
    metric: str  # "pass_rate" or "mean_score"
    baseline: float | None
    current: float | None
    baseline_raw: float | None
    current_raw: float | None
    delta: float | None
    n_baseline: int
    n_current: int
    ci: tuple[float, float] | None = None
    p: float | None = None
    q: float | None = None
    method: str | None = None
    significant: bool = False
    direction: str | None = None
    insufficient: bool = False
    reason: str | None = None  # why it is insufficient
    model_change: Change | None = None
    prompt_version_change: Change | None = None
    level: str = "segment"  # or "task": a model / prompt version took the task over
    e: float | None = None  # e-value of the observed direction (mSPRT)
    ci_level: float | None = None  # the interval's coverage (time-uniform for pass rates)
    detectable: float | None = None  # drop this look would mark with 80% power
    role: str = PRIMARY  # or SECONDARY: shown, never a finding
    e_less: float | None = field(default=None, compare=False, repr=False)
    e_greater: float | None = field(default=None, compare=False, repr=False)

    @property
    def regressed(self) -> bool:
        """A significant change for the worse: what screens flag and CI fails on."""
        return self.significant and self.direction == REGRESSED

    @property
    def improved(self) -> bool:
        return self.significant and self.direction == IMPROVED

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON row: these keys, in this order (README "Report schema")."""
        out: dict[str, Any] = {
            "segment": self.segment.as_dict(), "judge": self.judge, "kind": self.kind,
            "metric": self.metric, "baseline": self.baseline, "current": self.current,
            "baseline_raw": self.baseline_raw, "current_raw": self.current_raw,
            "delta": self.delta, "ci": None if self.ci is None else list(self.ci),
            "p": self.p, "q": self.q, "method": self.method,
            "n_baseline": self.n_baseline, "n_current": self.n_current,
            "significant": self.significant, "direction": self.direction,
            "insufficient": self.insufficient, "e": self.e, "ci_level": self.ci_level,
            "detectable_drop": self.detectable, "role": self.role,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        for name in ("model_change", "prompt_version_change"):
            change = getattr(self, name)
            if change is not None:
                out[name] = change.to_dict()
        if self.level != "segment":
            out["level"] = self.level
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Regression:
        """The inverse of :meth:`to_dict` (the analysis cache stores that form)."""
        def change(key: str) -> Change | None:
            c = d.get(key)
            return None if c is None else Change(c["from"], c["to"])

        ci = d["ci"]
        return cls(
            segment=Segment(**d["segment"]), judge=d["judge"], kind=d["kind"], metric=d["metric"],
            baseline=d["baseline"], current=d["current"], baseline_raw=d["baseline_raw"],
            current_raw=d["current_raw"], delta=d["delta"], n_baseline=d["n_baseline"],
            n_current=d["n_current"], ci=None if ci is None else (ci[0], ci[1]), p=d["p"],
            q=d["q"], method=d["method"], significant=d["significant"],
            direction=d["direction"], insufficient=d["insufficient"], reason=d.get("reason"),
            model_change=change("model_change"),
            prompt_version_change=change("prompt_version_change"),
            level=d.get("level", "segment"), e=d.get("e"), ci_level=d.get("ci_level"),
            detectable=d.get("detectable_drop"), role=d.get("role", PRIMARY))


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _sig(x: float) -> float:
    """p and q values: 6 decimals, or 4 significant digits when tiny (never 0.0 by rounding)."""
    return round(x, 6) if x >= 1e-4 else float(f"{x:.4g}")


def _ci(ci: tuple[float, float] | None) -> tuple[float, float] | None:
    return (_r(ci[0]), _r(ci[1])) if ci else None


def _count(x: float) -> str:
    """An effective count for a message: whole numbers without decimals."""
    return str(round(x)) if abs(x - round(x)) < 0.05 else f"{x:.1f}"


def _untested(segment: Segment, judge: str, kind: str, metric: str,
              base: WeightedAgg, cur: WeightedAgg, min_n: int) -> Regression:
    """The comparison's figures; insufficient (with the reason) below
    ``min_n`` effective outputs (Kish ``n_eff``: 27 outputs at weight 1 and
    3 at weight 10 are worth 9.9, not 30)."""
    short = base.n_eff < min_n or cur.n_eff < min_n
    delta = cur.mean - base.mean if base.mean is not None and cur.mean is not None else None
    return Regression(
        segment=segment, judge=judge, kind=kind, metric=metric,
        baseline=_r(base.mean), current=_r(cur.mean),
        baseline_raw=_r(base.raw_mean), current_raw=_r(cur.raw_mean), delta=_r(delta),
        n_baseline=base.n, n_current=cur.n, insufficient=short,
        role=PRIMARY if metric == "pass_rate" else SECONDARY,
        reason=(f"insufficient data: need {min_n} effective judged outputs per side, "
                f"have {_count(base.n_eff)} and {_count(cur.n_eff)}") if short else None)


def _e(x: float) -> float:
    """e-values: 4 significant digits."""
    return float(f"{x:.4g}")


def compare_pass_rates(segment: Segment, judge: str, kind: str, base: WeightedAgg,
                       cur: WeightedAgg, min_n: int, *, tau: float = 0.05,
                       alpha: float = 0.05, detail: bool = True) -> Regression:
    """One pass-rate comparison (not yet FDR-adjusted): the mSPRT e-values
    of both directions (``tau``: the drop the mixture centres on), the
    one-sided score-test p of the observed direction, the time-uniform
    ``1 - 2 alpha`` interval, and the drop this look could detect
    (``detail=False``, for simulations: no interval or detectable drop,
    the same mark)."""
    out = _untested(segment, judge, kind, "pass_rate", base, cur, min_n)
    if out.insufficient:
        return out
    down, up = e_value(base, cur, LESS, tau), e_value(base, cur, GREATER, tau)
    falls = (cur.mean or 0.0) <= (base.mean or 0.0)
    p, _ = two_proportion_test(base, cur, LESS if falls else GREATER)
    out = replace(out, p=p, method="msprt", e=_e(down if falls else up), e_less=down,
                  e_greater=up)
    if not detail:
        return out
    return replace(out, ci=_ci(sequence_interval(base, cur, tau, alpha)),
                   ci_level=round(1 - 2 * alpha, 6),
                   detectable=_r(detectable_drop(base, cur, tau, alpha)))


def compare_scores(segment: Segment, judge: str, kind: str, base: WeightedAgg,
                   cur: WeightedAgg, min_n: int) -> Regression:
    """One mean-score comparison, secondary to the judge's pass rate: a
    two-sided z-test on the weighted means and the matching 95% interval
    (the metric, its test and its interval all about the mean)."""
    out = _untested(segment, judge, kind, "mean_score", base, cur, min_n)
    if out.insufficient:
        return out
    p = weighted_mean_test(base, cur)
    if p is None:
        return replace(out, method="weighted-z", reason="no spread in scores on either side: "
                       "the noise cannot be estimated, so no test")
    return replace(out, p=p, method="weighted-z", ci=_ci(delta_interval(base, cur)),
                   ci_level=0.95)


def _direction(delta: float | None) -> str:
    d = delta or 0.0
    return REGRESSED if d < 0 else IMPROVED if d > 0 else UNCHANGED


def apply_fdr(results: Iterable[Regression], alpha: float) -> list[Regression]:
    """e-BH over the tested primary rows, each direction its own family
    (regressions at ``alpha``, improvements at ``alpha``); ``q`` is the
    e-BH adjusted value of the observed direction, significant when ``q <=
    alpha``. Secondary rows keep their p and are never significant. Sorted
    by q then |delta| (the report's order); secondary, then insufficient, last."""
    out = list(results)
    tested = [i for i, r in enumerate(out)
              if r.role == PRIMARY and r.p is not None and r.e_less is not None]
    q_less = ebh_qvalues([out[i].e_less for i in tested])
    q_greater = ebh_qvalues([out[i].e_greater for i in tested])
    for i, ql, qg in zip(tested, q_less, q_greater, strict=True):
        r = out[i]
        direction = _direction(r.delta)
        qv = qg if direction == IMPROVED else ql
        out[i] = replace(r, q=_sig(qv), p=_sig(r.p),
                         significant=qv <= alpha and direction != UNCHANGED,
                         direction=direction)
    for i, r in enumerate(out):
        if r.role == SECONDARY and r.p is not None:
            out[i] = replace(r, p=_sig(r.p))
    out.sort(key=lambda r: (r.insufficient, r.role != PRIMARY,
                            r.q if r.q is not None else 2.0, -abs(r.delta or 0.0)))
    return out


def ranked(results: Iterable[Regression]) -> list[Regression]:
    """The order screens show: significant regressions first, then significant
    improvements, then the rest (falls before rises), each by p then |delta|;
    secondary metrics after the primary ones, comparisons with too little
    data last."""
    return sorted(results, key=lambda r: (
        r.insufficient, not r.significant, r.role != PRIMARY, (r.delta or 0.0) >= 0,
        r.p if r.p is not None else 1.0, -abs(r.delta or 0.0)))


def _aggs(conn, window: Window) -> dict[tuple, tuple[str, WeightedAgg, WeightedAgg]]:
    out = {}
    for row in q.score_aggregates(conn, window.since, window.until, DIMS):
        key = (row["judge"], *(row[d] for d in DIMS))
        out[key] = (row["kind"], WeightedAgg.from_mapping(row, "p_"),
                    WeightedAgg.from_mapping(row, "s_"))
    return out


def _dominant(counts: dict[str, int]) -> str:
    return max(sorted(counts), key=lambda k: counts[k])


def _takeovers(base: dict, cur: dict) -> dict[tuple[str, str], dict[str, Change]]:
    """(judge, task) -> {"model_change": ..., "prompt_version_change": ...} where
    the current window's models (or prompt versions) share none with the baseline's."""
    served: dict[tuple[str, str], dict[str, list[dict[str, int]]]] = {}
    for side, aggs in ((0, base), (1, cur)):
        for (judge, task, model, pv, _variant), (_k, p, _s) in aggs.items():
            if p.n == 0:
                continue
            entry = served.setdefault((judge, task),
                                      {"model": [{}, {}], "prompt_version": [{}, {}]})
            for dim, value in (("model", model), ("prompt_version", pv)):
                entry[dim][side][value] = entry[dim][side].get(value, 0) + p.n
    out: dict[tuple[str, str], dict[str, Change]] = {}
    for key, entry in served.items():
        change = {}
        for dim in ("model", "prompt_version"):
            old, new = entry[dim]
            if old and new and not set(old) & set(new):
                change[f"{dim}_change"] = Change(_dominant(old), _dominant(new))
        if change:
            out[key] = change
    return out


def find_regressions(conn: sqlite3.Connection, cfg: Config, current: Window,
                     baseline: Window) -> list[Regression]:
    """Every segment compared (and task-level model/prompt changes), sorted by q
    then |delta|; segments with too little data are included as insufficient."""
    an = cfg.analysis
    base, cur = _aggs(conn, baseline), _aggs(conn, current)
    empty = WeightedAgg()
    results: list[Regression] = []
    for key in sorted(set(base) | set(cur)):
        judge, seg = key[0], Segment(**dict(zip(DIMS, key[1:], strict=True)))
        kind, bp, bs = base.get(key, ("", empty, empty))
        kind2, cp, cs = cur.get(key, ("", empty, empty))
        kind = kind or kind2
        results.append(compare_pass_rates(seg, judge, kind, bp, cp, an.min_n,
                                          tau=an.detect_drop, alpha=an.alpha))
        if kind != "rule" and (bs.n or cs.n):
            results.append(compare_scores(seg, judge, kind, bs, cs, an.min_n))
    tested = {(r.judge, r.segment.task) for r in results
              if r.role == PRIMARY and not r.insufficient}
    results += _task_level(base, cur, an, skip=tested)
    return apply_fdr(results, an.alpha)


def _task_level(base: dict, cur: dict, an, skip: set[tuple[str, str]]) -> list[Regression]:
    """A new model / prompt version took over a task: compare the task as a
    whole. Not when a segment of the same judge and task was tested: the
    task row would count the same outputs as a second finding."""
    out = []
    for (judge, task), change in sorted(_takeovers(base, cur).items()):
        if (judge, task) in skip:
            continue
        seg = Segment(task=task)
        sides = []
        for aggs in (base, cur):
            kind, p, s = "", WeightedAgg(), WeightedAgg()
            for key, (k, kp, ks) in aggs.items():
                if key[0] == judge and key[1] == task:
                    kind, p, s = k, p + kp, s + ks
            sides.append((kind, p, s))
        (kind_b, bp, bs), (kind_c, cp, cs) = sides
        kind = kind_b or kind_c
        found = [compare_pass_rates(seg, judge, kind, bp, cp, an.min_n, tau=an.detect_drop,
                                    alpha=an.alpha)]
        if kind != "rule" and (bs.n or cs.n):
            found.append(compare_scores(seg, judge, kind, bs, cs, an.min_n))
        out += [replace(r, **change, level="task") for r in found]
    return out
