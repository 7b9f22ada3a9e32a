"""The Shadow screen (`6`): the live paired comparison of a candidate model on
shadowed live traffic, with the flipped cases one `enter` from their detail."""

from __future__ import annotations

import json

import pytest
from loopback_server import LoopbackLLM
from replay_helpers import NOW, ScriptedCandidate, add_output, write_config
from tui_helpers import seed, seed_config, settle

from evaltop.core.model.config import load
from evaltop.core.rollout.shadow import shadow_step
from evaltop.store.db import connect
from evaltop.tui.app import EvaltopApp
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.screens.shadow import ShadowScreen
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def shadowed_cfg(tmp_path):
    """24 live outputs, all shadowed; every fourth one breaks on the candidate."""
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        path, _ = write_config(tmp_path, llm.base_url)
        path.write_text(
            path.read_text() + '\n[shadow]\nenabled = true\ncandidate = "cand"\nrate = 1.0\n'
        )
        cfg = load(path)
        conn = connect(cfg.db_path)
        for i in range(24):
            text = f"Extract the contact from CASE-{i}." + (" BREAK" if i % 4 == 0 else "")
            add_output(
                conn,
                f"out{i}",
                input=text,
                task="extract",
                output=json.dumps({"name": f"CASE-{i}"}),
                ts=NOW - 60,
            )
        conn.close()
        shadow_step(cfg, cfg.db_path, limit=100, now=NOW)
    return cfg


async def test_shadow_screen_shows_paired_comparison_and_opens_flips(shadowed_cfg):
    cfg = shadowed_cfg
    app = EvaltopApp(cfg, cfg.db_path, clock=lambda: NOW, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, ShadowScreen)
        status = str(app.screen.query_one("#status").render())
        assert "cand" in status and "paired 24" in status and "broke 6" in status
        judges = app.screen.query_one("#shadow-judges", LiveTable)
        assert set(judges.row_keys) == {"fields", "helpful"}
        flips = app.screen.query_one("#shadow-flips", LiveTable)
        assert sorted(flips.row_keys) == sorted(f"out{i}" for i in range(0, 24, 4))
        # the two outputs share what the other columns leave: nothing scrolls sideways
        widths = [c.get_render_width(flips) for c in flips.columns.values()]
        assert widths[-1] == widths[-2] and sum(widths) + 2 <= 120 and flips.max_scroll_x == 0
        flips.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        assert app.screen.row["id"] in {f"out{i}" for i in range(0, 24, 4)}
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ShadowScreen)


async def test_shadow_screen_says_how_to_turn_it_on(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db", n=50)
    app = EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, ShadowScreen)
        assert "Shadow mode is off" in str(app.screen.query_one("#status").render())
        assert app.screen.query_one("#shadow-flips", LiveTable).row_count == 0
