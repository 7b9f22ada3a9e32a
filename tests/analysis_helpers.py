"""Builders for sampling/analysis tests: rows written straight into a real
SQLite store (fast executemany), and synthetic traffic with planted effects."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable

from evaltop.store import db

DAY = 86400.0
NOW = 1_800_000_000.0  # a fixed "now" (2027-01-15) so windows are exact


def add_outputs(conn, rows: Iterable[dict]) -> None:
    cols = ("id", "ts", "model", "task", "prompt_version", "variant", "input_text", "input_hash",
            "output_text", "finish_reason", "confidence", "error", "tags_json", "metadata_json",
            "latency_ms", "cost_pusd", "ingested_at")
    text_cols = ("model", "task", "prompt_version", "variant", "output_text")  # "" when absent
    data = []
    for r in rows:
        r = dict(r)
        r.setdefault("input_text", f"input {r['id']}")
        r.setdefault("input_hash", r["input_text"])
        r["tags_json"] = json.dumps(r.pop("tags", []))
        r["metadata_json"] = json.dumps(r.pop("metadata", {}))
        r["ingested_at"] = r["ts"]
        data.append(tuple(r.get(c, "" if c in text_cols else None) for c in cols))
    with db.write(conn):
        conn.executemany(
            f"INSERT INTO outputs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", data
        )
        # ingest keeps the hourly rollup with the rows; rebuild it the same way here
        conn.execute("DELETE FROM rollup_hourly")
        conn.execute(
            "INSERT INTO rollup_hourly (hour, model, task, prompt_version, variant, outputs, "
            "errors) SELECT CAST(ts / 3600 AS INTEGER), model, task, prompt_version, variant, "
            "COUNT(*), SUM(error IS NOT NULL) FROM outputs GROUP BY 1, 2, 3, 4, 5"
        )


def add_feedback(conn, rows: Iterable[dict]) -> None:
    data = [
        (
            r["id"],
            r["output_id"],
            r.get("ts", NOW),
            r["name"],
            r.get("value_num"),
            r.get("value_text"),
            r.get("ts", NOW),
        )
        for r in rows
    ]
    with db.write(conn):
        conn.executemany(
            "INSERT INTO feedback (id, output_id, ts, name, value_num, value_text, ingested_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            data,
        )


def add_samples(conn, rows: Iterable[tuple[str, float, float]]) -> None:
    """(output_id, probability, output_ts)."""
    with db.write(conn):
        conn.executemany(
            "INSERT INTO samples (output_id, strata, probability, status, sampled_at, output_ts) "
            "VALUES (?, 'base', ?, 'done', ?, ?)",
            [(o, p, ts, ts) for o, p, ts in rows],
        )


def add_scores(conn, rows: Iterable[dict]) -> None:
    data = [
        (
            r["output_id"],
            r["judge"],
            r.get("kind", "rule"),
            r.get("status", "ok"),
            r.get("score"),
            r.get("passed"),
            r["output_ts"],
            r["output_ts"],
        )
        for r in rows
    ]
    with db.write(conn):
        conn.executemany(
            "INSERT INTO scores (output_id, judge, kind, status, score, passed, output_ts, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            data,
        )


def judged_output(conn_rows: dict, oid: str, ts: float, passed: bool, *, task: str, model: str,
                  prompt_version: str = "v1", variant: str = "", p: float = 1.0, rng: random.Random,
                  llm: bool = True, **extra) -> None:
    """Append one output with its sample and scores (rule 'json_valid', and
    llm judge 'quality' on 1..5, pass >= 3) to the row lists in ``conn_rows``."""
    conn_rows["outputs"].append({"id": oid, "ts": ts, "task": task, "model": model,
                                 "prompt_version": prompt_version, "variant": variant, **extra})
    conn_rows["samples"].append((oid, p, ts))
    conn_rows["scores"].append(
        {
            "output_id": oid,
            "judge": "json_valid",
            "kind": "rule",
            "score": 1.0 if passed else 0.0,
            "passed": int(passed),
            "output_ts": ts,
        }
    )
    if llm:
        score = rng.choice((3, 4, 5)) if passed else rng.choice((1, 2))
        conn_rows["scores"].append(
            {
                "output_id": oid,
                "judge": "quality",
                "kind": "llm",
                "score": float(score),
                "passed": int(score >= 3),
                "output_ts": ts,
            }
        )


def new_rows() -> dict[str, list]:
    return {"outputs": [], "samples": [], "scores": []}


def flush(conn, rows: dict[str, list]) -> None:
    add_outputs(conn, rows["outputs"])
    add_samples(conn, rows["samples"])
    add_scores(conn, rows["scores"])


def planted_traffic(conn, *, seed: int, n_per_side: int = 300, planted: tuple[str, str] | None,
                    drop: float = 0.25) -> None:
    """Baseline: the 7 days before NOW - 1 day; current: the last day.

    Three tasks x two models, base pass rate 0.85 with a small random jitter
    per segment and side (noise); the ``planted`` (task, model) segment's
    pass rate falls by ``drop`` in the current window.
    """
    rng = random.Random(seed)
    rows = new_rows()
    i = 0
    for task in ("summarize", "extract", "classify"):
        for model in ("gpt-4o-mini", "claude-haiku"):
            for side, (lo, hi) in enumerate(((NOW - 8 * DAY, NOW - DAY), (NOW - DAY, NOW))):
                rate = 0.85 + rng.uniform(-0.02, 0.02)
                if side == 1 and planted == (task, model):
                    rate -= drop
                for _ in range(n_per_side):
                    i += 1
                    judged_output(rows, f"o{i}", rng.uniform(lo, hi), rng.random() < rate,
                                  task=task, model=model, rng=rng)
    flush(conn, rows)
