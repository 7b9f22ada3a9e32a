"""Usage errors are one line naming the argument, exit 2, no traceback."""

import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("evaltop"))


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["spend", "--by", "nonsense"], "'--by'"),
        (["frob"], "No such command 'frob'"),
        (["replay"], "Missing argument"),
        (["report", "--format", "pdf"], "'--format'"),
        (["cases", "--limit", "many"], "'--limit'"),
    ],
)
def test_usage_errors_are_one_line(tmp_path, argv, needle):
    proc = subprocess.run([EXE, *argv], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("evaltop: ") and needle in lines[0] and "--help" in lines[0]
    assert not any(tmp_path.iterdir()), "a usage error wrote files"


def test_help_and_version_exit_zero(tmp_path):
    for argv in (["--help"], ["--version"], ["report", "--help"]):
        proc = subprocess.run([EXE, *argv], capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0 and proc.stdout and not proc.stderr, argv
