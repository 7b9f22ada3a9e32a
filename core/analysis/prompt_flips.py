"""Prompt-level regressions: the same input (normalised hash) passed a judge
in the baseline and fails it now, with both outputs side by side
(docs/analysis.md "Prompt-level regressions")."""

from __future__ import annotations

import sqlite3
from typing import Any

from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as q

TEXT_LIMIT = 2000


def prompt_regressions(conn: sqlite3.Connection, current: Window, baseline: Window,
                       limit: int = 50) -> list[dict[str, Any]]:
    """Inputs (same normalised hash) that passed a judge in the baseline and fail
    it now, newest first, with both outputs."""
    hits = q.prompt_regressions(conn, (current.since, current.until),
                                (baseline.since, baseline.until), limit)
    brief = q.outputs_brief(conn, [h["cur_id"] for h in hits] + [h["base_id"] for h in hits])

    def side(oid: str) -> dict[str, Any]:
        o = brief[oid]
        return {"output_id": oid, "ts": o["ts"], "model": o["model"],
                "prompt_version": o["prompt_version"], "variant": o["variant"],
                "output_text": o["output_text"][:TEXT_LIMIT]}

    out = []
    for h in hits:
        if h["cur_id"] not in brief or h["base_id"] not in brief:
            continue
        cur_o = brief[h["cur_id"]]
        out.append({"judge": h["judge"], "input_hash": h["input_hash"], "task": cur_o["task"],
                    "input_text": cur_o["input_text"][:TEXT_LIMIT],
                    "baseline": side(h["base_id"]), "current": side(h["cur_id"])})
    return out
