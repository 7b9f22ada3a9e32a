"""The dashboard driven by keys, as a person would: every screen, filter,
drill down, next/prev, label, back, help, palette, quit."""

from __future__ import annotations

import sqlite3
import time

import pytest
from tui_helpers import NOW, insert_score, record_notifications, seed, seed_config, settle

from evaltop.store import db as store_db
from evaltop.tui.app import EvaltopApp
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.screens.cases import CasesScreen
from evaltop.tui.screens.help import HelpScreen
from evaltop.tui.screens.overview import OverviewScreen
from evaltop.tui.screens.regressions import RegressionsScreen
from evaltop.tui.screens.review import ReviewScreen
from evaltop.tui.screens.spend import SpendScreen
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def app(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    app = EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False)
    app.sent = record_notifications(app)
    return app


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def palette_hits(pilot, timeout: float = 60.0) -> None:
    """Wait for the command palette's search (a worker) to list and highlight
    a hit: Enter before that does nothing, which a loaded CI box can hit."""
    from textual.command import CommandList

    deadline = time.monotonic() + timeout
    while True:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        hits = pilot.app.screen.query(CommandList)
        if hits and hits.first().option_count and hits.first().highlighted is not None:
            return
        assert time.monotonic() < deadline, "the command palette listed no hit"
        await pilot.pause(0.05)


def table(app) -> LiveTable:
    return app.screen.query_one(LiveTable)


def row_values(app) -> list[dict]:
    screen = app.screen
    return [screen.row(k) for k in table(app).row_keys]


async def test_every_screen_one_key_away(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)
        summary = str(app.screen.query_one("#summary").render())
        assert "outputs" in summary and "json_valid" in summary
        for key, cls in (("2", CasesScreen), ("3", RegressionsScreen), ("4", SpendScreen),
                         ("5", ReviewScreen), ("1", OverviewScreen)):
            await press(pilot, key)
            assert isinstance(app.screen, cls), key
        await press(pilot, "4")
        by_model = app.screen.query_one("#by-model", LiveTable)
        assert by_model.row_count == 3
        status = str(app.screen.query_one("#status").render())
        assert "llama-3.1-8b" in status  # the unpriced model is listed


async def test_filter_drill_down_next_prev_label_back(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, "2", "slash")
        await pilot.press(*"model:claude-3-5-haiku")
        await press(pilot, "enter")
        rows = row_values(app)
        assert rows and {r["model"] for r in rows} == {"claude-3-5-haiku"}
        assert all(r["passed"] == 0 for r in rows)
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, CaseDetailScreen)
        assert app.screen.row["row_key"] == rows[1]["row_key"]
        output_text = str(app.screen.query_one("#sec-output").render())
        assert output_text.strip()
        await press(pilot, "j")
        assert app.screen.row["row_key"] == rows[2]["row_key"]
        await press(pilot, "n")
        assert app.screen.row["row_key"] == rows[3]["row_key"]
        await press(pilot, "k")
        assert app.screen.row["row_key"] == rows[2]["row_key"]
        case_id = app.screen.row["id"]
        await press(pilot, "r")
        conn = sqlite3.connect(app.db_path)
        assert conn.execute(
            "SELECT label FROM labels WHERE output_id = ?", (case_id,)
        ).fetchone() == ("fail",)
        conn.close()
        assert "FAIL" in str(app.screen.query_one("#sec-review").render())
        await press(pilot, "escape")
        assert isinstance(app.screen, CasesScreen)
        assert table(app).current_key == rows[2]["row_key"]  # back where the detail left off


async def test_all_outputs_sort_and_keyset_pages(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, "2", "f")
        first = row_values(app)
        assert len(first) == 200 and not app.screen.filter.failing
        keys = [r["key"] for r in first]
        assert keys == sorted(keys, reverse=True)
        await press(pilot, "right_square_bracket")
        second = row_values(app)
        assert len(second) == 200 and second[0]["key"] < first[-1]["key"]
        await press(pilot, "left_square_bracket")
        assert [r["row_key"] for r in row_values(app)] == [r["row_key"] for r in first]
        await press(pilot, "s")  # oldest first
        oldest = row_values(app)
        assert app.screen.filter.sort == "oldest" and oldest[0]["ts"] <= oldest[-1]["ts"]
        assert oldest[0]["id"] == "out-000000"


async def test_regression_enter_opens_cases_for_the_segment(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, "3")
        screen = app.screen
        assert table(app).row_count > 0
        top = screen._rows and sorted(screen._rows, key=lambda r: r.insufficient)[0]
        key = table(app).row_keys[0]
        chosen = next(r for r in screen._rows if screen._key(r) == key)
        assert top is not None
        await press(pilot, "enter")
        await settle(pilot)
        assert isinstance(app.screen, CasesScreen)
        seg = chosen.segment
        f = app.screen.filter
        assert (f.task, f.model, f.judge) == (seg.task, seg.model, chosen.judge)
        assert all(r["model"] == seg.model and r["task"] == seg.task for r in row_values(app))


async def test_review_queue_one_key_labels(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, "5")
        before = table(app).row_count
        first = table(app).current_key
        assert before > 0 and "agreement" in str(app.screen.query_one("#status").render())
        await press(pilot, "a")
        conn = sqlite3.connect(app.db_path)
        assert conn.execute(
            "SELECT label FROM labels WHERE output_id = ?", (first,)
        ).fetchone() == ("pass",)
        conn.close()
        assert first not in table(app).row_keys
        nxt = table(app).current_key
        await press(pilot, "s")
        assert nxt not in table(app).row_keys


async def test_help_palette_back_and_quit(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help Static").render())
        for words in ("Overview", "Filter", "Copy JSON", "Next page", "command palette"):
            assert words in text
        await press(pilot, "escape")
        assert isinstance(app.screen, OverviewScreen)
        await press(pilot, "ctrl+p")
        await pilot.press(*"Go to Spend")
        await palette_hits(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, SpendScreen)
        await press(pilot, "2", "enter")
        assert isinstance(app.screen, CaseDetailScreen)
        await press(pilot, "q")  # q in a detail goes back, not out
        assert isinstance(app.screen, CasesScreen) and app.is_running
        await press(pilot, "q")
        assert not app.is_running


async def test_bad_filter_says_what_is_wrong(app):
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await press(pilot, "2", "slash")
        await pilot.press(*'task:"unclosed')
        await press(pilot, "enter")
        messages = [n.message for n in app.sent]
        assert any("close the quote" in m for m in messages)
        await pilot.press(*"")
        assert app.is_running and isinstance(app.screen, CasesScreen)


async def test_copy_writes_the_case_and_says_where(app, tmp_path):
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await press(pilot, "2", "enter", "y")
        case_id = app.screen.row["id"]
        path = tmp_path / "evaltop-home" / "cases" / f"{case_id}.json"
        assert path.exists() and f'"id": "{case_id}"' in path.read_text()
        assert any(str(path) in n.message for n in app.sent)
        assert app.clipboard and case_id in app.clipboard


async def test_db_change_updates_the_visible_list_in_place(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, "2")
        before = table(app).row_keys
        conn = store_db.connect(app.db_path)
        with store_db.write(conn):
            insert_score(conn, "out-000899", NOW - 1, "fresh_rule", 0, reason="new failure")
        conn.close()
        app.refresh_data()
        await settle(pilot)
        after = table(app).row_keys
        assert len(after) == len(before) == 200  # still one page
        assert after[1:] == before[:-1]  # the new failure on top, the page shifted by one
        assert row_values(app)[0]["judge"] == "fresh_rule"


async def test_new_critical_alert_toasts_and_rings_once(app):
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        app.ring_bell = True
        app.poll_now()
        await settle(pilot)
        assert app.bells == 0  # alerts present at start are in the pane, not toasts
        conn = store_db.connect(app.db_path)
        with store_db.write(conn):
            conn.execute(
                "INSERT INTO alerts (kind, level, message, dedupe_key, ts) VALUES "
                "('budget', 'critical', 'judge daily budget exhausted', 'k-new', ?)",
                (NOW,),
            )
        conn.close()
        app.poll_now()
        await settle(pilot)
        assert app.bells == 1
        assert any("judge daily budget exhausted" in n.message for n in app.sent)
        app.poll_now()
        await settle(pilot)
        assert app.bells == 1


async def test_no_color_renders(app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        svg = app.export_screenshot()
        assert "outputs" in svg and app.is_running


async def test_acknowledge_alerts_from_the_overview(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "critical" in str(app.screen.query_one("#alerts").render())
        await press(pilot, "x")
        conn = sqlite3.connect(app.db_path)
        assert conn.execute("SELECT count(*) FROM alerts WHERE acknowledged = 0").fetchone() == (0,)
        conn.close()


async def test_c_adds_the_case_to_the_corpus(app, tmp_path):
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await press(pilot, "2", "enter", "c")
        corpus = tmp_path / "corpus.jsonl"
        assert corpus.exists() and app.screen.row["id"] in corpus.read_text()
        assert any("added to corpus" in n.message for n in app.sent)


async def test_keys_remap_from_config(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db", n=60)
    cfg = seed_config(make_config, tui={"bell": False, "keymap": {"cases": "c", "spend": "$"}})
    app = EvaltopApp(cfg, db, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await press(pilot, "c")
        assert isinstance(app.screen, CasesScreen)
        await press(pilot, "dollar_sign")
        assert isinstance(app.screen, SpendScreen)


async def test_a_failing_load_is_shown_not_swallowed(app):
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(pilot)
        conn = store_db.connect(app.db_path)
        conn.execute("ALTER TABLE scores RENAME TO scores_gone")
        conn.close()
        await press(pilot, "2")
        errors = [n for n in app.sent if n.title == "background error"]
        assert errors and "scores" in errors[0].message
        assert app.is_running and isinstance(app.screen, CasesScreen)


async def test_trend_by_judge_model_task(app):
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        chart = app.screen.query_one("#trend")
        assert set(chart._series) == {"helpfulness", "json_valid"}
        await press(pilot, "t")
        assert set(chart._series) == {"gpt-4o-mini", "claude-3-5-haiku", "llama-3.1-8b"}
        await press(pilot, "t")
        assert set(chart._series) == {"sql", "summarize", "support"}


async def test_background_reloads_never_pile_up(app):
    async with app.run_test(size=(120, 30)) as pilot:
        await press(pilot, "2")
        screen = app.screen
        before = screen._token
        for _ in range(5):  # five changes arrive while the first reload is still running
            screen.db_changed()
        await settle(pilot)
        # one load now, one after it for everything that came meanwhile
        assert screen._token - before == 2
        assert screen._inflight == 0 and not screen._pending


async def test_readonly_dashboard_refuses_labels(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db", n=60)
    app = EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False, readonly=True)
    app.sent = record_notifications(app)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await press(pilot, "2", "enter", "a")
        assert any("read-only" in n.message for n in app.sent)
        conn = sqlite3.connect(db)
        newest = conn.execute("SELECT max(ts) FROM labels").fetchone()[0]
        conn.close()
        assert newest == NOW - 100  # only the seed's labels: nothing written now


async def test_output_columns_fill_the_width_and_follow_a_resize(app):
    def widths(table: LiveTable) -> list[int]:
        return [c.get_render_width(table) for c in table.columns.values()]

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "2")
        narrow = widths(table(app))
        # every column on screen, the scrollbar beside them: nothing to scroll sideways
        assert sum(narrow) + 2 == 80 and table(app).virtual_size.width <= 80
        await pilot.resize_terminal(140, 30)
        await settle(pilot)
        wide = widths(table(app))
        assert wide[:-1] == narrow[:-1] and sum(wide) + 2 == 140
        assert table(app).virtual_size.width <= 140 and table(app).max_scroll_x == 0
        await press(pilot, "5")  # the review queue's output column fills the width too
        assert sum(widths(table(app))) + 2 == 140 and table(app).max_scroll_x == 0


async def test_slash_searches_with_the_filters_and_says_when_it_cannot(tmp_path, make_config,
                                                                       monkeypatch):
    from evaltop.core.ops import search_index
    from evaltop.store import search as store_search

    monkeypatch.setattr(store_search, "FIRST_BATCH", 100)
    db = seed(tmp_path / "evaltop.db")
    cfg = seed_config(make_config, store={"path": str(db), "search": True})
    conn = store_db.connect(db)
    search_index.sync(cfg, conn)  # the newest outputs are indexed, the rest not yet
    conn.close()
    app = EvaltopApp(cfg, db, clock=lambda: NOW, live=False)
    app.sent = record_notifications(app)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await press(pilot, "2", "f", "slash")
        await pilot.press(*"task:sql customer NOT c3")
        await press(pilot, "enter")
        status = str(app.screen.query_one("#status").render())
        assert "index building: " in status and "nothing matches" not in status
        assert row_values(app) == []
        conn = store_db.connect(db)
        search_index.build(conn)
        conn.close()
        app.screen.reload()
        await settle(pilot)
        rows = row_values(app)
        assert len(rows) == 200 and {r["task"] for r in rows} == {"sql"}
        assert "index building" not in str(app.screen.query_one("#status").render())
        await press(pilot, "right_square_bracket")  # keyset paging goes on with the search
        more = row_values(app)
        assert more and not {r["id"] for r in more} & {r["id"] for r in rows}
        conn = sqlite3.connect(db)
        c3 = {r[0] for r in conn.execute("SELECT id FROM outputs WHERE input_text LIKE '%c3 %'")}
        conn.close()
        assert c3 and not c3 & {r["id"] for r in rows + more}
        await press(pilot, "slash")
        await pilot.press(*"ctrl+u")
        await pilot.press(*"refund NOT")
        await press(pilot, "enter")
        assert any(n.message.startswith("search: ") for n in app.sent)
        assert row_values(app) == more  # the page stays: no empty page pretending
