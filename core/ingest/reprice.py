"""``evaltop reprice``: recompute stored inference costs after a price change.

Rows are read and rewritten in batches by rowid, each batch in ONE write
transaction that also applies the batch's cost and unpriced-count deltas to
``rollup_hourly`` (``rollup_daily`` follows by its triggers), so every total
and the inference budget (which read the rollups) stay equal to a scan of
``outputs`` at every commit. A cost the log reported and an unbilled failed
call keep their cost: no price table decides those. Judge calls are not
repriced: their cost is what was settled against the judge budget.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from evaltop.core.ingest.pricing import PriceBook
from evaltop.store import db
from evaltop.store import outputs as store_out
from evaltop.store.rollups import hourly as rollups

KEEP_SOURCES = frozenset({"reported", "unbilled-error"})


@dataclass
class RepriceResult:
    rows: int = 0  # outputs looked at
    changed: int = 0  # outputs whose cost, source, entry or fallback changed
    before_pusd: int = 0  # priced total before
    after_pusd: int = 0
    unpriced_before: int = 0
    unpriced_after: int = 0
    batches: int = 0
    # model: [before, after, unpriced before, unpriced after, outputs]; the sums
    # are of priced outputs only (an unpriced one is counted, never $0)
    by_model: dict[str, list[int]] = field(default_factory=dict)


def reprice(conn: sqlite3.Connection, book: PriceBook, *, since: float | None, until: float,
            model: str | None = None, batch_size: int = 2000, dry_run: bool = False,
            progress: Callable[[RepriceResult], None] | None = None) -> RepriceResult:
    """Reprice outputs with ``since <= ts < until`` (only those whose model is
    ``model`` or resolves to the same price entry, when given)."""
    res = RepriceResult()
    wanted = None
    if model is not None:
        entries = book.entries(model)
        wanted = (model.lower(), entries[-1].name if entries else None)
    last = 0
    while True:
        with db.write(conn):  # read and rewrite one batch in one transaction
            rows = store_out.pricing_rows(conn, last, since, until, batch_size)
            if not rows:
                break
            last = rows[-1]["rowid"]
            updates, deltas = _batch(rows, book, wanted, res)
            if updates and not dry_run:
                store_out.set_costs(conn, updates)
                rollups.add(conn, deltas)
        res.batches += 1
        if progress is not None:
            progress(res)
    return res


def _batch(rows: list[sqlite3.Row], book: PriceBook, wanted: tuple | None,
           res: RepriceResult) -> tuple[list[tuple], list[tuple]]:
    updates: list[tuple] = []
    acc: dict[tuple, list[int]] = {}
    for r in rows:
        if wanted is not None and not _matches(r["model"], book, wanted):
            continue
        res.rows += 1
        old_cost = r["cost_pusd"]
        if r["cost_source"] in KEEP_SOURCES:
            new = (old_cost, r["cost_source"], r["price_entry"], r["price_fallback"])
        else:
            p = book.quote(r["model"], r["ts"], r["input_tokens"], r["output_tokens"],
                           r["cached_input_tokens"], r["cache_write_tokens"],
                           r["cache_write_1h_tokens"], r["reasoning_tokens"], bool(r["batch"]),
                           r["service_tier"])
            new = (p.cost_pusd, p.cost_source, p.price_entry, p.price_fallback)
        _count(res, r["model"], old_cost, new[0])
        if new != (old_cost, r["cost_source"], r["price_entry"], r["price_fallback"]):
            res.changed += 1
            updates.append((*new, r["rowid"]))
            key = (rollups.hour_of(r["ts"]), r["model"], r["task"], r["prompt_version"],
                   r["variant"])
            d = acc.setdefault(key, [0, 0])
            d[0] += (new[0] is None) - (old_cost is None)
            d[1] += (new[0] or 0) - (old_cost or 0)
    zeros = (0,) * 8
    deltas = [k + zeros + (d[0], d[1], 0.0) for k, d in acc.items() if d != [0, 0]]
    return updates, deltas


def _matches(model: str, book: PriceBook, wanted: tuple) -> bool:
    if model.lower() == wanted[0]:
        return True
    if wanted[1] is None:
        return False
    entries = book.entries(model)
    return bool(entries) and entries[-1].name == wanted[1]


def _count(res: RepriceResult, model: str, old: int | None, new: int | None) -> None:
    res.before_pusd += old or 0
    res.after_pusd += new or 0
    res.unpriced_before += old is None
    res.unpriced_after += new is None
    m = res.by_model.setdefault(model, [0, 0, 0, 0, 0])
    m[0] += old or 0
    m[1] += new or 0
    m[2] += old is None
    m[3] += new is None
    m[4] += 1
