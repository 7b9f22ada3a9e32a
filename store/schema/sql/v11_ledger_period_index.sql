-- Schema step v11: brings a database from version 10 to 11. Released: never edit.
-- Budget state sums a month of ledger rows: read them from the index alone.

CREATE INDEX IF NOT EXISTS ledger_period_cover ON ledger(kind, month, state, day, amount_pusd);
