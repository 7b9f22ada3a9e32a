"""The migration steps: ``STEPS[i]`` is the SQL script that brings a database
from version ``i`` to ``i + 1``.

Every step is frozen text: step 1 is the DDL in ``v1.py``, steps 2 and up are
the files ``sql/vNN_*.sql`` listed in :data:`STEP_FILES`. A released step is
never edited, and no step builds its SQL from live code (a test checks this
module imports nothing of evaltop's but ``v1``): a later change to a rollup
or a table's module must not change what an old database is migrated with.
To change the schema, add the next file, list it here, and regenerate
``current.sql`` (see ``current.py``). The runner (``runner.py``) applies them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evaltop.store.schema.v1 import V1

SQL_DIR = Path(__file__).parent / "sql"

# Steps 2 and up, in order (a missing file fails at import, never skips a step).
STEP_FILES = [
    "v02_alert_delivery.sql",
    "v03_sampling_indexes.sql",
    "v04_run_claims.sql",
    "v05_ledger_sent.sql",
    "v06_scores_window_index.sql",
    "v07_rollup_daily.sql",
    "v08_score_rollup.sql",
    "v09_judge_spend_daily.sql",
    "v10_score_rollup_judges.sql",
    "v11_ledger_period_index.sql",
    "v12_score_rollup_model_task.sql",
    "v13_analysis_cache.sql",
    "v14_ledger_daily.sql",
    "v15_otlp_receiver.sql",
    "v16_source_status.sql",
    "v17_rescore.sql",
    "v18_search.sql",
    "v19_billing_buckets.sql",
    "v20_unconfirmed_spend.sql",
]
STEPS: list[str] = [V1, *((SQL_DIR / name).read_text(encoding="utf-8") for name in STEP_FILES)]


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run a script statement by statement inside the caller's transaction
    (``executescript`` would COMMIT it first). ``--`` comment lines are skipped."""
    for stmt in split_sql(script):
        conn.execute(stmt)


def split_sql(script: str) -> list[str]:
    """The complete statements of ``script`` (trigger bodies stay whole)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
