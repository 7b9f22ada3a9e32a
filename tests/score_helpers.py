"""`evaltop score` as a user runs it (a real process), its config file, and
outputs inserted as ingest leaves them (not yet decided for sampling)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from evaltop.store import db as store_db


def write_config(tmp_path: Path, judges: list[dict], extra: str = "") -> Path:
    """evaltop.toml with the store in tmp_path, ``extra`` TOML, then the judges."""
    path = tmp_path / "evaltop.toml"
    body = f'[store]\npath = "{tmp_path / "evaltop.db"}"\n' + extra
    for judge in judges:
        body += "\n[[judges]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in judge.items())
    path.write_text(body, encoding="utf-8")
    return path


def evaltop_score(cfg: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "evaltop.tui.cli.main", "score", "--config", str(cfg), *args],
        capture_output=True, text=True, timeout=300)


def pending(db_path: Path) -> int:
    c = store_db.connect(db_path, migrate=False)
    try:
        return c.execute("SELECT COUNT(*) FROM samples WHERE status = 'pending'").fetchone()[0]
    finally:
        c.close()


def add_outputs(conn: sqlite3.Connection, n: int, *, ts: float | None = None,
                prefix: str = "r") -> list[str]:
    """``n`` outputs with no sample row, as ingest stores them."""
    ts = time.time() - 3600 if ts is None else ts
    ids = [f"{prefix}{i}" for i in range(n)]
    with store_db.write(conn):
        conn.executemany(
            "INSERT INTO outputs (id, ts, model, task, input_text, output_text, latency_ms, "
            "tags_json, ingested_at) VALUES (?, ?, 'gpt-4o-mini', 'chat', 'What is it?', "
            "'It is 42.', 500.0, '[]', ?)",
            [(oid, ts + i * 0.001, ts) for i, oid in enumerate(ids)])
    return ids
