"""Judge the outputs of a run (replay or shadow) with the configured judges.

The same judges as live traffic: rule checks through
:func:`evaltop.core.scoring.judges.rules.rule_verdicts` (free) and LLM/demo
judges through :func:`evaltop.core.scoring.judges.runner.judge_subjects`
(their calls are metered in ``judge_calls`` with this ``run_id`` under the
judge budget). Verdicts go to ``run_scores``; a (case, judge) pair already holding
one is never judged again, so resuming costs nothing twice.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from evaltop.core.model.config import Config
from evaltop.core.model.records import input_text
from evaltop.core.scoring.judges.rules import compile_rules, rule_verdicts
from evaltop.core.scoring.judges.runner import judge_subjects
from evaltop.core.scoring.judges.subject import Subject, applies
from evaltop.store import db as store_db
from evaltop.store import runs as store_runs


def subject_for(case: dict, row, model: str) -> Subject:
    """The judged subject for a run case (``row`` is its run_cases row); the
    model is the run's candidate, or the case's own for a copy of live outputs."""
    return Subject(
        id=case["id"],
        output_text=row["output_text"] or "",
        input_text=input_text(case.get("input")),
        model=model or case.get("model", "") or "",
        task=case.get("task", "") or "",
        tags=tuple(str(t) for t in case.get("tags") or ()),
        latency_ms=row["latency_ms"],
        error=row["error"],
        ts=row["ts"],
        metadata=case.get("metadata") or {},
    )


def rule_rows(cfg: Config, run_id: str, subjects: list[Subject], done: set[tuple[str, str]],
              now: float) -> list[tuple]:
    """run_scores rows for every applicable rule judge not yet recorded."""
    return [(run_id, v.subject_id, v.judge, "rule", v.status, v.score,
             None if v.passed is None else int(v.passed), v.reason, v.error, now)
            for v in rule_verdicts(compile_rules(cfg), subjects, done)]


def judge_run(
    cfg: Config, db_path: Path, run_id: str, cases: list[dict], *, owner: str = ""
) -> dict:
    """Judge every ok case of the run; returns counts per kind."""
    conn = store_db.connect(db_path)
    try:
        run = store_runs.get_run(conn, run_id)
        rows = {r["case_id"]: r for r in store_runs.run_cases(conn, run_id) if r["status"] == "ok"}
        subjects = [subject_for(c, rows[c["id"]], run["model"]) for c in cases if c["id"] in rows]
        done = store_runs.scored_pairs(conn, run_id)
        now = time.time()
        rule_new = rule_rows(cfg, run_id, subjects, done, now)
        store_runs.put_scores(conn, rule_new)
        out: dict[str, Any] = {"rule_verdicts": len(rule_new), "llm_verdicts": 0, "llm": None}
        paid = [j for j in cfg.judges if j.kind in ("llm", "demo")]
        if paid:
            todo = [s for s in subjects
                    if any((s.id, j.name) not in done and applies(j, s) for j in paid)]
            res = judge_subjects(cfg, db_path, todo, run_id=run_id, owner=owner, skip=done)
            verdicts = [(run_id, v["id"], v["judge"], v["kind"], v["status"], v.get("score"),
                         None if v.get("passed") is None else int(v["passed"]),
                         v.get("reason") or None, v.get("error"), time.time())
                        for v in res.get("verdicts", [])]
            store_runs.put_scores(conn, verdicts)
            out["llm_verdicts"] = len(verdicts)
            out["llm"] = {k: v for k, v in res.items() if k != "verdicts"}
        return out
    finally:
        conn.close()
