"""`evaltop report`: one JSON-shaped dict assembled from per-area sections.

Each area contributes from its own module (see ``SECTION_MODULES``) through
three optional functions:

- ``report_section(ctx: ReportContext) -> dict``: keys merged (deeply) into
  the report; areas may share a top-level key such as ``spend``;
- ``markdown(report: dict) -> list[str]``: its part of the markdown/text form;
- ``failures(report: dict, conditions: set[str]) -> list[str]``: why
  ``--fail-on`` should exit 1 (e.g. "regression", "budget").

Key names are a public contract (README "Report schema"): add, never rename.
"""

from __future__ import annotations

import importlib
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

from .config import Config
from .window import Window

SECTION_MODULES = (
    "evaltop.core.ingest_report",
    "evaltop.core.judges.report",
    "evaltop.core.analysis.report",
    "evaltop.core.alerts",
    "evaltop.core.shadow",
)


@dataclass
class ReportContext:
    cfg: Config
    conn: sqlite3.Connection
    window: Window
    baseline: Window | None = None
    now: float = field(default_factory=time.time)


def _modules() -> list[ModuleType]:
    mods = []
    for name in SECTION_MODULES:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return mods


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def deep_merge(into: dict, more: dict) -> dict:
    for k, v in more.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            deep_merge(into[k], v)
        else:
            into[k] = v
    return into


def build(ctx: ReportContext) -> dict[str, Any]:
    report: dict[str, Any] = {
        "window": {"since": iso(ctx.window.since), "until": iso(ctx.window.until)},
    }
    if ctx.baseline is not None:
        report["baseline_window"] = {"since": iso(ctx.baseline.since), "until": iso(ctx.baseline.until)}
    for mod in _modules():
        fn = getattr(mod, "report_section", None)
        if fn is not None:
            deep_merge(report, fn(ctx))
    return report


def markdown(report: dict[str, Any]) -> str:
    w = report["window"]
    lines = ["# evaltop report", "", f"Window: {w['since'] or 'beginning'} to {w['until']}", ""]
    for mod in _modules():
        fn = getattr(mod, "markdown", None)
        if fn is not None:
            part = fn(report)
            if part:
                lines += part + [""]
    return "\n".join(lines).rstrip() + "\n"


def failures(report: dict[str, Any], conditions: set[str]) -> list[str]:
    out: list[str] = []
    for mod in _modules():
        fn = getattr(mod, "failures", None)
        if fn is not None:
            out += fn(report, conditions)
    return out
