"""Figures the reliability suites publish, and the end-of-run summary.

The summary runs from the root ``tests/conftest.py`` so that it also prints
under pytest-xdist, whose controller never imports this folder's conftest.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARTS = ROOT / "bench" / "results" / "reliability"


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


def summary(terminalreporter, form: str, started: float) -> None:
    """Print every figure written during this run and gather them in one file."""
    if not PARTS.exists():
        return
    recs = []
    for path in sorted(PARTS.glob(f"*.{form}.json")):
        if path.stat().st_mtime >= started - 1:
            recs.append(json.loads(path.read_text()))
    if not recs:
        return
    terminalreporter.section("reliability figures")
    for rec in recs:
        terminalreporter.write_line(format_figure(rec))
    out = ROOT / "bench" / "results" / f"reliability-{form}.json"
    out.write_text(json.dumps({"machine": machine(), "figures": recs}, indent=2))
    terminalreporter.write_line(f"written to {out.relative_to(ROOT)}")
