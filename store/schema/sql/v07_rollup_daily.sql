-- Schema step v7: brings a database from version 6 to 7. Released: never edit.
-- Per-day, per-model totals kept by triggers on rollup_hourly, so month and 30-day spend read
-- ~30 rows per model instead of every hourly segment.

CREATE TABLE IF NOT EXISTS rollup_daily ( day INTEGER NOT NULL, model TEXT NOT NULL, outputs
    INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL
    DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, estimated_outputs INTEGER NOT NULL
    DEFAULT 0, unpriced_outputs INTEGER NOT NULL DEFAULT 0, cost_pusd INTEGER NOT NULL DEFAULT
    0, latency_ms_sum REAL NOT NULL DEFAULT 0, PRIMARY KEY (day, model)) WITHOUT ROWID;

INSERT INTO rollup_daily (day, model, outputs, errors, input_tokens, output_tokens,
    estimated_outputs, unpriced_outputs, cost_pusd, latency_ms_sum)
SELECT hour / 24, model, sum(outputs), sum(errors), sum(input_tokens), sum(output_tokens),
    sum(estimated_outputs), sum(unpriced_outputs), sum(cost_pusd), sum(latency_ms_sum)
FROM rollup_hourly
GROUP BY hour / 24, model;

CREATE TRIGGER IF NOT EXISTS rollup_daily_ins AFTER INSERT ON rollup_hourly BEGIN
  INSERT INTO rollup_daily (day, model, outputs, errors, input_tokens, output_tokens,
      estimated_outputs, unpriced_outputs, cost_pusd, latency_ms_sum)
  VALUES (NEW.hour / 24, NEW.model, NEW.outputs, NEW.errors, NEW.input_tokens,
      NEW.output_tokens, NEW.estimated_outputs, NEW.unpriced_outputs, NEW.cost_pusd,
      NEW.latency_ms_sum)
  ON CONFLICT(day, model) DO UPDATE SET outputs = outputs + excluded.outputs, errors = errors +
      excluded.errors, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, estimated_outputs = estimated_outputs +
      excluded.estimated_outputs, unpriced_outputs = unpriced_outputs +
      excluded.unpriced_outputs, cost_pusd = cost_pusd + excluded.cost_pusd, latency_ms_sum =
      latency_ms_sum + excluded.latency_ms_sum;
END;

CREATE TRIGGER IF NOT EXISTS rollup_daily_upd AFTER UPDATE ON rollup_hourly BEGIN
  INSERT INTO rollup_daily (day, model, outputs, errors, input_tokens, output_tokens,
      estimated_outputs, unpriced_outputs, cost_pusd, latency_ms_sum)
  VALUES (NEW.hour / 24, NEW.model, NEW.outputs, NEW.errors, NEW.input_tokens,
      NEW.output_tokens, NEW.estimated_outputs, NEW.unpriced_outputs, NEW.cost_pusd,
      NEW.latency_ms_sum)
  ON CONFLICT(day, model) DO UPDATE SET outputs = outputs + excluded.outputs, errors = errors +
      excluded.errors, input_tokens = input_tokens + excluded.input_tokens, output_tokens =
      output_tokens + excluded.output_tokens, estimated_outputs = estimated_outputs +
      excluded.estimated_outputs, unpriced_outputs = unpriced_outputs +
      excluded.unpriced_outputs, cost_pusd = cost_pusd + excluded.cost_pusd, latency_ms_sum =
      latency_ms_sum + excluded.latency_ms_sum;
  UPDATE rollup_daily SET outputs = outputs - OLD.outputs, errors = errors - OLD.errors,
      input_tokens = input_tokens - OLD.input_tokens, output_tokens = output_tokens -
      OLD.output_tokens, estimated_outputs = estimated_outputs - OLD.estimated_outputs,
      unpriced_outputs = unpriced_outputs - OLD.unpriced_outputs, cost_pusd = cost_pusd -
      OLD.cost_pusd, latency_ms_sum = latency_ms_sum - OLD.latency_ms_sum
  WHERE day = OLD.hour / 24 AND model = OLD.model;
END;

CREATE TRIGGER IF NOT EXISTS rollup_daily_del AFTER DELETE ON rollup_hourly BEGIN
  UPDATE rollup_daily SET outputs = outputs - OLD.outputs, errors = errors - OLD.errors,
      input_tokens = input_tokens - OLD.input_tokens, output_tokens = output_tokens -
      OLD.output_tokens, estimated_outputs = estimated_outputs - OLD.estimated_outputs,
      unpriced_outputs = unpriced_outputs - OLD.unpriced_outputs, cost_pusd = cost_pusd -
      OLD.cost_pusd, latency_ms_sum = latency_ms_sum - OLD.latency_ms_sum
  WHERE day = OLD.hour / 24 AND model = OLD.model;
END;
