"""Seeding outputs/scores/labels/runs for corpus, replay, compare and shadow tests,
and a scripted candidate model for the loopback server."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from typing import Any

from evaltop.core.model.records import text_hash
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
            "INSERT INTO outputs (id, ts, model, task, prompt_version, input_text, input_json, "
            "input_hash,\n                   "
            "output_text, input_tokens, output_tokens, cost_pusd, latency_ms, error, tags_json,\n"
            "                   metadata_json, ingested_at)\n"
            "               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 10, 5, ?, ?, ?, ?, ?, ?)",
            (oid, ts, model, task, prompt_version, text, ijson, text_hash(text), output, cost_pusd,
             latency_ms, error, json.dumps(tags or []), json.dumps(metadata or {}), ts),
        )


def add_score(conn, oid: str, judge: str, passed: bool | None, *, score: float | None = None,
              kind: str = "rule", reason: str = "because", ts: float = NOW - 3600) -> None:
    with write(conn):
        conn.execute(
            "INSERT INTO scores (output_id, judge, kind, status, score, passed, reason, output_ts, "
            "created_at)\n               VALUES (?, ?, ?, 'ok', ?, ?, ?, ?, ?)",
            (
                oid,
                judge,
                kind,
                score if score is not None else (None if passed is None else float(passed)),
                None if passed is None else int(passed),
                reason,
                ts,
                ts,
            ),
        )


def add_sample(conn, oid: str, output_ts: float) -> None:
    """A pending sample (probability 1) for the live judge runner to score."""
    with write(conn):
        conn.execute(
            "INSERT INTO samples (output_id, strata, probability, status, sampled_at, output_ts)"
            " VALUES (?, 'base', 1.0, 'pending', ?, ?)",
            (oid, output_ts, output_ts),
        )


def add_label(conn, oid: str, label: str, note: str | None = None) -> None:
    with write(conn):
        conn.execute("INSERT INTO labels (output_id, label, note, ts) VALUES (?, ?, ?, ?)",
                     (oid, label, note, NOW))


def add_run(
    conn,
    run_id: str,
    verdicts: dict[str, dict[str, tuple]],
    *,
    task_of=lambda cid: "t",
    cost_pusd: int = 1000,
    latency_ms: float = 100.0,
    errors: set[str] = frozenset(),
) -> None:
    """verdicts: case_id -> judge -> (passed, score, kind)."""
    with write(conn):
        conn.execute(
            "INSERT INTO runs (run_id, candidate, model, corpus, created_at) "
            "VALUES (?, 'c', 'm', '', ?)",
            (run_id, NOW),
        )
        for cid, per in verdicts.items():
            status = "error" if cid in errors else "ok"
            conn.execute(
                "INSERT INTO run_cases (run_id, case_id, task, status, output_text, cost_pusd, "
                "latency_ms, ts)\n                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    cid,
                    task_of(cid),
                    status,
                    None if status == "error" else f"out {cid}",
                    None if status == "error" else cost_pusd,
                    latency_ms,
                    NOW,
                ),
            )
            for judge, (passed, score, kind) in per.items():
                conn.execute(
                    "INSERT INTO run_scores (run_id, case_id, judge, kind, status, score, passed, "
                    "reason, ts)\n                       VALUES (?, ?, ?, ?, 'ok', ?, ?, 'r', ?)",
                    (run_id, cid, judge, kind, score, None if passed is None else int(passed), NOW),
                )


_CASE = re.compile(r"CASE-(\d+)")


class ScriptedCandidate:
    """A loopback responder (``LoopbackLLM(responder=...)``).

    ``POST .../chat/completions`` is the candidate: it answers JSON
    ``{"name": "CASE-n"}`` (``{"phone_number": ...}`` when the input says BREAK)
    with usage 100 in / 20 out unless the input says NOUSAGE. ``script[n]`` is
    a list of (status, headers, body) replies served first for case n.
    Calls for case numbers >= ``gate_from`` wait for ``gate``.
    ``POST /v1/messages`` is an Anthropic-style judge: score 2 when the judged
    text mentions phone_number, else 4. Thread-safe; counts calls per case.
    """

    def __init__(self, *, gate: threading.Event | None = None, gate_from: int = 0,
                 script: dict[int, list] | None = None):
        self.lock = threading.Lock()
        self.calls: dict[int, int] = {}
        self.judge_calls = 0
        self.gate, self.gate_from = gate, gate_from
        self.script = {k: list(v) for k, v in (script or {}).items()}

    def __call__(self, req: dict) -> tuple[int, dict, Any]:
        msgs = req.get("messages") or []
        text = " ".join(
            m.get("content", "")
            for m in msgs
            if isinstance(m, dict) and isinstance(m.get("content"), str)
        )
        if req["_path"].endswith("/messages"):
            with self.lock:
                self.judge_calls += 1
            verdict = {"score": 2 if "phone_number" in text else 4, "reason": "scripted judge"}
            return (
                200,
                {},
                {
                    "id": "msg_j",
                    "type": "message",
                    "role": "assistant",
                    "model": req.get("model"),
                    "content": [{"type": "text", "text": json.dumps(verdict)}],
                    "stop_reason": "end_turn",
                    "usage": {"input_tokens": 50, "output_tokens": 10},
                },
            )
        m = _CASE.search(text)
        n = int(m.group(1)) if m else -1
        with self.lock:
            self.calls[n] = self.calls.get(n, 0) + 1
            scripted = self.script.get(n)
            reply = scripted.pop(0) if scripted else None
        if self.gate is not None and n >= self.gate_from:
            self.gate.wait(60)
        if reply is not None:
            return reply
        answer = json.dumps({"phone_number": "x"} if "BREAK" in text else {"name": f"CASE-{n}"})
        body: dict[str, Any] = {
            "id": "chatcmpl-x",
            "object": "chat.completion",
            "model": req.get("model"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": answer},
                }
            ],
        }
        if "NOUSAGE" not in text:
            body["usage"] = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        return 200, {}, body

    def total(self) -> int:
        with self.lock:
            return sum(self.calls.values())


def write_corpus(
    path, n: int, *, task: str = "extract", extra: dict[int, str] | None = None
) -> list[dict]:
    cases = []
    for i in range(n):
        text = f"Extract the contact from CASE-{i}. {(extra or {}).get(i, '')}"
        cases.append({"id": f"c{i:03d}", "source_output_id": f"o{i}", "task": task, "input": text,
                      "baseline_output": json.dumps({"name": f"CASE-{i}"}), "scores": {},
                      "baseline": {"latency_ms": 200.0, "cost_usd": 0.0001, "error": None}})
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    return cases


# 100 in x $1/M + 20 out x $2/M = $0.00014 = 140,000,000 picodollars per reported call
CALL_PUSD = 140_000_000

TOML = """
[store]
path = "{db}"
[pricing.models."cand-model"]
input_per_mtok = 1.0
output_per_mtok = 2.0
[pricing.models."judge-model"]
input_per_mtok = 0.5
output_per_mtok = 1.5
[models.cand]
provider = "openai"
base_url = "{base}/v1"
model = "cand-model"
concurrency = {conc}
max_retries = 3
timeout_s = 30
[[judges]]
name = "fields"
kind = "rule"
rule = "allowed_fields"
fields = ["name"]
applies_to = {{ tasks = ["extract"] }}
[[judges]]
name = "helpful"
kind = "llm"
provider = "anthropic"
base_url = "{base}"
model = "judge-model"
rubric = "Is the extraction right?"
scale = [1, 5]
pass_threshold = 3
[budgets]
judge_daily_usd = 10.0
"""


def write_config(tmp_path, base: str, conc: int = 4):
    path = tmp_path / "evaltop.toml"
    path.write_text(TOML.format(db=tmp_path / "evaltop.db", base=base, conc=conc))
    from evaltop.core.model.config import load

    return path, load(path)


def rows(db, sql, *args):
    c = sqlite3.connect(db)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()
