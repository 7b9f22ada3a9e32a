-- Schema step v8: brings a database from version 7 to 8. Released: never edit.
-- Hourly score sums per judge and segment, kept by triggers (read by store/rollups/scores.py).

CREATE TABLE IF NOT EXISTS score_rollup_hourly (hour INTEGER NOT NULL, judge TEXT NOT NULL, kind
    TEXT NOT NULL, task TEXT, model TEXT, prompt_version TEXT, variant TEXT, rows INTEGER NOT
    NULL DEFAULT 0, judged INTEGER NOT NULL DEFAULT 0, errors INTEGER NOT NULL DEFAULT 0, p_n
    INTEGER NOT NULL DEFAULT 0, p_sum_y REAL NOT NULL DEFAULT 0, p_sum_yy REAL NOT NULL DEFAULT
    0, p_sum_w REAL NOT NULL DEFAULT 0, p_sum_wy REAL NOT NULL DEFAULT 0, p_sum_wyy REAL NOT
    NULL DEFAULT 0, p_sum_ww REAL NOT NULL DEFAULT 0, p_sum_wwy REAL NOT NULL DEFAULT 0,
    p_sum_wwyy REAL NOT NULL DEFAULT 0, s_n INTEGER NOT NULL DEFAULT 0, s_sum_y REAL NOT NULL
    DEFAULT 0, s_sum_yy REAL NOT NULL DEFAULT 0, s_sum_w REAL NOT NULL DEFAULT 0, s_sum_wy REAL
    NOT NULL DEFAULT 0, s_sum_wyy REAL NOT NULL DEFAULT 0, s_sum_ww REAL NOT NULL DEFAULT 0,
    s_sum_wwy REAL NOT NULL DEFAULT 0, s_sum_wwyy REAL NOT NULL DEFAULT 0, UNIQUE (hour, judge,
    kind, task, model, prompt_version, variant));

INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant, rows,
    judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww, p_sum_wwy,
    p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww, s_sum_wwy,
    s_sum_wwyy)
SELECT hour, judge, kind, task, model, prompt_version, variant, sum(+1), sum(+(status = 'ok')),
    sum(+(status = 'error')), sum(+(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0
    END)), sum(+(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END)),
    sum(+(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END)),
    sum(+(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w ELSE 0 END)), sum(+(CASE WHEN
    status = 'ok' AND passed IS NOT NULL THEN w * passed ELSE 0 END)), sum(+(CASE WHEN status =
    'ok' AND passed IS NOT NULL THEN w * passed * passed ELSE 0 END)), sum(+(CASE WHEN status =
    'ok' AND passed IS NOT NULL THEN w * w ELSE 0 END)), sum(+(CASE WHEN status = 'ok' AND
    passed IS NOT NULL THEN w * w * passed ELSE 0 END)), sum(+(CASE WHEN status = 'ok' AND
    passed IS NOT NULL THEN w * w * passed * passed ELSE 0 END)), sum(+(CASE WHEN status = 'ok'
    AND score IS NOT NULL THEN 1 ELSE 0 END)), sum(+(CASE WHEN status = 'ok' AND score IS NOT
    NULL THEN score ELSE 0 END)), sum(+(CASE WHEN status = 'ok' AND score IS NOT NULL THEN score
    * score ELSE 0 END)), sum(+(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w ELSE 0
    END)), sum(+(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score ELSE 0 END)),
    sum(+(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score ELSE 0 END)),
    sum(+(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END)), sum(+(CASE WHEN
    status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END)), sum(+(CASE WHEN status
    = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END))
FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) * 3600
    > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS model,
    o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status, s.passed AS
    passed, s.score AS score, COALESCE(1.0 / COALESCE(NULLIF(sm.probability, 0), 1.0), 1.0) AS w
FROM scores s
LEFT JOIN samples sm ON sm.output_id = s.output_id
LEFT JOIN outputs o ON o.id = s.output_id)
GROUP BY hour, judge, kind, task, model, prompt_version, variant;

CREATE TRIGGER IF NOT EXISTS score_rollup_ins AFTER INSERT ON scores BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, NEW.status AS
      status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER IF NOT EXISTS score_rollup_upd AFTER UPDATE OF status, passed, score, judge,
    kind, output_id, output_ts ON scores BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, OLD.status AS
      status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(NEW.output_ts / 3600 AS INTEGER) - (CAST(NEW.output_ts / 3600 AS INTEGER) *
      3600 > NEW.output_ts)) AS hour, NEW.judge AS judge, NEW.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, NEW.status AS
      status, NEW.passed AS passed, NEW.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = NEW.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER IF NOT EXISTS score_rollup_del AFTER DELETE ON scores BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(OLD.output_ts / 3600 AS INTEGER) - (CAST(OLD.output_ts / 3600 AS INTEGER) *
      3600 > OLD.output_ts)) AS hour, OLD.judge AS judge, OLD.kind AS kind, o.task AS task,
      o.model AS model, o.prompt_version AS prompt_version, o.variant AS variant, OLD.status AS
      status, OLD.passed AS passed, OLD.score AS score, COALESCE((SELECT 1.0 /
      COALESCE(NULLIF(probability, 0), 1.0)
  FROM samples
  WHERE output_id = OLD.output_id), 1.0) AS w
  FROM (SELECT 1)
  LEFT JOIN outputs o ON o.id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER IF NOT EXISTS score_rollup_sample_ins AFTER INSERT ON samples BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER IF NOT EXISTS score_rollup_sample_upd AFTER UPDATE OF probability ON samples WHEN
    OLD.probability IS NOT NEW.probability BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(NEW.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = NEW.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;

CREATE TRIGGER IF NOT EXISTS score_rollup_sample_del AFTER DELETE ON samples BEGIN
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, -1, -(status = 'ok'), -(status
      = 'error'), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), -(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), -(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), -(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), -(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), -(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      -(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), -(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 / COALESCE(NULLIF(OLD.probability, 0), 1.0) AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
  INSERT INTO score_rollup_hourly (hour, judge, kind, task, model, prompt_version, variant,
      rows, judged, errors, p_n, p_sum_y, p_sum_yy, p_sum_w, p_sum_wy, p_sum_wyy, p_sum_ww,
      p_sum_wwy, p_sum_wwyy, s_n, s_sum_y, s_sum_yy, s_sum_w, s_sum_wy, s_sum_wyy, s_sum_ww,
      s_sum_wwy, s_sum_wwyy)
  SELECT hour, judge, kind, task, model, prompt_version, variant, +1, +(status = 'ok'), +(status
      = 'error'), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN 1 ELSE 0 END), +(CASE
      WHEN status = 'ok' AND passed IS NOT NULL THEN passed ELSE 0 END), +(CASE WHEN status =
      'ok' AND passed IS NOT NULL THEN passed * passed ELSE 0 END), +(CASE WHEN status = 'ok'
      AND passed IS NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT
      NULL THEN w * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w
      * passed * passed ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w
      ELSE 0 END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND passed IS NOT NULL THEN w * w * passed * passed ELSE 0
      END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN 1 ELSE 0 END), +(CASE WHEN
      status = 'ok' AND score IS NOT NULL THEN score ELSE 0 END), +(CASE WHEN status = 'ok' AND
      score IS NOT NULL THEN score * score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS
      NOT NULL THEN w ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w *
      score ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * score * score
      ELSE 0 END), +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w ELSE 0 END),
      +(CASE WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score ELSE 0 END), +(CASE
      WHEN status = 'ok' AND score IS NOT NULL THEN w * w * score * score ELSE 0 END)
  FROM (SELECT (CAST(s.output_ts / 3600 AS INTEGER) - (CAST(s.output_ts / 3600 AS INTEGER) *
      3600 > s.output_ts)) AS hour, s.judge AS judge, s.kind AS kind, o.task AS task, o.model AS
      model, o.prompt_version AS prompt_version, o.variant AS variant, s.status AS status,
      s.passed AS passed, s.score AS score, 1.0 AS w
  FROM scores s
  LEFT JOIN outputs o ON o.id = s.output_id
  WHERE s.output_id = OLD.output_id)
  WHERE true
  ON CONFLICT(hour, judge, kind, task, model, prompt_version, variant) DO UPDATE SET rows = rows
      + excluded.rows, judged = judged + excluded.judged, errors = errors + excluded.errors, p_n
      = p_n + excluded.p_n, p_sum_y = p_sum_y + excluded.p_sum_y, p_sum_yy = p_sum_yy +
      excluded.p_sum_yy, p_sum_w = p_sum_w + excluded.p_sum_w, p_sum_wy = p_sum_wy +
      excluded.p_sum_wy, p_sum_wyy = p_sum_wyy + excluded.p_sum_wyy, p_sum_ww = p_sum_ww +
      excluded.p_sum_ww, p_sum_wwy = p_sum_wwy + excluded.p_sum_wwy, p_sum_wwyy = p_sum_wwyy +
      excluded.p_sum_wwyy, s_n = s_n + excluded.s_n, s_sum_y = s_sum_y + excluded.s_sum_y,
      s_sum_yy = s_sum_yy + excluded.s_sum_yy, s_sum_w = s_sum_w + excluded.s_sum_w, s_sum_wy =
      s_sum_wy + excluded.s_sum_wy, s_sum_wyy = s_sum_wyy + excluded.s_sum_wyy, s_sum_ww =
      s_sum_ww + excluded.s_sum_ww, s_sum_wwy = s_sum_wwy + excluded.s_sum_wwy, s_sum_wwyy =
      s_sum_wwyy + excluded.s_sum_wwyy;
END;
