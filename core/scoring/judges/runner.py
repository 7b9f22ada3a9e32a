"""Score pending samples: rule checks, then metered LLM/demo judges.

:func:`score_pending` is the job the engine schedules (and ``evaltop score``
runs once). It reads samples with ``status = 'pending'``, runs every judge
whose ``applies_to`` matches, writes one ``scores`` row per (output, judge)
(``INSERT OR IGNORE`` on the unique pair), and marks a sample ``done`` once
every applicable judge has a row. A budget refusal leaves the sample pending
and stops further paid calls this run; the reason comes back in the summary.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evaltop.core.ingest.tokens import model_family
from evaltop.core.model.config import Config, JudgeConfig
from evaltop.core.model.money import pusd_to_usd
from evaltop.core.scoring.budget import judge_budget_state
from evaltop.core.scoring.judges.paid import PaidResult, paid_judge_call
from evaltop.core.scoring.judges.rules import rule_verdicts
from evaltop.core.scoring.judges.setup import JudgeSet, PaidJudge, build_judge_set
from evaltop.core.scoring.judges.subject import Subject, applies
from evaltop.store import db, scores

HALTED = "stopped by the caller"  # halt(): not a budget refusal, counted apart
SKIPPED_FAMILY = "same model family ({family}) as the generator; require_different_family = true"


@dataclass
class ScoreSummary:
    sampled: int = 0  # pending samples looked at
    judged: int = 0  # verdicts recorded (rule + paid)
    passed: int = 0
    failed: int = 0
    errors: int = 0  # judging failed for good (never counted as failed)
    skipped_budget: int = 0  # (output, judge) pairs left pending: budget refused
    skipped_family: int = 0  # pairs skipped by require_different_family
    deferred: int = 0  # timeouts/outages left pending for a later run
    claimed_elsewhere: int = 0  # another process holds the pair
    halted: int = 0  # pairs not started: the caller asked to stop (a signal)
    done: int = 0  # samples marked done
    cost_pusd: int = 0  # confirmed (billed replies)
    calls: int = 0
    retries: int = 0
    budget_reason: str = ""
    unconfirmed_pusd: int = 0  # estimates of attempts that may have been billed
    unconfirmed_calls: int = 0  # such attempts
    # (output_ts, output_id) of the last pending sample looked at: where the
    # next page of the backlog starts (see drain.py)
    cursor: tuple[float, str] | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("cursor")
        d["cost_usd"] = pusd_to_usd(self.cost_pusd)
        d["unconfirmed_usd"] = pusd_to_usd(self.unconfirmed_pusd)
        return d

    def add(self, r: PaidResult) -> None:
        self.cost_pusd += r.cost_pusd
        self.unconfirmed_pusd += r.unconfirmed_pusd
        self.unconfirmed_calls += r.unconfirmed_attempts
        if r.attempts:
            self.calls += 1
            self.retries += max(0, r.attempts - 1)
        if r.status == "refused_budget":
            self.skipped_budget += 1
            self.budget_reason = self.budget_reason or r.budget_reason
        elif r.status == "claimed":
            self.claimed_elsewhere += 1
        elif not r.final:
            self.deferred += 1
        elif r.status == "ok":
            self.judged += 1
            self.passed += bool(r.passed)
            self.failed += not r.passed
        else:
            self.errors += 1


def same_family(pj: PaidJudge, subject: Subject) -> bool:
    fam = pj.family
    return fam != "unknown" and fam == model_family(subject.model)


def _rule_rows(js: JudgeSet, subjects: Sequence[Subject], done: set[tuple[str, str]],
               now: float, summary: ScoreSummary) -> list[scores.ScoreRow]:
    rows = []
    by_id = {s.id: s for s in subjects}
    for v in rule_verdicts(js.rules, subjects, done):
        if v.ok:
            summary.judged += 1
            summary.passed += bool(v.passed)
            summary.failed += not v.passed
        else:
            summary.errors += 1
        rows.append(scores.ScoreRow(
            v.subject_id, v.judge, "rule", v.status, v.score,
            None if v.passed is None else int(v.passed), v.reason, v.error, 0,
            by_id[v.subject_id].ts, now))
    return rows


def _score_row(j: JudgeConfig, s: Subject, r: PaidResult, fam: bool) -> scores.ScoreRow:
    now = time.time()
    if r.status == "ok" and r.verdict is not None:
        return scores.ScoreRow(s.id, j.name, j.kind, "ok", r.verdict.score, int(bool(r.passed)),
                               r.verdict.reason or None, None, int(fam), s.ts, now)
    return scores.ScoreRow(s.id, j.name, j.kind, "error", None, None, None,
                           r.error or r.status, int(fam), s.ts, now)


async def _run_paid(
    cfg: Config,
    pool: db.ConnectionPool,
    js: JudgeSet,
    subjects: Sequence[Subject],
    done: set[tuple[str, str]],
    summary: ScoreSummary,
    *,
    owner: str,
    run_id: str | None,
    record: Callable[[Any, PaidJudge, Subject, PaidResult, bool], None] | None,
    skip_rows: list[scores.ScoreRow],
    progress: Callable[[int], None] | None = None,
    halt: Callable[[], bool] | None = None,
) -> list[tuple[PaidJudge, Subject, PaidResult]]:
    stop: list[str] = []
    results: list[tuple[PaidJudge, Subject, PaidResult]] = []
    if js.paid:  # already paused this period: do not knock on the ledger again
        state = await asyncio.to_thread(lambda: judge_budget_state(pool.get(), cfg))
        if state["paused"]:
            stop.append(state["reason"])
            summary.budget_reason = state["reason"]

    left: dict[str, int] = {}  # paid pairs still running, per subject
    refused: set[str] = set()  # subjects the budget left pending (not progress)

    def finished(s: Subject) -> None:
        left[s.id] -= 1
        if not left[s.id] and progress is not None and s.id not in refused:
            progress(1)

    async def one(pj: PaidJudge, s: Subject, fam: bool) -> None:
        try:
            await judge_one(pj, s, fam)
        finally:
            finished(s)

    async def judge_one(pj: PaidJudge, s: Subject, fam: bool) -> None:
        if stop:
            summary.skipped_budget += 1
            refused.add(s.id)
            return
        def is_done(conn) -> bool:
            return run_id is None and scores.has_score(conn, s.id, pj.name)

        def rec(conn, r: PaidResult) -> None:
            if record is not None:
                record(conn, pj, s, r, fam)

        r = await paid_judge_call(
            pj,
            s,
            cfg=cfg,
            connect=pool.get,
            owner=owner,
            run_id=run_id,
            is_done=is_done,
            record=rec,
            stop=lambda: stop[0] if stop else (HALTED if halt is not None and halt() else None),
        )
        if r.status == "refused_budget" and r.budget_reason == HALTED and not stop:
            summary.halted += 1  # checked inside the judge's slot: no call starts after it
            refused.add(s.id)
            return
        if r.status == "refused_budget":
            stop.append(r.budget_reason)
            refused.add(s.id)
        summary.add(r)
        results.append((pj, s, r))

    tasks = []
    for pj in js.paid.values():
        for s in subjects:
            if (s.id, pj.name) in done or not applies(pj.cfg, s):
                continue
            fam = same_family(pj, s)
            if fam and pj.cfg.require_different_family:
                summary.skipped_family += 1
                skip_rows.append(scores.ScoreRow(
                    s.id, pj.name, pj.cfg.kind, "skipped", None, None, None,
                    SKIPPED_FAMILY.format(family=pj.family), 1, s.ts, time.time()))
                continue
            tasks.append(one(pj, s, fam))
            left[s.id] = left.get(s.id, 0) + 1
    if progress is not None:
        progress(sum(1 for s in subjects if s.id not in left))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for o in outcomes:
        if isinstance(o, BaseException):
            raise o
    return results


def _live_record(conn, pj: PaidJudge, s: Subject, r: PaidResult, fam: bool) -> None:
    scores.record(conn, [_score_row(pj.cfg, s, r, fam)], time.time())


def _current_pairs(conn, ids: list[str]) -> set[tuple[str, str]]:
    """Pairs with a verdict that is not queued for re-judging (``--rescore``)."""
    return scores.judged_pairs(conn, ids) - scores.stale_pairs(conn, ids)


async def _score_pending(cfg: Config, db_path: Path, limit: int | None, owner: str,
                         after: tuple[float, str] | None = None,
                         progress: Callable[[int], None] | None = None,
                         halt: Callable[[], bool] | None = None) -> ScoreSummary:
    summary = ScoreSummary()
    js = build_judge_set(cfg)  # config problems stop here, before any work
    pool = db.ConnectionPool(db_path)
    try:
        conn = pool.get()
        rows = scores.pending_outputs(conn, limit, after)
        subjects = [Subject.from_output_row(r) for r in rows]
        summary.sampled = len(subjects)
        if rows:
            summary.cursor = (rows[-1]["sample_ts"], rows[-1]["id"])
        if not subjects or not (js.rules or js.paid):
            return summary  # no judges configured: keep the samples for when there are
        ids = [s.id for s in subjects]
        done = _current_pairs(conn, ids)
        rule_rows = _rule_rows(js, subjects, done, time.time(), summary)
        skip_rows: list[scores.ScoreRow] = []
        with db.write(conn):
            scores.record(conn, rule_rows, time.time())
        await _run_paid(cfg, pool, js, subjects, done, summary, owner=owner, run_id=None,
                        record=_live_record, skip_rows=skip_rows, progress=progress,
                        halt=halt)
        with db.write(conn):
            scores.record(conn, skip_rows, time.time())
            judged = _current_pairs(conn, ids)
            finished = [s.id for s in subjects
                        if all((s.id, j.name) in judged for j in js.configs() if applies(j, s))]
            summary.done = scores.mark_done(conn, finished)
        return summary
    finally:
        await js.aclose()
        pool.close()


def score_pending(cfg: Config, db_path: str | Path, *, limit: int | None = None,
                  owner: str = "", after: tuple[float, str] | None = None,
                  progress: Callable[[int], None] | None = None,
                  halt: Callable[[], bool] | None = None) -> ScoreSummary:
    """Judge up to ``limit`` pending samples (all when None), oldest first;
    with ``after``, only samples past that ``(output_ts, output_id)``
    (``summary.cursor`` of the previous page). ``progress(n)`` is called as
    n more samples have all their judges' answers (or gave up for now);
    once ``halt()`` is true no further paid call starts (calls in flight end).

    Synchronous: runs its own event loop (call it from a worker thread, not
    from inside a running loop). Raises ConfigError for judge config problems
    (bad rule, unpriced judge model, unset API key env var) before any call.
    """
    return asyncio.run(
        _score_pending(cfg, Path(db_path), limit, owner, after, progress, halt))


async def _judge_subjects(
    cfg: Config,
    db_path: Path,
    subjects: Sequence[Subject],
    run_id: str | None,
    owner: str,
    skip: set[tuple[str, str]],
) -> dict[str, Any]:
    summary = ScoreSummary(sampled=len(subjects))
    names = {j.name for j in cfg.judges if j.kind in ("llm", "demo")}
    js = build_judge_set(cfg, names=names)
    pool = db.ConnectionPool(db_path)
    skip_rows: list[scores.ScoreRow] = []
    try:
        results = await _run_paid(cfg, pool, js, subjects, set(skip), summary, owner=owner,
                                  run_id=run_id, record=None, skip_rows=skip_rows)
    finally:
        await js.aclose()
        pool.close()
    verdicts = [{"id": s.id, "judge": pj.name, "kind": pj.cfg.kind,
                 "status": "ok" if r.status == "ok" else "error",
                 "score": r.verdict.score if r.verdict else None, "passed": r.passed,
                 "reason": (r.verdict.reason or None) if r.verdict else None,
                 "error": None if r.status == "ok" else (r.error or r.status),
                 "same_family": same_family(pj, s)}
                for pj, s, r in results if r.final]
    verdicts += [{"id": row.output_id, "judge": row.judge, "kind": row.kind, "status": "skipped",
                  "score": None, "passed": None, "reason": None, "error": row.error,
                  "same_family": True} for row in skip_rows]
    out = summary.as_dict()
    out["verdicts"] = verdicts
    return out


def judge_subjects(cfg: Config, db_path: str | Path, subjects: Sequence[Subject], *,
                   run_id: str | None = None, owner: str = "",
                   skip: set[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Run the LLM/demo judges on arbitrary subjects (replays, shadow runs).

    Metered like live judging (budget, ``judge_calls`` with ``run_id``); the
    caller stores the returned ``verdicts`` (one dict per final (id, judge):
    id, judge, kind, status ok|error|skipped, score, passed, reason, error,
    same_family). Pairs in ``skip`` are not judged. Other keys: the
    :class:`ScoreSummary` counts and ``cost_usd``.
    """
    return asyncio.run(_judge_subjects(cfg, Path(db_path), subjects, run_id, owner, skip or set()))
