"""kill -9 of a real `evaltop ingest` mid-backfill, then restart: every line
stored exactly once, counters and rollups agree, the database is intact.
SIGTERM of the polling daemon stops it cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys

import orjson
from ingest_helpers import BASE_TS, count, counter

from evaltop.store import db as store_db
from evaltop.store.rollups import hourly as rollups

# 26 MB: a progress line comes every 10% of the file and only while 4 MiB are
# left, so a signal sent on one still lands mid-backfill when this process is
# scheduled a second late (at 6.5 MB, 200 ms late was enough to miss).
N_LINES = 96_000


def _write_config(tmp_path, **schedule) -> str:
    cfg = tmp_path / "evaltop.toml"
    text = (
        f'[store]\npath = "{tmp_path / "evaltop.db"}"\n'
        '\n[[sources]]\nname = "app"\npath = "logs/*.jsonl"\nformat = "native"\n'
    )
    if schedule:
        text += "\n[schedule]\n" + "".join(f"{k} = {v}\n" for k, v in schedule.items())
    cfg.write_text(text)
    return str(cfg)


def _big_log(tmp_path) -> None:
    (tmp_path / "logs").mkdir()
    with open(tmp_path / "logs" / "app.jsonl", "wb") as fh:
        for i in range(N_LINES):
            rec = {
                "id": f"r{i}", "ts": BASE_TS + i * 7.5, "model": ["gpt-4o-mini", "claude-x"][i % 2],
                "task": f"t{i % 5}", "input": "q " * 60, "output": f"answer {i}",
                "usage": {"input_tokens": 50 + i % 7, "output_tokens": 5 + i % 3},
            }
            fh.write(orjson.dumps(rec) + b"\n")


def _evaltop(*args) -> list[str]:
    return [sys.executable, "-m", "evaltop.tui.cli.main", *args]


def _kill_at_progress(cfg: str, nth: int) -> None:
    """Start `evaltop ingest --once`, SIGKILL it right after its nth progress line."""
    p = subprocess.Popen(_evaltop("ingest", "--once", "--config", cfg),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = 0
    try:
        for line in p.stderr:
            if "backfill" in line:
                seen += 1
                if seen == nth:
                    os.kill(p.pid, signal.SIGKILL)
                    break
    finally:
        p.wait()
        p.stderr.close()
    assert seen == nth, "no progress line: the child did not backfill"
    assert p.returncode == -signal.SIGKILL


def test_kill_9_mid_backfill_then_restart_is_exact(tmp_path):
    _big_log(tmp_path)
    cfg = _write_config(tmp_path)
    db = tmp_path / "evaltop.db"
    _kill_at_progress(cfg, 1)
    conn = store_db.connect(db)
    try:
        first = count(conn, "outputs")
    finally:
        conn.close()
    assert 0 < first < N_LINES, "the kill did not land mid-backfill"
    _kill_at_progress(cfg, 2)  # killed again, further on
    done = subprocess.run(
        _evaltop("ingest", "--once", "--config", cfg), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "0 duplicates" in done.stdout
    conn = store_db.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert count(conn, "outputs") == N_LINES
        assert counter(conn, "outputs") == N_LINES
        assert counter(conn, "duplicates") == 0
        assert count(conn, "rejects") == 0
        assert rollups.totals_match_outputs(conn)
        assert conn.execute("SELECT SUM(outputs) FROM rollup_hourly").fetchone()[0] == N_LINES
        offset, line_no = conn.execute("SELECT offset, line_no FROM checkpoints").fetchone()
        assert (offset, line_no) == ((tmp_path / "logs" / "app.jsonl").stat().st_size, N_LINES)
    finally:
        conn.close()


def test_sigterm_stops_polling_cleanly(tmp_path):
    (tmp_path / "logs").mkdir()
    with open(tmp_path / "logs" / "app.jsonl", "w") as fh:
        for i in range(50):
            fh.write(json.dumps({"id": f"s{i}", "ts": BASE_TS + i, "output": "ok"}) + "\n")
    cfg = _write_config(tmp_path, poll_seconds=0.2)
    p = subprocess.Popen(_evaltop("ingest", "--config", cfg), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    try:
        first = p.stdout.readline()  # printed after the first poll committed
        assert "+50 outputs" in first
        p.send_signal(signal.SIGTERM)
        rest = p.stdout.read()
    finally:
        p.wait()
        p.stdout.close()
    assert p.returncode == 0
    assert "50 outputs" in rest and "0 duplicates" in rest


def test_ctrl_c_with_worker_processes_stops_after_a_commit(tmp_path):
    """Ctrl-C hits the whole process group, workers included: the run still
    ends cleanly after a committed batch, and a rerun completes exactly."""
    _big_log(tmp_path)
    cfg = _write_config(tmp_path)
    p = subprocess.Popen(_evaltop("ingest", "--once", "--workers", "2", "--config", cfg),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    try:
        for line in p.stderr:
            if "backfill" in line:
                os.killpg(p.pid, signal.SIGINT)
                break
        out, err = p.communicate()
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err
    assert "Traceback" not in err
    stopped_at = int(out.split(" outputs")[0].split()[-1].replace(",", ""))
    assert 0 < stopped_at < N_LINES
    done = subprocess.run(
        _evaltop("ingest", "--once", "--config", cfg), capture_output=True, text=True
    )
    assert f"{N_LINES - stopped_at:,} outputs, 0 feedback, 0 duplicates" in done.stdout
    conn = store_db.connect(tmp_path / "evaltop.db")
    try:
        assert count(conn, "outputs") == N_LINES and counter(conn, "duplicates") == 0
        assert rollups.totals_match_outputs(conn)
    finally:
        conn.close()


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def test_worker_processes_exit_when_ingest_is_killed(tmp_path):
    import select

    kids: list[int] = []
    _big_log(tmp_path)
    cfg = _write_config(tmp_path)
    p = subprocess.Popen(_evaltop("ingest", "--once", "--workers", "2", "--config", cfg),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in p.stderr:
            if "backfill" in line:  # workers are up: the first batch was committed
                break
        kids = _children(p.pid)
        fds = [os.pidfd_open(k) for k in kids]
        assert len(kids) >= 2
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        pending = set(fds)
        while pending:  # each pidfd turns readable when its process exits
            ready, _, _ = select.select(list(pending), [], [], 60)
            assert ready, f"worker processes outlived their parent: {kids}"
            pending -= set(ready)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stderr.close()
        for k in kids:  # never leave strays behind, even when the test fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(k, signal.SIGKILL)
