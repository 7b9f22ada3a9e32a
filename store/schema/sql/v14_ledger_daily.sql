-- Schema step v14: brings a database from version 13 to 14. Released: never edit.
-- Ledger sums per kind, UTC day and state, kept by triggers in the same transaction as the
-- ledger row. The budget check (inside every reservation's BEGIN IMMEDIATE) and the budget bars
-- then add up at most 31 rows instead of a month of calls. Writers must not use INSERT OR
-- REPLACE on ledger.

CREATE TABLE IF NOT EXISTS ledger_daily ( kind TEXT NOT NULL, day TEXT NOT NULL, month TEXT NOT
    NULL, state TEXT NOT NULL, amount_pusd INTEGER NOT NULL DEFAULT 0, n INTEGER NOT NULL
    DEFAULT 0, PRIMARY KEY (kind, day, state)) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS ledger_daily_month ON ledger_daily(kind, month, state);

INSERT INTO ledger_daily (kind, day, month, state, amount_pusd, n)
SELECT kind, day, month, state, SUM(amount_pusd), COUNT(*)
FROM ledger
GROUP BY kind, day, state;

CREATE TRIGGER IF NOT EXISTS ledger_daily_ins AFTER INSERT ON ledger BEGIN
  INSERT INTO ledger_daily (kind, day, month, state, amount_pusd, n)
  VALUES (NEW.kind, NEW.day, NEW.month, NEW.state, NEW.amount_pusd, 1)
  ON CONFLICT(kind, day, state) DO UPDATE SET amount_pusd = amount_pusd + excluded.amount_pusd,
      n = n + 1;
END;

CREATE TRIGGER IF NOT EXISTS ledger_daily_upd AFTER UPDATE ON ledger BEGIN
  UPDATE ledger_daily SET amount_pusd = amount_pusd - OLD.amount_pusd, n = n - 1
  WHERE kind = OLD.kind AND day = OLD.day AND state = OLD.state;
  INSERT INTO ledger_daily (kind, day, month, state, amount_pusd, n)
  VALUES (NEW.kind, NEW.day, NEW.month, NEW.state, NEW.amount_pusd, 1)
  ON CONFLICT(kind, day, state) DO UPDATE SET amount_pusd = amount_pusd + excluded.amount_pusd,
      n = n + 1;
END;

CREATE TRIGGER IF NOT EXISTS ledger_daily_del AFTER DELETE ON ledger BEGIN
  UPDATE ledger_daily SET amount_pusd = amount_pusd - OLD.amount_pusd, n = n - 1
  WHERE kind = OLD.kind AND day = OLD.day AND state = OLD.state;
END;
