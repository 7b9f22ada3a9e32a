"""Full-text search (docs/search.md): the index sqlite-utils sets up, its fill
in batches on an existing store, what a search finds with the cases filters
and keyset pages, and a clear line for a query FTS5 cannot run."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils
from tui_helpers import NOW, insert_outputs, insert_score, output_row

from evaltop.core.ops import search_index
from evaltop.core.views import cases as dc
from evaltop.store import db as store_db
from evaltop.store import search as store_search
from evaltop.store.schema import runner, steps

WORDS = ["refund shipped", "refund pending", "invoice shipped", "order-1234 lost", "hello"]


def rows(n: int, start: int = 0) -> list[tuple]:
    return [output_row(i, NOW - (n - i) * 60, model="gpt-4o" if i % 2 else "haiku",
                       user=f"case {i}", output=f"{WORDS[i % len(WORDS)]} number{i}")
            for i in range(start, start + n)]


def ids(page) -> set[str]:
    return {r["id"] for r in page}


def brute(conn, pred) -> set[str]:
    return {r[0] for r in conn.execute("SELECT id, output_text FROM outputs") if pred(r[1])}


def enable_all(conn, make_config) -> None:
    cfg = make_config({"store": {"path": "x.db", "search": True}})
    search_index.sync(cfg, conn)
    search_index.build(conn)


def test_the_index_is_sqlite_utils_fts_with_its_triggers(conn, make_config):
    enable_all(conn, make_config)
    table = sqlite_utils.Database(conn)["outputs"]
    assert table.detect_fts() == "outputs_fts"
    assert {"outputs_ai", "outputs_ad", "outputs_au"} <= {t.name for t in table.triggers}
    # external content: the text lives once, in outputs
    assert "content=outputs" in conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'outputs_fts'").fetchone()[0].replace('"', "")


def test_existing_store_is_filled_in_batches_and_search_waits_for_it(conn, make_config):
    insert_outputs(conn, rows(3_000))
    cfg = make_config({"store": {"path": "x.db", "search": True}})
    f = dc.parse_filter("refund", NOW, failing=False)
    before = dc.page(conn, f)  # search off: a substring match, and it says so
    assert "search is off" in before.note and len(before) == 200
    st = search_index.sync(cfg, conn)
    assert st.enabled and not st.finished and st.total == 3_000
    plain = dc.page(conn, dc.parse_filter("model:haiku", NOW, failing=False))
    assert len(plain) == 200 and plain.note == f"search index building: {st.percent}%"
    assert st.done == store_search.FIRST_BATCH  # the newest first, with the triggers
    building = dc.page(conn, f)
    assert list(building) == [] and building.note == f"index building: {st.percent}%"
    insert_outputs(conn, rows(10, start=3_000))  # ingest goes on: the triggers index these
    seen = []
    st = search_index.build(conn, batch=400, progress=seen.append)
    assert st.finished and st.percent == 100 and len(seen) >= 2
    assert [s.percent for s in seen] == sorted(s.percent for s in seen)
    want = brute(conn, lambda t: "refund" in t)
    got: set[str] = set()
    after = None
    while True:  # keyset pages through every match, none twice
        page = dc.page(conn, f, after=after)
        assert not (ids(page) & got)
        got |= ids(page)
        after = dc.next_start(page)
        if after is None:
            break
    assert got == want and "out-003000" in got


def test_search_combines_with_filters_and_operators(conn, make_config):
    insert_outputs(conn, rows(50))
    with store_db.write(conn):
        insert_score(conn, "out-000000", NOW, "json_valid", 0)
        insert_score(conn, "out-000005", NOW, "json_valid", 0)
        insert_score(conn, "out-000001", NOW, "json_valid", 0)
    enable_all(conn, make_config)
    f = dc.parse_filter("model:haiku refund NOT shipped", NOW, failing=False)
    assert ids(dc.page(conn, f)) == {
        r[0] for r in conn.execute("SELECT id FROM outputs WHERE model = 'haiku' AND "
                                   "output_text LIKE 'refund pending%'")}
    f = dc.parse_filter("order-1234", NOW, failing=False)  # punctuation: searched as a phrase
    assert ids(dc.page(conn, f)) == brute(conn, lambda t: "order-1234" in t)
    failing = dc.parse_filter('"refund shipped"', NOW, failing=True)
    assert ids(dc.page(conn, failing)) == {"out-000000", "out-000005"}
    # an update (OTLP content arriving after its span) is searched with its new text
    with store_db.write(conn):
        conn.execute("UPDATE outputs SET output_text = 'zebra' WHERE id = 'out-000002'")
    assert ids(dc.page(conn, dc.parse_filter("zebra", NOW, failing=False))) == {"out-000002"}


@pytest.mark.parametrize("query, needle", [
    ('"refund', 'a " is not closed'),
    ("NOT shipped", "syntax error near 'NOT'"),
    ("refund NOT", "ends where a word was expected"),
    ("nope:refund AND (", "ends where a word was expected"),
])
def test_bad_queries_say_why_in_one_line(query, needle):
    with pytest.raises(ValueError) as err:
        dc.search_query(query)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_turning_search_off_drops_the_index_not_the_text(conn, make_config):
    insert_outputs(conn, rows(20))
    enable_all(conn, make_config)
    st = search_index.sync(make_config({"store": {"path": "x.db", "search": False}}), conn)
    assert not st.enabled
    assert conn.execute("PRAGMA recursive_triggers").fetchone()[0] == 0  # left as it was
    assert sqlite_utils.Database(conn, recursive_triggers=False)["outputs"].detect_fts() is None
    assert not conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                            "AND name LIKE 'outputs_a_'").fetchall()
    assert conn.execute("SELECT count(*) FROM outputs").fetchone()[0] == 20


def test_a_v15_database_migrates_with_its_outputs(tmp_path, make_config):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path, isolation_level=None)
    for script in steps.STEPS[:15]:
        steps.run_script(old, script)
    old.execute("PRAGMA user_version = 15")
    old.close()
    conn = store_db.connect(path)  # migrates: quick, nothing is indexed yet
    assert runner.current_version(conn) == runner.SCHEMA_VERSION >= 16
    insert_outputs(conn, rows(30))
    enable_all(conn, make_config)
    assert ids(dc.page(conn, dc.parse_filter("invoice", NOW, failing=False))) == brute(
        conn, lambda t: "invoice" in t)
    conn.close()


def test_a_word_finds_its_other_forms(conn, make_config):
    insert_outputs(conn, [output_row(1, NOW, output="Never promise refunds."),
                          output_row(2, NOW, output="It was refunded"),
                          output_row(3, NOW, output="no money back")])
    enable_all(conn, make_config)
    found = dc.page(conn, dc.parse_filter("refund", NOW, failing=False))
    assert ids(found) == {"out-000001", "out-000002"}


def test_failing_verdicts_of_matches_page_forward_and_back(conn, make_config):
    insert_outputs(conn, rows(60))
    with store_db.write(conn):
        for i in range(0, 60, 2):  # two failed verdicts per even output, one passed
            for judge, passed in (("a", 0), ("b", 0), ("c", 1)):
                insert_score(conn, f"out-{i:06d}", NOW, judge, passed)
    enable_all(conn, make_config)
    f = dc.parse_filter("refund", NOW, failing=True)
    want = {(r[0], j) for r in conn.execute("SELECT id FROM outputs WHERE output_text LIKE "
                                            "'refund%'") for j in "ab" if int(r[0][-2:]) % 2 == 0}
    pages, after = [], None
    while True:
        page = dc.page(conn, f, after=after, limit=3, budget=None)
        pages.append(page)
        if len(page) < 3:
            break
        after = page[-1]["key"]
    got = [(r["id"], r["judge"]) for p in pages for r in p]
    assert len(got) == len(set(got)) and set(got) == want
    assert all(len(p) == 3 for p in pages[:-1])
    back = dc.page_before(conn, f, pages[1][0]["key"], limit=3)
    assert [r["row_key"] for r in back] == [r["row_key"] for r in pages[0]]


def _all_pages(conn, f, limit, budget=None):
    got, after = [], None
    while True:
        page = dc.page(conn, f, after=after, limit=limit, budget=budget)
        got.append(page)
        after = dc.next_start(page, limit)
        if after is None:
            return got


@pytest.mark.parametrize("failing", [False, True])
def test_a_search_sorted_by_model_sorts_its_newest_matches_and_says_so(
        conn, make_config, monkeypatch, failing):
    insert_outputs(conn, rows(60))
    with store_db.write(conn):
        for i in range(60):
            insert_score(conn, f"out-{i:06d}", NOW, "j", 0)
    enable_all(conn, make_config)
    f = dc.parse_filter("sort:model refund", NOW, failing=failing)
    matches = [r for r in conn.execute(  # rowid = i + 1: stored in order
        "SELECT id, model, ts, rowid FROM outputs WHERE output_text LIKE 'refund%'")]

    def want(rs):
        return [r[0] for r in sorted(rs, key=lambda r: (r[1], r[2], r[3]), reverse=True)]

    pages = _all_pages(conn, f, limit=5)  # every match: exact, no note
    assert [r["id"] for p in pages for r in p] == want(matches)
    assert all(p.note is None for p in pages)
    monkeypatch.setattr(dc.store_cases, "SORT_CAP", 7)
    pages = _all_pages(conn, f, limit=3)
    newest = sorted(matches, key=lambda r: r[3])[-7:]
    assert [r["id"] for p in pages for r in p] == want(newest)
    assert all(p.note == "sorted: the newest 7 matches only (sort:newest lists all)"
               for p in pages)
    back = dc.page_before(conn, f, pages[1][0]["key"], limit=3)
    assert [r["row_key"] for r in back] == [r["row_key"] for r in pages[0]]


@pytest.mark.parametrize("failing", [False, True])
def test_a_search_page_out_of_time_says_how_far_it_looked_and_goes_on_from_there(
        conn, make_config, failing):
    insert_outputs(conn, rows(300))
    with store_db.write(conn):
        for i in range(0, 300, 3):  # two failed verdicts on every third output
            for judge in ("a", "b"):
                insert_score(conn, f"out-{i:06d}", NOW, judge, 0)
    enable_all(conn, make_config)
    f = dc.parse_filter("refund", NOW, failing=failing)
    want = [(r[0], j) for r in conn.execute(
        "SELECT id FROM outputs WHERE output_text LIKE 'refund%' ORDER BY rowid DESC")
        for j in (("b", "a") if failing else (None,))
        if not failing or int(r[0][-6:]) % 3 == 0]
    first = dc.page(conn, f, budget=0)  # no time at all: one stretch of matches a page
    assert first.resume is not None and len(first) < dc.PAGE
    assert first.note.startswith("searched back to ") and first.note.endswith("] searches on")
    pages = _all_pages(conn, f, dc.PAGE, budget=0)
    assert len(pages) > 2 and all(p.resume for p in pages[:-1]) and pages[-1].resume is None
    got = [(r["id"], r["judge"] if failing else None) for p in pages for r in p]
    assert got == want  # exact, in stored order, none twice
    assert pages[-1].note is None and [r["id"] for r in dc.page(conn, f)] == [
        r["id"] for p in pages for r in p][:dc.PAGE]
