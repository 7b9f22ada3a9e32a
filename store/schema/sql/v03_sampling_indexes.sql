-- Schema step v3: brings a database from version 2 to 3. Released: never edit.
-- Sampling's "first seen" look-ups per prompt_version / variant (model has outputs_model_ts)
-- and the review queue's oldest-first keyset order.

CREATE INDEX IF NOT EXISTS outputs_prompt_version_ts ON outputs(prompt_version, ts);

CREATE INDEX IF NOT EXISTS outputs_variant_ts ON outputs(variant, ts);

CREATE INDEX IF NOT EXISTS samples_output_ts ON samples(output_ts, output_id);
