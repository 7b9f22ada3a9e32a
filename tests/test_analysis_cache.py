"""Materialised analysis results: what the dashboard reads from the cache is
exactly what a fresh computation with the same ``now`` gives; stale, foreign
or future results are not used; the engine job writes them; the report never
reads them; the review queue's unlabelled count equals a scan."""

from __future__ import annotations

import random

import pytest

from evaltop.core.analysis import cache
from evaltop.core.analysis.agreement import agreement
from evaltop.core.analysis.regressions import find_regressions, ranked
from evaltop.core.model.window import Window
from evaltop.core.ops.engine import Engine
from evaltop.core.views import dashboard
from evaltop.core.views.report.build import build
from evaltop.core.views.report.context import ReportContext
from evaltop.store import analysis_cache as store
from evaltop.store import db as store_db
from evaltop.store import labels
from tests.analysis_helpers import DAY, NOW, flush, judged_output, new_rows, planted_traffic


@pytest.fixture
def cfg(make_config):
    return make_config({"analysis": {"since": "24h", "baseline": "7d", "min_n": 30},
                        "schedule": {"analysis_seconds": 60}})


@pytest.fixture
def planted(conn):
    planted_traffic(conn, seed=3, n_per_side=120, planted=("extract", "claude-haiku"), drop=0.4)
    return conn


def _fresh(conn, cfg, now) -> cache.Regressions:
    return cache.fresh_regressions(conn, cfg, now)


def test_stored_regressions_equal_a_fresh_computation_for_the_same_now(planted, cfg, db_path):
    summary = cache.refresh(planted, cfg, NOW)
    fresh = _fresh(planted, cfg, NOW)
    assert summary["regressions"] == len(fresh.rows) > 0
    assert any(r.regressed for r in fresh.rows)  # the planted drop is found
    ro = store_db.connect(db_path, readonly=True)
    try:
        got = cache.regressions(ro, cfg, NOW + 30)
        notes: list[str] = []
        rows, as_of = dashboard.regressions_cached(ro, cfg, NOW + 30, notes)
        view = dashboard.overview(ro, cfg, NOW + 30)
    finally:
        ro.close()
    assert got.cached and got.as_of == NOW
    assert got.value == fresh  # every field, every float, in the same order
    # the cache keeps the analysis's order; the view ranks for the screen
    assert (rows, as_of, notes) == (ranked(fresh.rows), NOW, fresh.notes)
    assert view.regressions == ranked(fresh.rows)[:8] and view.regressions_as_of == NOW
    stored = store.get(planted, cache.regressions_key(cfg)).payload
    assert stored == fresh.to_json() and stored["rows"][0] == fresh.rows[0].to_dict()


def test_stale_foreign_or_future_results_are_recomputed(planted, cfg, make_config):
    cache.refresh(planted, cfg, NOW)
    late = NOW + cache.stale_after(cfg) + 1
    for now, c in ((late, cfg), (NOW - 1, cfg), (NOW + 5, make_config({"analysis": {"min_n": 31}})),
                   (NOW + 5, make_config({"analysis": {"since": "12h"}}))):
        got = cache.regressions(planted, c, now)
        assert not got.cached and got.as_of == now
        assert got.value == _fresh(planted, c, now)
    assert cache.regressions(planted, cfg, NOW + cache.stale_after(cfg)).cached
    longer = cfg.model_copy(
        update={"schedule": cfg.schedule.model_copy(update={"analysis_seconds": 600})}
    )
    assert cache.regressions(planted, longer, late).cached  # a slower job keeps results longer


def test_a_miss_is_stored_only_when_the_caller_may_write_and_never_over_a_newer_run(
    planted, cfg, db_path
):
    ro = store_db.connect(db_path, readonly=True)
    try:
        assert not cache.regressions(ro, cfg, NOW).cached
        assert store.get(ro, cache.regressions_key(cfg)) is None  # no db_path: nothing written
        assert not cache.regressions(ro, cfg, NOW, db_path=db_path).cached
        again = cache.regressions(ro, cfg, NOW + 10, db_path=db_path)
        assert again.cached and again.as_of == NOW and again.value == _fresh(ro, cfg, NOW)
        cache.refresh(planted, cfg, NOW + 20)
        # an older miss
        cache.regressions(ro, cfg, NOW + 15 - cache.stale_after(cfg) - 10, db_path=db_path)
        assert store.get(ro, cache.regressions_key(cfg)).now == NOW + 20
    finally:
        ro.close()


def test_new_data_shows_as_of_the_next_run(planted, cfg):
    cache.refresh(planted, cfg, NOW)
    before = _fresh(planted, cfg, NOW)
    rng, rows = random.Random(9), new_rows()
    for i in range(150):  # the summarize/gpt-4o-mini segment now fails in the current window
        judged_output(rows, f"late{i}", NOW - rng.uniform(60, DAY / 2), False, task="summarize",
                      model="gpt-4o-mini", rng=rng)
    flush(planted, rows)
    assert cache.regressions(planted, cfg, NOW + 30).value == before  # honest "as of" NOW
    cache.refresh(planted, cfg, NOW + 60)
    after = cache.regressions(planted, cfg, NOW + 70)
    assert after.as_of == NOW + 60 and after.value == _fresh(planted, cfg, NOW + 60) != before


def test_a_reader_parses_each_stored_result_once(planted, cfg):
    """A dashboard reads the cache on every refresh; the row changes once per
    run. The same row is not parsed again; a rewritten one is."""
    cache.refresh(planted, cfg, NOW)
    first = cache.regressions(planted, cfg, NOW + 30).value
    assert cache.regressions(planted, cfg, NOW + 31).value is first
    cache.refresh(planted, cfg, NOW)  # the same now, written again: a new row
    again = cache.regressions(planted, cfg, NOW + 32).value
    assert again is not first and again == first


def test_the_engine_analyse_job_stores_what_a_fresh_run_computes(planted, make_config, db_path):
    cfg = make_config({"analysis": {"since": "24h", "baseline": "7d"}})
    engine = Engine(cfg, db_path, clock=lambda: NOW)
    try:
        result = engine.run_once(["analyse"])
    finally:
        engine.stop()
    assert result["analyse"]["regressions"] > 0
    got = cache.regressions(planted, cfg, NOW + 1)
    assert got.cached and got.value == _fresh(planted, cfg, NOW)
    stats = {r["job"]: r for r in planted.execute("SELECT * FROM job_stats")}
    assert stats["analyse"]["runs"] == 1 and stats["analyse"]["errors"] == 0


def test_the_report_computes_fresh_and_ignores_the_cache(planted, cfg):
    poison = {
        "rows": [{"segment": {"task": "POISON"}, "judge": "POISON", "significant": True}],
        "notes": [],
    }
    with store_db.write(planted):
        store.put(planted, cache.regressions_key(cfg), NOW, NOW, 0, poison)
    window = Window.ending_at(NOW, DAY)
    report = build(ReportContext(cfg, planted, window, window.before(7 * DAY), now=NOW))
    assert report["regressions"] and all(r["judge"] != "POISON" for r in report["regressions"])
    found = find_regressions(planted, cfg, window, window.before(7 * DAY))
    assert report["regressions"] == [r.to_dict() for r in found if r.significant]


def test_cached_agreement_equals_fresh_and_review_total_is_exact(planted, cfg, db_path):
    oids = [
        r[0] for r in planted.execute("SELECT output_id FROM samples ORDER BY output_id LIMIT 60")
    ]
    for i, oid in enumerate(oids):
        labels.set_label(planted, oid, "pass" if i % 3 else "fail", now=NOW)
    cache.refresh(planted, cfg, NOW)
    fresh = agreement(planted)
    assert fresh  # kappa tables exist, so equality below is not trivially {} == {}
    r = dashboard.review(planted, cfg=cfg, now=NOW + 5)
    assert r.agreement == fresh and r.agreement_as_of == NOW and r.note == ""
    assert r.total == _count_unlabeled_by_scan(planted)
    labels.set_label(planted, oids[0], "pass", now=NOW)  # a change shows after the next run
    cache.refresh(planted, cfg, NOW + 60)
    assert dashboard.review(planted, cfg=cfg, now=NOW + 61).agreement == agreement(planted)


def _count_unlabeled_by_scan(conn) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM samples s LEFT JOIN labels l ON l.output_id = s.output_id "
        "WHERE l.output_id IS NULL"
    ).fetchone()[0]


def test_review_counts_follow_every_sample_and_label_change(conn):
    def check():
        assert labels.count_unlabeled(conn) == _count_unlabeled_by_scan(conn)

    def sample(oid):
        with store_db.write(conn):
            conn.execute(
                "INSERT OR IGNORE INTO samples (output_id, probability, sampled_at, output_ts) "
                "VALUES (?, 0.5, ?, ?)",
                (oid, NOW, NOW),
            )

    check()
    for i in range(5):
        sample(f"s{i}")
    sample("s0")  # ignored duplicate
    check()
    labels.set_label(conn, "s1", "pass", now=NOW)
    labels.set_label(conn, "s1", "fail", now=NOW)  # replaced, still one label
    labels.set_label(conn, "unsampled", "pass", now=NOW)
    check()
    sample("unsampled")  # sampled after it was labelled
    check()
    labels.delete_label(conn, "s1")
    check()
    with store_db.write(conn):
        conn.execute("DELETE FROM samples WHERE output_id = 'unsampled'")
        conn.execute("UPDATE samples SET output_id = 'moved' WHERE output_id = 's2'")
        conn.execute("UPDATE labels SET output_id = 's3' WHERE output_id = 'unsampled'")
    check()
    assert labels.count_unlabeled(conn) == 4  # s0, s1, s4, moved; s3 is labelled


V16_COLUMNS = [("outputs", c) for c in ("cache_write_1h_tokens", "batch", "service_tier",
                                         "price_entry", "price_fallback")] + [
    ("judge_calls", c) for c in ("cached_input_tokens", "cache_write_tokens",
                                 "cache_write_1h_tokens", "reasoning_tokens", "price_entry",
                                 "price_fallback")]


def test_an_older_database_reads_as_a_miss_and_migrates(db_path, conn, cfg):
    with store_db.write(conn):
        conn.execute("DROP TABLE analysis_cache")
        for table, column in V16_COLUMNS:  # as a v12 database has them: not yet
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.execute("PRAGMA user_version = 12")
    assert store.get(conn, cache.regressions_key(cfg)) is None  # no table: a miss, not an error
    again = store_db.connect(db_path)
    try:
        cache.refresh(again, cfg, NOW)
        assert store.get(again, cache.regressions_key(cfg)).now == NOW
    finally:
        again.close()


def test_a_miss_that_cannot_be_stored_is_still_shown(planted, cfg, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    got = cache.regressions(planted, cfg, NOW, db_path=blocker / "evaltop.db")
    assert not got.cached and got.value == _fresh(planted, cfg, NOW)
    assert "could not store" in caplog.text
