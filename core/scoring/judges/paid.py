"""One metered judge call: claim + reserve, call, settle + record.

The order is what keeps budgets hard and work single:

1. inside the judge's concurrency slot, reserve the worst case (counted prompt
   tokens x input price + ``max_output_tokens`` x output price) in one
   ``BEGIN IMMEDIATE`` that also *claims* the (judge, output) pair: it refuses
   if the pair is already scored or another process holds a reservation for it;
2. send the request (the reservation is marked sent, see budget.reconcile);
3. in one transaction settle the ledger with the real cost (released when
   nothing was billable), write the ``judge_calls`` row and, when the verdict
   is final, the score (through the caller's ``record``).

Attempts whose outcome is unknown (sent, then a reset, a read error or a
timeout: the provider may have billed them) each keep one estimate settled,
recorded apart as ``unconfirmed_pusd`` / ``unconfirmed_attempts`` beside the
confirmed ``cost_pusd`` of billed replies (``cost_known = 0`` when any).
Before resending after such an attempt the reservation grows by one more
estimate under the caps, or the retry is not sent: settled + reserved never
passes a cap and no attempt is counted twice (docs/pricing.md).

Used by the live runner (``runner.py``) and by replays (``run_id``).
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from evaltop.core.ingest.pricing import Price
from evaltop.core.model.config import Config
from evaltop.core.model.records import Usage
from evaltop.core.scoring import budget
from evaltop.core.scoring.judges.llm import CallOutcome, budget_prompt_tokens
from evaltop.core.scoring.judges.prompts import Verdict, build_prompt
from evaltop.core.scoring.judges.setup import PaidJudge
from evaltop.core.scoring.judges.subject import Subject
from evaltop.store import db, judge_calls, ledger

MAX_SCHEMA_RETRIES = 1  # one more billed try when a reply breaks the schema
MAX_TRANSIENT_SERIES = 3  # timeouts/outages: after this many series, an error for good


@dataclass
class PaidResult:
    judge: str
    output_id: str
    status: str  # ok | error | timeout | refused_budget | claimed
    verdict: Verdict | None = None
    passed: bool | None = None
    error: str | None = None
    final: bool = False  # a verdict or an error for good: a score was recorded
    cost_pusd: int = 0  # confirmed: what billed replies cost
    cost_known: bool = True
    attempts: int = 0
    budget_reason: str = ""
    unconfirmed_pusd: int = 0  # one estimate per attempt that may have been billed
    unconfirmed_attempts: int = 0


def worst_case_pusd(price: Price, prompt_tokens: int, max_output_tokens: int) -> int:
    """Upper bound of one call's cost in picodollars (rounded up), at the
    long-context tier the prompt reaches."""
    plan = price.plan(price.tier_index(prompt_tokens), "standard")
    if plan.unpriced is None:
        inp, out_rate = plan.rates[0], max(plan.rates[4], plan.rates[5])
    else:
        inp = price.input
        out_rate = max(price.output, price.reasoning or price.output)
    return int(math.ceil(prompt_tokens * inp + max_output_tokens * out_rate))


def claim_ref(judge: str, output_id: str, run_id: str | None = None) -> str:
    return f"{judge}\x1f{run_id or ''}\x1f{output_id}"


def _cost(price: Price, usage: Usage | None) -> int:
    if usage is None:
        return 0
    cost = price.cost_pusd(usage)  # the same engine as inference outputs
    return worst_case_pusd(price, usage.input_tokens, usage.output_tokens) if cost is None else cost


def _buckets(usage: Usage | None, price: Price) -> dict:
    """The billing-bucket columns of a judge call (``evaltop cost`` explains them)."""
    if usage is None:
        return {"price_entry": price.name or None}
    _, fallback = price.quote(usage.input_tokens, usage.output_tokens,
                              usage.cached_input_tokens, usage.cache_write_tokens,
                              usage.cache_write_1h_tokens, usage.reasoning_tokens)
    return {"cached_input_tokens": usage.cached_input_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "cache_write_1h_tokens": usage.cache_write_1h_tokens,
            "reasoning_tokens": usage.reasoning_tokens, "price_entry": price.name or None,
            "price_fallback": fallback}


async def paid_judge_call(
    pj: PaidJudge, subject: Subject, *, cfg: Config, connect: Callable[[], sqlite3.Connection],
    owner: str = "", run_id: str | None = None,
    is_done: Callable[[sqlite3.Connection], bool] = lambda conn: False,
    record: Callable[[sqlite3.Connection, PaidResult], None] | None = None,
    stop: Callable[[], str | None] | None = None,
) -> PaidResult:
    """Judge ``subject`` with ``pj`` under the judge budget.

    ``connect()`` returns a connection usable on the calling worker thread
    (e.g. ``ConnectionPool.get``); ``is_done(conn)`` says whether the pair is
    already scored (checked inside the claim transaction); ``record(conn,
    result)`` writes the score in the settling transaction when final;
    ``stop()`` returning a reason (an earlier budget refusal) skips the call.
    """
    j = pj.cfg
    result = PaidResult(j.name, subject.id, "error")
    async with pj.client.slot:
        why = stop() if stop is not None else None
        if why:
            result.status, result.budget_reason = "refused_budget", why
            return result
        prompt = build_prompt(j, subject, redact=cfg.redaction.enabled)
        estimate = worst_case_pusd(
            pj.price, budget_prompt_tokens(prompt, pj.model), j.max_output_tokens
        )
        ref = claim_ref(j.name, subject.id, run_id)
        meta = {"judge": j.name, "model": pj.model, "output_id": subject.id, "run_id": run_id}

        def guard(conn: sqlite3.Connection) -> str | None:
            if is_done(conn):
                return "done"
            return "claimed" if ledger.active_claim(conn, "judge", ref) else None

        def reserve() -> budget.ReserveResult:
            return budget.try_reserve(
                connect(),
                amount_pusd=estimate,
                ref=ref,
                owner=owner,
                cfg=cfg,
                sent=True,
                meta=meta,
                guard=guard,
            )

        held = await asyncio.to_thread(reserve)
        if held.reservation is None:
            if held.refused == "budget":
                result.status, result.budget_reason = "refused_budget", held.reason
                await asyncio.to_thread(
                    _record_refusal, connect, pj, subject, estimate, held.reason, run_id
                )
            else:
                result.status = "claimed"
            return result
        held_res = [held.reservation]

        async def grow() -> str | None:
            """One more estimate reserved for a resend, or why not."""
            grown = await asyncio.to_thread(
                lambda r=held_res[0]: budget.extend(connect(), r, estimate, cfg))
            if grown is None:
                return "the judge budget cannot hold one more attempt's estimate"
            held_res[0] = grown
            return None

        try:
            outcome = await pj.client.call(prompt, subject, may_resend=grow)
            attempts, billed_cost = outcome.attempts, _cost(pj.price, outcome.usage)
            usage, unknown = outcome.usage, outcome.unknown_attempts
            tries = 0
            while outcome.schema_error and tries < MAX_SCHEMA_RETRIES:
                if await grow() is not None:
                    break
                tries += 1
                outcome = await pj.client.call(prompt, subject, may_resend=grow)
                attempts += outcome.attempts
                unknown += outcome.unknown_attempts
                billed_cost += _cost(pj.price, outcome.usage)
                usage = _add(usage, outcome.usage)
        except BaseException:
            # cancelled (shutdown) or a bug mid-call: the request may have gone out
            _finish_lost(connect(), pj, subject, held_res[0], run_id)
            raise
        spent = Spent(attempts, billed_cost, unknown, unknown * estimate, usage)
        return await asyncio.to_thread(
            _finish, connect, pj, subject, held_res[0], outcome, spent, run_id, record)


@dataclass(frozen=True)
class Spent:
    """What a call series used: attempts, the confirmed cost of billed
    replies, and the attempts (and their estimates) whose billing is unknown."""

    attempts: int
    confirmed_pusd: int
    unknown_attempts: int
    unconfirmed_pusd: int
    usage: Usage | None


def _add(a: Usage | None, b: Usage | None) -> Usage | None:
    if a is None or b is None:
        return a or b
    return Usage(input_tokens=a.input_tokens + b.input_tokens,
                 output_tokens=a.output_tokens + b.output_tokens,
                 cached_input_tokens=a.cached_input_tokens + b.cached_input_tokens,
                 cache_write_tokens=a.cache_write_tokens + b.cache_write_tokens,
                 reasoning_tokens=a.reasoning_tokens + b.reasoning_tokens,
                 estimated=a.estimated or b.estimated,
                 cache_write_1h_tokens=None if a.cache_write_1h_tokens is None
                 and b.cache_write_1h_tokens is None
                 else (a.cache_write_1h_tokens or 0) + (b.cache_write_1h_tokens or 0))


def _finish(connect: Callable[[], sqlite3.Connection], pj: PaidJudge, subject: Subject,
            res: budget.Reservation, outcome: CallOutcome, spent: Spent, run_id: str | None,
            record: Callable[[sqlite3.Connection, PaidResult], None] | None) -> PaidResult:
    conn = connect()
    j = pj.cfg
    usage, cost = spent.usage, spent.confirmed_pusd
    cost_known = spent.unknown_attempts == 0
    passed = None if outcome.verdict is None else outcome.verdict.score >= j.threshold
    result = PaidResult(j.name, subject.id, outcome.status, outcome.verdict, passed, outcome.error,
                        final=True, cost_pusd=cost, cost_known=cost_known,
                        attempts=spent.attempts, unconfirmed_pusd=spent.unconfirmed_pusd,
                        unconfirmed_attempts=spent.unknown_attempts)
    now = time.time()
    with db.write(conn):
        if cost + spent.unconfirmed_pusd == 0:
            budget.release(conn, res, now, in_txn=True)
        else:  # the ledger holds both, once: billed replies + one estimate per unknown attempt
            budget.settle(conn, res, cost + spent.unconfirmed_pusd, now, in_txn=True)
        if outcome.transient:
            failures = judge_calls.failures(conn, j.name, subject.id, run_id)
            result.final = failures + 1 >= MAX_TRANSIENT_SERIES
        judge_calls.insert(conn, judge_calls.JudgeCallRow(
            judge=j.name, model=pj.model, output_id=subject.id, status=outcome.status,
            attempts=spent.attempts, latency_ms=outcome.latency_ms,
            input_tokens=usage.input_tokens if usage else 0,
            output_tokens=usage.output_tokens if usage else 0,
            usage_estimated=int(bool(usage and usage.estimated)), cost_pusd=cost,
            cost_known=int(cost_known), reserved_pusd=res.amount_pusd, error=outcome.error,
            run_id=run_id, ts=now, unconfirmed_pusd=spent.unconfirmed_pusd,
            unconfirmed_attempts=spent.unknown_attempts, **_buckets(usage, pj.price)))
        if result.final and record is not None:
            record(conn, result)
    return result


def _record_refusal(connect: Callable[[], sqlite3.Connection], pj: PaidJudge, subject: Subject,
                    estimate: int, reason: str, run_id: str | None) -> None:
    conn = connect()
    with db.write(conn):
        judge_calls.insert(
            conn,
            judge_calls.JudgeCallRow(
                judge=pj.name,
                model=pj.model,
                output_id=subject.id,
                status="refused_budget",
                attempts=0,
                latency_ms=None,
                input_tokens=0,
                output_tokens=0,
                usage_estimated=0,
                cost_pusd=0,
                cost_known=1,
                reserved_pusd=estimate,
                error=reason,
                run_id=run_id,
                ts=time.time(),
            ),
        )


def _finish_lost(conn: sqlite3.Connection, pj: PaidJudge, subject: Subject, res: budget.Reservation,
                 run_id: str | None) -> None:
    now = time.time()
    with db.write(conn):
        if budget.settle(conn, res, res.amount_pusd, now, in_txn=True):
            judge_calls.insert(conn, judge_calls.JudgeCallRow(
                judge=pj.name, model=pj.model, output_id=subject.id, status="lost", attempts=1,
                latency_ms=None, input_tokens=0, output_tokens=0, usage_estimated=1,
                cost_pusd=0, cost_known=0, reserved_pusd=res.amount_pusd,
                error=budget.LOST_REASON, run_id=run_id, ts=now,
                unconfirmed_pusd=res.amount_pusd, unconfirmed_attempts=1))
