"""Ingest crash loop: a real `evaltop ingest` (the polling daemon) is SIGKILLed
N times at random moments: during its start-up, mid-backfill, and while the
LogFarm appends lines (some half written) and rotates the log every way
(rename+create, copytruncate, truncate, delete+recreate, symlink repointed,
rotation while stopped). After every kill the database is checked; after the
last one a final `ingest --once` drains the files and the store must hold
every line exactly once.

Expected set (the honest rule): every line whose complete text reached a file
must be stored, except lines whose only copy was truncated or deleted (a
reader that had not reached them cannot read them afterwards; LogFarm counts
them as ``destroyed`` and the figure reports how many were really lost that
way). Nothing that was never completely written may be stored, and no id may
be stored twice, nor read twice (the ``duplicates`` counter stays 0).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from configs import config_text
from ingest_helpers import counter
from log_farm import GLOB, ROTATIONS, LogFarm
from suite_size import size

from evaltop.store import db as store_db
from evaltop.store.rollups import hourly as rollups


def _config(tmp_path, logs) -> str:
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(
        config_text(tmp_path / "evaltop.db", logs / GLOB, "\n[schedule]\npoll_seconds = 0.05\n")
    )
    return str(cfg)


def _start(cfg: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "evaltop.tui.cli.main", "ingest", "--config", cfg],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_polling(p: subprocess.Popen) -> None:
    """Read stderr until the daemon says it is polling (its Ingestor is open)."""
    for line in p.stderr:
        if "polling" in line:
            return
    raise AssertionError(f"ingest exited before polling (rc={p.wait()})")


def _kill(p: subprocess.Popen) -> str:
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    err = p.stderr.read()
    p.stderr.close()
    assert p.returncode == -signal.SIGKILL, (
        f"ingest died on its own (rc={p.returncode}): {err[-2000:]}"
    )
    return err


def _measure(db) -> tuple[str, list[str], int]:
    """(integrity_check result, every stored output id, the duplicates counter)."""
    conn = store_db.connect(db, migrate=False)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        ids = [r[0] for r in conn.execute("SELECT id FROM outputs")]
        return integrity, ids, counter(conn, "duplicates")
    finally:
        conn.close()


def _check(db, farm: LogFarm, where: str) -> tuple[set[str], int]:
    integrity, rows, reread = _measure(db)
    assert integrity == "ok", where
    stored = set(rows)
    assert len(rows) == len(stored), where
    conn = store_db.connect(db, migrate=False)
    try:
        extra = stored - farm.written
        assert not extra, f"{where}: stored lines never completely written: {sorted(extra)[:5]}"
        assert rollups.totals_match_outputs(conn), f"{where}: rollup totals differ from outputs"
        assert counter(conn, "outputs") == len(stored), f"{where}: outputs counter off"
        return stored, reread
    finally:
        conn.close()


def _checkpoints(db) -> list[tuple]:
    conn = store_db.connect(db, migrate=False)
    try:
        return [(r["path"].rsplit("/", 1)[-1], r["file_key"], r["offset"], r["finished"])
                for r in conn.execute("SELECT path, file_key, offset, finished FROM checkpoints")]
    finally:
        conn.close()


def test_sigkill_loop_with_rotations_loses_and_duplicates_nothing(tmp_path, figure):
    kills = size(5, 1000)
    rng = random.Random(20261127)
    logs = tmp_path / "logs"
    farm = LogFarm(logs, rng)
    farm.append(size(3000, 20000))  # the backfill the first kills land in
    cfg = _config(tmp_path, logs)
    db = tmp_path / "evaltop.db"
    stats = {
        "kills": 0,
        "killed_with_work_pending": 0,
        "rotations": 0,
        "rotations_while_stopped": 0,
    }
    stored: set[str] = set()
    for k in range(kills):
        where = f"kill {k}"
        rotation = ROTATIONS[k % len(ROTATIONS)]  # every kind, in turn; extra ones at random
        stopped = k == 1 or rng.random() < 0.2
        if stopped:
            farm.append(rng.randint(1, 40))
            farm.rotate(rotation)
            stats["rotations_while_stopped"] += 1
        p = _start(cfg)
        if k and rng.random() < 0.3:
            # a random kill point: during start-up or the first polls
            time.sleep(rng.uniform(0, 0.6))
        else:
            _wait_polling(p)
            for j in range(rng.randint(1, 4)):
                farm.append(rng.randint(1, 80), partial_last=rng.random() < 0.3)
                if (j == 0 and not stopped) or rng.random() < 0.3:
                    farm.rotate(rotation if j == 0 else rng.choice(ROTATIONS))
                    stats["rotations"] += 1
            time.sleep(rng.uniform(0, 0.15))  # a random kill point while it reads and commits
        _kill(p)
        stats["kills"] += 1
        stored, reread = _check(db, farm, where)
        # Checked after every kill, not only at the end, so a failure names the
        # kill (and the rotations just before it) that made the tailer re-read.
        assert reread == 0, (f"{where}: {reread} lines were read twice; trail {farm.trail[-8:]}; "
                             f"checkpoints {_checkpoints(db)}")
        stats["killed_with_work_pending"] += bool(farm.on_disk() - stored)
        if rng.random() < 0.3:
            farm.retire(stored)
    farm.finish_partial()
    done = subprocess.run(
        [sys.executable, "-m", "evaltop.tui.cli.main", "ingest", "--once", "--config", cfg],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    integrity, rows, reread = _measure(db)
    stored = set(rows)
    missing = farm.required() - stored
    figure("ingest_crash_loop", **stats, lines=len(farm.written), stored=len(stored),
           lost=len(missing), stored_twice=len(rows) - len(stored),
           lost_by_design=len(farm.destroyed - stored),
           read_twice=reread, integrity=integrity)
    stored, reread = _check(db, farm, "final")
    assert not missing, (
        f"lost {len(missing)} lines: {sorted(missing)[:5]} in {farm.where(missing)}; "
        f"links {farm.links}; trail {farm.trail[-12:]}; checkpoints {_checkpoints(db)}"
    )
    assert reread == 0, f"{reread} lines were read twice (skipped as duplicates)"
    assert stats["killed_with_work_pending"] >= 1, "no kill landed while ingest had work left"
