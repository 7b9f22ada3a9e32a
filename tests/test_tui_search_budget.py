"""A slow search in the Cases screen is never a silent wait: it says it is
searching, and a page that runs out of time shows what it found and how far
back it looked, and `]` goes on from there."""

from __future__ import annotations

import threading

import pytest
from tui_helpers import NOW, record_notifications, seed, seed_config, settle

from evaltop.core.ops import search_index
from evaltop.core.views import cases as dc
from evaltop.store import db as store_db
from evaltop.tui.app import EvaltopApp
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def shown(app) -> list[str]:
    table = app.screen.query_one(LiveTable)
    return [str(k.value) for k in table.rows]


async def test_a_page_out_of_time_says_how_far_and_bracket_goes_on(tmp_path, make_config,
                                                                  monkeypatch):
    db = seed(tmp_path / "evaltop.db")
    cfg = seed_config(make_config, store={"path": str(db), "search": True})
    conn = store_db.connect(db)
    search_index.sync(cfg, conn)
    search_index.build(conn)
    conn.close()
    monkeypatch.setattr(dc, "PAGE_BUDGET", 0)  # every page stops after one stretch
    app = EvaltopApp(cfg, db, clock=lambda: NOW, live=False)
    app.sent = record_notifications(app)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("2", "f", "slash")
        await pilot.press(*"customer")
        await pilot.press("enter")
        await settle(pilot)
        status = str(app.screen.query_one("#status").render())
        first = shown(app)
        assert "searched back to " in status and "nothing matches" not in status
        assert 0 < len(first) < dc.PAGE
        await pilot.press("right_square_bracket")
        await settle(pilot)
        second = shown(app)
        assert second and not set(second) & set(first)
        assert not any(n.message == "last page" for n in app.sent)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert shown(app) == first


async def test_a_search_says_searching_until_its_page_arrives(tmp_path, make_config,
                                                               monkeypatch):
    db = seed(tmp_path / "evaltop.db")
    cfg = seed_config(make_config, store={"path": str(db), "search": True})
    conn = store_db.connect(db)
    search_index.sync(cfg, conn)
    search_index.build(conn)
    conn.close()
    gate = threading.Event()
    real = dc.page

    def slow_page(conn, f, *args, **kwargs):  # a page that takes as long as the test says
        if f.search:
            gate.wait(10)
        return real(conn, f, *args, **kwargs)

    monkeypatch.setattr(dc, "page", slow_page)
    app = EvaltopApp(cfg, db, clock=lambda: NOW, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "slash")
        await pilot.press(*"custom*")
        await pilot.press("enter")
        await pilot.pause()
        assert "searching..." in str(app.screen.query_one("#status").render())
        gate.set()
        await settle(pilot)
        status = str(app.screen.query_one("#status").render())
        assert "searching" not in status and shown(app)
