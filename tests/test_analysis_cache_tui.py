"""The screens read regressions and agreement as of the analyse job and say so;
a watcher that may write stores what it computed on a miss."""

from __future__ import annotations

import pytest
from tui_helpers import NOW, seed, seed_config, settle

from evaltop.core.analysis import cache
from evaltop.core.analysis.regressions import ranked
from evaltop.store import analysis_cache as store
from evaltop.store import db as store_db
from evaltop.tui.app import EvaltopApp
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_screens_show_results_as_of_the_last_analysis(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    cfg = seed_config(make_config)
    conn = store_db.connect(db)
    try:
        cache.refresh(conn, cfg, NOW - 42)
        # the screen shows the cached rows in the view's order
        expected = ranked(cache.fresh_regressions(conn, cfg, NOW - 42).rows)
    finally:
        conn.close()
    assert expected
    app = EvaltopApp(cfg, db, clock=lambda: NOW, live=False, readonly=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one("#regressions-pane")
        assert pane.border_subtitle == "as of 11:05:58 UTC"  # NOW - 42 s
        assert app.screen.query_one("#regressions", LiveTable).row_count == min(8, len(expected))
        await pilot.press("3")
        await settle(pilot)
        assert "as of 11:05:58 UTC" in str(app.screen.query_one("#status").render())
        assert app.screen._rows == expected
        await pilot.press("5")
        await settle(pilot)
        assert "agreement as of 11:05:58 UTC" in str(app.screen.query_one("#status").render())


async def test_a_writable_watcher_stores_what_it_computed_and_shows_no_as_of(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    cfg = seed_config(make_config)
    app = EvaltopApp(cfg, db, clock=lambda: NOW, live=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert "as of" not in str(app.screen.query_one("#status").render())
    conn = store_db.connect(db, readonly=True)
    try:
        hit = store.get(conn, cache.regressions_key(cfg))
        assert hit is not None and hit.now == NOW
        assert hit.payload == cache.fresh_regressions(conn, cfg, NOW).to_json()
    finally:
        conn.close()
