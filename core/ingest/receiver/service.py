"""The receiver as a running thing: checks its address and token, starts
the group-commit writer and the HTTP server, counts what it did, stops
cleanly (what was acknowledged is stored; what is queued is stored before
the writer closes)."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from evaltop.core.ingest.formats import genai
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.receiver.decode import MapContext
from evaltop.core.ingest.receiver.server import OtlpApp
from evaltop.core.ingest.receiver.work import DecodePool, PreparedRequest, auto_workers
from evaltop.core.ingest.receiver.writer import GroupWriter, Job, Stored
from evaltop.core.model.config import Config
from evaltop.core.model.receiver_config import ReceiverConfig


class ReceiverError(ValueError):
    """A setting that keeps the receiver from starting; one line for the user."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bearer_token(rc: ReceiverConfig, host: str) -> str | None:
    """The token requests must carry, or None (none required). Raises
    :class:`ReceiverError` for a non-loopback address without a token."""
    if rc.token_env:
        token = os.environ.get(rc.token_env, "")
        if not token:
            raise ReceiverError(
                f"[receiver] token_env = {rc.token_env!r} but ${rc.token_env} is empty or unset: "
                f"export {rc.token_env}=<a long random secret>"
            )
        return token
    if not is_loopback(host) and not rc.allow_unauthenticated:
        raise ReceiverError(
            f"refusing to receive on non-loopback address {host!r} without a token: set "
            "[receiver] token_env = \"EVALTOP_RECEIVER_TOKEN\" and export "
            "EVALTOP_RECEIVER_TOKEN=<secret> (or allow_unauthenticated = true)"
        )
    return None


@dataclass
class Stats:
    """What the receiver did since it started (the store has the totals)."""

    requests: int = 0
    answered: Counter = field(default_factory=Counter)  # HTTP status -> count
    spans: int = 0
    logs: int = 0
    outputs: int = 0
    feedback: int = 0
    ignored: int = 0
    rejected: int = 0
    duplicates: int = 0
    clamped: Counter = field(default_factory=Counter)  # reason -> count
    reasons: Counter = field(default_factory=Counter)  # rejected: reason -> count
    commits: int = 0

    def lines(self) -> list[str]:
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(self.answered.items()))
        out = [
            f"requests {self.requests} ({codes or 'none'}); spans {self.spans}, "
            f"log records {self.logs}",
            f"stored {self.outputs} outputs, {self.feedback} feedback; ignored {self.ignored} "
            f"(not LLM calls); rejected {self.rejected}; duplicates {self.duplicates}; "
            f"{self.commits} transactions",
        ]
        for reason, n in self.reasons.most_common(5):
            out.append(f"  rejected {n}x: {reason}")
        for reason, n in self.clamped.most_common(5):
            out.append(f"  clamped {n}x: {reason}")
        return out


_ITEM_PATH = re.compile(r"resource(Spans|Logs)\[\d+\][\w.\[\]]*:? ?")


def _reason_kind(reason: str) -> str:
    """A reason without item paths, so equal reasons count together."""
    return _ITEM_PATH.sub("", reason)


class Receiver:
    """``start()`` binds and serves; ``stop()`` drains and closes."""

    def __init__(self, cfg: Config, db_path: str | Path, *, host: str | None = None,
                 port: int | None = None, book: PriceBook | None = None) -> None:
        rc = cfg.receiver
        self.cfg = cfg
        self.host = rc.host if host is None else host
        self.port = rc.port if port is None else port
        self.token = bearer_token(rc, self.host)
        self.max_body = rc.max_body_bytes
        self.max_inflight = rc.max_inflight_bytes
        self.db_path = Path(db_path)
        self.book = book or PriceBook.from_config(cfg)
        a = rc.attributes
        self.ctx = MapContext(
            source=rc.source,
            amap=genai.AttributeMap(tuple(a.task), tuple(a.prompt_version), tuple(a.variant),
                                    tuple(a.user), tuple(a.tags)),
            feedback_events=frozenset(
                n for names in cfg.downstream.model_dump().values() for n in names
            ),
        )
        self.stats = Stats()
        self._lock = threading.Lock()
        self.inflight = 0  # bytes of bodies being decoded or waiting for their COMMIT
        self.workers = auto_workers() if rc.workers is None else rc.workers
        self.writer: GroupWriter | None = None
        self.pool: DecodePool | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def on_commit(self, jobs: list[Job], results: list[Stored], seconds: float) -> None:
        with self._lock:
            self.stats.commits += 1
            for job, res in zip((j.req for j in jobs), results, strict=True):
                if job.kind == "traces":
                    self.stats.spans += job.items
                else:
                    self.stats.logs += job.items
                self.stats.outputs += res.outputs
                self.stats.feedback += res.feedback
                self.stats.duplicates += res.duplicates
                self.stats.ignored += job.ignored
                self.stats.rejected += job.rejected

    def note_decoded(self, d: PreparedRequest) -> None:
        with self._lock:
            for _, reason in d.rejects:
                self.stats.reasons[_reason_kind(reason)] += 1
            for note in d.notes:
                self.stats.clamped[_reason_kind(note)] += 1

    def answered(self, status: int) -> None:
        with self._lock:
            self.stats.requests += 1
            self.stats.answered[status] += 1

    # -- life cycle --

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> str:
        """Bind, start the writer and the server; returns the URL served."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host.strip("[]"), self.port))
        except OSError as exc:
            sock.close()
            raise ReceiverError(
                f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
            ) from None
        sock.listen(512)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self.writer = GroupWriter(self.db_path, url=self.url, on_commit=self.on_commit)
        self.pool = DecodePool(self.cfg, self.ctx, self.book, self.workers)
        config = uvicorn.Config(OtlpApp(self), log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=30,
                                server_header=False, date_header=False)
        self._server = uvicorn.Server(config)
        started = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            async def main() -> None:
                task = asyncio.create_task(self._server.serve(sockets=[sock]))
                while not self._server.started and not task.done():
                    await asyncio.sleep(0.01)
                started.set()
                await task

            try:
                asyncio.run(main())
            except BaseException as exc:  # noqa: BLE001 - reported by start()
                failure.append(exc)
            finally:
                started.set()

        self._thread = threading.Thread(target=serve, name="evaltop-otlp-http", daemon=True)
        self._thread.start()
        started.wait()
        if failure or not self._server.started:
            self.writer.close()
            self.pool.close()
            raise ReceiverError(f"the HTTP server did not start: {failure[0] if failure else '?'}")
        return self.url

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish (each is answered
        after its COMMIT), then store what is queued and close."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=60)
        if self.writer is not None:
            self.writer.close()
        if self.pool is not None:
            self.pool.close()
        if self._sock is not None:
            self._sock.close()
