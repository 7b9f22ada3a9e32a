-- Schema step v6: brings a database from version 5 to 6. Released: never edit.
-- Analysis reads all judges' scores in a time window (report, trends).

CREATE INDEX IF NOT EXISTS scores_output_ts ON scores(output_ts, judge);
