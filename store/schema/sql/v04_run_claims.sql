-- Schema step v4: brings a database from version 3 to 4. Released: never edit.
-- Replay claims: who holds a case, how many calls it took, and how many calls a crashed holder
-- may have had billed without recording them.

ALTER TABLE run_cases ADD COLUMN owner TEXT NOT NULL DEFAULT '';

ALTER TABLE run_cases ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

ALTER TABLE run_cases ADD COLUMN lost_calls INTEGER NOT NULL DEFAULT 0;
