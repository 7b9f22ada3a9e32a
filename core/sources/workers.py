"""Where batches are prepared (parsed, token-counted, priced) ahead of their
commit: on two threads so the stages overlap, or, for a big backfill, on
worker processes so parsing uses every core. Results come back as futures;
the caller commits them in submission order."""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

from evaltop.core.config import Config
from evaltop.core.pricing import PriceBook

from .jsonl_tail import Batch
from .prepare import Prepared, finish, parse_lines

POOL_MIN_BYTES = 32 << 20  # a backlog this big is worth starting processes for

_BOOK: PriceBook | None = None  # per worker process


def _init_worker(cfg: Config) -> None:
    global _BOOK
    # Ctrl-C reaches the whole process group: the parent decides when to stop
    # (after its current transaction); a worker must not die mid-batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _BOOK = PriceBook.from_config(cfg)


def _work(batch: Batch, fmt: str, now: float) -> Prepared:
    assert _BOOK is not None
    return finish(parse_lines(batch, fmt, now), _BOOK)


class Preparer:
    """``workers``: None = processes only for backlogs of POOL_MIN_BYTES or
    more (and more than one core); 0 = never; N = always N processes."""

    def __init__(self, cfg: Config, book: PriceBook, *, workers: int | None = None):
        self.cfg = cfg
        self.book = book
        self.workers = workers
        self._parse = ThreadPoolExecutor(1, thread_name_prefix="evaltop-parse")
        self._count = ThreadPoolExecutor(1, thread_name_prefix="evaltop-count")
        self._pool: Executor | None = None

    @property
    def ahead(self) -> int:
        """How many batches may be in flight beyond the one being committed."""
        return 2 if self._pool is None else self._nprocs() + 1

    def _nprocs(self) -> int:
        return self.workers if self.workers else max(2, os.cpu_count() or 1)

    def disable_pool(self) -> None:
        """Stop using worker processes (one broke); later batches run in-process."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self.workers = 0

    def _want_pool(self, batch: Batch) -> bool:
        if self._pool is not None or self.workers is not None:
            return bool(self.workers) or self._pool is not None
        if (os.cpu_count() or 1) < 2 or batch.size is None:
            return False
        return batch.size - batch.start_offset >= POOL_MIN_BYTES

    def submit(self, batch: Batch, fmt: str, now: float) -> Future:
        if self._want_pool(batch):
            if self._pool is None:
                # spawn, not fork: the parent may run scheduler and worker threads
                self._pool = ProcessPoolExecutor(
                    self._nprocs(), mp_context=multiprocessing.get_context("spawn"),
                    initializer=_init_worker, initargs=(self.cfg,),
                )
            return self._pool.submit(_work, batch, fmt, now)
        parsed = self._parse.submit(parse_lines, batch, fmt, now)
        return self._count.submit(lambda: finish(parsed.result(), self.book))

    def close(self) -> None:
        for ex in (self._parse, self._count, self._pool):
            if ex is not None:
                ex.shutdown(wait=True, cancel_futures=True)
        self._pool = None
