"""Helpers for the ingest/tail tests: native log lines, configs, counts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

BASE_TS = 1_767_225_600.0  # 2026-01-01T00:00:00Z, an hour boundary


def native(i: int, *, model: str = "gpt-4o-mini", ts: float | None = None, usage: bool = True,
           task: str = "qa", pad: int = 0, **extra) -> dict:
    """A native output record with a stable id ``o{i}``."""
    rec = {
        "id": f"o{i}",
        "ts": BASE_TS + i if ts is None else ts,
        "model": model,
        "task": task,
        "input": f"question {i}" + " lorem" * pad,
        "output": f"answer {i}",
    }
    if usage:
        rec["usage"] = {"input_tokens": 100 + i, "output_tokens": 10 + i}
    rec.update(extra)
    return rec


def line(obj: dict) -> bytes:
    return (json.dumps(obj) + "\n").encode()


def write_lines(path: Path, objs, *, mode: str = "ab") -> None:
    with open(path, mode) as fh:
        for o in objs:
            fh.write(line(o) if isinstance(o, dict) else o)


def source_config(make_config, pattern: str, **source) -> object:
    src = {"name": "app", "path": pattern, "format": "native"}
    src.update(source)
    return make_config({"sources": [src]})


def ids(conn: sqlite3.Connection) -> list[str]:
    return sorted(r[0] for r in conn.execute("SELECT id FROM outputs"))


def count(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def counter(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
    return row[0] if row else 0
