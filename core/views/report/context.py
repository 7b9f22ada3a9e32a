"""What every report section reads: the config, a connection, the window and
its baseline, and ``now``; plus the report's ISO time form and dict merge."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from evaltop.core.model.config import Config
from evaltop.core.model.window import Window


@dataclass
class ReportContext:
    cfg: Config
    conn: sqlite3.Connection
    window: Window
    baseline: Window | None = None
    now: float = field(default_factory=time.time)


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
