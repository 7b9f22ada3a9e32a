"""Worker processes (big backfills) store exactly what the in-process path
stores: same rows, rejects, rollups and counters."""

from __future__ import annotations

import os

from ingest_helpers import native, source_config, write_lines

from evaltop.core.ingest import workers as workers_mod
from evaltop.core.ingest.pipeline import ingest_once
from evaltop.store import db as store_db

ROWS = ("SELECT id, ts, model, task, input_hash, input_tokens, output_tokens, usage_estimated, "
        "cost_pusd, cost_source FROM outputs ORDER BY id")


def _snapshot(path):
    conn = store_db.connect(path)
    try:
        return (
            [tuple(r) for r in conn.execute(ROWS)],
            [
                tuple(r)
                for r in conn.execute(
                    "SELECT line_no, byte_offset, reason FROM rejects ORDER BY rowid"
                )
            ],
            [
                tuple(r)
                for r in conn.execute("SELECT * FROM rollup_hourly ORDER BY hour, model, task")
            ],
            [
                tuple(r)
                for r in conn.execute(
                    "SELECT name, value FROM counters WHERE name NOT LIKE '%@%' ORDER BY name"
                )
            ],
        )
    finally:
        conn.close()


def test_process_pool_matches_in_process(tmp_path, make_config):
    lines = []
    for i in range(1500):
        if i % 97 == 0:
            lines.append(b"{broken\n")
        lines.append(native(i, model=["gpt-4o-mini", "claude-haiku-4-5", "local"][i % 3],
                            usage=i % 4 != 0, pad=i % 40))
    lines.append(native(17))  # a duplicate
    write_lines(tmp_path / "app.jsonl", lines)
    cfg = source_config(make_config, "app.jsonl")
    results = []
    for name, workers in (("inline.db", 0), ("pool.db", 2)):
        conn = store_db.connect(tmp_path / name)
        try:
            s = ingest_once(cfg, conn, workers=workers)
        finally:
            conn.close()
        results.append((s.outputs, s.rejected, s.duplicates, _snapshot(tmp_path / name)))
    assert results[0][:3] == (1500, 16, 1)
    assert results[0] == results[1]


def test_pool_starts_only_for_big_backlogs(make_config):
    from evaltop.core.ingest.pricing import PriceBook
    from evaltop.core.ingest.tail.jsonl_tail import Batch
    from evaltop.store.checkpoints import Checkpoint

    prep = workers_mod.Preparer(make_config(), PriceBook.builtin())
    cp = Checkpoint("app", "k", "p")
    small = Batch("app", "p", [], [], cp, size=1 << 20)
    big = Batch("app", "p", [], [], cp, size=workers_mod.POOL_MIN_BYTES + 10, start_offset=5)
    gz = Batch("app", "p", [], [], cp, size=None)
    assert not prep._want_pool(small) and not prep._want_pool(gz)
    assert prep._want_pool(big) == ((os.cpu_count() or 1) >= workers_mod.POOL_MIN_CORES)
    prep.close()


UNGUARDED = """
import sys
from evaltop.core.model import config
from evaltop.core.ingest.pipeline import ingest_once
from evaltop.store import db
cfg = config.validate({{"store": {{"path": {db!r}}},
                       "sources": [{{"name": "app", "path": {log!r}, "format": "native"}}]}})
conn = db.connect(cfg.db_path)
s = ingest_once(cfg, conn, workers=2, progress=False)
print("RESULT", s.outputs, s.duplicates, s.rejected)
"""


def test_workers_that_cannot_start_fall_back_in_process(tmp_path):
    """A script without a __main__ guard breaks spawned workers; the batches
    are redone in-process and nothing is lost or doubled."""
    import subprocess
    import sys

    write_lines(tmp_path / "app.jsonl", [native(i) for i in range(300)])
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED.format(db=str(tmp_path / "e.db"), log=str(tmp_path / "app.jsonl")))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT")]
    assert results[-1] == "RESULT 300 0 0"
