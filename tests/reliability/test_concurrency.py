"""Concurrency: a real `evaltop run` ingests and scores a log that keeps
growing while two dashboard readers (the view-model queries the TUI runs) poll
it, `evaltop report` runs again and again, and a third reader holds one read
transaction open the whole time (short: seconds; long: minutes). No reader
and no command may see "database is locked"; the writer keeps committing
through the held snapshot; after everyone stops the -wal file is gone or
empty."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time

from configs import config_text
from ingest_helpers import count, native, write_lines
from suite_size import size

from evaltop.core.model import config as config_mod
from evaltop.core.views import cases as dashboard_cases
from evaltop.core.views import dashboard
from evaltop.store import db as store_db

CONFIG = """
[sampling]
base_rate = 0.5
[[judges]]
name = "not_json"
kind = "rule"
rule = "json_valid"
[schedule]
poll_seconds = 0.1
score_seconds = 0.2
maintain_seconds = 0.5
"""


def _wal(db) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _dashboard_reader(db, cfg, stop: threading.Event, errors: list, polls: list) -> None:
    conn = store_db.connect(db, readonly=True)
    try:
        while not stop.is_set():
            now = time.time()
            try:
                dashboard.overview(conn, cfg, now)
                dashboard_cases.page(
                    conn, dashboard_cases.parse_filter("", now, failing=False), limit=50
                )
                dashboard.spend(conn, cfg, now)
                polls.append(1)
            except sqlite3.Error as exc:
                errors.append(f"dashboard: {exc}")
    finally:
        conn.close()


def _holder(
    db, hold_s: float, errors: list, held: threading.Event, release: threading.Event
) -> None:
    conn = store_db.connect(db, readonly=True)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT COUNT(*) FROM outputs").fetchone()  # the snapshot starts here
        held.set()
        release.wait(hold_s)
        conn.execute("SELECT COUNT(*) FROM scores").fetchone()
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        errors.append(f"holder: {exc}")
        held.set()
    finally:
        conn.close()


def _progress(db) -> bool:
    """Outputs stored past the first 500 and at least one score."""
    conn = store_db.connect(db, readonly=True)
    try:
        return count(conn, "outputs") > 500 and count(conn, "scores") > 0
    finally:
        conn.close()


def test_run_writes_while_readers_read_and_one_holds_a_snapshot(tmp_path, figure):
    hold_s, reports = size(3, 120), size(2, 20)
    logs, db = tmp_path / "logs", tmp_path / "evaltop.db"
    logs.mkdir()
    cfg_path = tmp_path / "evaltop.toml"
    cfg_path.write_text(config_text(db, logs / "*.jsonl", CONFIG))
    cfg = config_mod.load(cfg_path)
    write_lines(logs / "app.jsonl", [native(i, ts=time.time() - 3600 + i) for i in range(500)])
    exe = [sys.executable, "-m", "evaltop.tui.cli.main", "--config", str(cfg_path)]
    run = subprocess.Popen(
        [*exe, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    errors: list[str] = []
    try:
        for line in run.stdout:  # the leader line: the engine is up
            if "leader" in line:
                break
        else:
            raise AssertionError(f"evaltop run did not start (rc={run.wait()})")
        said: list[str] = []
        drain = threading.Thread(target=lambda: said.extend(run.stdout))
        drain.start()
        stop, held, release = threading.Event(), threading.Event(), threading.Event()
        polls: list[int] = []
        holder = threading.Thread(target=_holder, args=(db, hold_s, errors, held, release))
        readers = [threading.Thread(target=_dashboard_reader, args=(db, cfg, stop, errors, polls))
                   for _ in range(2)]
        holder.start()
        held.wait()
        for t in readers:
            t.start()
        wal_start, wal_peak, written, report_runs = _wal(db), 0, 500, 0
        deadline = time.monotonic() + hold_s
        # held at least hold_s, and until the writer has visibly got past the
        # snapshot (on a loaded CI box that can take longer than hold_s)
        give_up = deadline + 120
        while (time.monotonic() < deadline or report_runs < reports
               or not (wal_peak > wal_start and _progress(db))) and time.monotonic() < give_up:
            write_lines(logs / "app.jsonl", [native(written + i, ts=time.time() - 60 + i * 0.01)
                                             for i in range(100)])
            written += 100
            if report_runs < reports:
                r = subprocess.run([*exe, "report", "--format", "json", "--since", "all"],
                                   capture_output=True, text=True)
                report_runs += 1
                if r.returncode != 0 or "locked" in r.stderr:
                    errors.append(f"report rc={r.returncode}: {r.stderr.strip()[-300:]}")
            else:
                time.sleep(0.1)  # paces the log writer; nothing waits on this
            wal_peak = max(wal_peak, _wal(db))
        release.set()
        holder.join()
        stop.set()
        for t in readers:
            t.join()
        conn = store_db.connect(db, readonly=True)
        try:
            stored = count(conn, "outputs")
            scored = count(conn, "scores")
        finally:
            conn.close()
    finally:
        run.send_signal(signal.SIGTERM)
        rc = run.wait(timeout=60)
    drain.join()
    wal_end = _wal(db)
    locked = sum("locked" in line for line in [*said, *errors])
    figure("concurrency", hold_s=hold_s, lines_written=written, outputs_stored=stored,
           dashboard_polls=len(polls), report_runs=report_runs, locked_errors=locked,
           wal_peak_kb=wal_peak // 1024, wal_after_kb=wal_end // 1024)
    assert rc == 0, f"evaltop run exited {rc}"
    assert locked == 0, [line for line in [*said, *errors] if "locked" in line][:5]
    trouble = re.compile(r"locked|failed|Traceback|\b[1-9]\d* errors")
    assert not [line for line in said if trouble.search(line)], said
    assert not errors, errors[:5]
    assert polls, "the dashboard readers never completed a poll"
    assert stored > 500 and scored > 0, "the writer made no progress past the held snapshot"
    assert wal_peak > wal_start, "the WAL never grew while the snapshot was held"
    assert wal_end == 0, f"-wal is {wal_end} bytes after every connection closed"
