"""Reliability suites (issue 6): size switch and the figure each suite publishes.

``EVALTOP_RELIABILITY=long`` (``make reliability``) selects the long form; CI
(``make test``) runs the short one. Every suite calls ``figure(name, **fields)``
once; the figure is written to ``bench/results/reliability/<name>.<form>.json`` at once
(so xdist workers lose nothing) and all figures of the run are printed at the
end of the session and gathered into ``bench/results/reliability-<form>.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARTS = ROOT / "bench" / "results" / "reliability"
_STARTED = time.time()

# reliability helpers import the area helpers that live one folder up
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from suite_size import FORM  # noqa: E402


def machine() -> dict:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform()}


def format_figure(rec: dict) -> str:
    fields = " ".join(f"{k}={v}" for k, v in rec["fields"].items())
    return f"RELIABILITY {rec['name']}: {fields} ({rec['form']})"


@pytest.fixture
def figure():
    """figure(name, **fields): publish this suite's figure line."""

    def _record(name: str, **fields) -> None:
        PARTS.mkdir(parents=True, exist_ok=True)
        rec = {"name": name, "form": FORM, "fields": fields,
               "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        tmp = PARTS / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(rec))
        tmp.replace(PARTS / f"{name}.{FORM}.json")  # a short CI run never overwrites a long figure
        print(format_figure(rec))

    return _record


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not PARTS.exists():
        return
    recs = []
    for path in sorted(PARTS.glob(f"*.{FORM}.json")):
        if path.stat().st_mtime >= _STARTED - 1:
            recs.append(json.loads(path.read_text()))
    if not recs:
        return
    terminalreporter.section("reliability figures")
    for rec in recs:
        terminalreporter.write_line(format_figure(rec))
    out = ROOT / "bench" / "results" / f"reliability-{FORM}.json"
    out.write_text(json.dumps({"machine": machine(), "figures": recs}, indent=2))
    terminalreporter.write_line(f"written to {out.relative_to(ROOT)}")
