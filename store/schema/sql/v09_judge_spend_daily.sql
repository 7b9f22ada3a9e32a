-- Schema step v9: brings a database from version 8 to 9. Released: never edit.
-- Judge calls' cost per day, judge and model, kept by triggers (read by store/judge_calls.py).

CREATE TABLE IF NOT EXISTS judge_spend_daily (day INTEGER NOT NULL, judge TEXT NOT NULL, model
    TEXT NOT NULL, calls INTEGER NOT NULL DEFAULT 0, cost_pusd INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER
    NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, judge,
    model)) WITHOUT ROWID;

INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
    input_tokens, output_tokens)
SELECT (CAST(ts / 86400 AS INTEGER) - (CAST(ts / 86400 AS INTEGER) * 86400 > ts)) AS d, judge,
    model, count(*), sum(cost_pusd), sum(cost_known = 0), sum(status != 'ok'),
    sum(input_tokens), sum(output_tokens)
FROM judge_calls
GROUP BY d, judge, model;

CREATE TRIGGER IF NOT EXISTS judge_spend_daily_ins AFTER INSERT ON judge_calls BEGIN
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens)
  VALUES ((CAST(NEW.ts / 86400 AS INTEGER) - (CAST(NEW.ts / 86400 AS INTEGER) * 86400 >
      NEW.ts)), NEW.judge, NEW.model, +1, +NEW.cost_pusd, +(NEW.cost_known = 0), +(NEW.status !=
      'ok'), +NEW.input_tokens, +NEW.output_tokens)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens;
END;

CREATE TRIGGER IF NOT EXISTS judge_spend_daily_upd AFTER UPDATE OF ts, judge, model, cost_pusd,
    cost_known, status, input_tokens, output_tokens ON judge_calls BEGIN
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens)
  VALUES ((CAST(OLD.ts / 86400 AS INTEGER) - (CAST(OLD.ts / 86400 AS INTEGER) * 86400 >
      OLD.ts)), OLD.judge, OLD.model, -1, -OLD.cost_pusd, -(OLD.cost_known = 0), -(OLD.status !=
      'ok'), -OLD.input_tokens, -OLD.output_tokens)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens;
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens)
  VALUES ((CAST(NEW.ts / 86400 AS INTEGER) - (CAST(NEW.ts / 86400 AS INTEGER) * 86400 >
      NEW.ts)), NEW.judge, NEW.model, +1, +NEW.cost_pusd, +(NEW.cost_known = 0), +(NEW.status !=
      'ok'), +NEW.input_tokens, +NEW.output_tokens)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens;
END;

CREATE TRIGGER IF NOT EXISTS judge_spend_daily_del AFTER DELETE ON judge_calls BEGIN
  INSERT INTO judge_spend_daily (day, judge, model, calls, cost_pusd, unknown, failed,
      input_tokens, output_tokens)
  VALUES ((CAST(OLD.ts / 86400 AS INTEGER) - (CAST(OLD.ts / 86400 AS INTEGER) * 86400 >
      OLD.ts)), OLD.judge, OLD.model, -1, -OLD.cost_pusd, -(OLD.cost_known = 0), -(OLD.status !=
      'ok'), -OLD.input_tokens, -OLD.output_tokens)
  ON CONFLICT(day, judge, model) DO UPDATE SET calls = calls + excluded.calls, cost_pusd =
      cost_pusd + excluded.cost_pusd, unknown = unknown + excluded.unknown, failed = failed +
      excluded.failed, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens;
END;
