-- v15: the OTLP receiver (issue 11).
-- Conversation content that a log record reports for a call (per-message
-- events), kept until and after its span arrives: whichever of the two comes
-- first, the output gets the content. Retries are idempotent by the key.
CREATE TABLE IF NOT EXISTS otlp_content (
    output_id TEXT NOT NULL,
    side TEXT NOT NULL,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    received_at REAL NOT NULL,
    PRIMARY KEY (output_id, side, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS otlp_content_received ON otlp_content(received_at);
-- One row per receiver (its listen address): what the dashboard shows.
CREATE TABLE IF NOT EXISTS receiver_status (
    url TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    stopped_at REAL
);
-- The provider's response id of each received call: two instrumentations
-- tracing one API call (an SDK's own span and a library's span) are one
-- output, whichever span arrives first.
CREATE TABLE IF NOT EXISTS otlp_calls (
    response_id TEXT PRIMARY KEY,
    output_id TEXT NOT NULL
) WITHOUT ROWID;
