"""The DDL of the first schema (version 1): every table evaltop started with.

Released: never edit it. It is step 1 of ``steps.py``; later changes are the
frozen steps in ``sql/``, and ``current.sql`` shows the schema as it is now.
Conventions are in ``runner.py``.
"""

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
