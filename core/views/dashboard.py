"""View models for the dashboard's overview, regressions, spend and review
screens: plain dataclasses built from store queries and the analysis modules.
Regressions and agreement are read through core/analysis/cache.py (as of the
engine's last ``analyse`` run when recent); this module only shapes them.

Functions take an open (read) connection, the config and ``now`` (epoch
seconds, injected so screens and snapshots are reproducible). Strings in the
results are raw logged text; the TUI sanitises at display.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from evaltop.core.analysis import cache
from evaltop.core.analysis.agreement import agreement
from evaltop.core.analysis.regressions import Regression, ranked
from evaltop.core.analysis.scores import judge_summaries
from evaltop.core.analysis.trends import score_trend
from evaltop.core.ingest import source_state
from evaltop.core.ingest.source_state import SourceProblem
from evaltop.core.model.config import Config
from evaltop.core.model.money import usd_to_pusd
from evaltop.core.model.window import Window, analysis_windows
from evaltop.core.ops.inference_budget import inference_budget
from evaltop.core.scoring.budget import judge_budget_state
from evaltop.store import alerts as store_alerts
from evaltop.store import counters as store_counters
from evaltop.store import db as store_db
from evaltop.store import inference_queries as store_inference
from evaltop.store import judge_calls as store_judge_calls
from evaltop.store import labels as store_labels
from evaltop.store import otlp as store_otlp
from evaltop.store import scores as store_scores

DAY = 86400


def day_start(now: float) -> float:
    return float(int(now // DAY) * DAY)


def month_bounds(now: float) -> tuple[float, float]:
    """Start of this UTC month and start of the next one."""
    d = datetime.fromtimestamp(now, tz=UTC)
    start = d.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        nxt = start.replace(year=start.year + 1, month=1)
    else:
        nxt = start.replace(month=start.month + 1)
    return start.timestamp(), nxt.timestamp()


def _by_cost(row: dict) -> int:
    """Sort key: the most expensive first."""
    return -(row["cost_pusd"] or 0)


def forecast_month(spent_pusd: int, now: float) -> int:
    """Straight-line month-end projection of a month-to-date spend."""
    start, end = month_bounds(now)
    elapsed = max(now - start, 3600.0)
    return int(spent_pusd * (end - start) / elapsed)


@dataclass
class BudgetLine:
    """Spend against an optional cap (all picodollars; cap None = no budget)."""

    name: str
    spent_pusd: int
    cap_pusd: int | None
    forecast_pusd: int | None = None

    @property
    def fraction(self) -> float | None:
        if not self.cap_pusd:
            return None
        return self.spent_pusd / self.cap_pusd


def _cap(usd: float | None) -> int | None:
    return None if usd is None else usd_to_pusd(usd)


def budget_lines(conn: sqlite3.Connection, cfg: Config, now: float) -> list[BudgetLine]:
    """Inference and judge spend today and this month against their caps.

    Inference comes from the inference-budget module (rollups, forecasts);
    judge spend from the judge budget ledger (what alerts and caps use).
    """
    b = cfg.budgets
    ib = inference_budget(cfg, conn, now)
    inf = [BudgetLine("inference today", ib.spent_today_pusd, ib.daily_cap_pusd,
                      ib.forecast_day_pusd),
           BudgetLine("inference month", ib.spent_month_pusd, ib.monthly_cap_pusd,
                      ib.forecast_month_pusd)]
    st = judge_budget_state(conn, cfg, now)
    j_today = usd_to_pusd(st.get("spent_today_usd") or 0)
    j_month = usd_to_pusd(st.get("spent_month_usd") or 0)
    return inf + [
        BudgetLine("judge today", j_today, _cap(b.judge_daily_usd)),
        BudgetLine("judge month", j_month, _cap(b.judge_monthly_usd), forecast_month(j_month, now)),
    ]


@dataclass
class JudgeRate:
    judge: str
    kind: str
    n: int
    passed: int
    failed: int
    errors: int
    weighted: float | None = None
    ci: tuple[float, float] | None = None

    @property
    def rate(self) -> float | None:
        judged = self.passed + self.failed
        return self.passed / judged if judged else None


@dataclass
class Overview:
    now: float
    window_label: str
    outputs: int
    errors: int
    outputs_per_min: float
    judged: int
    rates: list[JudgeRate]
    budgets: list[BudgetLine]
    unpriced_outputs: int
    spark_outputs: list[float]
    spark_pass: list[float | None]
    trend: dict[str, list[tuple[float, float, int]]]
    regressions: list[Regression]
    spend_models: list[dict]
    alerts: list[dict]
    notes: list[str] = field(default_factory=list)
    regressions_as_of: float | None = None  # the ``now`` the regressions were computed for
    receiver: ReceiverState | None = None  # None: no OTLP receiver has run on this store
    sources: list[SourceProblem] = field(default_factory=list)  # paths ingest cannot read

    @property
    def judge_ratio(self) -> float | None:
        """Judge spend per dollar of inference, this month."""
        inf = self.budgets[1].spent_pusd
        return self.budgets[3].spent_pusd / inf if inf else None


LISTENING_WITHIN = 20.0  # seconds since the receiver's last heartbeat


@dataclass
class ReceiverState:
    """The OTLP receiver as the overview shows it: is it listening, and what
    came in (totals since the store began)."""

    url: str
    listening: bool
    requests: int
    spans: int
    spans_ignored: int
    spans_rejected: int
    logs: int
    logs_ignored: int
    logs_rejected: int
    duplicates: int

    @property
    def spans_accepted(self) -> int:
        return self.spans - self.spans_ignored - self.spans_rejected


def receiver_state(conn: sqlite3.Connection, now: float) -> ReceiverState | None:
    if not store_db.table_exists(conn, "receiver_status"):
        return None
    found = store_otlp.statuses(conn)
    if not found:
        return None
    live = [s for s in found if s["stopped_at"] is None
            and now - s["heartbeat_at"] <= LISTENING_WITHIN]
    top = (live or found)[0]
    c = store_counters.get_many(conn, (
        "otlp.traces.requests", "otlp.logs.requests", "otlp.spans", "otlp.spans.ignored",
        "otlp.spans.rejected", "otlp.spans.duplicates", "otlp.logs", "otlp.logs.ignored",
        "otlp.logs.rejected", "otlp.logs.duplicates"))
    return ReceiverState(
        url=top["url"], listening=bool(live),
        requests=c["otlp.traces.requests"] + c["otlp.logs.requests"],
        spans=c["otlp.spans"], spans_ignored=c["otlp.spans.ignored"],
        spans_rejected=c["otlp.spans.rejected"], logs=c["otlp.logs"],
        logs_ignored=c["otlp.logs.ignored"], logs_rejected=c["otlp.logs.rejected"],
        duplicates=c["otlp.spans.duplicates"] + c["otlp.logs.duplicates"],
    )


def trend(conn: sqlite3.Connection, cfg: Config, now: float, by: str = "judge") -> dict[str, list]:
    """Pass rate per series (judge, model or task) over the window, bucketed by
    hour (or 6 h / a day for long windows): {series: [(bucket, rate, n)]}."""
    current, _ = analysis_windows(cfg.analysis, now)
    since = current.since if current.since is not None else now - 7 * DAY
    span = now - since
    bucket = 3600 if span <= 3 * DAY else (6 * 3600 if span <= 14 * DAY else DAY)
    window = Window(since, now + 1)
    series: dict[str, list[tuple[float, float, int]]] = {}
    if by == "judge":
        for judge in store_scores.judges_in(conn, since, now + 1):
            pts = [(p["ts"], p["pass_rate"], p["n"])
                   for p in score_trend(conn, judge, window, bucket) if p["pass_rate"] is not None]
            if pts:
                series[judge] = pts
        return series
    for p in score_trend(conn, None, window, bucket, by=by):
        if p["pass_rate"] is not None:
            series.setdefault(p["key"], []).append((p["ts"], p["pass_rate"], p["n"]))
    return series


def judge_rates(conn, current: Window, now: float, notes: list[str]) -> list[JudgeRate]:
    """Per-judge raw and reweighted pass rates; raw counts (and a note) when
    the analysis fails, so the rest of the overview still shows."""
    try:
        return [JudgeRate(j, s["kind"], s["judged"], s["passed"], s["failed"], s["errors"],
                          s.get("pass_rate_weighted"), tuple(s["ci95"]) if s.get("ci95") else None)
                for j, s in sorted(judge_summaries(conn, Window(current.since, now + 1)).items())]
    except Exception as exc:  # shown in the header notes; the screen keeps its other panes
        notes.append(f"pass rates: analysis error: {exc}")
    return [JudgeRate(r["judge"], r["kind"], r["n"], r["passed"], r["failed"], r["errors"])
            for r in store_scores.judge_pass_counts(conn, current.since, now + 1)]


def regressions_cached(conn: sqlite3.Connection, cfg: Config, now: float, notes: list[str],
                       db_path=None) -> tuple[list[Regression], float]:
    """Every compared segment in the analysis's display order
    (:func:`regressions.ranked`), as of the engine's last ``analyse`` run when
    that is recent (core/analysis/cache.py), else computed for ``now`` and,
    with ``db_path`` (a dashboard that may write), stored. Appends the notes
    that say why there are none; returns (rows, as of)."""
    got = cache.regressions(conn, cfg, now, db_path)
    notes.extend(got.value.notes)
    return ranked(got.value.rows), got.as_of


def alerts(conn: sqlite3.Connection, limit: int = 50) -> list[dict]:
    """Newest first, unacknowledged before acknowledged."""
    return [dict(a) for a in store_alerts.list_alerts(conn, unacknowledged_first=True, limit=limit)]


TREND_BY = ("judge", "model", "task")


def overview(conn: sqlite3.Connection, cfg: Config, now: float, trend_by: str = "judge",
             with_regressions: bool = True) -> Overview:
    """Everything the overview shows. ``with_regressions=False`` leaves the
    (slowest) regression analysis out, for a screen that loads it separately;
    otherwise they are read as of the last stored analysis when recent."""
    notes: list[str] = []
    regs, regs_as_of = regressions_cached(conn, cfg, now, notes) if with_regressions else ([], None)
    current, _ = analysis_windows(cfg.analysis, now)
    tot = store_inference.inference_totals(conn, current.since, now)
    recent = store_inference.count_outputs_since(conn, now - 300)
    rates = judge_rates(conn, current, now, notes)
    hours = store_inference.inference_by(conn, "hour", now - DAY, now)
    by_hour = {r["k"]: r["outputs"] for r in hours}
    first = int(now // 3600) - 23
    spark_outputs = [float(by_hour.get(h, 0)) for h in range(first, first + 24)]
    pooled: dict[int, list[int]] = {}
    for r in store_scores.pass_buckets(conn, first * 3600.0, now + 1, 3600, "judge"):
        acc = pooled.setdefault(int(r["bucket"]), [0, 0])
        acc[0] += r["passed"] or 0
        acc[1] += r["n"]
    spark_pass = [pooled[h * 3600][0] / pooled[h * 3600][1]
                  if pooled.get(h * 3600, [0, 0])[1] else None
                  for h in range(first, first + 24)]
    mstart, _ = month_bounds(now)
    spend_models = sorted(store_inference.inference_by(conn, "model", mstart, now), key=_by_cost)
    for r in spend_models:
        r["forecast_pusd"] = forecast_month(r["cost_pusd"] or 0, now)
    return Overview(
        now=now,
        window_label=cfg.analysis.since,
        outputs=tot["outputs"],
        errors=tot["errors"],
        outputs_per_min=recent / 5.0,
        judged=store_scores.judged_outputs(conn, current.since, now + 1),
        rates=rates,
        budgets=budget_lines(conn, cfg, now),
        unpriced_outputs=tot["unpriced_outputs"],
        spark_outputs=spark_outputs,
        spark_pass=spark_pass,
        trend=trend(conn, cfg, now, trend_by),
        regressions=regs[:8],
        spend_models=spend_models,
        alerts=alerts(conn, 20),
        notes=notes,
        regressions_as_of=regs_as_of,
        receiver=receiver_state(conn, now),
        sources=source_state.current(conn),
    )


@dataclass
class Spend:
    now: float
    by_model: list[dict]
    by_day: list[dict]
    by_kind: list[dict]
    by_judge: list[dict]
    budgets: list[BudgetLine]
    unpriced: list[dict]


def spend(conn: sqlite3.Connection, cfg: Config, now: float, days: int = 30) -> Spend:
    """Inference and judge spend over the last ``days`` days, plus budgets."""
    since = day_start(now) - (days - 1) * DAY
    inf_days = {r["k"]: r for r in store_inference.inference_by(conn, "day", since, now)}
    judge_days = {r["k"]: r for r in store_judge_calls.judge_spend_by(conn, "day", since, now + 1)}
    by_day = []
    for day in sorted(set(inf_days) | set(judge_days), reverse=True):
        i, j = inf_days.get(day, {}), judge_days.get(day, {})
        by_day.append({
            "day": day,
            "inference_pusd": i.get("cost_pusd") or 0,
            "judge_pusd": j.get("cost_pusd") or 0,
            "outputs": i.get("outputs") or 0,
            "judge_calls": j.get("calls") or 0,
            "unpriced": i.get("unpriced_outputs") or 0,
        })
    inf_total = store_inference.inference_totals(conn, since, now)
    judge_total = store_judge_calls.judge_spend_total(conn, since, now + 1)
    by_kind = [
        {"kind": "inference", "cost_pusd": inf_total["cost_pusd"], "count": inf_total["outputs"],
         "unpriced": inf_total["unpriced_outputs"]},
        # judge cost is confirmed spend; attempts whose billing is unknown apart
        {"kind": "judge", "cost_pusd": judge_total,
         "count": sum(r["calls"] for r in judge_days.values()), "unpriced": 0,
         "unconfirmed_pusd": sum(r["unconfirmed_pusd"] or 0 for r in judge_days.values()),
         "unconfirmed_calls": sum(r["unconfirmed_attempts"] or 0 for r in judge_days.values())},
    ]
    by_model = sorted(store_inference.inference_by(conn, "model", since, now), key=_by_cost)
    by_judge = sorted(store_judge_calls.judge_spend_by(conn, "judge", since, now + 1), key=_by_cost)
    return Spend(now, by_model, by_day, by_kind, by_judge, budget_lines(conn, cfg, now),
                 store_inference.unpriced_models(conn, since, now))


@dataclass
class Review:
    queue: list[dict]
    agreement: dict[str, Any]
    note: str = ""
    total: int | None = None  # unlabelled sampled outputs in all (the queue is one page)
    agreement_as_of: float | None = None  # when read from the analysis cache: its ``now``


def review(conn: sqlite3.Connection, limit: int = 100, *, cfg: Config | None = None,
           now: float | None = None, db_path=None) -> Review:
    """Oldest sampled outputs without a human label, and judge-human agreement
    (with ``cfg`` and ``now``: as of the last stored analysis when recent, else
    computed and, with ``db_path``, stored)."""
    rows = [{"id": r["output_id"], "ts": r["output_ts"], "model": r["model"], "task": r["task"],
             "head": (r["output_text"] or "")[:400], "strata": r["strata"]}
            for r in store_labels.review_queue(conn, limit=limit)]
    total = store_labels.count_unlabeled(conn)
    if cfg is not None and now is not None:
        got = cache.agreement(conn, cfg, now, db_path)
        return Review(rows, got.value["agreement"], got.value["note"], total, got.as_of)
    try:
        return Review(rows, dict(agreement(conn)), total=total)
    except Exception as exc:  # shown on the review screen: the queue still loads
        return Review(rows, {}, f"agreement: error: {exc}", total)


def acknowledge_alerts(db_path, alert_ids: list[int]) -> int:
    """Mark alerts acknowledged; returns how many changed."""
    conn = store_db.connect(db_path)
    try:
        return sum(1 for a in alert_ids if store_alerts.acknowledge(conn, a))
    finally:
        conn.close()
