"""The job lease: store semantics, and handover between two real
`evaltop run` processes (SIGTERM: released at once; SIGKILL: taken over only
once the dead holder's lease has expired)."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from wait_helpers import until

from evaltop.core.ops.lease import Lease, make_owner, owner_pid
from evaltop.store import leases


def test_acquire_refuse_renew_release(conn):
    a = leases.acquire(conn, "jobs", "A", ttl=10, now=100)
    assert a.ok and a.took_over_from is None
    b = leases.acquire(conn, "jobs", "B", ttl=10, now=105)
    assert not b.ok and b.holder.owner == "A" and b.holder.expires_at == 110
    assert leases.renew(conn, "jobs", "A", ttl=10, now=108)
    assert not leases.acquire(conn, "jobs", "B", ttl=10, now=115).ok  # renewed to 118
    assert not leases.renew(conn, "jobs", "B", ttl=10, now=115)
    assert not leases.release(conn, "jobs", "B")  # not B's to release
    assert leases.get(conn, "jobs").owner == "A"
    assert leases.release(conn, "jobs", "A")
    assert leases.get(conn, "jobs") is None
    c = leases.acquire(conn, "jobs", "B", ttl=10, now=116)
    assert c.ok and c.took_over_from is None  # a released lease is not a takeover


def test_expired_lease_is_taken_over_and_names_the_previous_owner(conn):
    leases.acquire(conn, "jobs", "A", ttl=10, now=100)
    assert not leases.acquire(conn, "jobs", "B", ttl=10, now=109.9).ok
    got = leases.acquire(conn, "jobs", "B", ttl=10, now=110)
    assert got.ok and got.took_over_from == "A"
    assert not leases.renew(conn, "jobs", "A", ttl=10, now=111)  # A lost it


def test_lease_object_tracks_holding(db_path):
    from evaltop.store.db import connect

    c = connect(db_path)
    clock = [1000.0]
    a = Lease(lambda: c, owner="host:1:a", ttl=5, clock=lambda: clock[0])
    b = Lease(lambda: c, owner="host:2:b", ttl=5, clock=lambda: clock[0])
    assert a.try_acquire().ok and a.held
    assert not b.try_acquire().ok and not b.held
    clock[0] += 5
    assert b.try_acquire().took_over_from == "host:1:a"
    assert not a.renew() and not a.held
    assert b.release() and not b.held
    c.close()


def test_owner_ids_name_host_and_pid():
    owner = make_owner()
    assert owner_pid(owner) == os.getpid()
    assert owner != make_owner()
    assert owner_pid("nonsense") is None


# -- two real processes ---------------------------------------------------------


def _write_config(tmp_path, lease_seconds: float) -> str:
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(
        f'[store]\npath = "{tmp_path / "evaltop.db"}"\n'
        f"[schedule]\npoll_seconds = 0.1\nscore_seconds = 0.1\nmaintain_seconds = 0.1\n"
        f"budget_seconds = 0.1\nlease_seconds = {lease_seconds}\n",
        encoding="utf-8",
    )
    return str(cfg)


class Daemon:
    """`evaltop run` in a child process with its stdout lines in a queue."""

    def __init__(self, config: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "evaltop.tui.cli.main", "run", "--config", config],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"pid {self.proc.pid} never printed {text!r}; got {self.seen}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def _holder(db) -> tuple | None:
    c = sqlite3.connect(db)
    try:
        return c.execute(
            "SELECT owner, heartbeat, expires_at FROM leases WHERE name = 'jobs'"
        ).fetchone()
    finally:
        c.close()


def _runs(db, job: str) -> int:
    c = sqlite3.connect(db)
    try:
        row = c.execute("SELECT runs FROM job_stats WHERE job = ?", (job,)).fetchone()
        return row[0] if row else 0
    finally:
        c.close()


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_second_run_watches_then_takes_over(tmp_path, how):
    db = str(tmp_path / "evaltop.db")
    # 4 s, not less: the leader's heartbeat must survive a stall of a second
    # or two on a loaded CI box, or the watcher takes over before it should
    config = _write_config(tmp_path, lease_seconds=4)
    first = Daemon(config)
    second = None
    try:
        first.wait_for("evaltop run: leader")
        assert owner_pid(_holder(db)[0]) == first.proc.pid
        second = Daemon(config)
        second.wait_for("evaltop run: watching")
        until(lambda: _runs(db, "budget") >= 2, what="the leader to run jobs")
        assert owner_pid(_holder(db)[0]) == first.proc.pid  # the watcher did not steal it

        if how == "sigterm":
            first.proc.send_signal(signal.SIGTERM)
            assert first.proc.wait(30) == 0
            assert _holder(db) is None or owner_pid(_holder(db)[0]) == second.proc.pid
        else:
            first.kill()
            dead_owner, _, dead_expiry = _holder(db)
            assert owner_pid(dead_owner) == first.proc.pid  # a killed process cannot release

        line = second.wait_for("evaltop run: leader")
        owner, heartbeat, _ = _holder(db)
        assert owner_pid(owner) == second.proc.pid
        if how == "sigkill":
            assert heartbeat >= dead_expiry  # taken over only after the lease expired
            assert f"took over from {dead_owner}" in line
        runs_at_takeover = _runs(db, "budget")
        until(lambda: _runs(db, "budget") > runs_at_takeover + 1, what="the new leader's jobs")

        second.proc.send_signal(signal.SIGTERM)
        assert second.proc.wait(30) == 0
        assert _holder(db) is None  # released on a clean stop
    finally:
        first.kill()
        if second is not None:
            second.kill()
