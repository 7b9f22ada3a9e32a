"""Reliability suites (issue 6): size switch and the figure each suite publishes.

``EVALTOP_RELIABILITY=long`` (``make reliability``) selects the long form; CI
(``make test``) runs the short one. Every suite calls ``figure(name, **fields)``
once; the figure is written to ``<results>/reliability/<name>.<form>.json`` at once
(so xdist workers lose nothing) and all figures of the run are printed at the
end of the session and gathered into ``<results>/reliability-<form>.json``.
``<results>`` is ``bench/results`` for ``make reliability`` and a temporary
folder for a plain test run (see ``figures.results_dir``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# reliability helpers import the area helpers that live one folder up
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import format_figure, parts_dir  # noqa: E402
from suite_size import FORM  # noqa: E402


@pytest.fixture
def figure():
    """figure(name, **fields): publish this suite's figure line."""

    def _record(name: str, **fields) -> None:
        parts = parts_dir()
        parts.mkdir(parents=True, exist_ok=True)
        rec = {"name": name, "form": FORM, "fields": fields,
               "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        tmp = parts / f".{name}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(rec))
        tmp.replace(parts / f"{name}.{FORM}.json")  # a short CI run never overwrites a long figure
        print(format_figure(rec))

    return _record
