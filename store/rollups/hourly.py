"""The hourly rollup (``rollup_hourly``) and exact window totals.

Ingest adds one increment row per (hour, model, task, prompt_version,
variant) per batch, for the outputs it actually inserted. Window totals use
whole hours from the rollup and the partial hours at the window's edges from
``outputs``, so they are exact for any window and cheap for long ones.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

HOUR = 3600

# Increment row layout, in this order (also the rollup column order).
ROLLUP_KEY = ("hour", "model", "task", "prompt_version", "variant")
ROLLUP_SUMS = (
    "outputs", "errors", "input_tokens", "output_tokens", "cached_input_tokens",
    "cache_write_tokens", "reasoning_tokens", "estimated_outputs", "unpriced_outputs",
    "cost_pusd", "latency_ms_sum",
)

_UPSERT = (
    f"INSERT INTO rollup_hourly ({', '.join(ROLLUP_KEY + ROLLUP_SUMS)}) "
    f"VALUES ({', '.join('?' * (len(ROLLUP_KEY) + len(ROLLUP_SUMS)))}) "
    "ON CONFLICT(hour, model, task, prompt_version, variant) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in ROLLUP_SUMS)
)


def hour_of(ts: float) -> int:
    """The rollup hour of a timestamp: floor(ts / 3600), exact for floats."""
    return int(ts // HOUR)


def add(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Upsert increment rows laid out as ROLLUP_KEY + ROLLUP_SUMS."""
    conn.executemany(_UPSERT, list(rows))


@dataclass
class Totals:
    """Sums over a window (and one group, when grouped)."""

    key: str = ""
    outputs: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    estimated_outputs: int = 0
    unpriced_outputs: int = 0
    cost_pusd: int = 0  # sum over priced outputs only
    extra: dict = field(default_factory=dict)

    @property
    def priced_outputs(self) -> int:
        return self.outputs - self.unpriced_outputs

    def cost_or_none(self) -> int | None:
        """The cost, or None when outputs exist but none of them is priced."""
        if self.outputs and not self.priced_outputs:
            return None
        return self.cost_pusd


_SUM_FIELDS = (
    "outputs", "errors", "input_tokens", "output_tokens", "cached_input_tokens",
    "cache_write_tokens", "reasoning_tokens", "estimated_outputs", "unpriced_outputs", "cost_pusd",
)

_ROLLUP_GROUP = {
    "model": "model",
    "day": "date(hour * 3600, 'unixepoch')",
    "task": "task",
    None: "''",
}
_OUTPUT_GROUP = {"model": "model", "day": "date(ts, 'unixepoch')", "task": "task", None: "''"}

_ROLLUP_SELECT = (
    "SELECT {g} AS k, SUM(outputs), SUM(errors), SUM(input_tokens), SUM(output_tokens), "
    "SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), "
    "SUM(estimated_outputs), SUM(unpriced_outputs), SUM(cost_pusd) "
    "FROM rollup_hourly WHERE hour >= ? AND hour < ? GROUP BY k"
)
_OUTPUT_SELECT = (
    "SELECT {g} AS k, COUNT(*), SUM(error IS NOT NULL), SUM(input_tokens), SUM(output_tokens), "
    "SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens), "
    "SUM(usage_estimated), SUM(cost_pusd IS NULL), COALESCE(SUM(cost_pusd), 0) "
    "FROM outputs WHERE ts >= ? AND ts < ? GROUP BY k"
)


def _accumulate(acc: dict[str, Totals], rows) -> None:
    for row in rows:
        t = acc.setdefault(row[0], Totals(key=row[0]))
        for name, value in zip(_SUM_FIELDS, row[1:], strict=True):
            setattr(t, name, getattr(t, name) + int(value or 0))


def window_totals(
    conn: sqlite3.Connection, since: float | None, until: float, *, by: str | None = None
) -> list[Totals]:
    """Totals for outputs with ``since <= ts < until`` (``since`` None: from
    the beginning), grouped ``by`` "model", "day", "task" or nothing.

    Whole hours inside the window come from the rollup, the partial hours at
    either edge from ``outputs``; the result equals a scan of ``outputs``.
    """
    if by not in _ROLLUP_GROUP:
        raise ValueError(f"by must be one of model, day, task or None, got {by!r}")
    lo_hour = -(2**62) if since is None else math.ceil(since / HOUR)
    hi_hour = math.floor(until / HOUR)
    acc: dict[str, Totals] = {}
    rollup_sql = _ROLLUP_SELECT.format(g=_ROLLUP_GROUP[by])
    output_sql = _OUTPUT_SELECT.format(g=_OUTPUT_GROUP[by])
    if lo_hour < hi_hour:
        _accumulate(acc, conn.execute(rollup_sql, (lo_hour, hi_hour)))
        if since is not None and since < lo_hour * HOUR:
            _accumulate(acc, conn.execute(output_sql, (since, lo_hour * HOUR)))
        if hi_hour * HOUR < until:
            _accumulate(acc, conn.execute(output_sql, (hi_hour * HOUR, until)))
    else:
        _accumulate(acc, conn.execute(output_sql, (-math.inf if since is None else since, until)))
    return sorted(acc.values(), key=lambda t: t.key)


def totals_match_outputs(conn: sqlite3.Connection) -> bool:
    """Consistency check: rollup sums equal a full scan of ``outputs``."""
    a = conn.execute(
        "SELECT SUM(outputs), SUM(input_tokens), SUM(output_tokens), SUM(cost_pusd), "
        "SUM(unpriced_outputs) FROM rollup_hourly"
    ).fetchone()
    b = conn.execute(
        "SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), COALESCE(SUM(cost_pusd), 0), "
        "SUM(cost_pusd IS NULL) FROM outputs"
    ).fetchone()
    return [int(x or 0) for x in a] == [int(x or 0) for x in b]
