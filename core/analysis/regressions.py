"""Regressions between a baseline window and the current window.

Segments are task x model x prompt_version x variant, per judge (rule checks
are judges of kind 'rule'). Each side is a weighted aggregate (weights
``1 / inclusion probability``) so oversampled strata do not bias the
comparison. Pass rates use :func:`stats.two_proportion_test` on effective
counts; LLM scores use Mann-Whitney U when both sides are equally weighted,
else a z-test on the weighted means. Below ``cfg.analysis.min_n`` judged
outputs on either side a segment is reported as insufficient instead of
tested. Benjamini-Hochberg q-values across every test; significant means
``q <= alpha``. See docs/analysis.md.

Results are :class:`Regression` values; :func:`find_regressions` returns
them by q (the report's order), :func:`ranked` in the order screens show.
:meth:`Regression.to_dict` is the report's JSON form (a public contract).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from evaltop.core.analysis.stats import (
    WeightedAgg,
    bh_qvalues,
    bootstrap_delta_ci,
    delta_interval,
    mann_whitney,
    two_proportion_test,
    weighted_mean_test,
)
from evaltop.core.model.config import Config
from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as q

DIMS = q.DIMENSIONS
BOOTSTRAP_MAX_ROWS = 5000  # larger sides use the linearised interval (they agree there)
TEXT_LIMIT = 2000

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
    data, or before :func:`apply_fdr`). Only ``significant`` ones are findings.
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
            "insufficient": self.insufficient,
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
            level=d.get("level", "segment"))


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _sig(x: float) -> float:
    """p and q values: 6 decimals, or 4 significant digits when tiny (never 0.0 by rounding)."""
    return round(x, 6) if x >= 1e-4 else float(f"{x:.4g}")


def _ci(ci: tuple[float, float] | None) -> tuple[float, float] | None:
    return (_r(ci[0]), _r(ci[1])) if ci else None


def _untested(segment: Segment, judge: str, kind: str, metric: str,
              base: WeightedAgg, cur: WeightedAgg, min_n: int) -> Regression:
    """The comparison's figures; insufficient (with the reason) below ``min_n``."""
    short = base.n < min_n or cur.n < min_n
    delta = cur.mean - base.mean if base.mean is not None and cur.mean is not None else None
    return Regression(
        segment=segment, judge=judge, kind=kind, metric=metric,
        baseline=_r(base.mean), current=_r(cur.mean),
        baseline_raw=_r(base.raw_mean), current_raw=_r(cur.raw_mean), delta=_r(delta),
        n_baseline=base.n, n_current=cur.n, insufficient=short,
        reason=(f"insufficient data: need {min_n} judged outputs per side, "
                f"have {base.n} and {cur.n}") if short else None)


def compare_pass_rates(segment: Segment, judge: str, kind: str, base: WeightedAgg,
                       cur: WeightedAgg, min_n: int) -> Regression:
    """One pass-rate comparison (not yet FDR-adjusted)."""
    out = _untested(segment, judge, kind, "pass_rate", base, cur, min_n)
    if out.insufficient:
        return out
    p, method = two_proportion_test(base, cur)
    return replace(out, p=p, method=method, ci=_ci(delta_interval(base, cur)))


def compare_scores(segment: Segment, judge: str, kind: str, base: WeightedAgg, cur: WeightedAgg,
                   base_rows: tuple[list, list], cur_rows: tuple[list, list],
                   min_n: int) -> Regression:
    """One mean-score comparison; rows are (scores, weights) per side."""
    out = _untested(segment, judge, kind, "mean_score", base, cur, min_n)
    if out.insufficient:
        return out
    (ya, wa), (yb, wb) = base_rows, cur_rows
    if base.uniform_weights and cur.uniform_weights and ya and yb:
        p, method = mann_whitney(ya, yb), "mann-whitney"
    else:
        p, method = weighted_mean_test(base, cur), "weighted-z"
    if ya and yb and len(ya) <= BOOTSTRAP_MAX_ROWS and len(yb) <= BOOTSTRAP_MAX_ROWS:
        ci = bootstrap_delta_ci(ya, wa, yb, wb)
    else:
        ci = delta_interval(base, cur)
    return replace(out, p=p, method=method, ci=_ci(ci))


def apply_fdr(results: Iterable[Regression], alpha: float) -> list[Regression]:
    """BH q-values over every tested result; significance, direction; sorted
    by q then |delta| (the report's order), insufficient last."""
    out = list(results)
    tested = [i for i, r in enumerate(out) if r.p is not None]
    for i, qv in zip(tested, bh_qvalues([out[i].p for i in tested]), strict=True):
        r = out[i]
        d = r.delta or 0.0
        direction = REGRESSED if d < 0 else IMPROVED if d > 0 else UNCHANGED
        out[i] = replace(r, q=_sig(qv), p=_sig(r.p), significant=qv <= alpha, direction=direction)
    out.sort(key=lambda r: (r.insufficient, r.q if r.q is not None else 2.0, -abs(r.delta or 0.0)))
    return out


def ranked(results: Iterable[Regression]) -> list[Regression]:
    """The order screens show: significant regressions first, then significant
    improvements, then the rest (falls before rises), each by p then |delta|;
    comparisons with too little data last."""
    return sorted(results, key=lambda r: (
        r.insufficient, not r.significant, (r.delta or 0.0) >= 0,
        r.p if r.p is not None else 1.0, -abs(r.delta or 0.0)))


def _aggs(conn, window: Window) -> dict[tuple, tuple[str, WeightedAgg, WeightedAgg]]:
    out = {}
    for row in q.score_aggregates(conn, window.since, window.until, DIMS):
        key = (row["judge"], *(row[d] for d in DIMS))
        out[key] = (row["kind"], WeightedAgg.from_mapping(row, "p_"),
                    WeightedAgg.from_mapping(row, "s_"))
    return out


def _rows(conn, judge: str, window: Window) -> dict[tuple, tuple[list, list]]:
    grouped: dict[tuple, tuple[list, list]] = defaultdict(lambda: ([], []))
    for row in q.score_rows(conn, judge, window.since, window.until):
        ys, ws = grouped[tuple(row[d] for d in DIMS)]
        ys.append(row["score"])
        ws.append(row["w"])
    return grouped


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
    min_n = cfg.analysis.min_n
    base, cur = _aggs(conn, baseline), _aggs(conn, current)
    empty = WeightedAgg()
    llm_judges = sorted({k[0] for k, v in {**base, **cur}.items() if v[0] != "rule" and v[2].n})
    rows = {j: (_rows(conn, j, baseline), _rows(conn, j, current)) for j in llm_judges}
    results: list[Regression] = []
    for key in sorted(set(base) | set(cur)):
        judge, seg = key[0], Segment(**dict(zip(DIMS, key[1:], strict=True)))
        kind, bp, bs = base.get(key, ("", empty, empty))
        kind2, cp, cs = cur.get(key, ("", empty, empty))
        kind = kind or kind2
        results.append(compare_pass_rates(seg, judge, kind, bp, cp, min_n))
        if judge in rows and (bs.n or cs.n):
            rb, rc = rows[judge]
            results.append(compare_scores(seg, judge, kind, bs, cs, rb.get(key[1:], ([], [])),
                                          rc.get(key[1:], ([], [])), min_n))
    results += _task_level(base, cur, rows, min_n)
    return apply_fdr(results, cfg.analysis.alpha)


def _task_level(base: dict, cur: dict, rows: dict, min_n: int) -> list[Regression]:
    """A new model / prompt version took over a task: compare the task as a whole."""
    out = []
    for (judge, task), change in sorted(_takeovers(base, cur).items()):
        seg = Segment(task=task)
        sides = []
        for aggs, side_rows in ((base, 0), (cur, 1)):
            kind, p, s, ys, ws = "", WeightedAgg(), WeightedAgg(), [], []
            for key, (k, kp, ks) in aggs.items():
                if key[0] == judge and key[1] == task:
                    kind, p, s = k, p + kp, s + ks
                    if judge in rows:
                        y, w = rows[judge][side_rows].get(key[1:], ([], []))
                        ys, ws = ys + y, ws + w
            sides.append((kind, p, s, ys, ws))
        (kind_b, bp, bs, by, bw), (kind_c, cp, cs, cy, cw) = sides
        kind = kind_b or kind_c
        found = [compare_pass_rates(seg, judge, kind, bp, cp, min_n)]
        if judge in rows and (bs.n or cs.n):
            found.append(compare_scores(seg, judge, kind, bs, cs, (by, bw), (cy, cw), min_n))
        out += [replace(r, **change, level="task") for r in found]
    return out


def prompt_regressions(conn: sqlite3.Connection, current: Window, baseline: Window,
                       limit: int = 50) -> list[dict[str, Any]]:
    """Inputs (same normalised hash) that passed a judge in the baseline and fail
    it now, newest first, with both outputs."""
    hits = q.prompt_regressions(conn, (current.since, current.until),
                                (baseline.since, baseline.until), limit)
    brief = q.outputs_brief(conn, [h["cur_id"] for h in hits] + [h["base_id"] for h in hits])

    def side(oid: str) -> dict[str, Any]:
        o = brief[oid]
        return {"output_id": oid, "ts": o["ts"], "model": o["model"],
                "prompt_version": o["prompt_version"], "variant": o["variant"],
                "output_text": o["output_text"][:TEXT_LIMIT]}

    out = []
    for h in hits:
        if h["cur_id"] not in brief or h["base_id"] not in brief:
            continue
        cur_o = brief[h["cur_id"]]
        out.append({"judge": h["judge"], "input_hash": h["input_hash"], "task": cur_o["task"],
                    "input_text": cur_o["input_text"][:TEXT_LIMIT],
                    "baseline": side(h["base_id"]), "current": side(h["cur_id"])})
    return out
