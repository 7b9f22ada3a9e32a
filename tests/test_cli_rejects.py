"""`evaltop rejects` lists what the ingest summary's top five leave out
(issue 12, item 13). Real files, real `evaltop` processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from ingest_helpers import native, write_lines

EXE = str(Path(sys.executable).with_name("evaltop"))

# seven different reasons, one with two lines
BAD = [
    b"not json\n",
    b"[1, 2]\n",
    b'{"id": "a", "ts": "noon", "output": "x"}\n',
    b'{"id": "b", "ts": 1, "output": 5}\n',
    b'{"id": "c", "ts": 1, "output": "x", "usage": {"tokens": 3}}\n',
    b'{"id": "d", "ts": 1, "output": "x", "confidence": 7}\n',
    b'{"id": "e", "ts": 1, "type": "span"}\n',
    b"nope\n",
]


def _setup(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    write_lines(logs / "a.jsonl", [native(1), *BAD, native(2)])
    (tmp_path / "evaltop.toml").write_text(
        '[[sources]]\nname = "app"\npath = "logs/*.jsonl"\nformat = "native"\n'
        '[[sources]]\nname = "other"\npath = "other/*.jsonl"\nformat = "native"\n')
    return logs / "a.jsonl"


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *argv], capture_output=True, text=True, cwd=tmp_path, timeout=120)


def test_the_summary_points_at_the_reasons_it_leaves_out(tmp_path):
    log = _setup(tmp_path)
    proc = _run(tmp_path, "ingest", "--once")
    assert proc.returncode == 0, proc.stderr
    assert "8 rejected" in proc.stdout
    assert "and 2 more reason(s): `evaltop rejects --by reason` lists them" in proc.stdout
    by_reason = _run(tmp_path, "rejects", "--by", "reason")
    assert by_reason.returncode == 0, by_reason.stderr
    rows = by_reason.stdout.splitlines()
    assert len(rows) == 7
    assert rows[0].split()[0] == "2" and "invalid JSON" in rows[0]
    assert rows[0].endswith(f"(first at {log}:2)")
    assert any("type: expected output or feedback" in r for r in rows)


def test_rejects_lists_lines_newest_first_and_filters(tmp_path):
    log = _setup(tmp_path)
    _run(tmp_path, "ingest", "--once")
    proc = _run(tmp_path, "rejects", "--limit", "3")
    rows = proc.stdout.splitlines()
    assert len(rows) == 3
    assert f"{log}:9  invalid JSON" in rows[0] and f"{log}:8  native: type" in rows[1]
    assert _run(tmp_path, "rejects", "--source", "other").stdout == "no rejected lines\n"
    assert len(_run(tmp_path, "rejects", "--since", "1h").stdout.splitlines()) == 8
    bad = _run(tmp_path, "rejects", "--since", "soon")
    assert bad.returncode == 2 and "--since: expected a duration" in bad.stderr


def test_rejects_shows_stored_text_without_control_characters(tmp_path):
    _setup(tmp_path)
    _run(tmp_path, "ingest", "--once")
    conn = sqlite3.connect(tmp_path / "evaltop.db")
    conn.execute("INSERT INTO rejects (source, file, line_no, byte_offset, reason, ts) "
                 "VALUES ('app', 'x\x1b[2J.jsonl', 1, 0, 'bad \x1b]0;title\x07 [bold]x', 1e9)")
    conn.commit()
    conn.close()
    out = _run(tmp_path, "rejects", "--limit", "1").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold]x" in out  # literal text, never markup
