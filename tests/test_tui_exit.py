"""The dashboard as a real process on a real pseudo-terminal: it takes the job
lease, and gives it back when the terminal goes away (SIGHUP, or the terminal
closed under it)."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time

import pytest


def lease_owner(db) -> str | None:
    if not db.exists():
        return None
    conn = sqlite3.connect(db, timeout=30)
    try:
        row = conn.execute("SELECT owner FROM leases WHERE name = 'jobs'").fetchone()
    except sqlite3.OperationalError:  # schema not created yet
        return None
    finally:
        conn.close()
    return row[0] if row else None


def wait_for(cond, what: str, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _take_terminal() -> None:  # in the child, after setsid: the pty becomes its controlling tty
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def start_dashboard(tmp_path, controlling: bool):
    cfg = tmp_path / "evaltop.toml"
    db = tmp_path / "evaltop.db"
    cfg.write_text(f'[store]\npath = "{db}"\n[schedule]\npoll_seconds = 0.2\nlease_seconds = 30\n')
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    proc = subprocess.Popen(
        # plain `evaltop` (no command) is the dashboard; `evaltop tui` the same, named
        [
            sys.executable,
            "-c",
            "from evaltop.tui.cli.main import main; main()",
            "--config",
            str(cfg),
            *(["tui"] if controlling else []),
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        cwd=tmp_path,
        preexec_fn=_take_terminal if controlling else None,
    )
    os.close(slave)
    screen = bytearray()

    def drain() -> None:  # a terminal that reads what the app draws
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            screen.extend(data)

    threading.Thread(target=drain, daemon=True).start()
    wait_for(lambda: lease_owner(db) is not None or proc.poll() is not None, "the job lease")
    assert proc.poll() is None, bytes(screen[-2000:]).decode(errors="replace")
    wait_for(lambda: b"Overview" in screen, "the first paint")
    return proc, master, db, screen


@pytest.mark.parametrize("controlling", [True, False], ids=["ssh-drop-sighup", "stdin-hangup"])
def test_terminal_going_away_releases_the_lease(tmp_path, controlling):
    """Closing the terminal's master side is what sshd does when the connection
    drops: with the pty as controlling terminal the kernel sends SIGHUP; without
    it, stdin hangs up and the poll notices."""
    proc, master, db, _ = start_dashboard(tmp_path, controlling)
    try:
        assert lease_owner(db)
        os.close(master)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert lease_owner(db) is None


def test_sighup_with_the_terminal_still_there_restores_it(tmp_path):
    """`kill -HUP` while the terminal is alive is a plain polite exit: the lease
    is released and the terminal gets its normal screen back (alt screen off)."""
    proc, master, db, screen = start_dashboard(tmp_path, controlling=False)
    try:
        painted = len(screen)
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=60) == 0
        wait_for(lambda: b"\x1b[?1049l" in screen[painted:], "the normal screen back")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert lease_owner(db) is None
