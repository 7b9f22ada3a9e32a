"""Forward migrations: ``MIGRATIONS[i]`` brings a database from version ``i``
to ``i + 1``. Append a step; never edit a released one. Steps run inside the
migration's ``BEGIN IMMEDIATE`` (``executescript`` is split into statements).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from evaltop.store.schema.v1 import V1

SQL_DIR = Path(__file__).parent / "sql"


def _frozen(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


# ``STEPS[i]`` is the SQL script that brings a database from version ``i`` to ``i + 1``.
STEPS: list[str] = [V1, *(_frozen(p.name) for p in sorted(SQL_DIR.glob("v*.sql")))]


def _v1(conn: sqlite3.Connection) -> None:
    conn.executescript(V1)


def _v2_alert_delivery(conn: sqlite3.Connection) -> None:
    """Webhook delivery bookkeeping on alerts; when a job last failed."""
    conn.execute("ALTER TABLE alerts ADD COLUMN notify_attempts INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE alerts ADD COLUMN notify_error TEXT")
    conn.execute("ALTER TABLE job_stats ADD COLUMN last_error_at REAL")


def _v3_sampling_indexes(conn: sqlite3.Connection) -> None:
    """Sampling's "first seen" look-ups per prompt_version / variant (model has
    outputs_model_ts) and the review queue's oldest-first keyset order."""
    conn.execute("CREATE INDEX IF NOT EXISTS outputs_prompt_version_ts ON outputs(prompt_version, ts)")
    conn.execute("CREATE INDEX IF NOT EXISTS outputs_variant_ts ON outputs(variant, ts)")
    conn.execute("CREATE INDEX IF NOT EXISTS samples_output_ts ON samples(output_ts, output_id)")


def _v4_run_claims(conn: sqlite3.Connection) -> None:
    """Replay claims: who holds a case, how many calls it took, and how many
    calls a crashed holder may have had billed without recording them."""
    conn.execute("ALTER TABLE run_cases ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE run_cases ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE run_cases ADD COLUMN lost_calls INTEGER NOT NULL DEFAULT 0")


def _v5_ledger_sent(conn: sqlite3.Connection) -> None:
    """Judge budget ledger: when a reserved call may have been sent (so a crash
    reconciles it as spent, not released), what it was for, and a look-up of
    active claims by ref."""
    conn.execute("ALTER TABLE ledger ADD COLUMN sent_at REAL")
    conn.execute("ALTER TABLE ledger ADD COLUMN meta_json TEXT")
    conn.execute("CREATE INDEX IF NOT EXISTS ledger_ref ON ledger(kind, ref, state)")


def _v6_scores_window_index(conn: sqlite3.Connection) -> None:
    """Analysis reads all judges' scores in a time window (report, trends)."""
    conn.execute("CREATE INDEX IF NOT EXISTS scores_output_ts ON scores(output_ts, judge)")


_DAILY = ("outputs", "errors", "input_tokens", "output_tokens", "estimated_outputs",
          "unpriced_outputs", "cost_pusd", "latency_ms_sum")
_DAILY_ADD = (  # add the NEW hourly row into its day
    f"INSERT INTO rollup_daily (day, model, {', '.join(_DAILY)}) "
    f"VALUES (NEW.hour / 24, NEW.model, {', '.join('NEW.' + c for c in _DAILY)}) "
    f"ON CONFLICT(day, model) DO UPDATE SET {', '.join(f'{c} = {c} + excluded.{c}' for c in _DAILY)};"
)
_DAILY_SUB = (  # take the OLD hourly row out of its day
    f"UPDATE rollup_daily SET {', '.join(f'{c} = {c} - OLD.{c}' for c in _DAILY)} "
    "WHERE day = OLD.hour / 24 AND model = OLD.model;"
)


def _v7_rollup_daily(conn: sqlite3.Connection) -> None:
    """Per-day, per-model totals kept by triggers on rollup_hourly, so month and
    30-day spend read ~30 rows per model instead of every hourly segment."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS rollup_daily (
            day INTEGER NOT NULL, model TEXT NOT NULL,
            outputs INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
            estimated_outputs INTEGER NOT NULL DEFAULT 0, unpriced_outputs INTEGER NOT NULL DEFAULT 0,
            cost_pusd INTEGER NOT NULL DEFAULT 0, latency_ms_sum REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (day, model)) WITHOUT ROWID"""
    )
    conn.execute(
        f"INSERT INTO rollup_daily (day, model, {', '.join(_DAILY)}) SELECT hour / 24, model, "
        f"{', '.join(f'sum({c})' for c in _DAILY)} FROM rollup_hourly GROUP BY hour / 24, model"
    )
    for name, event, body in (("ins", "INSERT", _DAILY_ADD), ("upd", "UPDATE", _DAILY_ADD + _DAILY_SUB),
                              ("del", "DELETE", _DAILY_SUB)):
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS rollup_daily_{name} AFTER {event} ON rollup_hourly "
                     f"BEGIN {body} END")


def _v8_score_rollup(conn: sqlite3.Connection) -> None:
    """Hourly score sums per judge and segment, kept by triggers (store/score_rollups.py)."""
    from evaltop.store.rollups.scores import create

    create(conn)


def _v9_judge_spend_daily(conn: sqlite3.Connection) -> None:
    """Judge calls' cost per day, judge and model, kept by triggers (store/judge_call_rollups.py)."""
    from evaltop.store.rollups.judge_calls import create

    create(conn)


def _v10_score_rollup_judges(conn: sqlite3.Connection) -> None:
    """Hourly score sums per judge alone (overview pass rates, trends), kept by triggers."""
    from evaltop.store.rollups.scores import create_judges

    create_judges(conn)


def _v11_ledger_period_index(conn: sqlite3.Connection) -> None:
    """Budget state sums a month of ledger rows: read them from the index alone."""
    conn.execute("CREATE INDEX IF NOT EXISTS ledger_period_cover ON ledger(kind, month, state, day, amount_pusd)")


def _v12_score_rollup_model_task(conn: sqlite3.Connection) -> None:
    """Hourly score sums per judge and model, and per judge and task (trends by model/task)."""
    from evaltop.store.rollups.scores import create_model_task

    create_model_task(conn)


def _v13_analysis_cache(conn: sqlite3.Connection) -> None:
    """Materialised analysis results for the dashboard (store/analysis_cache.py)."""
    from evaltop.store.analysis_cache import create

    create(conn)


_LEDGER_ADD = (  # count the NEW ledger row in its day and state
    "INSERT INTO ledger_daily (kind, day, month, state, amount_pusd, n) "
    "VALUES (NEW.kind, NEW.day, NEW.month, NEW.state, NEW.amount_pusd, 1) "
    "ON CONFLICT(kind, day, state) DO UPDATE SET amount_pusd = amount_pusd + excluded.amount_pusd, n = n + 1;"
)
_LEDGER_SUB = (  # take the OLD ledger row out again
    "UPDATE ledger_daily SET amount_pusd = amount_pusd - OLD.amount_pusd, n = n - 1 "
    "WHERE kind = OLD.kind AND day = OLD.day AND state = OLD.state;"
)


def _v14_ledger_daily(conn: sqlite3.Connection) -> None:
    """Ledger sums per kind, UTC day and state, kept by triggers in the same
    transaction as the ledger row. The budget check (inside every reservation's
    BEGIN IMMEDIATE) and the budget bars then add up at most 31 rows instead of
    a month of calls. Writers must not use INSERT OR REPLACE on ledger."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS ledger_daily (
            kind TEXT NOT NULL, day TEXT NOT NULL, month TEXT NOT NULL, state TEXT NOT NULL,
            amount_pusd INTEGER NOT NULL DEFAULT 0, n INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, day, state)) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ledger_daily_month ON ledger_daily(kind, month, state)")
    conn.execute(
        "INSERT INTO ledger_daily (kind, day, month, state, amount_pusd, n) "
        "SELECT kind, day, month, state, SUM(amount_pusd), COUNT(*) FROM ledger GROUP BY kind, day, state"
    )
    for name, event, body in (("ins", "INSERT", _LEDGER_ADD), ("upd", "UPDATE", _LEDGER_SUB + _LEDGER_ADD),
                              ("del", "DELETE", _LEDGER_SUB)):
        conn.execute(f"CREATE TRIGGER IF NOT EXISTS ledger_daily_{name} AFTER {event} ON ledger "
                     f"BEGIN {body} END")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1, _v2_alert_delivery, _v3_sampling_indexes, _v4_run_claims, _v5_ledger_sent,
    _v6_scores_window_index, _v7_rollup_daily, _v8_score_rollup, _v9_judge_spend_daily,
    _v10_score_rollup_judges, _v11_ledger_period_index, _v12_score_rollup_model_task,
    _v13_analysis_cache, _v14_ledger_daily,
]
