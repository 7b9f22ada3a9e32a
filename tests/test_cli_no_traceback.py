"""No command prints a Python traceback for a user error; an unexpected
error is one line naming the file that holds its trace (issue 12, item 4).
Real processes, except for the engine's own log record."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evaltop.core.model.config import ConfigError
from evaltop.core.ops.engine import Engine
from evaltop.core.ops.jobs import JobSpec

EXE = str(Path(sys.executable).with_name("evaltop"))


@pytest.fixture
def cfg_and_db(make_config, db_path):
    return make_config({}), db_path

JUDGE = """
[[sources]]
name = "app"
path = "logs/*.jsonl"
[[judges]]
name = "quality"
kind = "llm"
provider = "anthropic"
base_url = "http://127.0.0.1:9"
model = "claude-haiku-4-5"
api_key_env = "EVALTOP_TEST_UNSET_KEY"
rubric = "Is it good?"
"""


def _run(tmp_path: Path, *argv: str, exe: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EVALTOP_TEST_UNSET_KEY"}
    env["EVALTOP_HOME"] = str(tmp_path / "home")
    return subprocess.run([*(exe or [EXE]), *argv], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120, stdin=subprocess.DEVNULL)


def test_an_unset_api_key_env_is_one_line_without_a_traceback(tmp_path):
    (tmp_path / "evaltop.toml").write_text(JUDGE)
    proc = _run(tmp_path, "score", "--once")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "evaltop: judges[0] (quality).api_key_env: environment variable "
        "EVALTOP_TEST_UNSET_KEY is not set (the API key for judge 'quality')"
    ], proc.stderr


def test_a_store_folder_that_cannot_be_made_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "evaltop.toml").write_text(
        f'[store]\npath = "{tmp_path / "file" / "sub" / "e.db"}"\n'
        '[[sources]]\nname = "app"\npath = "logs/*.jsonl"\n')
    for argv in (["ingest", "--once"], ["score", "--once"]):
        proc = _run(tmp_path, *argv)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.splitlines()[-1:]
        assert "Traceback" not in proc.stderr
        assert line.startswith(f"evaltop: {tmp_path / 'file' / 'sub' / 'e.db'}: cannot create")


def test_init_into_a_missing_folder_is_one_line(tmp_path):
    proc = _run(tmp_path, "--config", "no/such/dir/evaltop.toml", "init")
    assert proc.returncode == 2
    assert proc.stderr == "evaltop: no/such/dir/evaltop.toml: cannot write: " \
                          "no such file or directory\n"


# A command that fails the way a bug would, registered in a real process.
_BUGGY = """
import sys
import click
from evaltop.tui.cli.main import cli, main

@cli.command("boom")
def boom():
    raise RuntimeError("the frobnicator broke\\nsecond line")

main(sys.argv[1:])
"""


def test_an_unexpected_error_is_one_line_and_its_trace_goes_to_a_file(tmp_path):
    proc = _run(tmp_path, "boom", exe=[sys.executable, "-c", _BUGGY])
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert line.startswith("evaltop: unexpected error: RuntimeError: the frobnicator broke "
                           "(full trace in ")
    assert line.endswith("(--debug prints the trace)")
    path = Path(line.split("(full trace in ", 1)[1].split(")", 1)[0])
    assert path.parent == tmp_path / "home" / "traces"
    text = path.read_text()
    assert "Traceback (most recent call last)" in text and "the frobnicator broke" in text


def test_debug_prints_the_trace_instead(tmp_path):
    proc = _run(tmp_path, "--debug", "boom", exe=[sys.executable, "-c", _BUGGY])
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert "RuntimeError: the frobnicator broke" in proc.stderr
    assert not (tmp_path / "home" / "traces").exists()


def test_a_failing_job_logs_one_line_and_writes_its_trace(cfg_and_db, caplog, tmp_path,
                                                          monkeypatch):
    monkeypatch.setenv("EVALTOP_HOME", str(tmp_path / "home"))
    cfg, db_path = cfg_and_db

    def config_problem(engine):
        raise ConfigError("judges[0].model: unpriced")

    engine = Engine(cfg, db_path, jobs=[JobSpec("bug", 60, lambda e: 1 / 0),
                                        JobSpec("user", 60, config_problem)])
    try:
        with caplog.at_level(logging.INFO, logger="evaltop.core.ops.engine"):
            result = engine.run_once()
    finally:
        engine.stop()
    assert result["user"] == {"error": "ConfigError: judges[0].model: unpriced",
                              "config_error": True}
    records = {r.getMessage().split(":")[0]: r for r in caplog.records if "failed" in r.msg}
    assert all(r.exc_info is None for r in records.values())  # no trace on stderr
    assert records["job user failed"].levelno == logging.INFO
    bug = records["job bug failed"]
    assert bug.levelno == logging.ERROR and "(full trace in " in bug.getMessage()
    [trace] = (tmp_path / "home" / "traces").iterdir()
    assert "ZeroDivisionError" in trace.read_text()
