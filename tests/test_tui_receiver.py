"""The overview shows the OTLP receiver's state where it shows what comes in."""

from __future__ import annotations

import pytest
from tui_helpers import NOW, seed, seed_config, settle

from evaltop.store import counters
from evaltop.store import db as store_db
from evaltop.store import otlp as store_otlp
from evaltop.tui.app import EvaltopApp

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def _app(tmp_path, make_config, heartbeat: float | None):
    db = seed(tmp_path / "evaltop.db")
    if heartbeat is not None:
        conn = store_db.connect(db)
        with store_db.write(conn):
            store_otlp.heartbeat(conn, "http://127.0.0.1:4318", 1234, NOW - 600, heartbeat)
            counters.add(conn, {"otlp.traces.requests": 12, "otlp.spans": 500,
                                "otlp.spans.ignored": 40, "otlp.spans.rejected": 2})
        conn.close()
    return EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False)


@pytest.mark.parametrize("beat, state", [(NOW - 3, "listening"), (NOW - 300, "stopped")])
async def test_overview_shows_the_receiver(tmp_path, make_config, beat, state):
    app = _app(tmp_path, make_config, beat)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        summary = str(app.screen.query_one("#summary").render())
        assert f"otlp http://127.0.0.1:4318 {state}" in summary
        assert "requests 12" in summary and "458 ok" in summary and "2 rejected" in summary


async def test_no_receiver_no_line(tmp_path, make_config):
    app = _app(tmp_path, make_config, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "otlp" not in str(app.screen.query_one("#summary").render())
