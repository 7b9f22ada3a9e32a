"""Snapshots of the main screens at 80x24 and 160x48 (pytest-textual-snapshot).

Deterministic: a seeded DB with fixed timestamps, a frozen clock, no live
refresh timer. Regenerate after an intended change with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

import pytest
from tui_helpers import NOW, seed, seed_config

from evaltop.tui.app import EvaltopApp

SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def app(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    return EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False, bell=False)


def keys_then_settle(*keys: str):
    async def run_before(pilot) -> None:
        for _ in range(2):
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        for key in keys:
            await pilot.press(key)
            for _ in range(2):
                await pilot.pause()
                await pilot.app.workers.wait_for_complete()
        # DataTable sizes auto-width columns when idle; on a loaded machine the
        # screenshot could otherwise be taken before that (seen under load).
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cases(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle("2"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_case_detail(snap_compare, app, size):
    assert snap_compare(app, terminal_size=size, run_before=keys_then_settle("2", "enter"))
