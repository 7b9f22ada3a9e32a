"""Two ingesters on one database never both store or count the same lines."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from ingest_helpers import count, counter, native, source_config, write_lines

from evaltop.core.ingest.pipeline import IngestConflict, Ingestor, commit, ingest_once
from evaltop.core.ingest.prepare import prepare
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.tail.jsonl_tail import Tailer
from evaltop.store import db as store_db
from evaltop.store.rollups import hourly as rollups


def test_batch_planned_before_another_commit_is_refused(tmp_path, make_config, db_path):
    write_lines(tmp_path / "app.jsonl", [native(i) for i in range(5)])
    cfg = source_config(make_config, "app.jsonl")
    a, b = store_db.connect(db_path), store_db.connect(db_path)
    try:
        tailer = Tailer("app", tmp_path / "app.jsonl")
        late = next(tailer.batches(b))  # planned from the empty store
        assert ingest_once(cfg, a).outputs == 5  # someone else commits first
        with pytest.raises(IngestConflict):
            commit(b, late, prepare(late, "native", PriceBook.builtin(), time.time()), time.time())
        tailer.close()
        assert count(a, "outputs") == 5
        assert (counter(a, "outputs"), counter(a, "duplicates")) == (5, 0)
        # the loser simply re-plans on its next poll and finds nothing new
        write_lines(tmp_path / "app.jsonl", [native(5)])
        ing = Ingestor(cfg, db_path)
        try:
            s = ing.poll()
        finally:
            ing.close()
        assert (s.outputs, s.duplicates) == (1, 0)
    finally:
        a.close()
        b.close()


def test_two_processes_backfilling_together(tmp_path):
    (tmp_path / "logs").mkdir()
    n = 12_000
    write_lines(tmp_path / "logs" / "app.jsonl", [native(i, pad=30) for i in range(n)])
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(f'[store]\npath = "{tmp_path / "e.db"}"\n[[sources]]\nname = "app"\n'
                   'path = "logs/*.jsonl"\nformat = "native"\n')
    store_db.connect(tmp_path / "e.db").close()  # schema first, so neither child migrates
    cmd = [sys.executable, "-m", "evaltop.tui.cli.main", "ingest", "--once", "--config", str(cfg)]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    for p in procs:
        out, err = p.communicate()
        assert p.returncode == 0, err
    conn = store_db.connect(tmp_path / "e.db")
    try:
        assert count(conn, "outputs") == n
        assert (counter(conn, "outputs"), counter(conn, "duplicates")) == (n, 0)
        assert rollups.totals_match_outputs(conn)
    finally:
        conn.close()
