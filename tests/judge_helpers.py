"""Seed outputs and pending samples for judge tests; judge config builders."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from typing import Any

from evaltop.store import db

# claude-haiku-4-5 in the built-in table: $1 in / $5 out per million tokens.
JUDGE_MODEL = "claude-haiku-4-5"
IN_PUSD, OUT_PUSD = 1_000_000, 5_000_000  # picodollars per token


def cost(inp: int, out: int) -> int:
    return inp * IN_PUSD + out * OUT_PUSD


def seed(conn: sqlite3.Connection, n: int = 1, *, model: str = "gpt-4o-mini", task: str = "chat",
         output: str | list[str] = "The answer is 42.", input_text: str = "What is the answer?",
         tags: list[str] | None = None, prefix: str = "o", ts: float | None = None) -> list[str]:
    """Insert ``n`` outputs, each with a pending sample; returns their ids."""
    ts = time.time() - 60 if ts is None else ts
    ids = []
    with db.write(conn):
        for i in range(n):
            oid = f"{prefix}{i}"
            text = output[i] if isinstance(output, list) else output
            conn.execute(
                "INSERT INTO outputs (id, ts, model, task, input_text, output_text, latency_ms,\n"
                "                                        tags_json, ingested_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (oid, ts + i * 0.001, model, task, input_text, text, 500.0,
                 json.dumps(tags or []), ts),
            )
            conn.execute(
                "INSERT INTO samples (output_id, probability, sampled_at, output_ts) "
                "VALUES (?, 1.0, ?, ?)",
                (oid, ts, ts + i * 0.001),
            )
            ids.append(oid)
    return ids


def llm_judge(base_url: str, **kw: Any) -> dict:
    judge = {"name": "quality", "kind": "llm", "provider": "openai", "base_url": base_url,
             "model": JUDGE_MODEL, "rubric": "Grade correctness.", "scale": [1, 5],
             "pass_threshold": 3, "concurrency": 8, "timeout_s": 60, "deadline_s": 120,
             "max_output_tokens": 100}
    judge.update(kw)
    return judge


def rows(conn: sqlite3.Connection, sql: str, *args: Any) -> list[dict]:
    return [dict(r) for r in conn.execute(sql, args)]


def _watch_ledger(db_path, stop: threading.Event, seen: list[int]) -> None:
    """Record settled + reserved after every commit we can observe."""
    c = db.connect(db_path, migrate=False)
    try:
        while not stop.is_set():
            seen.append(
                c.execute(
                    "SELECT COALESCE(SUM(amount_pusd), 0) FROM ledger "
                    "WHERE state IN ('reserved', 'settled')"
                ).fetchone()[0]
            )
    finally:
        c.close()


def score_watching_ledger(cfg, db_path):
    """score_pending while another connection samples settled + reserved spend
    as fast as it can; returns (summary, every sum it saw)."""
    from evaltop.core.scoring.judges.runner import score_pending

    stop, seen = threading.Event(), []
    watcher = threading.Thread(target=_watch_ledger, args=(db_path, stop, seen))
    watcher.start()
    try:
        summary = score_pending(cfg, db_path)
    finally:
        stop.set()
        watcher.join()
    return summary, seen
