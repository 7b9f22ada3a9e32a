"""``evaltop score --rescore --since 7d [--judge NAME]``: score outputs already
seen again, after ``base_rate``, a stratum, a rubric or a judge changed.

Two steps, both free; the judging itself is the ordinary drain (budgets,
claims and ``--limit`` as for any pending sample):

1. **Sampling, with the same ``u``.** Every output of the window is decided
   again under the current ``[sampling]``: ``p_new`` from its strata, sampled
   iff ``u < p_new``. An output not sampled before is sampled now when
   ``u < p_new``; a sample keeps ``max(p_old, p_new)`` (probabilities only
   rise). Over both decisions the rule that operates is "sampled iff
   ``u < max(p_old, p_new)``", and ``u`` is uniform and independent of the
   output, so ``max(p_old, p_new)`` is each sample's exact inclusion
   probability and ``1 / p`` stays a valid weight (docs/analysis.md).
   A lowered rate samples nothing new and lowers no weight.
2. **Verdicts.** For every sample of the window and every judge that
   applies (only the ``--judge`` ones when named): a pair without a verdict
   (a new sample, a new judge, a widened ``applies_to``) is judged; a pair
   with one is judged again only for a judge named with ``--judge`` (its
   rubric, model or scale changed), by queueing it in ``rescore_queue``.
   Without ``--judge`` no verdict is paid for twice. The samples concerned
   go back to ``pending``. A queued pair's old verdict stays in ``scores``
   (and in every aggregate) until the new one is final; then it moves to
   ``score_history`` and the new one takes its place.

:func:`rescore` with ``apply=False`` is the dry run: the same counts, nothing
written.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass, field

from evaltop.core.model.config import Config
from evaltop.core.model.money import pusd_to_usd
from evaltop.core.scoring.judges.subject import Subject, applies
from evaltop.core.scoring.sampling import (
    FirstSeen,
    corrected_ids,
    decision_u,
    inclusion,
    is_embeddings,
    qualifying_strata,
)
from evaltop.store import db
from evaltop.store import rescore as store
from evaltop.store import samples as samples_store

BATCH = 2000


@dataclass
class RescorePlan:
    since: float | None
    until: float
    judges: list[str]
    applied: bool = False
    outputs: int = 0  # outputs in the window (sampling decided)
    newly_sampled: int = 0  # u < p_new and not sampled before
    raised: int = 0  # samples whose probability rises to p_new
    samples: int = 0  # sampled outputs in the window, new ones included
    rejudge: int = 0  # verdicts queued to be judged again (--judge)
    kept: int = 0  # verdicts kept as they are (judges not named with --judge)
    already_queued: int = 0  # queued by an earlier --rescore, not judged yet
    missing: int = 0  # (output, judge) pairs with no verdict yet
    to_judge: int = 0  # samples that go (back) to pending
    paid_pairs: int = 0  # of rejudge + already_queued + missing: paid judge calls
    estimate_pusd: int = 0  # at each paid judge's mean past call (judges with one)
    unknown_cost_judges: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["estimate_usd"] = pusd_to_usd(self.estimate_pusd)
        return d


def rescore(cfg: Config, conn: sqlite3.Connection, *, within: float | None,
            judges: list[str] | None = None, apply: bool = True,
            now: float | None = None) -> RescorePlan:
    """Re-decide sampling and queue verdicts for outputs logged in the last
    ``within`` seconds (``--since``; None: all). ``judges``: the judges to
    consider and whose verdicts to redo; None: every configured judge,
    filling in missing verdicts only."""
    now = time.time() if now is None else now
    since = None if within is None else now - within
    chosen = [j for j in cfg.judges if judges is None or j.name in judges]
    redo = judges is not None
    plan = RescorePlan(since, now + 1, [j.name for j in chosen], applied=apply)
    paid = {j.name for j in chosen if j.kind in ("llm", "demo")}
    mean_cost = store.average_call_cost(conn)
    first_seen = FirstSeen(conn)
    seed = cfg.sampling.seed
    # every output of the window, decided for sampling or not yet: one not
    # decided yet gets here the decision sample_new would make (same u, same p)
    rowids = store.window_rowids(conn, since, now + 1)
    for i in range(0, len(rowids), BATCH):
        rows = store.outputs_with_sample(conn, rowids[i:i + BATCH])
        corrected = corrected_ids(cfg, conn, [r["id"] for r in rows])
        new, raise_to, queue, pending = [], [], [], []
        sampled: list[Subject] = []
        for row in rows:
            if is_embeddings(row):
                continue
            plan.outputs += 1
            strata = qualifying_strata(cfg, row, corrected=row["id"] in corrected,
                                       first_seen=first_seen)
            p, names = inclusion(strata)
            old = row["s_probability"]
            if old is None:
                if decision_u(seed, row["id"]) >= p:
                    continue
                new.append((row["id"], names, p, now, row["ts"]))
            elif p > old:
                raise_to.append((row["id"], p, names))
            sampled.append(Subject.from_output_row(row))
        plan.newly_sampled += len(new)
        plan.raised += len(raise_to)
        plan.samples += len(sampled)
        pairs = store.verdict_pairs(conn, [s.id for s in sampled]) if sampled else {}
        for s in sampled:
            work = False
            for j in chosen:
                if not applies(j, s):
                    continue
                queued = pairs.get((s.id, j.name))
                if queued is None:
                    plan.missing += 1
                elif queued:
                    plan.already_queued += 1
                elif redo:
                    plan.rejudge += 1
                    queue.append((s.id, j.name))
                else:
                    plan.kept += 1
                    continue
                work = True
                if j.name in paid:
                    plan.paid_pairs += 1
                    _add_estimate(plan, mean_cost.get(j.name), j.name)
            if work:
                pending.append(s.id)
        plan.to_judge += len(pending)
        if apply:
            with db.write(conn):
                samples_store.insert_samples(conn, new)
                for oid, p, names in raise_to:
                    samples_store.raise_probability(conn, oid, p, names)
                store.queue(conn, queue, now)
                store.set_pending(conn, pending)
    return plan


def _add_estimate(plan: RescorePlan, mean: int | None, judge: str) -> None:
    if mean is not None:
        plan.estimate_pusd += mean
    elif judge not in plan.unknown_cost_judges:
        plan.unknown_cost_judges.append(judge)
