"""Who runs the scheduled jobs, and when (docs/engine.md).

:class:`Engine` runs APScheduler 3.x (``BackgroundScheduler``, off the
caller's thread) with the jobs of :mod:`evaltop.core.ops.jobs`: ``poll`` (tail
sources), ``score`` (sample new outputs, judge pending samples), ``maintain``
(database upkeep), ``budget`` (budget thresholds, forecasts, webhook),
``analyse`` (dashboard results) and, with ``[shadow] enabled``, ``shadow``,
plus a lease heartbeat. Only the holder of the ``jobs`` lease runs them;
others watch and take over when it is released or expires. Runs, errors (the
scheduler carries on) and overruns are counted in ``job_stats``.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from evaltop.core.model.config import Config, ConfigError
from evaltop.core.ops import crash
from evaltop.core.ops.jobs import JobSpec, default_jobs, plain
from evaltop.core.ops.lease import JOBS_LEASE, Lease
from evaltop.core.scoring.budget import reconcile
from evaltop.store import jobs as store_jobs
from evaltop.store.db import ConnectionPool

log = logging.getLogger(__name__)


class Engine:
    """Scheduled jobs under the database job lease.

    ``on_event(kind, payload)`` is called from worker threads with kinds
    ``leader``, ``watcher``, ``lease_lost``, ``job``, ``job_error``,
    ``overrun``, ``alert`` and ``stopped`` (docs/engine.md lists payloads).
    ``jobs`` replaces the default job list (tests, demos).
    """

    def __init__(
        self,
        cfg: Config,
        db_path: str | Path,
        *,
        owner: str | None = None,
        on_event: Callable[[str, dict], None] | None = None,
        jobs: Iterable[JobSpec] | None = None,
        lease_name: str = JOBS_LEASE,
        clock: Callable[[], float] = time.time,
    ):
        self.cfg = cfg
        self.db_path = Path(db_path)
        self.clock = clock
        self._on_event = on_event
        self._pool = ConnectionPool(self.db_path)
        self.lease = Lease(self._pool.get, name=lease_name, owner=owner,
                           ttl=cfg.schedule.lease_seconds, clock=clock)
        self.owner = self.lease.owner
        specs = list(jobs) if jobs is not None else default_jobs(cfg)
        self._jobs = {spec.name: spec for spec in specs}
        self._locks = {name: threading.Lock() for name in self._jobs}
        self._busy = threading.Condition()
        self._inflight = 0
        self._watching: str | None = None
        self._last_error: dict[str, str | None] = {}
        self._closed = False
        self._stopping = threading.Event()
        self._scheduler: BackgroundScheduler | None = None
        self.state: dict[str, Any] = {}  # per-engine job state (the ingestor, ...)

    # -- public API ---------------------------------------------------------

    def connection(self) -> sqlite3.Connection:
        """A connection for the calling thread."""
        return self._pool.get()

    def start(self) -> bool:
        """Start the scheduler. True: we hold the lease and run the jobs;
        False: another process does and we watch, taking over when it goes."""
        if self._scheduler is not None:
            return self.is_leader()
        self._lease_tick()
        try:
            sched = BackgroundScheduler(
                timezone=UTC,
                executors={"default": ThreadPoolExecutor(max_workers=len(self._jobs) + 1)},
                job_defaults={"coalesce": True, "max_instances": 1},
            )
            now = datetime.now(UTC)
            for spec in self._jobs.values():
                sched.add_job(self._scheduled, "interval", seconds=spec.interval, id=spec.name,
                              name=spec.name, args=(spec.name,), next_run_time=now,
                              misfire_grace_time=max(1, math.ceil(spec.interval)))
            beat = self.lease.ttl / 3
            sched.add_job(self._lease_tick, "interval", seconds=beat, id="_lease", name="lease",
                          misfire_grace_time=max(1, math.ceil(beat)))
            sched.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
            sched.start()
        except BaseException:
            self.lease.release()  # never hold the lease without running the jobs
            raise
        self._scheduler = sched
        return self.is_leader()

    @property
    def stopping(self) -> threading.Event:
        """Set once :meth:`stop` begins: long jobs may check it to end early."""
        return self._stopping

    def is_leader(self) -> bool:
        return self.lease.held and not self._stopping.is_set()

    def run_once(self, jobs: Iterable[str] | None = None) -> dict:
        """Run the named jobs (default: all, in order) once, here and now.

        Does not need the lease: it is an explicit request (``score --once``,
        tests, the demo); judging is protected by the scores' unique claims.
        Returns ``{job: summary}``; a failed job's summary is ``{"error": text,
        "config_error": bool}`` (True: a config problem the user must fix).
        """
        names = list(jobs) if jobs is not None else list(self._jobs)
        unknown = [n for n in names if n not in self._jobs]
        if unknown:
            raise ValueError(f"unknown job(s) {', '.join(unknown)}; known: {', '.join(self._jobs)}")
        return {name: self._run(name, wait=True) for name in names}

    def stop(self, timeout: float = 30) -> None:
        """Stop scheduling, let in-flight runs finish (up to ``timeout`` s),
        settle our budget reservations and release the lease.

        If runs are still going after ``timeout`` the lease is not released:
        it expires, and the next leader reconciles what we left (or call
        ``stop`` again to wait longer). Calling it again after a clean stop
        does nothing.
        """
        if self._closed:
            return
        self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        deadline = time.monotonic() + timeout
        with self._busy:
            while self._inflight and (left := deadline - time.monotonic()) > 0:
                self._busy.wait(left)
            idle = self._inflight == 0
        if not idle:
            log.warning("jobs still running after %.0f s; leaving the lease to expire", timeout)
            self._emit("stopped", {"clean": False})
            return
        try:
            if (ingestor := self.state.pop("ingestor", None)) is not None:
                ingestor.close()
        except Exception:
            crash.log_exception(log, "closing the sources failed")
        try:
            reconcile_owner(self, self.owner)
        except Exception:
            crash.log_exception(log, "settling our reservations failed; the next leader will")
        try:
            self.lease.release()
        except sqlite3.Error:
            crash.log_exception(log, "releasing the lease failed; it will expire")
        self._pool.close()
        self._closed = True
        self._emit("stopped", {"clean": True})

    def job_stats(self) -> list[dict]:
        """``job_stats`` rows plus ``interval_s`` and ``failing`` (last run raised)."""
        rows = store_jobs.all_stats(self.connection())
        for row in rows:
            spec = self._jobs.get(row["job"])
            row["interval_s"] = spec.interval if spec else None
            row["failing"] = (
                row["last_error_at"] is not None and row["last_error_at"] == row["last_finished"]
            )
        return rows

    # -- internals ------------------------------------------------------------

    def _emit(self, kind: str, payload: dict) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(kind, payload)
        except Exception:
            crash.log_exception(log, "on_event callback failed for %s", kind)

    def _enter(self) -> None:
        with self._busy:
            self._inflight += 1

    def _leave(self) -> None:
        with self._busy:
            self._inflight -= 1
            self._busy.notify_all()

    def _scheduled(self, name: str) -> None:
        if self.is_leader():
            self._run(name, wait=False)

    def _run(self, name: str, *, wait: bool) -> dict:
        lock = self._locks[name]
        if not lock.acquire(blocking=wait):
            self._overrun(name)
            return {"skipped": "previous run still going"}
        self._enter()
        try:
            return self._timed(name)
        finally:
            lock.release()
            self._leave()

    def _timed(self, name: str) -> dict:
        conn = self.connection()
        t0 = time.monotonic()
        error = None
        config_error = False
        summary: Any = {}
        try:
            store_jobs.started(conn, name, self.clock())
            summary = plain(self._jobs[name].func(self))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            config_error = isinstance(exc, ConfigError)
            if config_error:
                # the user's to fix: callers say it in one line (the event, the
                # returned error); no trace, and no second line on stderr
                log.info("job %s failed: %s", name, error)
            elif error == self._last_error.get(name):
                log.warning("job %s failed again: %s", name, error)
            else:
                crash.log_exception(log, "job %s failed", name)
        duration_ms = (time.monotonic() - t0) * 1000
        try:
            store_jobs.finished(conn, name, self.clock(), duration_ms, error)
        except sqlite3.Error:
            crash.log_exception(log, "could not record job %s in job_stats", name)
        repeat = error is not None and error == self._last_error.get(name)
        self._last_error[name] = error
        if error is not None:
            self._emit("job_error", {"job": name, "error": error, "repeat": repeat})
            return {"error": error, "config_error": config_error}
        log.info("job %s done in %.0f ms: %s", name, duration_ms, summary)
        self._emit("job", {"job": name, "duration_ms": duration_ms, "result": summary})
        return summary

    def _overrun(self, name: str) -> None:
        log.info("job %s overran its interval; this run is skipped", name)
        try:
            store_jobs.overrun(self.connection(), name)
        except sqlite3.Error:
            crash.log_exception(log, "could not count an overrun of %s", name)
        self._emit("overrun", {"job": name})

    def _skipped(self, event: JobExecutionEvent) -> None:
        if event.job_id in self._jobs and self.is_leader():
            self._overrun(event.job_id)

    def _lease_tick(self) -> None:
        """Heartbeat as leader; as watcher, try to take over."""
        if self._stopping.is_set():
            return
        self._enter()
        try:
            if self._stopping.is_set():
                return
            if self.lease.held:
                if not self.lease.renew():
                    holder = self.lease.holder()
                    log.warning(
                        "lost the job lease to %s; watching", holder.owner if holder else "nobody"
                    )
                    self._emit("lease_lost", {"holder": holder.owner if holder else None})
                return
            got = self.lease.try_acquire()
            if got.ok:
                self._watching = None
                log.info("holding the job lease as %s", self.owner)
                if got.took_over_from:
                    log.info("took over from %s (its lease expired)", got.took_over_from)
                    try:
                        reconcile_owner(self, got.took_over_from)
                    except Exception:
                        crash.log_exception(log, "settling the reservations of %s failed",
                                            got.took_over_from)
                self._emit("leader", {"owner": self.owner, "took_over_from": got.took_over_from})
            elif got.holder is not None and got.holder.owner != self._watching:
                self._watching = got.holder.owner
                self._emit(
                    "watcher", {"holder": got.holder.owner, "expires_at": got.holder.expires_at}
                )
        except Exception as exc:
            crash.log_exception(log, "lease heartbeat failed")
            try:
                store_jobs.finished(
                    self.connection(),
                    "lease",
                    self.clock(),
                    0.0,
                    f"{type(exc).__name__}: {exc}"[:2000],
                )
            except sqlite3.Error:
                pass
        finally:
            self._leave()


def reconcile_owner(engine: Engine, owner: str) -> None:
    """Settle or release every budget reservation ``owner`` still holds.

    Called when none of its calls can still be running: our own at a clean stop,
    a previous leader's once its lease has expired (the evidence it is gone)."""
    reconcile(engine.connection(), owner=owner, older_than=0)
