"""Where batches are prepared (parsed, token-counted, priced) ahead of their
commit: on the ingesting thread, with token counting on a thread pool one
batch ahead, or, for a big backfill on a machine with cores to spare, on
worker processes so parsing uses every core. Results come back as futures;
the caller commits them in submission order."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait

from evaltop.core.ingest.prepare import Parsed, Prepared, finish, parse_lines, start_counting
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.tail.jsonl_tail import Batch
from evaltop.core.model.config import Config

POOL_MIN_BYTES = 32 << 20  # a backlog this big is worth starting processes for
POOL_MIN_CORES = 4  # below this, one thread (with counting and COMMIT beside it) measured faster

_BOOK: PriceBook | None = None  # per worker process


def _exit_with_parent(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _init_worker(cfg: Config, started) -> None:
    init_process(cfg, started)


def init_process(cfg: Config, started) -> None:
    """What every worker process does first (ingest's and the receiver's):
    ignore Ctrl-C, die with its parent, load the prices, wait for its peers."""
    global _BOOK
    # Ctrl-C reaches the whole process group: the parent decides when to stop
    # (after its current transaction); a worker must not die mid-batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # If the parent is killed (kill -9), nothing else would tell an idle
    # worker: every worker holds the task queue's write end too.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent.sentinel,), daemon=True).start()
    _BOOK = PriceBook.from_config(cfg)
    # Report ready only once every worker is: a warm-up task can then not be
    # served twice by a fast worker while another is still starting up.
    started.wait(timeout=300)


def worker_book() -> PriceBook:
    """The price book of this worker process (after :func:`init_process`)."""
    assert _BOOK is not None
    return _BOOK


def _work(batch: Batch, fmt: str, now: float) -> Prepared:
    assert _BOOK is not None
    return finish(parse_lines(batch, fmt, now, _BOOK), _BOOK)


def _ready() -> bool:
    return True


class _Counted:
    """A batch parsed on the ingesting thread whose token counting runs on
    the pool; ``result()`` waits for the counts, then prices and lays out
    the rows (on the thread that asks, which is the ingesting one)."""

    def __init__(self, parsed: Parsed, book: PriceBook) -> None:
        self._parsed, self._book = parsed, book

    def result(self) -> Prepared:
        return finish(self._parsed, self._book)

    def done(self) -> bool:
        """Nothing left to wait for (``result()`` only prices and lays out)."""
        return all(fut.done() for fut in self._parsed.counting)

    def cancel(self) -> bool:
        for fut in self._parsed.counting:
            fut.cancel()
        return True


class Preparer:
    """``workers``: None = worker processes (one per core but one) only for
    backlogs of POOL_MIN_BYTES or more on machines with POOL_MIN_CORES or
    more, used once they have started (batches keep going to threads
    meanwhile, so a slow start never stalls ingest); 0 = never; N = N
    processes, waited for before the first batch.

    Without processes, all the Python work (parse, price, rows, insert) runs
    on the ingesting thread, one batch after another, while the GIL-free
    work runs beside it: token counting of the next batch on a thread pool,
    and the previous batch's COMMIT (core/ingest.py). Python threads parsing
    beside the inserting thread measured slower than none: sqlite3 gives the
    GIL back on every row and then waits to get it back (docs/benchmarks.md).
    On a 2-core machine worker processes measured slower too: the main
    process needs a core for its inserts and commits."""

    def __init__(self, cfg: Config, book: PriceBook, *, workers: int | None = None):
        self.cfg = cfg
        self.book = book
        self.workers = workers
        self._tokens = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="evaltop-tokens")
        self._pool: Executor | None = None
        self._warm: list[Future] = []

    @property
    def ahead(self) -> int:
        """How many batches may be in flight beyond the one being committed:
        in-process, two, so token counting has a batch in hand while the
        ingesting thread stores the one before (measured 9% faster than one
        on logs without usage; batches with nothing to count go at once)."""
        return self._nprocs() + 1 if self._pool_ready() else 2

    def _nprocs(self) -> int:
        return self.workers if self.workers else max(2, (os.cpu_count() or 1) - 1)

    def disable_pool(self) -> None:
        """Stop using worker processes (one broke); later batches run in-process."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._warm = []
        self.workers = 0

    def _want_pool(self, batch: Batch) -> bool:
        if self.workers is not None:
            return self.workers > 0
        if self._pool is not None:
            return True
        if (os.cpu_count() or 1) < POOL_MIN_CORES or batch.size is None:
            return False
        return batch.size - batch.start_offset >= POOL_MIN_BYTES

    def _start_pool(self) -> None:
        # spawn, not fork: the parent may run scheduler and worker threads
        ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(
            self._nprocs(), mp_context=ctx,
            initializer=_init_worker, initargs=(self.cfg, ctx.Barrier(self._nprocs())),
        )
        self._warm = [self._pool.submit(_ready) for _ in range(self._nprocs())]
        if self.workers:  # asked for explicitly: wait until they run (or fail)
            wait(self._warm)

    def _pool_ready(self) -> bool:
        if self._pool is None or not all(f.done() for f in self._warm):
            return False
        if any(f.exception() is not None for f in self._warm):
            self.disable_pool()  # workers could not start: stay in-process
            return False
        return True

    def submit(self, batch: Batch, fmt: str, now: float) -> Future | _Counted:
        if self._want_pool(batch) and self._pool is None:
            self._start_pool()
        if self._pool_ready():
            return self._pool.submit(_work, batch, fmt, now)
        return _Counted(
            start_counting(parse_lines(batch, fmt, now, self.book), self._tokens), self.book
        )

    def close(self) -> None:
        for ex in (self._tokens, self._pool):
            if ex is not None:
                ex.shutdown(wait=True, cancel_futures=True)
        self._pool = None
