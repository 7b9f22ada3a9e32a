"""Tables, indexes and forward migrations.

Conventions (every layer relies on them):
- timestamps are REAL seconds since the Unix epoch, UTC;
- money is INTEGER picodollars (``*_pusd``, 1e-12 USD): exact for any price
  quoted with up to six decimals per million tokens; NULL cost means
  "unpriced / unknown", never zero;
- JSON columns end in ``_json`` and hold text;
- ``outputs.rowid`` is the keyset-pagination key and ``outputs.id`` the
  natural key (provider id, span id, or a hash of the line).

Migrations only ever move forward: ``MIGRATIONS[i]`` brings a database from
version ``i`` to ``i + 1``. Append, never edit a released step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .db import StoreError

V1 = """
CREATE TABLE IF NOT EXISTS outputs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '',
    task TEXT NOT NULL DEFAULT '',
    prompt_version TEXT NOT NULL DEFAULT '',
    variant TEXT NOT NULL DEFAULT '',
    input_text TEXT NOT NULL DEFAULT '',
    input_json TEXT,
    input_hash TEXT NOT NULL DEFAULT '',
    output_text TEXT NOT NULL DEFAULT '',
    finish_reason TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    usage_estimated INTEGER NOT NULL DEFAULT 0,
    cost_pusd INTEGER,
    cost_source TEXT,
    latency_ms REAL,
    confidence REAL,
    error TEXT,
    tags_json TEXT NOT NULL DEFAULT '[]',
    metadata_json TEXT NOT NULL DEFAULT '{}',
    ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outputs_ts ON outputs(ts);
CREATE INDEX IF NOT EXISTS outputs_model_ts ON outputs(model, ts);
CREATE INDEX IF NOT EXISTS outputs_task_ts ON outputs(task, ts);
CREATE INDEX IF NOT EXISTS outputs_input_hash ON outputs(input_hash);

CREATE TABLE IF NOT EXISTS feedback (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    output_id TEXT NOT NULL,
    ts REAL NOT NULL,
    name TEXT NOT NULL,
    value_num REAL,
    value_text TEXT,
    source TEXT NOT NULL DEFAULT '',
    ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_output ON feedback(output_id);
CREATE INDEX IF NOT EXISTS feedback_name_ts ON feedback(name, ts);

CREATE TABLE IF NOT EXISTS rejects (
    rowid INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    head BLOB,
    ts REAL NOT NULL
);

-- One row per tailed file identity. file_key = "dev:ino:fingerprint".
CREATE TABLE IF NOT EXISTS checkpoints (
    source TEXT NOT NULL,
    file_key TEXT NOT NULL,
    path TEXT NOT NULL,
    offset INTEGER NOT NULL DEFAULT 0,
    line_no INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT NOT NULL DEFAULT '',
    finished INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (source, file_key)
);

-- Monotonic counters kept in the same transaction as the rows they count.
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
);

-- Hourly rollup maintained on ingest (hour = floor(ts / 3600)).
CREATE TABLE IF NOT EXISTS rollup_hourly (
    hour INTEGER NOT NULL,
    model TEXT NOT NULL,
    task TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    variant TEXT NOT NULL,
    outputs INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    estimated_outputs INTEGER NOT NULL DEFAULT 0,
    unpriced_outputs INTEGER NOT NULL DEFAULT 0,
    cost_pusd INTEGER NOT NULL DEFAULT 0,
    latency_ms_sum REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, model, task, prompt_version, variant)
);

-- Sampling decisions. status: pending | done | skipped.
CREATE TABLE IF NOT EXISTS samples (
    output_id TEXT PRIMARY KEY,
    strata TEXT NOT NULL DEFAULT '',
    probability REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    sampled_at REAL NOT NULL,
    output_ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_status ON samples(status, output_ts);

-- One verdict per (output, judge); rule checks are judges of kind 'rule'.
-- status: ok | error.  passed: 1/0, NULL when status = error.
CREATE TABLE IF NOT EXISTS scores (
    rowid INTEGER PRIMARY KEY,
    output_id TEXT NOT NULL,
    judge TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    passed INTEGER,
    reason TEXT,
    error TEXT,
    same_family INTEGER NOT NULL DEFAULT 0,
    output_ts REAL NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (output_id, judge)
);
CREATE INDEX IF NOT EXISTS scores_judge_ts ON scores(judge, output_ts);
CREATE INDEX IF NOT EXISTS scores_failed ON scores(passed, output_ts);

-- Every judge request, billed or not. cost_known = 0 when a call may have
-- been billed but the reply was lost (the reserved estimate is kept).
CREATE TABLE IF NOT EXISTS judge_calls (
    rowid INTEGER PRIMARY KEY,
    judge TEXT NOT NULL,
    model TEXT NOT NULL,
    output_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    latency_ms REAL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    usage_estimated INTEGER NOT NULL DEFAULT 0,
    cost_pusd INTEGER NOT NULL DEFAULT 0,
    cost_known INTEGER NOT NULL DEFAULT 1,
    reserved_pusd INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    run_id TEXT,
    ts REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS judge_calls_ts ON judge_calls(ts);
CREATE INDEX IF NOT EXISTS judge_calls_judge_ts ON judge_calls(judge, ts);

-- Budget ledger: reservations before a paid call, settled after.
-- state: reserved | settled | released.  amount_pusd is the reserved
-- worst case while reserved, the real cost once settled.
CREATE TABLE IF NOT EXISTS ledger (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    amount_pusd INTEGER NOT NULL,
    day TEXT NOT NULL,
    month TEXT NOT NULL,
    created_at REAL NOT NULL,
    settled_at REAL
);
CREATE INDEX IF NOT EXISTS ledger_kind_day ON ledger(kind, day, state);
CREATE INDEX IF NOT EXISTS ledger_kind_month ON ledger(kind, month, state);

-- Human review labels. label: pass | fail.
CREATE TABLE IF NOT EXISTS labels (
    output_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    score REAL,
    reviewer TEXT NOT NULL DEFAULT '',
    note TEXT,
    ts REAL NOT NULL
);

-- Alerts; dedupe_key makes "once per threshold per period" a constraint.
CREATE TABLE IF NOT EXISTS alerts (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    notified INTEGER NOT NULL DEFAULT 0
);

-- Who runs the jobs. One row per lease name.
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    heartbeat REAL NOT NULL,
    expires_at REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS job_stats (
    job TEXT PRIMARY KEY,
    runs INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    overruns INTEGER NOT NULL DEFAULT 0,
    last_started REAL,
    last_finished REAL,
    last_duration_ms REAL,
    last_error TEXT
);

-- Candidate replays (`evaltop replay`): one row per run, one per case.
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    candidate TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    corpus TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS run_cases (
    run_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    task TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    output_text TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    usage_estimated INTEGER NOT NULL DEFAULT 0,
    cost_pusd INTEGER,
    latency_ms REAL,
    error TEXT,
    ts REAL NOT NULL,
    PRIMARY KEY (run_id, case_id)
);
CREATE TABLE IF NOT EXISTS run_scores (
    run_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    judge TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL,
    passed INTEGER,
    reason TEXT,
    error TEXT,
    ts REAL NOT NULL,
    PRIMARY KEY (run_id, case_id, judge)
);
"""


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
    from .score_rollups import create

    create(conn)


def _v9_judge_spend_daily(conn: sqlite3.Connection) -> None:
    """Judge calls' cost per day, judge and model, kept by triggers (store/judge_call_rollups.py)."""
    from .judge_call_rollups import create

    create(conn)


def _v10_score_rollup_judges(conn: sqlite3.Connection) -> None:
    """Hourly score sums per judge alone (overview pass rates, trends), kept by triggers."""
    from .score_rollups import create_judges

    create_judges(conn)


def _v11_ledger_period_index(conn: sqlite3.Connection) -> None:
    """Budget state sums a month of ledger rows: read them from the index alone."""
    conn.execute("CREATE INDEX IF NOT EXISTS ledger_period_cover ON ledger(kind, month, state, day, amount_pusd)")


def _v12_score_rollup_model_task(conn: sqlite3.Connection) -> None:
    """Hourly score sums per judge and model, and per judge and task (trends by model/task)."""
    from .score_rollups import create_model_task

    create_model_task(conn)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1, _v2_alert_delivery, _v3_sampling_indexes, _v4_run_claims, _v5_ledger_sent,
    _v6_scores_window_index, _v7_rollup_daily, _v8_score_rollup, _v9_judge_spend_daily,
    _v10_score_rollup_judges, _v11_ledger_period_index, _v12_score_rollup_model_task,
]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to :data:`SCHEMA_VERSION`; return the version.

    Runs under ``BEGIN IMMEDIATE`` so two processes starting together do not
    both migrate. A database written by a newer evaltop is refused, not
    touched.
    """
    version = current_version(conn)
    if version == SCHEMA_VERSION:
        return version
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {version} is newer than this evaltop "
            f"understands ({SCHEMA_VERSION}); upgrade evaltop"
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = current_version(conn)  # another process may have migrated
        for step in MIGRATIONS[version:]:
            # executescript would COMMIT our transaction; run statements one by one.
            _run_in_txn(conn, step)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at REAL NOT NULL)"
        )
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, strftime('%s','now'))",
            (SCHEMA_VERSION,),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return SCHEMA_VERSION


class _TxnConn:
    """Makes ``executescript`` inside a migration run statement by statement."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def executescript(self, script: str) -> None:
        for stmt in _split_sql(script):
            self._conn.execute(stmt)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _split_sql(script: str) -> list[str]:
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _run_in_txn(conn: sqlite3.Connection, step: Callable) -> None:
    step(_TxnConn(conn))
