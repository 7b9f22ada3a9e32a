-- v19: exact billing (issue 13).
-- 1-hour cache writes kept apart from the total (cache_write_tokens stays the
-- total of every TTL): NULL = the log gave only the total, so older rows keep
-- it as 5-minute writes. The batch flag and service tier choose the rates;
-- price_entry is the table entry that priced the row, price_fallback the
-- fallback rules used (or why the row is unpriced).
ALTER TABLE outputs ADD COLUMN cache_write_1h_tokens INTEGER;
ALTER TABLE outputs ADD COLUMN batch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outputs ADD COLUMN service_tier TEXT;
ALTER TABLE outputs ADD COLUMN price_entry TEXT;
ALTER TABLE outputs ADD COLUMN price_fallback TEXT;
-- Judge calls get the same buckets (one pricing engine).
ALTER TABLE judge_calls ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE judge_calls ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE judge_calls ADD COLUMN cache_write_1h_tokens INTEGER;
ALTER TABLE judge_calls ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE judge_calls ADD COLUMN price_entry TEXT;
ALTER TABLE judge_calls ADD COLUMN price_fallback TEXT;
