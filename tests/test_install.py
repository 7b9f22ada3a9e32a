"""The package installs as a wheel too, not only editable: a fresh virtualenv
gets the built wheel, and the console script and package data work there.
The wheel is built from a copy of the source, so the build leaves no
``build/`` folder in the tree."""

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    os.environ.get("EVALTOP_SKIP_WHEEL_TEST") == "1", reason="EVALTOP_SKIP_WHEEL_TEST=1"
)
def test_wheel_installs_and_runs(tmp_path):
    dist, src = tmp_path / "dist", tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis",
        "bench", "tests", "*.db", "*.db-*"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("evaltop-*.whl"))
    with zipfile.ZipFile(wheel) as zf:  # license = "MIT" ships its text
        licenses = [n for n in zf.namelist() if n.endswith("/LICENSE")]
        assert licenses and "MIT License" in zf.read(licenses[0]).decode()

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # Dependencies come from the index (or pip's cache); the project from the wheel only.
    inst = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=900)
    assert inst.returncode == 0, inst.stderr[-2000:]

    work = tmp_path / "work"
    work.mkdir()
    exe = env_dir / "bin" / "evaltop"
    help_out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, cwd=work)
    assert help_out.returncode == 0 and "init" in help_out.stdout
    init = subprocess.run([str(exe), "init"], capture_output=True, text=True, cwd=work)
    assert init.returncode == 0, init.stderr
    assert "[[sources]]" in (work / "evaltop.toml").read_text()
    probe = subprocess.run(
        [
            str(py),
            "-c",
            "import evaltop.core.ingest.pricing as p, evaltop.store.db, evaltop.tui.cli.main;"
            "print(p.__file__); print(len(p.PriceBook.builtin().models()))",
        ],
        capture_output=True,
        text=True,
        cwd=work,
    )
    assert probe.returncode == 0, probe.stderr
    where, n = probe.stdout.split()
    assert str(env_dir) in where and str(ROOT) not in where
    assert int(n) > 20
