"""The Spend screen shows judge spend confirmed, with unconfirmed spend (the
estimates of attempts cut off after sending) and their count apart."""

from __future__ import annotations

import pytest
from tui_helpers import NOW, seed, seed_config, settle

from evaltop.store import db as store_db
from evaltop.tui.app import EvaltopApp
from evaltop.tui.screens.spend import SpendScreen
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_spend_screen_shows_unconfirmed_judge_spend_apart(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    conn = store_db.connect(db)
    with store_db.write(conn):  # a timed-out call: no reply, one estimate unconfirmed
        conn.execute(
            "INSERT INTO judge_calls (judge, model, output_id, status, cost_pusd, cost_known,"
            " unconfirmed_pusd, unconfirmed_attempts, ts)"
            " VALUES ('cutoff', 'judge-mini', 'out-000001', 'timeout', 0, 0, ?, 2, ?)",
            (3 * 10**10, NOW - 120))
    conn.close()
    app = EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, SpendScreen)
        judges = app.screen.query_one("#by-judge", LiveTable)
        cells = [str(c) for c in judges.get_row("jcutoff")]
        assert cells[2] == "$0.00" and cells[3] == "$0.0300 (2)"
        kinds = app.screen.query_one("#by-kind", LiveTable)
        assert "+$0.0300 unconfirmed" in str(kinds.get_row("kjudge")[2])
