"""Who runs the scheduled jobs: a lease row in the database.

One process holds the lease (the leader) and renews it on a heartbeat; any
other process (a second ``evaltop run``, a TUI) is a watcher that retries
:meth:`Lease.try_acquire` and takes over when the holder releases the lease
or stops renewing it (``expires_at`` passes). Owner ids are
``host:pid:random`` so a row always says which process holds it.
"""

from __future__ import annotations

import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable

from evaltop.store import leases as store_leases
from evaltop.store.leases import Acquired, LeaseRow

JOBS_LEASE = "jobs"


def make_owner() -> str:
    """A fresh owner id: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_pid(owner: str) -> int | None:
    """The pid part of an owner id (None when it is not one of ours)."""
    parts = owner.split(":")
    if len(parts) >= 3 and parts[-2].isdigit():
        return int(parts[-2])
    return None


class Lease:
    """A named lease held by ``owner``; thread-safe.

    ``connection`` returns a connection usable by the calling thread (the
    engine passes its per-thread pool).
    """

    def __init__(
        self,
        connection: Callable[[], sqlite3.Connection],
        *,
        name: str = JOBS_LEASE,
        owner: str | None = None,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.time,
    ):
        if ttl <= 0:
            raise ValueError(f"lease ttl must be > 0 seconds, got {ttl}")
        self._connection = connection
        self.name = name
        self.owner = owner or make_owner()
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def try_acquire(self) -> Acquired:
        """Take the lease if free, ours or expired; see :class:`Acquired`."""
        with self._lock:
            got = store_leases.acquire(
                self._connection(), self.name, self.owner, self.ttl, self._clock()
            )
            self._held = got.ok
            return got

    def renew(self) -> bool:
        """Heartbeat. False means another process holds the lease now."""
        with self._lock:
            if not self._held:
                return False
            self._held = store_leases.renew(
                self._connection(), self.name, self.owner, self.ttl, self._clock()
            )
            return self._held

    def release(self) -> bool:
        with self._lock:
            self._held = False
            return store_leases.release(self._connection(), self.name, self.owner)

    def holder(self) -> LeaseRow | None:
        return store_leases.get(self._connection(), self.name)
