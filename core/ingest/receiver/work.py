"""The CPU work of a request (inflate, decode, map, count missing tokens, price, lay
out rows) and where it runs: worker processes, so it uses every core while
the receiver's process reads bodies and commits; or, until they have
started, if they cannot, or with ``[receiver] workers = 0``, one thread.

A request's result is plain data (rows, content, counts) that pickles; the
process that serves HTTP turns it into a writer :class:`~.writer.Job`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from evaltop.core.ingest.formats import genai
from evaltop.core.ingest.formats.genai import Content
from evaltop.core.ingest.prepare import Parsed, Prepared, finish, values_row
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.receiver.body import Inflater
from evaltop.core.ingest.receiver.decode import MapContext, decode
from evaltop.core.ingest.workers import init_process, worker_book
from evaltop.core.model.config import Config


@dataclass
class PreparedRequest:
    """One request, decoded and priced, ready for the writer."""

    kind: str
    prepared: Prepared
    content: list[Content]
    items: int
    ignored: int
    rejects: list[tuple[str, str]]  # (path, reason)
    notes: list[str] = field(default_factory=list)  # values clamped
    calls: dict[str, str] = field(default_factory=dict)  # output id -> provider response id
    size: int = 0  # bytes of the inflated body: what the request weighs while it waits

    @property
    def rejected(self) -> int:
        return len(self.rejects)


def prepare_request(kind: str, raw: bytes, encoding: str, is_json: bool, ctx: MapContext,
                    book: PriceBook, max_body: int) -> PreparedRequest:
    """Inflate ``raw`` (stopping past ``max_body``), decode, map and price.
    Raises :class:`~.body.TooLarge`, :class:`~.body.BadEncoding` or
    :class:`~.decode.Undecodable`."""
    inflater = Inflater(encoding, max_body)
    inflater.feed(raw)
    body = inflater.finish()
    del raw
    d = decode(kind, body, is_json=is_json, ctx=ctx)
    now = time.time()
    rejects = [(ctx.source, f"/v1/{kind}", 0, 0, reason, path.encode(), now)
               for path, reason in d.rejects]
    outputs: list = []
    calls: dict[str, str] = {}
    for rec in d.outputs:
        if type(rec) is dict:  # checked values: laid out as a row here and now
            oid, meta = rec["id"], rec["metadata"]
            rec = values_row(rec, book, ctx.source, now, fmt=genai.FMT)
        else:
            oid, meta = rec.id, rec.metadata
        outputs.append(rec)
        if meta.get("response_id"):
            calls[oid] = str(meta["response_id"])
    parsed = Parsed(None, now, rejects=rejects, outputs=outputs, feedback=d.feedback,
                    source=ctx.source, lines=d.items)
    return PreparedRequest(kind, finish(parsed, book), d.content, d.items, d.ignored,
                           d.rejects, d.notes, calls, len(body))


_CTX: tuple[MapContext, int] | None = None  # per worker process: context, max body


# A decode worker allocates ~100 short-lived objects per span, nearly all
# freed by reference counting; the cycle collector's default first threshold
# (700) made it scan them every few spans (measured: 69-74 us per span with
# it, 66-67 without). Its collections stay on, just rarer.
GC_THRESHOLDS = (100_000, 50, 100)


def _init(cfg: Config, ctx: MapContext, max_body: int, started) -> None:
    global _CTX
    init_process(cfg, started)
    _CTX = (ctx, max_body)
    gc.freeze()  # what start-up loaded is never collectable garbage
    gc.set_threshold(*GC_THRESHOLDS)


def _in_worker(kind: str, raw: bytes, encoding: str, is_json: bool) -> PreparedRequest:
    assert _CTX is not None
    return prepare_request(kind, raw, encoding, is_json, _CTX[0], worker_book(), _CTX[1])


def _ready() -> bool:
    return True


def auto_workers() -> int:
    """One per core: the serving process mostly waits (reads, COMMITs)."""
    return max(1, os.cpu_count() or 1)


class DecodePool:
    """Runs :func:`prepare_request` on worker processes once they have
    started (requests go to a thread meanwhile, so start-up never stalls
    the receiver); a broken pool falls back to the thread for good."""

    def __init__(self, cfg: Config, ctx: MapContext, book: PriceBook, workers: int,
                 max_body: int) -> None:
        self.ctx, self.book, self.max_body = ctx, book, max_body
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="evaltop-otlp-decode")
        self._pool: Executor | None = None
        self._warm: list[Future] = []
        if workers > 0:
            mp = multiprocessing.get_context("spawn")  # the parent runs threads: never fork
            self._pool = ProcessPoolExecutor(workers, mp_context=mp, initializer=_init,
                                             initargs=(cfg, ctx, max_body, mp.Barrier(workers)))
            self._warm = [self._pool.submit(_ready) for _ in range(workers)]

    @property
    def processes(self) -> bool:
        """Requests go to worker processes now."""
        if self._pool is None or not all(f.done() for f in self._warm):
            return False
        if any(f.exception() is not None for f in self._warm):
            self._drop_pool()
            return False
        return True

    def _drop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    def submit(self, kind: str, raw: bytes, encoding: str, is_json: bool) -> Future:
        if self.processes:
            try:
                return self._pool.submit(_in_worker, kind, raw, encoding, is_json)
            except BrokenProcessPool:
                self._drop_pool()
        return self._thread.submit(prepare_request, kind, raw, encoding, is_json, self.ctx,
                                   self.book, self.max_body)

    def broken(self, exc: BaseException) -> bool:
        """A worker died under this request: use the thread from now on."""
        if isinstance(exc, BrokenProcessPool):
            self._drop_pool()
            return True
        return False

    def close(self) -> None:
        for ex in (self._thread, self._pool):
            if ex is not None:
                ex.shutdown(wait=True, cancel_futures=True)
        self._pool = None
