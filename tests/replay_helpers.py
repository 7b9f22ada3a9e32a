"""Seeding outputs/scores/labels/runs for corpus, replay, compare and shadow tests,
and a scripted candidate model for the loopback server."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from evaltop.core.records import text_hash
from evaltop.store.db import write

NOW = 1_790_000_000.0  # fixed "now" for windowed queries


def add_output(conn, oid: str, *, input: Any = "hello", output: str = "ok", task: str = "t",
               model: str = "gpt-4o-mini", ts: float = NOW - 3600, error: str | None = None,
               tags: list | None = None, metadata: dict | None = None, latency_ms: float = 100.0,
               cost_pusd: int | None = 1000, prompt_version: str = "v1") -> None:
    if isinstance(input, list):
        text = "\n".join(f"{m['role']}: {m['content']}" for m in input)
        ijson = json.dumps(input)
    else:
        text, ijson = input, None
    with write(conn):
        conn.execute(
            """INSERT INTO outputs (id, ts, model, task, prompt_version, input_text, input_json, input_hash,
                   output_text, input_tokens, output_tokens, cost_pusd, latency_ms, error, tags_json,
                   metadata_json, ingested_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 10, 5, ?, ?, ?, ?, ?, ?)""",
            (oid, ts, model, task, prompt_version, text, ijson, text_hash(text), output, cost_pusd,
             latency_ms, error, json.dumps(tags or []), json.dumps(metadata or {}), ts),
        )


def add_score(conn, oid: str, judge: str, passed: bool | None, *, score: float | None = None,
              kind: str = "rule", reason: str = "because", ts: float = NOW - 3600) -> None:
    with write(conn):
        conn.execute(
            """INSERT INTO scores (output_id, judge, kind, status, score, passed, reason, output_ts, created_at)
               VALUES (?, ?, ?, 'ok', ?, ?, ?, ?, ?)""",
            (oid, judge, kind, score if score is not None else (None if passed is None else float(passed)),
             None if passed is None else int(passed), reason, ts, ts),
        )


def add_label(conn, oid: str, label: str, note: str | None = None) -> None:
    with write(conn):
        conn.execute("INSERT INTO labels (output_id, label, note, ts) VALUES (?, ?, ?, ?)",
                     (oid, label, note, NOW))


def add_run(conn, run_id: str, verdicts: dict[str, dict[str, tuple]], *, task_of=lambda cid: "t",
            cost_pusd: int = 1000, latency_ms: float = 100.0, errors: set[str] = frozenset()) -> None:
    """verdicts: case_id -> judge -> (passed, score, kind)."""
    with write(conn):
        conn.execute("INSERT INTO runs (run_id, candidate, model, corpus, created_at) VALUES (?, 'c', 'm', '', ?)",
                     (run_id, NOW))
        for cid, per in verdicts.items():
            status = "error" if cid in errors else "ok"
            conn.execute(
                """INSERT INTO run_cases (run_id, case_id, task, status, output_text, cost_pusd, latency_ms, ts)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (run_id, cid, task_of(cid), status, None if status == "error" else f"out {cid}",
                 None if status == "error" else cost_pusd, latency_ms, NOW),
            )
            for judge, (passed, score, kind) in per.items():
                conn.execute(
                    """INSERT INTO run_scores (run_id, case_id, judge, kind, status, score, passed, reason, ts)
                       VALUES (?, ?, ?, ?, 'ok', ?, ?, 'r', ?)""",
                    (run_id, cid, judge, kind, score, None if passed is None else int(passed), NOW),
                )


_CASE = re.compile(r"CASE-(\d+)")


class ScriptedCandidate:
    """A candidate model for LoopbackLLM(responder=...): answers `{"answer": "..."}`
    JSON (or a bad field for inputs containing BREAK), with usage unless the input
    says NOUSAGE; counts calls per case number (thread-safe)."""

    def __init__(self, *, gate: threading.Event | None = None):
        self.lock = threading.Lock()
        self.calls: dict[str, int] = {}
        self.gate = gate

    def __call__(self, req: dict) -> tuple[int, dict, Any]:
        msgs = req.get("messages") or []
        text = " ".join(m.get("content", "") for m in msgs if isinstance(m, dict))
        m = _CASE.search(text)
        key = m.group(0) if m else text[:20]
        with self.lock:
            self.calls[key] = self.calls.get(key, 0) + 1
        if self.gate is not None:
            self.gate.wait(30)
        answer = json.dumps({"phone_number": "x"} if "BREAK" in text else {"name": key})
        body: dict[str, Any] = {
            "id": "chatcmpl-x", "object": "chat.completion", "model": req.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}],
        }
        if "NOUSAGE" not in text:
            body["usage"] = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        return 200, {}, body

    def total(self) -> int:
        with self.lock:
            return sum(self.calls.values())


def write_corpus(path, n: int, *, task: str = "extract", extra: dict[int, str] | None = None) -> list[dict]:
    cases = []
    for i in range(n):
        text = f"Extract the contact from CASE-{i}. {(extra or {}).get(i, '')}"
        cases.append({"id": f"c{i:03d}", "source_output_id": f"o{i}", "task": task, "input": text,
                      "baseline_output": json.dumps({"name": f"CASE-{i}"}), "scores": {},
                      "baseline": {"latency_ms": 200.0, "cost_usd": 0.0001, "error": None}})
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return cases
