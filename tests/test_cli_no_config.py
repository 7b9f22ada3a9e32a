"""A missing config file is said as such, and plain `evaltop` in a folder
with no config creates nothing (issue 12, item 3). Real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("evaltop"))


def _run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *argv], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("argv", [
    ["--config", "nope.toml", "ingest", "--once"],
    ["ingest", "--once", "--config", "nope.toml"],
    ["--config", "nope.toml"],
    ["--config", "nope.toml", "spend"],
    ["--config", "nope.toml", "score", "--once"],
    ["--config", "nope.toml", "report"],
])
def test_a_named_config_that_does_not_exist_is_not_found(tmp_path, argv):
    proc = _run(tmp_path, *argv)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == ["evaltop: nope.toml: config file not found "
                     "(`evaltop init --config nope.toml` writes one)"], proc.stderr
    assert "[[sources]]" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_plain_evaltop_with_no_config_offers_init_and_demo_and_creates_nothing(tmp_path):
    proc = _run(tmp_path)
    assert proc.returncode == 2
    assert "no evaltop.toml here" in proc.stderr
    assert "evaltop init" in proc.stderr and "evaltop demo" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no evaltop.db, no WAL files


def test_ingest_with_no_config_offers_init(tmp_path):
    proc = _run(tmp_path, "ingest", "--once")
    assert proc.returncode == 2
    assert "no evaltop.toml here" in proc.stderr and "evaltop init" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_init_with_a_new_config_name_still_writes_it(tmp_path):
    proc = _run(tmp_path, "--config", "mine.toml", "init")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "mine.toml").exists()


@pytest.mark.parametrize("argv", [["score", "--once"], ["run", "--seconds", "1"], ["tui"]])
def test_commands_that_would_only_make_an_empty_database_refuse(tmp_path, argv):
    proc = _run(tmp_path, *argv)
    assert proc.returncode == 2, proc.stderr
    assert "no evaltop.toml here" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_existing_database_opens_without_a_config(tmp_path):
    (tmp_path / "x.toml").write_text('[[sources]]\nname = "a"\npath = "none/*.jsonl"\n'
                                     f'[store]\npath = "{tmp_path / "e.db"}"\n')
    assert _run(tmp_path, "--config", "x.toml", "ingest", "--once").returncode == 0
    (tmp_path / "x.toml").unlink()
    proc = _run(tmp_path, "--db", "e.db", "score", "--once")
    assert proc.returncode == 0, proc.stderr
