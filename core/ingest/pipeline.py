"""The ingest pipeline: tailed lines -> records -> priced rows, exactly once.

Per batch of complete lines (one file): parse with orjson, normalise with
``formats.parse_record``, count missing usage, price, then ONE ``BEGIN
IMMEDIATE`` transaction stores outputs, feedback, rejects, rollup increments,
counters and the file's new offset. A kill at any point resumes from the
last committed offset; ids already stored are counted as duplicates.

The ``COMMIT`` (WAL writes, and the checkpoint's copying and fsyncs when the
WAL is full) runs on a thread of its own while this thread prepares the next
batch; the next transaction begins only after it has finished, so batches
still commit one at a time, in order.
"""

from __future__ import annotations

import glob
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field, fields
from pathlib import Path

from evaltop.core.ingest.prepare import Prepared
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.progress import BackfillProgress
from evaltop.core.ingest.source_state import SourceProblem, sync
from evaltop.core.ingest.tail.jsonl_tail import Batch, Tailer
from evaltop.core.ingest.workers import Preparer
from evaltop.core.model.config import Config
from evaltop.store import checkpoints as store_cp
from evaltop.store import counters
from evaltop.store import db as store_db
from evaltop.store import outputs as store_out
from evaltop.store.rollups import hourly as rollups

MAX_LINES = 2000
MAX_BYTES = 4 << 20
AHEAD = 2  # batches prepared ahead of the one being committed


@dataclass
class IngestSummary:
    files: int = 0  # files that yielded new bytes
    lines: int = 0  # lines consumed (including blank and rejected ones)
    outputs: int = 0  # stored
    feedback: int = 0  # stored
    duplicates: int = 0  # records whose id was already stored
    rejected: int = 0
    bytes: int = 0
    seconds: float = 0.0
    first_reject_rowid: int = 0  # rejects of this run have rowid > this
    # the last poll's state: paths found but unreadable, the sources of which
    # not one file could be read, and the lines saying what changed
    problems: list[SourceProblem] = field(default_factory=list)
    unread_sources: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def add(self, other: IngestSummary) -> None:
        for f in fields(self):
            if f.name in _STATE:
                setattr(self, f.name, getattr(other, f.name))
            elif f.name != "first_reject_rowid":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


_STATE = ("problems", "unread_sources", "changes")


_C = {name: i for i, name in enumerate(store_out.OUTPUT_COLUMNS)}


def rollup_rows(rows: list[tuple]) -> list[tuple]:
    """Per-batch increments, aggregated in Python, for rows actually inserted."""
    acc: dict[tuple, list] = {}
    ts, model, task, pv, var = (_C["ts"], _C["model"], _C["task"], _C["prompt_version"],
                                _C["variant"])
    it, ot, ct, wt, rt = (_C[k] for k in ("input_tokens", "output_tokens", "cached_input_tokens",
                                          "cache_write_tokens", "reasoning_tokens"))
    est, cost, lat, err = _C["usage_estimated"], _C["cost_pusd"], _C["latency_ms"], _C["error"]
    for r in rows:
        key = (rollups.hour_of(r[ts]), r[model], r[task], r[pv], r[var])
        a = acc.get(key)
        if a is None:
            a = acc[key] = [0] * 10 + [0.0]
        a[0] += 1
        a[1] += r[err] is not None
        a[2] += r[it]
        a[3] += r[ot]
        a[4] += r[ct]
        a[5] += r[wt]
        a[6] += r[rt]
        a[7] += r[est]
        if r[cost] is None:
            a[8] += 1
        else:
            a[9] += r[cost]
        a[10] += r[lat] or 0.0
    return [k + tuple(v) for k, v in acc.items()]


class IngestConflict(Exception):
    """Another process committed this file's lines first; nothing was stored."""


def _check_expected(conn, batch: Batch) -> None:
    if batch.expect is None:
        found = store_cp.stored_offset(conn, batch.source, batch.checkpoint.file_key)
        ok = found is None
    else:
        found = store_cp.stored_offset(conn, batch.source, batch.expect[0])
        ok = found == batch.expect[1]
    if not ok:
        raise IngestConflict(f"{batch.path}: checkpoint moved to {found} by another process")


def store_new(conn, outputs: dict[str, tuple], feedback: dict[str, tuple]) -> tuple[int, int, int]:
    """Inside a write transaction: insert the output and feedback rows whose
    ids are not stored yet, with the outputs' rollup increments. Returns
    (outputs stored, feedback stored, rows whose id was already stored)."""
    have = store_out.existing_ids(conn, "outputs", list(outputs)) if outputs else set()
    have_fb = store_out.existing_ids(conn, "feedback", list(feedback)) if feedback else set()
    new_out = [row for key, row in outputs.items() if key not in have]
    new_fb = [row for key, row in feedback.items() if key not in have_fb]
    if new_out:
        store_out.insert_outputs(conn, new_out)
        rollups.add(conn, rollup_rows(new_out))
    if new_fb:
        store_out.insert_feedback(conn, new_fb)
    return len(new_out), len(new_fb), len(have) + len(have_fb)


def write_batch(conn, batch: Batch, prep: Prepared, now: float) -> IngestSummary:
    """Begin a write transaction and store one prepared batch and its
    checkpoint in it, leaving it open for the caller to ``COMMIT`` (see
    :func:`finish_commit`); on any error it is rolled back here.

    Raises :class:`IngestConflict` (and stores nothing) when the file's stored
    checkpoint is not where this batch starts: two ingest processes on one
    database never both store, or count, the same lines."""
    # Not store.db.write(): that commits when its block ends, on this thread.
    # Here the COMMIT (its fsync, and a WAL checkpoint when the WAL is full)
    # runs later on the committer thread while this thread prepares the next
    # batch; only the open and the rollback on error are the same.
    conn.execute("BEGIN IMMEDIATE")
    try:
        _check_expected(conn, batch)
        n_out, n_fb, stored = store_new(conn, prep.outputs, prep.feedback)
        dups = prep.dup_in_batch + stored
        if prep.rejects:
            store_out.insert_rejects(conn, prep.rejects)
        counters.add(conn, {
            "outputs": n_out, "feedback": n_fb, "rejected": len(prep.rejects),
            "duplicates": dups, f"duplicates@{rollups.hour_of(now)}": dups,
        })
        store_cp.save(conn, batch.checkpoint, drop=batch.drop)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return IngestSummary(
        files=0, lines=prep.lines, outputs=n_out, feedback=n_fb, duplicates=dups,
        rejected=len(prep.rejects), bytes=batch.nbytes,
    )


def finish_commit(conn) -> None:
    """``COMMIT`` the transaction :func:`write_batch` left open; if it fails,
    roll back (nothing of the batch is stored) and raise."""
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def commit(conn, batch: Batch, prep: Prepared, now: float) -> IngestSummary:
    """Store one prepared batch and its checkpoint in one write transaction."""
    summary = write_batch(conn, batch, prep, now)
    finish_commit(conn)
    return summary


def reject_reasons(conn, after_rowid: int = 0, limit: int = 5) -> list[tuple]:
    """Top reject reasons since ``after_rowid``: (reason, count, file, line_no of the first)."""
    return store_out.reject_reasons(conn, after_rowid=after_rowid, limit=limit)


def unmatched_sources(cfg: Config) -> list[str]:
    """One line per source whose path/glob matches no file (likely a typo)."""
    return [
        f"source {s.name!r}: no file matches {cfg.resolve(s.path)}"
        for s in cfg.sources
        if not glob.glob(str(cfg.resolve(s.path)), recursive=True)
    ]


def _tailers(cfg: Config) -> list[tuple[str, Tailer]]:
    return [
        (s.format, Tailer(s.name, Path(cfg.resolve(s.path)), s.max_line_bytes)) for s in cfg.sources
    ]


def _prepared(
    batches: Iterable[Batch], fmt: str, prep: Preparer
) -> Iterator[tuple[Batch, Prepared, float]]:
    """Prepared batches in order, up to ``prep.ahead`` in flight: on this
    thread, the next batches are parsed and their token counting started
    before batch k is priced and handed over (a batch with nothing to count
    goes at once); worker processes prepare several at once. Only
    CPU work runs ahead: commits stay in order, so a stop or crash loses
    nothing committed and skips nothing."""
    pending: deque[tuple[Batch, Future, float]] = deque()

    def take() -> tuple[Batch, Prepared, float]:
        b, fut, t = pending.popleft()
        try:
            return b, fut.result(), t
        except BrokenProcessPool:
            # a worker died or could not start: redo this and the queued work in-process
            prep.disable_pool()
            queued = [(pb, pt) for pb, _, pt in pending]
            pending.clear()
            pending.extend((pb, prep.submit(pb, fmt, pt), pt) for pb, pt in queued)
            return b, prep.submit(b, fmt, t).result(), t

    try:
        for batch in batches:
            now = time.time()
            pending.append((batch, prep.submit(batch, fmt, now), now))
            # beyond ``ahead``, or with nothing left to wait for: waiting
            # would only hold back the first write and its COMMIT
            while pending and (len(pending) > prep.ahead or pending[0][1].done()):
                yield take()
        while pending:
            yield take()
    finally:
        for _, fut, _ in pending:
            fut.cancel()


class _Committer:
    """Runs each batch's ``COMMIT`` on its own thread (SQLite does that
    work without the GIL) while the ingesting thread prepares the next
    batch. At most one is in flight: :meth:`settle` waits for it, and the
    connection is not touched meanwhile."""

    def __init__(self, conn, total: IngestSummary, progress: BackfillProgress, files: set) -> None:
        self.conn, self.total, self.progress, self.files = conn, total, progress, files
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="evaltop-commit")
        self._inflight: tuple[Future, Batch, IngestSummary] | None = None

    def start(self, batch: Batch, summary: IngestSummary) -> None:
        assert self._inflight is None
        self._inflight = (self._thread.submit(finish_commit, self.conn), batch, summary)

    def settle(self) -> bool:
        """Wait for the COMMIT in flight, if any, and count its batch;
        re-raises its error (the batch was rolled back). True if one was."""
        if self._inflight is None:
            return False
        fut, batch, summary = self._inflight
        self._inflight = None
        fut.result()
        self.total.add(summary)
        if batch.nbytes:
            self.files.add((batch.source, batch.path))
        self.progress.update(
            batch.source, batch.path, batch.start_offset, batch.checkpoint.offset, batch.size
        )
        return True

    def close(self) -> None:
        try:
            if self._inflight is not None:
                # never leave a COMMIT running on a connection we give back
                wait([self._inflight[0]])
        finally:
            self._thread.shutdown(wait=True)


def _run(conn, tailers, preparer: Preparer, progress: BackfillProgress,
         stop: threading.Event | None) -> IngestSummary:
    started = time.monotonic()
    total = IngestSummary(first_reject_rowid=store_out.max_reject_rowid(conn))
    files: set[tuple[str, str]] = set()
    committer = _Committer(conn, total, progress, files)
    try:
        for fmt, tailer in tailers:
            batches = tailer.batches(conn, max_lines=MAX_LINES, max_bytes=MAX_BYTES)
            with closing(_prepared(batches, fmt, preparer)) as ready:
                for batch, prep, now in ready:
                    if committer.settle() and stop is not None and stop.is_set():
                        return total
                    try:
                        summary = write_batch(conn, batch, prep, now)
                    except IngestConflict:
                        break  # another ingester is on this source: re-plan next poll
                    committer.start(batch, summary)
            # the next source plans on this connection: the COMMIT must be done
            if committer.settle() and stop is not None and stop.is_set():
                return total
        _source_state(conn, tailers, total)
    finally:
        committer.close()
        preparer.close()
        progress.finish()
        total.files = len(files)
        total.seconds = time.monotonic() - started
    return total


def _source_state(conn, tailers, total: IngestSummary) -> None:
    """Note this poll's unreadable paths in ``total``; store and say what changed."""
    problems = {(t.source, path): reason for _, t in tailers for path, reason in t.problems.items()}
    total.problems = [SourceProblem(s, p, r) for (s, p), r in problems.items()]
    total.unread_sources = [t.source for _, t in tailers if t.problems and not t.found]
    total.changes = sync(conn, [t.source for _, t in tailers], problems, time.time())


def ingest_once(cfg: Config, conn, *, progress: bool | None = None,
                stop: threading.Event | None = None, workers: int | None = None,
                book: PriceBook | None = None) -> IngestSummary:
    """Read every configured source to its current end (``stop`` set: finish
    the current transaction and return). ``workers``: parsing processes, see
    :class:`~evaltop.core.ingest.workers.Preparer` (None: only for big backfills)."""
    tailers = _tailers(cfg)
    prep = Preparer(cfg, book or PriceBook.from_config(cfg), workers=workers)
    try:
        return _run(conn, tailers, prep, BackfillProgress(progress), stop)
    finally:
        for _, t in tailers:
            t.close()


class Ingestor:
    """A poll step for a scheduler: keeps file handles between polls so a
    file rotated away (or deleted) is read to its end before it is let go."""

    def __init__(self, cfg: Config, db_path: str | Path, *, progress: bool | None = False,
                 stop: threading.Event | None = None, workers: int | None = None,
                 book: PriceBook | None = None):
        self.cfg = cfg
        self.workers = workers
        self.book = book or PriceBook.from_config(cfg)  # a bad price file fails before the db opens
        self.conn = store_db.connect(db_path)
        self.stop = stop
        self._progress = progress
        self._tailers = _tailers(cfg)

    def poll(self) -> IngestSummary:
        prep = Preparer(self.cfg, self.book, workers=self.workers)
        return _run(self.conn, self._tailers, prep, BackfillProgress(self._progress), self.stop)

    def first_reject_rowid(self) -> int:
        return store_out.max_reject_rowid(self.conn)

    def close(self) -> None:
        for _, t in self._tailers:
            t.close()
        self.conn.close()
