-- Schema step v13: brings a database from version 12 to 13. Released: never edit.
-- Materialised analysis results for the dashboard (store/analysis_cache.py).

CREATE TABLE IF NOT EXISTS analysis_cache ( key TEXT PRIMARY KEY, now REAL NOT NULL, computed_at
    REAL NOT NULL, watermark INTEGER NOT NULL DEFAULT 0, payload_json TEXT NOT NULL);
