"""Figures the reliability suites publish, and the end-of-run summary.

The summary runs from the root ``tests/conftest.py`` so that it also prints
under pytest-xdist, whose controller never imports this folder's conftest.

Where the figures are kept (:func:`results_dir`): ``$EVALTOP_RELIABILITY_OUT``
when set; ``bench/results`` when a form was asked for
(``EVALTOP_RELIABILITY=long`` from ``make reliability``, or ``medium``);
otherwise (a plain ``make test``) a temporary folder of the run, so tests
never write into the source tree. :func:`choose_results_dir` picks it once,
in the controller, and passes it to xdist workers through the environment.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT_ENV = "EVALTOP_RELIABILITY_OUT"
_made_temp: str | None = None  # the temporary folder this process made (the controller)


def choose_results_dir() -> None:
    """Set ``$EVALTOP_RELIABILITY_OUT`` for this run unless the caller did."""
    global _made_temp
    if os.environ.get(OUT_ENV):
        return
    if os.environ.get("EVALTOP_RELIABILITY") in ("long", "medium"):
        os.environ[OUT_ENV] = str(ROOT / "bench" / "results")
    else:
        _made_temp = os.environ[OUT_ENV] = tempfile.mkdtemp(prefix="evaltop-reliability-")


def drop_temp_results_dir() -> None:
    """Remove the temporary folder :func:`choose_results_dir` made, if any."""
    global _made_temp
    if _made_temp:
        shutil.rmtree(_made_temp, ignore_errors=True)
        if os.environ.get(OUT_ENV) == _made_temp:
            del os.environ[OUT_ENV]
        _made_temp = None


def results_dir() -> Path:
    """Where this run's figures go (see the module doc)."""
    if not os.environ.get(OUT_ENV):
        choose_results_dir()
    return Path(os.environ[OUT_ENV])


def parts_dir() -> Path:
    """One file per suite: ``<suite>.<form>.json``."""
    return results_dir() / "reliability"


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
    parts = parts_dir()
    if not parts.exists():
        return
    recs = []
    for path in sorted(parts.glob(f"*.{form}.json")):
        if path.stat().st_mtime >= started - 1:
            recs.append(json.loads(path.read_text()))
    if not recs:
        return
    terminalreporter.section("reliability figures")
    for rec in recs:
        terminalreporter.write_line(format_figure(rec))
    if _made_temp:
        terminalreporter.write_line(f"(not kept: set {OUT_ENV}=DIR to keep them)")
        return
    out = results_dir() / f"reliability-{form}.json"
    out.write_text(json.dumps({"machine": machine(), "figures": recs}, indent=2))
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    terminalreporter.write_line(f"written to {shown}")
