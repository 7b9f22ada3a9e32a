"""The default scheduled jobs (docs/engine.md) and how a job is described.

:func:`default_jobs` lists ``poll``, ``score``, ``maintain``, ``budget``,
``analyse``, with ``[shadow] enabled`` ``shadow`` and with ``[store] search``
``search`` (the full-text index); each is a
:class:`JobSpec` whose function takes the engine running it and returns a
summary, made JSON-friendly by :func:`plain`. The engine is seen through
:class:`JobHost`, so this module does not import :mod:`evaltop.core.ops.engine`
(which imports it).
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from evaltop.core.analysis import cache as analysis_cache
from evaltop.core.ingest.pipeline import Ingestor
from evaltop.core.model.config import Config
from evaltop.core.ops import search_index
from evaltop.core.ops.alerts import check_alerts, deliver
from evaltop.core.rollout.shadow import shadow_step
from evaltop.core.scoring.drain import drain
from evaltop.core.scoring.judges.runner import score_pending
from evaltop.core.scoring.sampling import sample_new
from evaltop.store.db import write
from evaltop.store.samples import count_pending

log = logging.getLogger(__name__)


class JobHost(Protocol):
    """What a job uses of the :class:`~evaltop.core.ops.engine.Engine` running it."""

    cfg: Config
    db_path: Path
    owner: str
    clock: Callable[[], float]
    state: dict[str, Any]

    @property
    def stopping(self) -> threading.Event: ...

    def connection(self) -> sqlite3.Connection: ...

    def _emit(self, kind: str, payload: dict) -> None: ...


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: ``func(engine)`` every ``interval`` seconds."""

    name: str
    interval: float
    func: Callable[[JobHost], Any]


SEARCH_SECONDS = 2.0  # the search job: a second of index batches every 2 s while it builds


def default_jobs(cfg: Config) -> list[JobSpec]:
    s = cfg.schedule
    specs = [
        JobSpec("poll", s.poll_seconds, poll_job),
        JobSpec("score", s.score_seconds, score_job),
        JobSpec("maintain", s.maintain_seconds, maintain_job),
        JobSpec("budget", s.budget_seconds, budget_job),
        JobSpec("analyse", s.analysis_seconds, analyse_job),
    ]
    if cfg.shadow.enabled:
        specs.append(JobSpec("shadow", s.score_seconds, shadow_job))
    if cfg.store.search:
        specs.append(JobSpec("search", SEARCH_SECONDS, search_job))
    return specs


def plain(result: Any) -> Any:
    """A job's summary as JSON-friendly data (dataclasses, pydantic, dicts);
    a job that returns nothing summarises as ``{}``."""
    return {} if result is None else _jsonable(result)


def _jsonable(value: Any) -> Any:
    if callable(getattr(value, "as_dict", None)):
        return _jsonable(value.as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# -- the default jobs (each takes the engine, returns a summary) --------------


def poll_job(engine: JobHost) -> Any:
    """Tail every source once (one Ingestor per engine keeps file state)."""
    ingestor = engine.state.get("ingestor")
    if ingestor is None:
        # The stop event lets a long backfill end after its current transaction.
        ingestor = engine.state["ingestor"] = Ingestor(engine.cfg, engine.db_path,
                                                       stop=engine.stopping)
    summary = ingestor.poll()
    for change in summary.changes:  # once per change of a source's state, not per poll
        log.warning("%s", change)
    return summary


def score_job(engine: JobHost) -> dict:
    """Sample new outputs, then judge up to ``score_batch`` pending samples."""
    sampled = sample_new(engine.cfg, engine.connection(), now=engine.clock())
    scored = score_pending(engine.cfg, engine.db_path, limit=engine.cfg.schedule.score_batch,
                           owner=engine.owner)
    pending = count_pending(engine.connection())
    return {"sampled": plain(sampled), "scored": plain(scored), "pending": pending}


def drain_job(*, limit: int | None = None, progress: Callable[[int], None] | None = None,
              start: Callable[[int], None] | None = None,
              stop: Callable[[], bool] | None = None,
              before: Callable[[JobHost], Any] | None = None) -> Callable[[JobHost], dict]:
    """A ``score`` job that judges the whole backlog (``evaltop score``): sample
    new outputs, run ``before(engine)`` (``--rescore`` marks its work there),
    then :func:`~evaltop.core.scoring.drain.drain` up to ``limit`` samples.
    The summary adds ``drained`` (what is left pending, and why)."""

    def job(engine: JobHost) -> dict:
        sampled = sample_new(engine.cfg, engine.connection(), now=engine.clock())
        extra = {} if before is None else {"before": plain(before(engine))}
        drained = drain(engine.cfg, engine.db_path, owner=engine.owner, limit=limit,
                        progress=progress, start=start, stop=stop)
        return {"sampled": plain(sampled), "scored": plain(drained.scored),
                "drained": plain(drained), **extra}

    return job


def maintain_job(engine: JobHost) -> dict:
    """Database upkeep every ``maintain_seconds``: a passive WAL checkpoint (keeps the
    -wal file from growing) and ``PRAGMA optimize``; rollups are kept by ingest."""
    conn = engine.connection()
    busy, wal_frames, checkpointed = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    with write(conn):  # optimize may ANALYZE: take the write lock up front
        conn.execute("PRAGMA optimize")
    if not engine.cfg.store.search:  # turned off: drop the index, ingest stops paying for it
        search_index.sync(engine.cfg, conn)
    return {"wal_frames": wal_frames, "checkpointed": checkpointed, "busy": bool(busy)}


def budget_job(engine: JobHost) -> dict:
    """Raise budget/forecast alerts, then post undelivered ones to the webhook."""
    conn = engine.connection()
    new = check_alerts(engine.cfg, conn, engine.clock())
    for alert in new:
        engine._emit("alert", alert)
    return {"new_alerts": len(new), **deliver(engine.cfg, conn)}


def analyse_job(engine: JobHost) -> dict:
    """Compute the dashboard's analysis results (regressions, judge-human
    agreement) for the engine's clock and store them (core/analysis/cache.py)."""
    return analysis_cache.refresh(engine.connection(), engine.cfg, engine.clock())


def shadow_job(engine: JobHost) -> dict:
    """Send a deterministic sample of new live inputs to the shadow candidate."""
    return shadow_step(engine.cfg, engine.db_path, now=engine.clock())


def search_job(engine: JobHost) -> dict:
    """With ``[store] search``: create the index if missing, then fill it for
    up to a second (each batch its own transaction) until it is complete."""
    conn = engine.connection()
    st = search_index.sync(engine.cfg, conn)
    if st.enabled and not st.finished:
        st = search_index.build(conn, seconds=1.0, stop=engine.stopping)
    return {"enabled": st.enabled, "percent": st.percent, "done": st.done, "total": st.total}
