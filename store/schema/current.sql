-- The current schema: every table, index and trigger a fresh database gets.
-- GENERATED from v1 plus every step in sql/ by
--     python -m evaltop.store.schema.current
-- never edit by hand; change the schema by adding a step.

CREATE TABLE outputs (
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
, cache_write_1h_tokens INTEGER, batch INTEGER NOT NULL DEFAULT 0, service_tier TEXT, price_entry TEXT, price_fallback TEXT);

CREATE INDEX outputs_ts ON outputs(ts);

CREATE INDEX outputs_model_ts ON outputs(model, ts);

CREATE INDEX outputs_task_ts ON outputs(task, ts);

CREATE INDEX outputs_input_hash ON outputs(input_hash);

CREATE INDEX outputs_prompt_version_ts ON outputs(prompt_version, ts);

CREATE INDEX outputs_variant_ts ON outputs(variant, ts);

CREATE TABLE feedback (
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

CREATE INDEX feedback_output ON feedback(output_id);

CREATE INDEX feedback_name_ts ON feedback(name, ts);

CREATE TABLE rejects (
    rowid INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    line_no INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    head BLOB,
    ts REAL NOT NULL
);

CREATE TABLE checkpoints (
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

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rollup_hourly (
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

CREATE TABLE samples (
    output_id TEXT PRIMARY KEY,
    strata TEXT NOT NULL DEFAULT '',
    probability REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    sampled_at REAL NOT NULL,
    output_ts REAL NOT NULL
);

CREATE INDEX samples_status ON samples(status, output_ts);

CREATE INDEX samples_output_ts ON samples(output_ts, output_id);

CREATE TABLE scores (
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

CREATE INDEX scores_judge_ts ON scores(judge, output_ts);

CREATE INDEX scores_failed ON scores(passed, output_ts);

CREATE INDEX scores_output_ts ON scores(output_ts, judge);

CREATE TABLE judge_calls (
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
, cached_input_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0, cache_write_1h_tokens INTEGER, reasoning_tokens INTEGER NOT NULL DEFAULT 0, price_entry TEXT, price_fallback TEXT, unconfirmed_pusd INTEGER NOT NULL DEFAULT 0, unconfirmed_attempts INTEGER NOT NULL DEFAULT 0);

CREATE INDEX judge_calls_ts ON judge_calls(ts);

CREATE INDEX judge_calls_judge_ts ON judge_calls(judge, ts);

CREATE TABLE ledger (
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
, sent_at REAL, meta_json TEXT);

CREATE INDEX ledger_kind_day ON ledger(kind, day, state);

CREATE INDEX ledger_kind_month ON ledger(kind, month, state);

CREATE INDEX ledger_ref ON ledger(kind, ref, state);

CREATE INDEX ledger_period_cover ON ledger(kind, month, state, day, amount_pusd);

CREATE TABLE labels (
    output_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    score REAL,
    reviewer TEXT NOT NULL DEFAULT '',
    note TEXT,
    ts REAL NOT NULL
);

CREATE TABLE alerts (
    rowid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    ts REAL NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0,
    notified INTEGER NOT NULL DEFAULT 0
, notify_attempts INTEGER NOT NULL DEFAULT 0, notify_error TEXT);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    heartbeat REAL NOT NULL,
    expires_at REAL NOT NULL
);

CREATE TABLE job_stats (
    job TEXT PRIMARY KEY,
    runs INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    overruns INTEGER NOT NULL DEFAULT 0,
    last_started REAL,
    last_finished REAL,
    last_duration_ms REAL,
    last_error TEXT
, last_error_at REAL);

CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    candidate TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    corpus TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL
);

CREATE TABLE run_cases (
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
    ts REAL NOT NULL, owner TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0, lost_calls INTEGER NOT NULL DEFAULT 0, unconfirmed_attempts INTEGER NOT NULL DEFAULT 0, unconfirmed_pusd INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, case_id)
);

CREATE TABLE run_scores (
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

CREATE TABLE rollup_daily ( day INTEGER NOT NULL, model TEXT NOT NULL, outputs
    INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL
    DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, estimated_outputs INTEGER NOT NULL
    DEFAULT 0, unpriced_outputs INTEGER NOT NULL DEFAULT 0, cost_pusd INTEGER NOT NULL DEFAULT
    0, latency_ms_sum REAL NOT NULL DEFAULT 0, PRIMARY KEY (day, model)) WITHOUT ROWID;

CREATE TABLE score_rollup_hourly (hour INTEGER NOT NULL, judge TEXT NOT NULL, kind
    TEXT NOT NULL, task TEXT, model TEXT, prompt_version TEXT, variant TEXT, rows INTEGER NOT
    NULL DEFAULT 0, judged INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, p_n
    INTEGER NOT NULL DEFAULT 0, p_sum_y REAL NOT NULL DEFAULT 0, p_sum_yy REAL NOT NULL DEFAULT
    0, p_sum_w REAL NOT NULL DEFAULT 0, p_sum_wy REAL NOT NULL DEFAULT 0, p_sum_wyy REAL NOT
    NULL DEFAULT 0, p_sum_ww REAL NOT NULL DEFAULT 0, p_sum_wwy REAL NOT NULL DEFAULT 0,
    p_sum_wwyy REAL NOT NULL DEFAULT 0, s_n INTEGER NOT NULL DEFAULT 0, s_sum_y REAL NOT NULL
    DEFAULT 0, s_sum_yy REAL NOT NULL DEFAULT 0, s_sum_w REAL NOT NULL DEFAULT 0, s_sum_wy REAL
    NOT NULL DEFAULT 0, s_sum_wyy REAL NOT NULL DEFAULT 0, s_sum_ww REAL NOT NULL DEFAULT 0,
    s_sum_wwy REAL NOT NULL DEFAULT 0, s_sum_wwyy REAL NOT NULL DEFAULT 0, UNIQUE (hour, judge,
    kind, task, model, prompt_version, variant));

CREATE TABLE judge_spend_daily (day INTEGER NOT NULL, judge TEXT NOT NULL, model
    TEXT NOT NULL, calls INTEGER NOT NULL DEFAULT 0, cost_pusd INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER
    NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, unconfirmed_pusd INTEGER NOT NULL DEFAULT 0, unconfirmed_attempts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, judge,
    model)) WITHOUT ROWID;

CREATE TABLE score_rollup_judge_hourly (hour INTEGER NOT NULL, judge TEXT NOT
    NULL, kind TEXT NOT NULL, rows INTEGER NOT NULL DEFAULT 0, judged INTEGER NOT NULL DEFAULT
    0, errors INTEGER NOT NULL DEFAULT 0, p_n INTEGER NOT NULL DEFAULT 0, p_sum_y REAL NOT NULL
    DEFAULT 0, p_sum_yy REAL NOT NULL DEFAULT 0, p_sum_w REAL NOT NULL DEFAULT 0, p_sum_wy REAL
    NOT NULL DEFAULT 0, p_sum_wyy REAL NOT NULL DEFAULT 0, p_sum_ww REAL NOT NULL DEFAULT 0,
    p_sum_wwy REAL NOT NULL DEFAULT 0, p_sum_wwyy REAL NOT NULL DEFAULT 0, s_n INTEGER NOT NULL
    DEFAULT 0, s_sum_y REAL NOT NULL DEFAULT 0, s_sum_yy REAL NOT NULL DEFAULT 0, s_sum_w REAL
    NOT NULL DEFAULT 0, s_sum_wy REAL NOT NULL DEFAULT 0, s_sum_wyy REAL NOT NULL DEFAULT 0,
    s_sum_ww REAL NOT NULL DEFAULT 0, s_sum_wwy REAL NOT NULL DEFAULT 0, s_sum_wwyy REAL NOT
    NULL DEFAULT 0, PRIMARY KEY (hour, judge, kind)) WITHOUT ROWID;

CREATE TABLE score_rollup_model_hourly (hour INTEGER NOT NULL, judge TEXT NOT
    NULL, kind TEXT NOT NULL, model TEXT, rows INTEGER NOT NULL DEFAULT 0, judged INTEGER NOT
    NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, p_n INTEGER NOT NULL DEFAULT 0, p_sum_y
    REAL NOT NULL DEFAULT 0, p_sum_yy REAL NOT NULL DEFAULT 0, p_sum_w REAL NOT NULL DEFAULT 0,
    p_sum_wy REAL NOT NULL DEFAULT 0, p_sum_wyy REAL NOT NULL DEFAULT 0, p_sum_ww REAL NOT NULL
    DEFAULT 0, p_sum_wwy REAL NOT NULL DEFAULT 0, p_sum_wwyy REAL NOT NULL DEFAULT 0, s_n
    INTEGER NOT NULL DEFAULT 0, s_sum_y REAL NOT NULL DEFAULT 0, s_sum_yy REAL NOT NULL DEFAULT
    0, s_sum_w REAL NOT NULL DEFAULT 0, s_sum_wy REAL NOT NULL DEFAULT 0, s_sum_wyy REAL NOT
    NULL DEFAULT 0, s_sum_ww REAL NOT NULL DEFAULT 0, s_sum_wwy REAL NOT NULL DEFAULT 0,
    s_sum_wwyy REAL NOT NULL DEFAULT 0, UNIQUE (hour, judge, kind, model));

CREATE TABLE score_rollup_task_hourly (hour INTEGER NOT NULL, judge TEXT NOT NULL,
    kind TEXT NOT NULL, task TEXT, rows INTEGER NOT NULL DEFAULT 0, judged INTEGER NOT NULL
    DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, p_n INTEGER NOT NULL DEFAULT 0, p_sum_y REAL
    NOT NULL DEFAULT 0, p_sum_yy REAL NOT NULL DEFAULT 0, p_sum_w REAL NOT NULL DEFAULT 0,
    p_sum_wy REAL NOT NULL DEFAULT 0, p_sum_wyy REAL NOT NULL DEFAULT 0, p_sum_ww REAL NOT NULL
    DEFAULT 0, p_sum_wwy REAL NOT NULL DEFAULT 0, p_sum_wwyy REAL NOT NULL DEFAULT 0, s_n
    INTEGER NOT NULL DEFAULT 0, s_sum_y REAL NOT NULL DEFAULT 0, s_sum_yy REAL NOT NULL DEFAULT
    0, s_sum_w REAL NOT NULL DEFAULT 0, s_sum_wy REAL NOT NULL DEFAULT 0, s_sum_wyy REAL NOT
    NULL DEFAULT 0, s_sum_ww REAL NOT NULL DEFAULT 0, s_sum_wwy REAL NOT NULL DEFAULT 0,
    s_sum_wwyy REAL NOT NULL DEFAULT 0, UNIQUE (hour, judge, kind, task));

CREATE TABLE analysis_cache ( key TEXT PRIMARY KEY, now REAL NOT NULL, computed_at
    REAL NOT NULL, watermark INTEGER NOT NULL DEFAULT 0, payload_json TEXT NOT NULL);

CREATE TABLE ledger_daily ( kind TEXT NOT NULL, day TEXT NOT NULL, month TEXT NOT
    NULL, state TEXT NOT NULL, amount_pusd INTEGER NOT NULL DEFAULT 0, n INTEGER NOT NULL
    DEFAULT 0, PRIMARY KEY (kind, day, state)) WITHOUT ROWID;

CREATE INDEX ledger_daily_month ON ledger_daily(kind, month, state);

CREATE TABLE otlp_content (
    output_id TEXT NOT NULL,
    side TEXT NOT NULL,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    received_at REAL NOT NULL,
    PRIMARY KEY (output_id, side, seq)
) WITHOUT ROWID;

CREATE INDEX otlp_content_received ON otlp_content(received_at);

CREATE TABLE receiver_status (
    url TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    stopped_at REAL
);

CREATE TABLE otlp_calls (
    response_id TEXT PRIMARY KEY,
    output_id TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE source_status (
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    reason TEXT NOT NULL,
    since REAL NOT NULL,
    PRIMARY KEY (source, path)
) WITHOUT ROWID;

CREATE TABLE rescore_queue (
    output_id TEXT NOT NULL,
    judge TEXT NOT NULL,
    requested_at REAL NOT NULL,
    PRIMARY KEY (output_id, judge)
) WITHOUT ROWID;

CREATE TABLE score_history (
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
    replaced_at REAL NOT NULL
);

CREATE INDEX score_history_output ON score_history(output_id, judge);

CREATE TABLE search_build (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    target_rowid INTEGER NOT NULL,
    next_rowid INTEGER NOT NULL,
    total INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    started_at REAL NOT NULL,
    finished_at REAL
);

CREATE TRIGGER rollup_daily_ins AFTER INSERT ON rollup_hourly BEGIN
  INSERT INTO rollup_daily (day, model, outputs, errors, input_tokens, output_tokens,
      estimated_outputs, unpriced_outputs, cost_pusd, latency_ms_sum)
  VALUES (NEW.hour / 24, NEW.model, NEW.outputs, NEW.errors, NEW.input_tokens,
      NEW.output_tokens, NEW.estimated_outputs, NEW.unpriced_outputs, NEW.cost_pusd,
      NEW.latency_ms_sum)
  ON CONFLICT(day, model) DO UPDATE SET outputs = outputs + excluded.outputs, errors = errors +
      excluded.errors, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, estimated_outputs = estimated_outputs +
      excluded.estimated_outputs, unpriced_outputs = unpriced_outputs +
      excluded.unpriced_outputs, cost_pusd = cost_pusd + excluded.cost_pusd, latency_ms_sum =
      latency_ms_sum + excluded.latency_ms_sum;
END;

CREATE TRIGGER rollup_daily_upd AFTER UPDATE ON rollup_hourly BEGIN
  INSERT INTO rollup_daily (day, model, outputs, errors, input_tokens, output_tokens,
      estimated_outputs, unpriced_outputs, cost_pusd, latency_ms_sum)
  VALUES (NEW.hour / 24, NEW.model, NEW.outputs, NEW.errors, NEW.input_tokens,
      NEW.output_tokens, NEW.estimated_outputs, NEW.unpriced_outputs, NEW.cost_pusd,
      NEW.latency_ms_sum)
  ON CONFLICT(day, model) DO UPDATE SET outputs = outputs + excluded.outputs, errors = errors +
      excluded.errors, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, estimated_outputs = estimated_outputs +
      excluded.estimated_outputs, unpriced_outputs = unpriced_outputs +
      excluded.unpriced_outputs, cost_pusd = cost_pusd + excluded.cost_pusd, latency_ms_sum =
      latency_ms_sum + excluded.latency_ms_sum;
  UPDATE rollup_daily SET outputs = outputs - OLD.outputs, errors = errors - OLD.errors,
      input_tokens = input_tokens - OLD.input_tokens, output_tokens = output_tokens -
      OLD.output_tokens, estimated_outputs = estimated_outputs - OLD.estimated_outputs,
      unpriced_outputs = unpriced_outputs - OLD.unpriced_outputs, cost_pusd = cost_pusd -
      OLD.cost_pusd, latency_ms_sum = latency_ms_sum - OLD.latency_ms_sum
  WHERE day = OLD.hour / 24 AND model = OLD.model;
END;

CREATE TRIGGER rollup_daily_del AFTER DELETE ON rollup_hourly BEGIN
  UPDATE rollup_daily SET outputs = outputs - OLD.outputs, errors = errors - OLD.errors,
      input_tokens = input_tokens - OLD.input_tokens, output_tokens = output_tokens -
      OLD.output_tokens, estimated_outputs = estimated_outputs - OLD.estimated_outputs,
      unpriced_outputs = unpriced_outputs - OLD.unpriced_outputs, cost_pusd = cost_pusd -
      OLD.cost_pusd, latency_ms_sum = latency_ms_sum - OLD.latency_ms_sum
  WHERE day = OLD.hour / 24 AND model = OLD.model;
END;

CREATE TRIGGER score_rollup_ins AFTER INSERT ON scores BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, NEW.status AS
      status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_upd AFTER UPDATE OF status, passed, score, judge,
    kind, output_id, output_ts ON scores BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, OLD.status AS
      status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, NEW.status AS
      status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_del AFTER DELETE ON scores BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, OLD.status AS
      status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_sample_ins AFTER INSERT ON samples BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_sample_upd AFTER UPDATE OF probability ON samples WHEN
    OLD.probability IS NOT NEW.probability BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_sample_del AFTER DELETE ON samples BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_judge_ins AFTER INSERT ON scores BEGIN
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, NEW.status AS
      status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1))
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_judge_upd AFTER UPDATE OF status, passed, score,
    judge, kind, output_id, output_ts ON scores BEGIN
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, OLD.status AS
      status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1))
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, NEW.status AS
      status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1))
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_judge_del AFTER DELETE ON scores BEGIN
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, OLD.status AS
      status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1))
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_judge_sample_ins AFTER INSERT ON samples BEGIN
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability, 0), 1.0) AS w
  FROM scores s
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_judge_sample_upd AFTER UPDATE OF probability ON
    samples WHEN OLD.probability IS NOT NEW.probability BEGIN
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability, 0), 1.0) AS w
  FROM scores s
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability, 0), 1.0) AS w
  FROM scores s
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_judge_sample_del AFTER DELETE ON samples BEGIN
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability, 0), 1.0) AS w
  FROM scores s
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_judge_hourly (hour, judge, kind, rows, judged, errors, p_n, p_sum_y,
      p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n, s_sum_y,
      s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed
      * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND
      passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed
      IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score * score ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN status = 'ok'
      AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL
      THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w
      * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind) DO UPDATE SET rows = rows + excluded.rows, judged = judged +
      excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n, p_sum_y =
      p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w = p_sum_w +
      excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy +
      excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_model_ins AFTER INSERT ON scores BEGIN
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.model AS model,
      NEW.status AS status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_model_upd AFTER UPDATE OF status, passed, score,
    judge, kind, output_id, output_ts ON scores BEGIN
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.model AS model,
      OLD.status AS status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.model AS model,
      NEW.status AS status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_model_del AFTER DELETE ON scores BEGIN
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.model AS model,
      OLD.status AS status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_model_sample_ins AFTER INSERT ON samples BEGIN
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.model AS model, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.model AS model, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_model_sample_upd AFTER UPDATE OF probability ON
    samples WHEN OLD.probability IS NOT NEW.probability BEGIN
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.model AS model, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.model AS model, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_model_sample_del AFTER DELETE ON samples BEGIN
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.model AS model, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_model_hourly (hour, judge, kind, model, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, model, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.model AS model, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, model) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_task_ins AFTER INSERT ON scores BEGIN
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.task AS task,
      NEW.status AS status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_task_upd AFTER UPDATE OF status, passed, score, judge,
    kind, output_id, output_ts ON scores BEGIN
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.task AS task,
      OLD.status AS status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.task AS task,
      NEW.status AS status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_task_del AFTER DELETE ON scores BEGIN
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.task AS task,
      OLD.status AS status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_task_sample_ins AFTER INSERT ON samples BEGIN
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_task_sample_upd AFTER UPDATE OF probability ON samples
    WHEN OLD.probability IS NOT NEW.probability BEGIN
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER score_rollup_task_sample_del AFTER DELETE ON samples BEGIN
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, -1, -(status = 'ok'), -(status = 'error'), -(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), -(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), -(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability,
      0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
  INSERT INTO score_rollup_task_hourly (hour, judge, kind, task, rows, judged, errors, p_n,
      p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy, p_sum_wwyy, s_n,
      s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, +1, +(status = 'ok'), +(status = 'error'), +(CASE WHEN status
      = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS
      NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN
      passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE
      0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END),
      +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN
      status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END), +(CASE WHEN status
      = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END), +(CASE WHEN status = 'ok' AND score
      IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT
      NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, s.status
      AS status, s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task) DO UPDATE SET rows = rows + excluded.rows, judged =
      judged + excluded.judged, errors = errors + excluded.errors, p_n = p_n + excluded.p_n,
      p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy + excluded.p_sum_yy, p_sum_w =
      p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy + excluded.p_sum_wy, p_sum_wyy = p_sum_wyy
      + excluded.p_sum_wyy, p_sum_ww = p_sum_ww + excluded.p_sum_ww, p_sum_wwy = p_sum_wwy +
      excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy + excluded.p_sum_wwyy, s_n = s_n +
      excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y, s_sum_yy = s_sum_yy +
      excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy = s_sum_wy +
      excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww = s_sum_ww +
      excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy = s_sum_wwyy +
      excluded.s_sum_wwyy;
END;

CREATE TRIGGER ledger_daily_ins AFTER INSERT ON ledger BEGIN
  INSERT INTO ledger_daily (kind, day, month, state, amount_pusd, n)
  VALUES (NEW.kind, NEW.day, NEW.month, NEW.state, NEW.amount_pusd, 1)
  ON CONFLICT(kind, day, state) DO UPDATE SET amount_pusd = amount_pusd + excluded.amount_pusd,
      n = n + 1;
END;

CREATE TRIGGER ledger_daily_upd AFTER UPDATE ON ledger BEGIN
  UPDATE ledger_daily SET amount_pusd = amount_pusd - OLD.amount_pusd, n = n - 1
  WHERE kind = OLD.kind AND day = OLD.day AND state = OLD.state;
  INSERT INTO ledger_daily (kind, day, month, state, amount_pusd, n)
  VALUES (NEW.kind, NEW.day, NEW.month, NEW.state, NEW.amount_pusd, 1)
  ON CONFLICT(kind, day, state) DO UPDATE SET amount_pusd = amount_pusd + excluded.amount_pusd,
      n = n + 1;
END;

CREATE TRIGGER ledger_daily_del AFTER DELETE ON ledger BEGIN
  UPDATE ledger_daily SET amount_pusd = amount_pusd - OLD.amount_pusd, n = n - 1
  WHERE kind = OLD.kind AND day = OLD.day AND state = OLD.state;
END;

CREATE TRIGGER judge_spend_daily_ins AFTER INSERT ON judge_calls BEGIN
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens, unconfirmed_pusd, unconfirmed_attempts)
  VALUES ((CAST(NEW.ts / 86400 AS INTEGER) - (CAST(NEW.ts / 86400 AS INTEGER) * 86400 > NEW.ts)),
      NEW.judge, NEW.model, +1, +NEW.cost_pusd, +(NEW.cost_known = 0), +(NEW.status != 'ok'),
      +NEW.input_tokens, +NEW.output_tokens, +NEW.unconfirmed_pusd, +NEW.unconfirmed_attempts)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, unconfirmed_pusd = unconfirmed_pusd +
      excluded.unconfirmed_pusd, unconfirmed_attempts = unconfirmed_attempts +
      excluded.unconfirmed_attempts;
END;

CREATE TRIGGER judge_spend_daily_upd AFTER UPDATE OF ts, judge, model, cost_pusd,
    cost_known, status, input_tokens, output_tokens, unconfirmed_pusd, unconfirmed_attempts
    ON judge_calls BEGIN
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens, unconfirmed_pusd, unconfirmed_attempts)
  VALUES ((CAST(OLD.ts / 86400 AS INTEGER) - (CAST(OLD.ts / 86400 AS INTEGER) * 86400 > OLD.ts)),
      OLD.judge, OLD.model, -1, -OLD.cost_pusd, -(OLD.cost_known = 0), -(OLD.status != 'ok'),
      -OLD.input_tokens, -OLD.output_tokens, -OLD.unconfirmed_pusd, -OLD.unconfirmed_attempts)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, unconfirmed_pusd = unconfirmed_pusd +
      excluded.unconfirmed_pusd, unconfirmed_attempts = unconfirmed_attempts +
      excluded.unconfirmed_attempts;
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens, unconfirmed_pusd, unconfirmed_attempts)
  VALUES ((CAST(NEW.ts / 86400 AS INTEGER) - (CAST(NEW.ts / 86400 AS INTEGER) * 86400 > NEW.ts)),
      NEW.judge, NEW.model, +1, +NEW.cost_pusd, +(NEW.cost_known = 0), +(NEW.status != 'ok'),
      +NEW.input_tokens, +NEW.output_tokens, +NEW.unconfirmed_pusd, +NEW.unconfirmed_attempts)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, unconfirmed_pusd = unconfirmed_pusd +
      excluded.unconfirmed_pusd, unconfirmed_attempts = unconfirmed_attempts +
      excluded.unconfirmed_attempts;
END;

CREATE TRIGGER judge_spend_daily_del AFTER DELETE ON judge_calls BEGIN
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens, unconfirmed_pusd, unconfirmed_attempts)
  VALUES ((CAST(OLD.ts / 86400 AS INTEGER) - (CAST(OLD.ts / 86400 AS INTEGER) * 86400 > OLD.ts)),
      OLD.judge, OLD.model, -1, -OLD.cost_pusd, -(OLD.cost_known = 0), -(OLD.status != 'ok'),
      -OLD.input_tokens, -OLD.output_tokens, -OLD.unconfirmed_pusd, -OLD.unconfirmed_attempts)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, unconfirmed_pusd = unconfirmed_pusd +
      excluded.unconfirmed_pusd, unconfirmed_attempts = unconfirmed_attempts +
      excluded.unconfirmed_attempts;
END;
