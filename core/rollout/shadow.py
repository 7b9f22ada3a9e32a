"""Shadow mode: send a sample of live inputs to a candidate, off the critical path.

``shadow_step`` is a job (the engine schedules it; it never sits between the
app and its users: it reads outputs already logged). Each new live output is
sampled when ``hash(seed, "shadow", output id) < [shadow] rate``, so re-runs and
several processes agree. A sampled output's input goes to the candidate and
the reply is stored in run ``shadow:<candidate>``; the live output is copied
into the companion run ``shadow-live:<candidate>``; both are keyed by the
output id and judged with the same judges (verdicts live judging already has
for an output are copied, not paid for again). ``shadow_summary`` is the paired
comparison of the two (:mod:`evaltop.core.rollout.compare`).

Inputs are sent as logged (the candidate is a model provider like the one the
app already calls); redaction applies to what goes to judges and the corpus.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path
from typing import Any

import orjson

from evaltop.core.model.config import Config
from evaltop.core.rollout.compare import compare, run_side
from evaltop.core.rollout.corpus import stored_input
from evaltop.core.rollout.replay import ReplaySummary, call_cases, candidate_model, new_owner
from evaltop.core.scoring.runs import judge_run
from evaltop.store import db as store_db
from evaltop.store import runs as store_runs

WINDOW_S = 86400.0  # outputs older than this when first seen are not shadowed
SCAN_BATCH = 2000


def run_ids(candidate: str) -> tuple[str, str]:
    """(candidate run, live run) names for a shadowed candidate."""
    return f"shadow:{candidate}", f"shadow-live:{candidate}"


def sampled(seed: str, output_id: str, rate: float) -> bool:
    h = hashlib.blake2b(f"{seed}\x00shadow\x00{output_id}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64 < rate


def _case(row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "task": row["task"],
        "model": row["model"],
        "input": stored_input(row),
        "tags": orjson.loads(row["tags_json"] or "[]"),
        "metadata": orjson.loads(row["metadata_json"] or "{}"),
    }


def shadow_step(cfg: Config, db_path: Path, *, limit: int = 50, now: float | None = None,
                judge: bool = True) -> dict[str, Any]:
    """Shadow up to ``limit`` new sampled live outputs; returns what it did."""
    sh = cfg.shadow
    if not sh.enabled:
        return {"skipped": "shadow mode is off ([shadow] enabled = false)"}
    model = candidate_model(cfg, sh.candidate)
    now = time.time() if now is None else now
    cand_run, live_run = run_ids(sh.candidate)
    mark_name = f"shadow.rowid:{sh.candidate}"
    conn = store_db.connect(db_path)
    try:
        store_runs.ensure_run(conn, cand_run, sh.candidate, model.model, "live", now)
        store_runs.ensure_run(conn, live_run, "live", "", "live", now)
        mark = store_runs.get_mark(conn, mark_name)
        picked, last = [], mark
        while len(picked) < limit:
            rows = store_runs.outputs_after(conn, last, now - WINDOW_S, SCAN_BATCH)
            if not rows:
                break
            for row in rows:
                if len(picked) >= limit:
                    break
                last = row["rowid"]
                if sampled(cfg.sampling.seed, row["id"], sh.rate):
                    picked.append(row)
            if len(rows) < SCAN_BATCH:
                break
        for row in picked:
            store_runs.record_live(conn, live_run, row, now)
        reused = store_runs.copy_live_scores(conn, live_run, [r["id"] for r in picked], now)
        cases = [_case(r) for r in picked]
        summary = ReplaySummary(run_id=cand_run, cases=len(cases))
        owner = new_owner()
        # Calls recorded for an earlier step's picks that ended in error are retried too.
        retry = [_case(r) for r in _errored(conn, cand_run)]
        todo = {c["id"]: c for c in retry + cases}
        if todo:
            asyncio.run(
                call_cases(
                    cfg,
                    conn,
                    cand_run,
                    sh.candidate,
                    list(todo.values()),
                    owner=owner,
                    summary=summary,
                )
            )
        store_runs.set_mark(conn, mark_name, last)
        out: dict[str, Any] = {"sampled": len(picked), "called": summary.called, "ok": summary.ok,
                               "errors": summary.errors, "scanned_to_rowid": last,
                               "live_verdicts_reused": reused}
        if judge and todo:
            out["judged_candidate"] = judge_run(
                cfg, db_path, cand_run, list(todo.values()), owner=owner
            )
            out["judged_live"] = judge_run(cfg, db_path, live_run, list(todo.values()), owner=owner)
        return out
    finally:
        conn.close()


def _errored(conn, run_id: str) -> list:
    ids = [r["case_id"] for r in store_runs.run_cases(conn, run_id) if r["status"] == "error"]
    return store_runs.outputs_by_ids(conn, ids)


def shadow_summary(conn, cfg: Config) -> dict[str, Any]:
    """The live paired comparison: candidate (B) against the live outputs (A)."""
    sh = cfg.shadow
    if not sh.candidate:
        return {"enabled": False}
    cand_run, live_run = run_ids(sh.candidate)
    result = compare(run_side(conn, live_run), run_side(conn, cand_run), alpha=cfg.analysis.alpha)
    result.update({"enabled": sh.enabled, "candidate": sh.candidate, "rate": sh.rate})
    return result
