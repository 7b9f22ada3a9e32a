-- Schema step v20: brings a database from version 19 to 20. Released: never edit.
-- Judge calls whose outcome is unknown, apart from confirmed spend: cost_pusd is
-- what billed replies cost; unconfirmed_pusd holds one reserved estimate per attempt
-- that may have been billed (unconfirmed_attempts). Rows stored before this step
-- with cost_known = 0 held that estimate in cost_pusd: it moves to unconfirmed_pusd
-- (one attempt each), so every amount is kept and none is counted twice. The daily
-- judge spend rollup gains both sums and is rebuilt from judge_calls. Replay cases
-- (run_cases) count their candidate attempts cut off after sending the same way.

DROP TRIGGER IF EXISTS judge_spend_daily_ins;
DROP TRIGGER IF EXISTS judge_spend_daily_upd;
DROP TRIGGER IF EXISTS judge_spend_daily_del;

ALTER TABLE judge_calls ADD COLUMN unconfirmed_pusd INTEGER NOT NULL DEFAULT 0;
ALTER TABLE judge_calls ADD COLUMN unconfirmed_attempts INTEGER NOT NULL DEFAULT 0;

UPDATE judge_calls SET unconfirmed_pusd = cost_pusd, unconfirmed_attempts = 1, cost_pusd = 0
WHERE cost_known = 0;

ALTER TABLE judge_spend_daily ADD COLUMN unconfirmed_pusd INTEGER NOT NULL DEFAULT 0;
ALTER TABLE judge_spend_daily ADD COLUMN unconfirmed_attempts INTEGER NOT NULL DEFAULT 0;

DELETE FROM judge_spend_daily;

INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed, input_tokens,
      output_tokens, unconfirmed_pusd, unconfirmed_attempts)
SELECT (CAST(ts / 86400 AS INTEGER) - (CAST(ts / 86400 AS INTEGER) * 86400 > ts)) AS d, judge,
    model, count(*), sum(cost_pusd), sum(cost_known = 0), sum(status != 'ok'),
    sum(input_tokens), sum(output_tokens), sum(unconfirmed_pusd), sum(unconfirmed_attempts)
FROM judge_calls
GROUP BY d, judge, model;

CREATE TRIGGER IF NOT EXISTS judge_spend_daily_ins AFTER INSERT ON judge_calls BEGIN
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

CREATE TRIGGER IF NOT EXISTS judge_spend_daily_upd AFTER UPDATE OF ts, judge, model, cost_pusd,
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

CREATE TRIGGER IF NOT EXISTS judge_spend_daily_del AFTER DELETE ON judge_calls BEGIN
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

ALTER TABLE run_cases ADD COLUMN unconfirmed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE run_cases ADD COLUMN unconfirmed_pusd INTEGER NOT NULL DEFAULT 0;
