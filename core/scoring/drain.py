"""Judge the whole pending backlog, page by page, within the judge budgets.

``evaltop score --once`` (and ``--rescore``) call :func:`drain`: it runs the
judge runner over pending samples ``batch`` at a time, oldest first, with a
keyset cursor so every sample is looked at once per drain (a timeout left
pending is not retried in the same run). It stops when nothing is left, when
``limit`` samples were looked at, when the budget refuses a call (the budget
is never overshot: every paid call still reserves first, see budget.py), or
when ``stop()`` says so. :class:`Drained` says what is left and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from evaltop.core.model.config import Config
from evaltop.core.scoring.budget import judge_budget_state
from evaltop.core.scoring.judges.runner import ScoreSummary, score_pending
from evaltop.store import db
from evaltop.store import samples as samples_store

_SUMMED = [f.name for f in fields(ScoreSummary) if f.type in ("int", int)]


@dataclass
class Drained:
    """One drain: the runner's counts added up, and what is left."""

    scored: ScoreSummary = field(default_factory=ScoreSummary)
    pending_before: int = 0
    pending_after: int = 0
    limit: int | None = None
    limit_reached: bool = False
    budget_paused: str = ""  # the budget's reason when it stopped the drain
    stopped: bool = False  # stop() asked (a signal)
    no_judges: bool = False

    def reasons(self) -> list[str]:
        """Why samples are left pending, most important first (empty: none left)."""
        s = self.scored
        out = []
        if self.budget_paused:
            out.append(f"judge budget paused: {self.budget_paused}")
        if self.limit_reached:
            out.append(f"--limit {self.limit} reached; run again to judge more")
        if self.stopped:
            out.append("stopped by a signal before the backlog was done")
        if self.no_judges:
            out.append("no judges configured; samples wait for one")
        if s.deferred:
            out.append(f"{s.deferred:,} judge call(s) timed out or met an outage; "
                       "tried again on the next run")
        if s.claimed_elsewhere:
            out.append(f"{s.claimed_elsewhere:,} being judged by another evaltop process")
        if self.pending_after and not out:
            out.append("sampled while this run was going; the next run judges them")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"scored": self.scored.as_dict(), "pending_before": self.pending_before,
                "pending_after": self.pending_after, "limit": self.limit,
                "limit_reached": self.limit_reached, "budget_paused": self.budget_paused,
                "stopped": self.stopped, "no_judges": self.no_judges,
                "left_because": self.reasons()}


def pending_count(db_path: str | Path) -> int:
    conn = db.connect(db_path)
    try:
        return samples_store.count_pending(conn)
    finally:
        conn.close()


def _add(total: ScoreSummary, part: ScoreSummary) -> None:
    for name in _SUMMED:
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.budget_reason = total.budget_reason or part.budget_reason


def drain(cfg: Config, db_path: str | Path, *, owner: str = "", limit: int | None = None,
          batch: int | None = None, progress: Callable[[int], None] | None = None,
          start: Callable[[int], None] | None = None,
          stop: Callable[[], bool] | None = None) -> Drained:
    """Judge pending samples until none is left or a bound stops it.

    ``limit`` bounds the samples looked at (``--limit``), ``batch`` the page
    (default ``[schedule] score_batch``). ``progress(n)``: n more samples
    finished (see :func:`score_pending`); ``start(total)`` first, with the
    samples this drain will look at at most. Raises ConfigError like the runner.
    """
    batch = batch or cfg.schedule.score_batch
    out = Drained(limit=limit, pending_before=pending_count(db_path))
    out.no_judges = not cfg.judges
    if start is not None and not out.no_judges:
        start(out.pending_before if limit is None else min(limit, out.pending_before))
    looked, cursor = 0, None
    while not out.no_judges:
        if stop is not None and stop():
            out.stopped = True
            break
        page = batch if limit is None else min(batch, limit - looked)
        if page <= 0:
            out.limit_reached = True
            break
        part = score_pending(cfg, db_path, limit=page, owner=owner, after=cursor,
                             progress=progress, halt=stop)
        _add(out.scored, part)
        if part.halted:
            out.stopped = True
            break
        if part.budget_reason:
            # A refusal counts every call in flight at its worst case; once
            # they settle (at their real, lower cost) the cap may have room:
            # the same page again, while that still judges something.
            state = _budget(cfg, db_path)
            if state["paused"] or not (part.judged or part.errors):
                out.budget_paused = state["reason"] or part.budget_reason
                break
            looked += part.done
            continue
        looked += part.sampled
        if part.sampled < page:
            break
        cursor = part.cursor
    out.pending_after = pending_count(db_path)
    if out.limit_reached and not out.pending_after:
        out.limit_reached = False
    return out


def _budget(cfg: Config, db_path: str | Path) -> dict[str, Any]:
    conn = db.connect(db_path)
    try:  # the budget's own words: which cap, and when judging resumes
        return judge_budget_state(conn, cfg)
    finally:
        conn.close()
