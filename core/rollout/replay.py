"""`evaltop replay`: run a candidate model over a corpus, record it as a run.

Each case is *claimed* (a ``run_cases`` row naming this process) before the
candidate is called, then recorded with its output, tokens (reported, else a
tiktoken estimate) and cost (the run's inference spend). Re-running the same
``--run`` skips every case already ``ok``, retries cases that ended in
``error``, leaves cases claimed by another live process alone, and takes over
claims of a dead process, counting one *lost call* each (that process may
have been billed for a reply it never recorded). So a case recorded ``ok`` is
never paid for twice; at most ``concurrency`` in-flight calls can be repeated
after a crash, and they are counted.

After the calls, :func:`evaltop.core.scoring.runs.judge_run` applies the same
rule checks and LLM judges as live traffic, writing ``run_scores``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.tokens import estimate_usage
from evaltop.core.model.config import Config, ConfigError
from evaltop.core.model.records import LoggedOutput, Usage
from evaltop.core.rollout.candidates import CallResult, CandidateClient, api_key, messages_of
from evaltop.core.rollout.corpus import load
from evaltop.core.scoring.judges.setup import build_judge_set
from evaltop.core.scoring.runs import judge_run
from evaltop.store import db as store_db
from evaltop.store import runs as store_runs


@dataclass
class ReplaySummary:
    run_id: str
    cases: int = 0
    already_ok: int = 0
    held_elsewhere: int = 0
    called: int = 0
    ok: int = 0
    errors: int = 0
    retries: int = 0
    lost_calls_taken_over: int = 0
    cost_pusd: int = 0  # confirmed: replies that came back
    unconfirmed_attempts: int = 0  # attempts cut off after sending: may have been billed
    unconfirmed_pusd: int = 0  # one worst-case estimate each
    unpriced: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    error_samples: list[str] = field(default_factory=list)
    judging: dict | None = None


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_alive(owner: str, *, now: float, claimed_at: float, horizon_s: float) -> bool:
    """Is the process named by ``owner`` (host:pid:token) possibly still calling?

    Same host: the pid must exist. Another host: alive until ``horizon_s``
    (the longest a call with all its retries can take) has passed.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host == socket.gethostname() and pid_text.isdigit():
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return now - claimed_at < horizon_s


def candidate_model(cfg: Config, name: str):
    model = cfg.models.get(name)
    if model is None:
        known = ", ".join(sorted(cfg.models)) or "none configured"
        raise ConfigError(f"--candidate {name!r} is not a [models.NAME] entry (known: {known})")
    return model


def usage_for(case_input, text: str, reported: Usage | None, model: str) -> Usage:
    """Reported usage, else a tiktoken estimate over the messages and reply."""
    if reported is not None:
        return reported
    rec = LoggedOutput(
        id="replay", ts=0, model=model, input=messages_of(case_input), output=text or ""
    )
    return estimate_usage(rec)


def worst_case_pusd(case_input, model: str, max_output_tokens: int, book: PriceBook) -> int:
    """An attempt's worst case: counted prompt tokens + ``max_output_tokens``
    at the model's rates (0 when the model has no price)."""
    prompt = usage_for(case_input, "", None, model).input_tokens
    priced = book.quote(model, None, prompt, max_output_tokens, 0, 0, None, 0)
    return priced.cost_pusd or 0


def result_row(res: CallResult, case_input, model: str, book: PriceBook,
               max_output_tokens: int = 0) -> store_runs.CaseResult:
    unconfirmed = {"unconfirmed_attempts": res.unknown_attempts, "unconfirmed_pusd": 0}
    if res.unknown_attempts:
        unconfirmed["unconfirmed_pusd"] = res.unknown_attempts * worst_case_pusd(
            case_input, model, max_output_tokens, book)
    if not res.ok:
        return store_runs.CaseResult(status="error", output_text=None, error=res.error,
                                     latency_ms=res.latency_ms, attempts=res.attempts,
                                     **unconfirmed)
    usage = usage_for(case_input, res.text or "", res.usage, model)
    return store_runs.CaseResult(**unconfirmed,
        status="ok", output_text=res.text or "", input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens, cached_input_tokens=usage.cached_input_tokens,
        reasoning_tokens=usage.reasoning_tokens, usage_estimated=usage.estimated,
        cost_pusd=book.cost_pusd(model, usage), latency_ms=res.latency_ms, attempts=res.attempts,
    )


async def call_cases(cfg: Config, conn: sqlite3.Connection, run_id: str, candidate: str,
                     cases: list[dict], *, owner: str, concurrency: int | None = None,
                     on_done: Callable[[], None] | None = None,
                     summary: ReplaySummary) -> None:
    """Claim, call and record every case not yet ok (bounded concurrency)."""
    model = candidate_model(cfg, candidate)
    book = PriceBook.from_config(cfg)
    now = time.time()
    horizon = (model.max_retries + 1) * (model.timeout_s + 60.0) + 60.0
    states = store_runs.case_states(conn, run_id)
    stale = {
        r["owner"] for r in states.values()
        if r["status"] == "claimed" and r["owner"] != owner
        and not owner_alive(r["owner"], now=now, claimed_at=r["ts"], horizon_s=horizon)
    }
    slots = asyncio.Semaphore(concurrency or model.concurrency)

    def done() -> None:
        if on_done:
            on_done()

    async with CandidateClient(candidate, model, concurrency=concurrency) as client:
        async def one(case: dict) -> None:
            cid = case["id"]
            st = states.get(cid)
            if st is not None and st["status"] == "ok":
                summary.already_ok += 1
                done()
                return
            async with slots:  # claim only when a call can start: claims = calls in flight
                took_stale = st is not None and st["status"] == "claimed" and st["owner"] in stale
                if not store_runs.claim(conn, run_id, cid, case.get("task", ""), owner, time.time(),
                                        stale_owners=stale):
                    summary.held_elsewhere += 1
                    done()
                    return
                summary.lost_calls_taken_over += int(took_stale)
                summary.called += 1
                res = await client.call(case.get("input"))
                row = result_row(res, case.get("input"), model.model, book,
                                 model.max_output_tokens)
                store_runs.record(conn, run_id, cid, owner, row, time.time())
            summary.retries += res.retries
            if row.status == "ok":
                summary.ok += 1
            else:
                summary.errors += 1
                if len(summary.error_samples) < 5:
                    summary.error_samples.append(f"{cid}: {row.error}")
            done()

        await asyncio.gather(*(one(c) for c in cases))


def check_judges(cfg: Config) -> None:
    """Fail before any paid call if a judge cannot run (bad rule, unpriced
    judge model, unset API key variable): ConfigError names the judge."""
    async def build_and_close() -> None:
        await build_judge_set(cfg).aclose()

    asyncio.run(build_and_close())


def _progress(total: int, enabled: bool | None):
    """(callback, stop) for a rich progress bar on a terminal; no-ops otherwise."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    prog = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=True)
    task = prog.add_task("replay", total=total)
    prog.start()
    return (lambda: prog.advance(task)), prog.stop


def replay(cfg: Config, db_path: Path, corpus_path: Path, candidate: str, run_id: str, *,
           concurrency: int | None = None, judge: bool = True,
           progress: bool | None = None) -> ReplaySummary:
    """Replay ``corpus_path`` on ``candidate`` as run ``run_id`` (resumable)."""
    model = candidate_model(cfg, candidate)
    cases = load(corpus_path)
    # Everything that can be wrong in the config fails here, before the store is touched.
    PriceBook.from_config(cfg)
    api_key(model, candidate)
    if judge:
        check_judges(cfg)
    conn = store_db.connect(db_path)
    try:
        run = store_runs.ensure_run(conn, run_id, candidate, model.model,
                                    str(Path(corpus_path).resolve()), time.time())
        if run["candidate"] != candidate:
            raise ConfigError(
                f"--run {run_id!r} already belongs to candidate {run['candidate']!r}; "
                "pick another run name"
            )
        summary = ReplaySummary(run_id=run_id, cases=len(cases))
        owner = new_owner()
        advance, stop = _progress(len(cases), progress)
        try:
            asyncio.run(call_cases(cfg, conn, run_id, candidate, cases, owner=owner,
                                   concurrency=concurrency, on_done=advance, summary=summary))
        finally:
            stop()
        totals = store_runs.run_totals(conn, run_id)
        summary.cost_pusd = totals["cost_pusd"] or 0
        summary.unpriced = totals["unpriced"] or 0
        summary.input_tokens = totals["input_tokens"]
        summary.output_tokens = totals["output_tokens"]
        summary.unconfirmed_attempts = totals["unconfirmed_attempts"]
        summary.unconfirmed_pusd = totals["unconfirmed_pusd"]
        if judge:
            summary.judging = judge_run(cfg, db_path, run_id, cases, owner=owner)
        if (totals["ok"] or 0) == len(cases):
            store_runs.finish_run(conn, run_id, time.time())
        return summary
    finally:
        conn.close()
