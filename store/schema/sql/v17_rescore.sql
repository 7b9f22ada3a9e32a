-- Schema step v17: brings a database from version 16 to 17. Released: never edit.
-- `evaltop score --rescore` (issue 12): verdicts marked for judging again, and
-- the verdicts a re-judging replaced (kept as history; aggregates read scores).
CREATE TABLE IF NOT EXISTS rescore_queue (
    output_id TEXT NOT NULL,
    judge TEXT NOT NULL,
    requested_at REAL NOT NULL,
    PRIMARY KEY (output_id, judge)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS score_history (
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

CREATE INDEX IF NOT EXISTS score_history_output ON score_history(output_id, judge);
