-- Schema step v5: brings a database from version 4 to 5. Released: never edit.
-- Judge budget ledger: when a reserved call may have been sent (so a crash reconciles it as
-- spent, not released), what it was for, and a look-up of active claims by ref.

ALTER TABLE ledger ADD COLUMN sent_at REAL;

ALTER TABLE ledger ADD COLUMN meta_json TEXT;

CREATE INDEX IF NOT EXISTS ledger_ref ON ledger(kind, ref, state);
