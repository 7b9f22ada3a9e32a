-- Schema step v2: brings a database from version 1 to 2. Released: never edit.
-- Webhook delivery bookkeeping on alerts; when a job last failed.

ALTER TABLE alerts ADD COLUMN notify_attempts INTEGER NOT NULL DEFAULT 0;

ALTER TABLE alerts ADD COLUMN notify_error TEXT;

ALTER TABLE job_stats ADD COLUMN last_error_at REAL;
