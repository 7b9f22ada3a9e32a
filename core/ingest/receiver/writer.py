"""Group commit: the requests that arrive together are stored in ONE write
transaction, and each is acknowledged only after that COMMIT returned.

One thread owns the connection. It takes the first waiting request, then
every other one already waiting (up to :data:`MAX_GROUP`), writes them all
between ``BEGIN IMMEDIATE`` and ``COMMIT`` (``synchronous = FULL``: a
COMMIT that returned survives a power cut, not only a crash), and resolves
their futures. A request is never split across transactions; if the
transaction fails, every request in it gets the error (the server answers
503 and the exporter retries: nothing was stored, so nothing is counted
twice). Ids already stored, or stored earlier in the same group, are
duplicates.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from evaltop.core.ingest.pipeline import finish_commit, rollup_rows
from evaltop.core.ingest.prepare import input_hash
from evaltop.core.ingest.receiver.work import PreparedRequest
from evaltop.store import counters
from evaltop.store import db as store_db
from evaltop.store import otlp as store_otlp
from evaltop.store import outputs as store_out
from evaltop.store.rollups import hourly as rollups

log = logging.getLogger(__name__)

MAX_GROUP = 64  # requests per transaction
# A COMMIT that returned survives a power cut (docs/receiver.md "Exactly once"),
# not only a crash: WAL with NORMAL could lose the last transactions to one.
SYNCHRONOUS = "FULL"
# Checkpoint the WAL every 10,000 pages (~40 MB), not SQLite's default 1,000:
# one 512-span request writes ~3 MB, so the default checkpointed (copied and
# fsynced) after nearly every transaction. Measured: 11.8k -> 12.5k spans/s.
WAL_AUTOCHECKPOINT = 10_000
HEARTBEAT_SECONDS = 5.0
CONTENT_KEEP_SECONDS = 86_400.0  # content events wait this long for their span
PRUNE_EVERY_SECONDS = 3_600.0


@dataclass
class Job:
    """One decoded, priced request waiting to be stored, and the future its
    HTTP answer waits on."""

    req: PreparedRequest
    future: Future = field(default_factory=Future)


@dataclass
class Stored:
    """What one request's transaction did."""

    outputs: int = 0
    feedback: int = 0
    duplicates: int = 0


class WriterClosed(RuntimeError):
    pass


class GroupWriter:
    def __init__(self, db_path: str | Path, *, url: str = "", on_commit=None) -> None:
        self.conn = store_db.connect(db_path)
        self.conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
        self.url = url
        self.on_commit = on_commit  # called with (jobs, results, seconds) after each COMMIT
        self.started_at = time.time()
        self._q: queue.Queue[Job | None] = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="evaltop-otlp-writer",
                                        daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Future:
        if self._closed:
            raise WriterClosed("the receiver is stopping")
        self._q.put(job)
        return job.future

    def pending(self) -> int:
        return self._q.qsize()

    def close(self) -> None:
        """Store what is queued, then stop and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._q.put(None)
        self._thread.join()
        try:
            if self.url:
                with store_db.write(self.conn):
                    store_otlp.stopped(self.conn, self.url, time.time())
        finally:
            self.conn.close()

    def _loop(self) -> None:
        last_beat = 0.0
        last_prune = time.time()
        while True:
            try:
                first = self._q.get(timeout=HEARTBEAT_SECONDS)
            except queue.Empty:
                first = False  # idle: just beat
            now = time.time()
            if self.url and now - last_beat >= HEARTBEAT_SECONDS:
                try:
                    with store_db.write(self.conn):
                        store_otlp.heartbeat(self.conn, self.url, os.getpid(),
                                             self.started_at, now)
                    last_beat = now
                except Exception:  # a busy store delays the beat, nothing else
                    log.warning("receiver heartbeat failed", exc_info=True)
            if first is False:
                if now - last_prune >= PRUNE_EVERY_SECONDS:
                    last_prune = now
                    self._prune(now)
                continue
            if first is None:
                return
            group = [first] if first.future.set_running_or_notify_cancel() else []
            stop = False
            while len(group) < MAX_GROUP:
                try:
                    nxt = self._q.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                # a request whose exporter was already answered 503 is not stored
                if nxt.future.set_running_or_notify_cancel():
                    group.append(nxt)
            if group:
                self._write(group)
            if stop:
                return

    def _prune(self, now: float) -> None:
        """Content events whose span never came (or came long ago) are let go."""
        try:
            with store_db.write(self.conn):
                store_otlp.prune_content(self.conn, now - CONTENT_KEEP_SECONDS)
        except Exception:
            log.warning("pruning received content failed", exc_info=True)

    def _write(self, group: list[Job]) -> None:
        started = time.monotonic()
        try:
            results = write_group(self.conn, group, time.time())
        except BaseException as exc:  # noqa: BLE001 - every request learns it failed
            log.warning("receiver transaction failed: %s", exc)
            for job in group:
                job.future.set_exception(exc)
            return
        if self.on_commit is not None:
            self.on_commit(group, results, time.monotonic() - started)
        for job, res in zip(group, results, strict=True):
            job.future.set_result(res)


_C = {name: i for i, name in enumerate(store_out.OUTPUT_COLUMNS)}


def write_group(conn, jobs: list[Job], now: float) -> list[Stored]:
    """Store ``jobs`` in one transaction (committed here); one
    :class:`Stored` per job."""
    results = [Stored() for _ in jobs]
    conn.execute("BEGIN IMMEDIATE")
    try:
        reqs = [j.req for j in jobs]
        out_ids = [k for r in reqs for k in r.prepared.outputs]
        fb_ids = [k for r in reqs for k in r.prepared.feedback]
        have = store_out.existing_ids(conn, "outputs", out_ids) if out_ids else set()
        have_fb = store_out.existing_ids(conn, "feedback", fb_ids) if fb_ids else set()
        response_ids = [rid for r in reqs for rid in r.calls.values()]
        calls = store_otlp.calls_for(conn, response_ids) if response_ids else {}
        new_rows: list[tuple] = []
        new_calls: list[tuple[str, str]] = []
        fills: list[tuple[str, tuple]] = []  # (stored output id, row with text it may lack)
        new_fb: list[tuple] = []
        rejects: list[tuple] = []
        incr: dict[str, int] = {}
        for job, res in zip(reqs, results, strict=True):
            p = job.prepared
            res.duplicates = p.dup_in_batch
            for key, row in p.outputs.items():
                rid = job.calls.get(key)
                target = key if key in have else calls.get(rid) if rid else None
                if target is not None:
                    # the same call again: a retry, its details event, or a
                    # second instrumentation of one API call
                    res.duplicates += 1
                    fills.append((target, row))
                    continue
                have.add(key)
                new_rows.append(row)
                res.outputs += 1
                if rid:
                    calls[rid] = key
                    new_calls.append((rid, key))
            for key, row in p.feedback.items():
                if key in have_fb:
                    res.duplicates += 1
                else:
                    have_fb.add(key)
                    new_fb.append(row)
                    res.feedback += 1
            rejects += p.rejects
            unit = "spans" if job.kind == "traces" else "logs"
            for name, n in ((f"otlp.{job.kind}.requests", 1), (f"otlp.{unit}", job.items),
                            (f"otlp.{unit}.ignored", job.ignored),
                            (f"otlp.{unit}.rejected", job.rejected),
                            (f"otlp.{unit}.duplicates", res.duplicates),
                            ("otlp.clamped", len(job.notes))):
                incr[name] = incr.get(name, 0) + n
        if new_rows:
            store_out.insert_outputs(conn, new_rows)
            rollups.add(conn, rollup_rows(new_rows))
        if new_calls:
            store_otlp.add_calls(conn, new_calls)
        if fills:
            _fill_text(conn, fills)
        if new_fb:
            store_out.insert_feedback(conn, new_fb)
        if rejects:
            store_out.insert_rejects(conn, rejects)
        _join_content(conn, reqs, new_rows, now)
        dups = sum(r.duplicates for r in results)
        counters.add(conn, {
            **incr, "outputs": len(new_rows), "feedback": len(new_fb), "rejected": len(rejects),
            "duplicates": dups, f"duplicates@{rollups.hour_of(now)}": dups,
        })
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finish_commit(conn)
    return results


def _fill_text(conn, fills: list[tuple[str, tuple]]) -> None:
    """Give a stored call the input or output text it lacks from another
    report of the same call (only empty text is filled; nothing is
    overwritten, tokens and cost stay as first stored)."""
    texts = store_otlp.output_texts(conn, list(dict.fromkeys(t for t, _ in fills)))
    inputs, outputs = [], []
    for target, row in fills:
        if target not in texts:
            continue
        in_text, out_text = texts[target]
        if not in_text and row[_C["input_text"]]:
            inputs.append((row[_C["input_text"]], row[_C["input_json"]],
                           row[_C["input_hash"]], target))
            in_text = row[_C["input_text"]]
        if not out_text and row[_C["output_text"]]:
            outputs.append((row[_C["output_text"]], row[_C["finish_reason"]], target))
            out_text = row[_C["output_text"]]
        texts[target] = (in_text, out_text)
    if inputs:
        store_otlp.set_input(conn, inputs)
    if outputs:
        store_otlp.set_output(conn, outputs)


def _join_content(conn, jobs: list[PreparedRequest], new_rows: list[tuple],
                  now: float) -> None:
    """Store content events and fill the text of the outputs they belong to:
    a side (input or output) is filled when the call itself carried none for
    it, or was filled from content before (more of it has arrived)."""
    rows = [(c.output_id, c.side, c.seq, c.role, c.text, c.finish_reason, now)
            for j in jobs for c in j.content]
    empty_new = [r[_C["id"]] for r in new_rows
                 if not r[_C["input_text"]] or not r[_C["output_text"]]]
    ids = list(dict.fromkeys([r[0] for r in rows] + empty_new))
    if not ids:
        return
    before = store_otlp.content_for(conn, ids)
    if rows:
        store_otlp.add_content(conn, rows)
    after = store_otlp.content_for(conn, ids) if rows else before
    texts = store_otlp.output_texts(conn, [i for i in ids if i in after])
    inputs, outputs = [], []
    for oid, (in_text, out_text) in texts.items():
        parts = after[oid]
        had = {p[0] for p in before.get(oid, ())}
        ins = [p for p in parts if p[0] == "input"]
        outs = [p for p in parts if p[0] == "output"]
        if ins and (not in_text or "input" in had):
            msgs = [{"role": p[2], "content": p[3]} for p in ins]
            text = "\n".join(f"{m['role']}: {m['content']}" for m in msgs)
            inputs.append((text, orjson.dumps(msgs).decode(), input_hash(text), oid))
        if outs and (not out_text or "output" in had):
            finish = next((p[4] for p in outs if p[4]), None)
            outputs.append(("\n".join(p[3] for p in outs if p[3]), finish, oid))
    if inputs:
        store_otlp.set_input(conn, inputs)
    if outputs:
        store_otlp.set_output(conn, outputs)
