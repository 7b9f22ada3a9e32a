"""A configured source that cannot be read is named, with why (issue 12, item 2).

These tests run as root in CI containers, where ``chmod 000`` does not stop a
read: the real unreadable paths used are a directory given as ``path``, a FIFO
matched by the glob, and a path whose parent is a file. Permission denied is
tested too when the tests do not run as root.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from ingest_helpers import native, write_lines
from tui_helpers import NOW, seed, seed_config, settle

from evaltop.core.ingest.pipeline import Ingestor
from evaltop.core.model.config import load
from evaltop.store import db as store_db
from evaltop.store import source_status
from evaltop.tui.app import EvaltopApp

EXE = str(Path(sys.executable).with_name("evaltop"))


def _config(tmp_path: Path, *paths: str) -> Path:
    text = f'[store]\npath = "{tmp_path / "e.db"}"\n'
    for i, p in enumerate(paths):
        text += f'[[sources]]\nname = "s{i}"\npath = "{p}"\nformat = "native"\n'
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(text)
    return cfg


def _ingest(tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, "ingest", "--once"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)


def _status(tmp_path: Path) -> list[tuple]:
    conn = sqlite3.connect(tmp_path / "e.db")
    try:
        return conn.execute("SELECT source, path, reason FROM source_status").fetchall()
    finally:
        conn.close()


def test_a_directory_as_path_is_named_and_fails_ingest_once(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    write_lines(logs / "a.jsonl", [native(1)])
    _config(tmp_path, str(logs))
    for _ in range(2):  # said on every run while it lasts
        proc = _ingest(tmp_path)
        assert proc.returncode == 1, proc.stderr
        assert (f"evaltop: error: source 's0': {logs}: is a directory "
                "(name its files, e.g. DIR/*.jsonl)") in proc.stderr
        assert "could not read source(s) 's0' at all" in proc.stderr
        assert "Traceback" not in proc.stderr
    why = "is a directory (name its files, e.g. DIR/*.jsonl)"
    assert _status(tmp_path) == [("s0", str(logs), why)]


def test_a_fifo_beside_readable_files_is_a_warning_and_alone_an_error(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    os.mkfifo(logs / "pipe.jsonl")
    (logs / "archive").mkdir()  # a directory a glob matches is not a problem
    _config(tmp_path, f"{logs}/*")
    proc = _ingest(tmp_path)
    assert proc.returncode == 1
    assert f"evaltop: error: source 's0': {logs / 'pipe.jsonl'}: not a regular file (a FIFO)" \
        in proc.stderr
    assert "archive" not in proc.stderr
    write_lines(logs / "a.jsonl", [native(1), native(2)])
    proc = _ingest(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "evaltop: warning: source 's0'" in proc.stderr and "(a FIFO)" in proc.stderr
    assert "2 outputs" in proc.stdout


def test_a_parent_that_is_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    _config(tmp_path, str(tmp_path / "notes.txt" / "app.jsonl"))
    proc = _ingest(tmp_path)
    assert proc.returncode == 1
    assert "notes.txt/app.jsonl: a parent of this path is a file, not a directory" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_permission_denied(tmp_path):
    log = tmp_path / "a.jsonl"
    write_lines(log, [native(1)])
    log.chmod(0)
    try:
        _config(tmp_path, str(log))
        proc = _ingest(tmp_path)
    finally:
        log.chmod(0o644)
    assert proc.returncode == 1
    assert f"source 's0': {log}: permission denied" in proc.stderr


def test_the_state_is_said_once_per_change_and_cleared_when_fixed(tmp_path):
    target = tmp_path / "app.jsonl"
    target.mkdir()  # the path names a directory for now
    cfg = load(_config(tmp_path, str(target)))
    ing = Ingestor(cfg, tmp_path / "e.db")
    try:
        first, second = ing.poll(), ing.poll()
        assert first.changes == [f"source 's0': {target}: is a directory "
                                 "(name its files, e.g. DIR/*.jsonl)"]
        assert second.changes == [] and second.unread_sources == ["s0"]
        assert [p.path for p in second.problems] == [str(target)]
        target.rmdir()
        write_lines(target, [native(1)])
        fixed = ing.poll()
        assert fixed.changes == [f"source 's0': {target}: readable again"]
        assert fixed.outputs == 1 and fixed.problems == [] and fixed.unread_sources == []
        assert source_status.current(ing.conn) == []
    finally:
        ing.close()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_overview_shows_an_unreadable_source_without_markup(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    conn = store_db.connect(db)
    with store_db.write(conn):
        source_status.replace(conn, ["app"], {("app", "/logs/[bold]x\x1b[31m"): "is a directory"},
                              NOW - 60)
    conn.close()
    app = EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        summary = app.screen.query_one("#summary").render()
        text = str(summary)
        assert "cannot read source app /logs/[bold]x" in text and ": is a directory" in text
        assert "\x1b" not in text
