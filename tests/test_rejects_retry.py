"""`evaltop rejects --retry`: rejected lines read again once the config is
fixed (issue 12). Before it, lines rejected under a wrong format or a too
small `max_line_bytes` were lost behind the checkpoint for good. Real files,
real SQLite, real `evaltop` processes."""

from __future__ import annotations

import gzip
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from ingest_helpers import count, counter

EXE = str(Path(sys.executable).with_name("evaltop"))
HINT = "fix the config, then `evaltop rejects --retry` re-reads them"


def openai_line(i: int, *, with_id: bool = True) -> bytes:
    response = {
        "id": f"chatcmpl-{i}", "object": "chat.completion", "created": 1_767_225_600 + i,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": f"Hello {i}"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1200 + i, "completion_tokens": 300},
    }
    if not with_id:
        del response["id"]
    request = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"Hi {i}"}]}
    rec = {"request": request, "response": response, "task": "greet"}
    return json.dumps(rec).encode() + b"\n"


def _config(root: Path, fmt: str, *, max_line_bytes: int | None = None,
            pattern: str = "logs/*.jsonl", name: str = "app") -> None:
    extra = f"max_line_bytes = {max_line_bytes}\n" if max_line_bytes else ""
    (root / "evaltop.toml").write_text(
        f'[store]\npath = "{root / "e.db"}"\n'
        f'[[sources]]\nname = "{name}"\npath = "{pattern}"\nformat = "{fmt}"\n{extra}')


def _setup(root: Path, lines: list[bytes], fmt: str, name: str = "app.jsonl", **kw) -> Path:
    (root / "logs").mkdir(exist_ok=True)
    log = root / "logs" / name
    log.write_bytes(b"".join(lines))
    _config(root, fmt, **kw)
    return log


def _run(root: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *argv], capture_output=True, text=True, cwd=root, timeout=300)


def _db(root: Path) -> sqlite3.Connection:
    return sqlite3.connect(root / "e.db")


def _rows(conn: sqlite3.Connection, table: str, order: str, skip: tuple[str, ...] = ()) -> list:
    cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]
    return conn.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}").fetchall()


def test_openai_log_read_as_anthropic_is_stored_after_the_format_is_fixed(tmp_path):
    lines = [openai_line(i) for i in range(12)]
    _setup(tmp_path, lines, "anthropic")
    first = _run(tmp_path, "ingest", "--once")
    assert "12 rejected" in first.stdout and HINT in first.stdout, first.stdout
    # retrying before the fix changes nothing and says so
    early = _run(tmp_path, "rejects", "--retry")
    assert early.returncode == 0, early.stderr
    assert early.stdout.startswith("retried 12 lines: 0 stored (0 outputs, 0 feedback, "
                                   "0 duplicates), 12 still rejected, 0 could not be re-read")
    _config(tmp_path, "openai")
    assert "0 lines" in _run(tmp_path, "ingest", "--once").stdout  # the checkpoint is past them
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "retried 12 lines: 12 stored (12 outputs, 0 feedback, 0 duplicates), 0 still rejected, "
        "0 could not be re-read"]
    conn = _db(tmp_path)
    assert count(conn, "rejects") == 0 and count(conn, "outputs") == 12
    assert counter(conn, "outputs") == 12
    # the same rows, rollups and cost a direct ingest with the right format stores
    ref = tmp_path / "ref"
    ref.mkdir()
    _setup(ref, lines, "openai")
    assert "12 outputs" in _run(ref, "ingest", "--once").stdout
    rconn = _db(ref)
    skip = ("ingested_at",)
    assert _rows(conn, "outputs", "id", skip) == _rows(rconn, "outputs", "id", skip)
    for table in ("rollup_daily", "rollup_hourly"):
        assert _rows(conn, table, "1, 2, 3, 4, 5") == _rows(rconn, table, "1, 2, 3, 4, 5")
    spend = _run(tmp_path, "spend").stdout
    assert spend == _run(ref, "spend").stdout and "gpt-4o-mini       12" in spend
    assert _run(tmp_path, "rejects").stdout == "no rejected lines\n"
    again = _run(tmp_path, "rejects", "--retry")
    assert again.returncode == 0 and again.stdout.startswith("retried 0 lines: 0 stored")
    assert count(conn, "outputs") == 12


def test_lines_that_still_fail_keep_their_row_with_the_current_reason(tmp_path):
    _setup(tmp_path, [openai_line(i) for i in range(3)], "anthropic")
    _run(tmp_path, "ingest", "--once")
    _config(tmp_path, "native")
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.returncode == 0, proc.stderr
    assert "3 still rejected" in proc.stdout and "`evaltop rejects` shows why" in proc.stdout
    conn = _db(tmp_path)
    reasons = [r[0] for r in conn.execute("SELECT reason FROM rejects ORDER BY line_no")]
    assert len(reasons) == 3 and all(r.startswith("native: ") for r in reasons), reasons
    assert [r[0] for r in conn.execute("SELECT line_no FROM rejects ORDER BY 1")] == [1, 2, 3]
    assert count(conn, "outputs") == 0


def test_a_rewritten_or_deleted_file_is_reported_and_its_rejects_kept(tmp_path):
    log = _setup(tmp_path, [openai_line(i) for i in range(4)], "anthropic")
    gone = tmp_path / "logs" / "b.jsonl"
    gone.write_bytes(openai_line(10) + openai_line(11))
    _run(tmp_path, "ingest", "--once")
    _config(tmp_path, "openai")
    # truncated and rewritten: line 2 onwards now holds other bytes
    log.write_bytes(openai_line(0) + b'{"other": "content, much longer than it was before"}\n' * 9)
    gone.unlink()
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "retried 6 lines: 1 stored (1 outputs, 0 feedback, 0 duplicates), 0 still rejected, "
        "5 could not be re-read (file changed since (rewritten, truncated or rotated): 3, "
        "file gone (deleted, moved or rotated): 2)"]
    assert "5 line(s) could not be read again; their rejects are kept" in proc.stderr
    conn = _db(tmp_path)
    assert count(conn, "rejects") == 5 and count(conn, "outputs") == 1
    assert conn.execute("SELECT id FROM outputs").fetchone()[0] == "chatcmpl-0"


def test_rejects_not_from_a_configured_file_are_counted_apart(tmp_path):
    _setup(tmp_path, [openai_line(0)], "anthropic")
    _run(tmp_path, "ingest", "--once")
    conn = _db(tmp_path)
    conn.execute("INSERT INTO rejects (source, file, line_no, byte_offset, reason, head, ts) "
                 "VALUES ('otlp', '/v1/traces', 0, 0, 'bad span', x'00', 1e9)")
    conn.commit()
    _config(tmp_path, "openai", name="renamed")
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.returncode == 1
    assert ("2 could not be re-read (not from a file (OTLP receiver): 1, "
            "source no longer configured: 1)") in proc.stdout
    assert count(conn, "rejects") == 2
    only = _run(tmp_path, "rejects", "--retry", "--source", "app")
    assert only.stdout.startswith("retried 1 lines: 0 stored")
    assert _run(tmp_path, "rejects", "--retry", "--limit", "3").returncode == 2


def test_an_over_long_line_is_stored_once_max_line_bytes_is_raised(tmp_path):
    long = json.loads(openai_line(1))
    long["request"]["messages"][0]["content"] = "word " * 400
    lines = [openai_line(0), json.dumps(long).encode() + b"\r\n", openai_line(2)]
    _setup(tmp_path, lines, "openai", max_line_bytes=1000)
    assert "1 rejected" in _run(tmp_path, "ingest", "--once").stdout
    still = _run(tmp_path, "rejects", "--retry")
    assert "1 still rejected" in still.stdout and still.returncode == 0
    _config(tmp_path, "openai", max_line_bytes=5000)
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.stdout.startswith("retried 1 lines: 1 stored (1 outputs"), proc.stdout
    conn = _db(tmp_path)
    assert count(conn, "rejects") == 0 and count(conn, "outputs") == 3
    text = conn.execute("SELECT input_text FROM outputs WHERE id = 'chatcmpl-1'").fetchone()[0]
    assert text == "user: " + "word " * 400


def test_a_line_without_an_id_already_stored_is_a_duplicate(tmp_path):
    """Lines without an id get ``h:<hash of the line>``: the retry hashes the
    same bytes ingest did, so a line stored meanwhile is not stored twice."""
    log = _setup(tmp_path, [openai_line(0, with_id=False), openai_line(1, with_id=False)],
                 "openai")
    _run(tmp_path, "ingest", "--once")
    conn = _db(tmp_path)
    assert all(r[0].startswith("h:") for r in conn.execute("SELECT id FROM outputs"))
    second = len(openai_line(0, with_id=False))
    conn.execute("INSERT INTO rejects (source, file, line_no, byte_offset, reason, head, ts) "
                 "VALUES ('app', ?, 2, ?, 'old reason', ?, 1e9)",
                 (str(log), second, openai_line(1, with_id=False)[:200]))
    conn.commit()
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.stdout.startswith(
        "retried 1 lines: 1 stored (0 outputs, 0 feedback, 1 duplicates)"), proc.stdout
    assert count(conn, "outputs") == 2 and count(conn, "rejects") == 0


def test_rejects_in_a_gz_file_are_read_again(tmp_path):
    (tmp_path / "logs").mkdir()
    with gzip.open(tmp_path / "logs" / "old.jsonl.gz", "wb") as fh:
        fh.write(b"".join(openai_line(i) for i in range(5)))
    _config(tmp_path, "anthropic", pattern="logs/*.gz")
    assert "5 rejected" in _run(tmp_path, "ingest", "--once").stdout
    _config(tmp_path, "openai", pattern="logs/*.gz")
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.stdout.startswith("retried 5 lines: 5 stored (5 outputs"), proc.stdout
    assert count(_db(tmp_path), "outputs") == 5


def test_a_kill_mid_retry_stores_each_line_once(tmp_path):
    n = 6000  # twelve transactions of 500
    _setup(tmp_path, [openai_line(i, with_id=i % 2 == 0) for i in range(n)], "anthropic")
    assert f"{n:,} rejected" in _run(tmp_path, "ingest", "--once").stdout
    _config(tmp_path, "openai")
    conn = _db(tmp_path)
    proc = subprocess.Popen([EXE, "rejects", "--retry"], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None and count(conn, "outputs") == 0:
            pass
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    stored, kept = count(conn, "outputs"), count(conn, "rejects")
    assert stored + kept == n  # each line stored or still a reject, never both
    assert 0 < stored < n  # killed mid-way (a page commits at a time)
    left = {r[0] for r in conn.execute("SELECT line_no FROM rejects")}
    ids = {r[0] for r in conn.execute("SELECT id FROM outputs WHERE id LIKE 'chatcmpl-%'")}
    assert not {f"chatcmpl-{i}" for i in range(0, n, 2) if i + 1 in left} & ids
    again = _run(tmp_path, "rejects", "--retry")
    assert again.returncode == 0 and f"retried {kept:,} lines: {kept:,} stored" in again.stdout
    assert count(conn, "outputs") == n and count(conn, "rejects") == 0
    assert counter(conn, "outputs") == n


def test_a_first_line_with_a_bom_and_crlf_lines_are_matched_and_stored(tmp_path):
    lines = [b"\xef\xbb\xbf" + openai_line(0)] + [openai_line(i)[:-1] + b"\r\n" for i in (1, 2)]
    _setup(tmp_path, lines, "anthropic")
    assert "3 rejected" in _run(tmp_path, "ingest", "--once").stdout
    _config(tmp_path, "openai")
    proc = _run(tmp_path, "rejects", "--retry")
    assert proc.stdout.startswith("retried 3 lines: 3 stored (3 outputs"), proc.stdout
    assert count(_db(tmp_path), "rejects") == 0


def test_two_retries_at_once_store_each_line_once(tmp_path):
    n = 2000
    _setup(tmp_path, [openai_line(i, with_id=i % 2 == 0) for i in range(n)], "anthropic")
    _run(tmp_path, "ingest", "--once")
    _config(tmp_path, "openai")
    procs = [subprocess.Popen([EXE, "rejects", "--retry"], cwd=tmp_path, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    stored = [int(out.split(": ")[1].split(" stored")[0].replace(",", "")) for out, _ in outs]
    assert sum(stored) == n  # every line taken by exactly one of them
    conn = _db(tmp_path)
    assert count(conn, "outputs") == n and count(conn, "rejects") == 0
    assert counter(conn, "outputs") == n and counter(conn, "duplicates") == 0
