"""bench/gen.py: the scale-data generator is deterministic, consistent and shaped
like real traffic (checked on a small database)."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from bench import gen
from bench.gen_traffic import Gen
from evaltop.store import db as store_db
from evaltop.store.rollups.hourly import totals_match_outputs

END = 1_790_000_000.0
TABLES = (
    "outputs",
    "feedback",
    "samples",
    "scores",
    "judge_calls",
    "ledger",
    "labels",
    "rollup_hourly",
)


def _build(path, seed=3, n=6000):
    gen.build(path, Gen(n, 30, seed, END), log=lambda *_: None)
    return path


def _digest(path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    out = {}
    for t in TABLES:
        h = hashlib.sha256()
        for row in conn.execute(f"SELECT * FROM {t} ORDER BY rowid"):  # fixed table names
            h.update(repr(row).encode())
        out[t] = h.hexdigest()
    conn.close()
    return out


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("gen") / "a.db")


def test_same_seed_same_database_other_seed_differs(small, tmp_path):
    again = _build(tmp_path / "b.db")
    other = _build(tmp_path / "c.db", seed=4)
    assert _digest(small) == _digest(again)
    assert _digest(small)["outputs"] != _digest(other)["outputs"]


def test_rollups_agree_with_outputs_and_counters(small):
    conn = store_db.connect(small)
    assert totals_match_outputs(conn)
    n = conn.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    assert n == 6000
    counters = dict(conn.execute("SELECT name, value FROM counters").fetchall())
    assert counters["outputs"] == n
    assert counters["feedback"] == conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_shape_judged_share_feedback_models_tasks(small):
    conn = store_db.connect(small)
    n = 6000
    sampled = conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
    assert 0.08 * n < sampled < 0.12 * n
    fb = conn.execute("SELECT COUNT(DISTINCT output_id) FROM feedback").fetchone()[0]
    assert 0.015 * n < fb < 0.025 * n
    assert conn.execute("SELECT COUNT(DISTINCT model) FROM outputs").fetchone()[0] == 12
    assert conn.execute("SELECT COUNT(DISTINCT task) FROM outputs").fetchone()[0] == 30
    # every sampled output has its verdicts and one priced judge call with a settled ledger row
    assert (
        conn.execute(
            "SELECT COUNT(*) FROM samples s LEFT JOIN scores c ON c.output_id = s.output_id"
            " WHERE c.output_id IS NULL"
        ).fetchone()[0]
        == 0
    )
    calls = conn.execute(
        "SELECT COUNT(*), MIN(cost_pusd), SUM(cost_pusd) FROM judge_calls"
    ).fetchone()
    assert calls[0] == sampled and calls[1] > 0
    assert (
        conn.execute("SELECT SUM(amount_pusd) FROM ledger WHERE state = 'settled'").fetchone()[0]
        == calls[2]
    )
    # one model has no price: unpriced, never $0
    unpriced = conn.execute("SELECT COUNT(*), SUM(cost_pusd IS NOT NULL) FROM outputs"
                            " WHERE model = 'acme-llama-8b-ft'").fetchone()
    assert unpriced[0] > 0 and unpriced[1] == 0
    assert conn.execute("SELECT COUNT(*) FROM outputs WHERE cost_pusd = 0").fetchone()[0] == 0
    # every feedback row points at an output
    assert conn.execute("SELECT COUNT(*) FROM feedback f LEFT JOIN outputs o ON o.id = f.output_id"
                        " WHERE o.id IS NULL").fetchone()[0] == 0


def test_refuses_to_overwrite_and_never_leaves_a_half_file(small, tmp_path):
    with pytest.raises(SystemExit, match="exists"):
        gen.build(small, Gen(10, 1, 1, END), log=lambda *_: None)
    assert not (tmp_path / "a.db.partial").exists()


def test_logs_are_native_jsonl_of_the_requested_size(tmp_path):
    import orjson

    from evaltop.core.ingest.formats import parse_record

    records, size = gen.write_logs(tmp_path / "logs", megabytes=0.5, seed=1, end=END,
                                   record_bytes=2048, file_mb=0.2)
    files = sorted((tmp_path / "logs").glob("*.jsonl"))
    assert len(files) == 3
    assert sum(f.stat().st_size for f in files) == size >= 500_000
    lines = b"".join(f.read_bytes() for f in files).splitlines()
    assert len(lines) == records
    outputs = [orjson.loads(x) for x in lines if b'"type":"feedback"' not in x]
    sizes = sorted(len(x) for x in lines if b'"type":"feedback"' not in x)
    assert 1900 < sizes[len(sizes) // 2] < 2300
    for obj in outputs[:50]:
        assert len(parse_record(obj, "native")) == 1
