"""Snapshots of the main screens at 80x24 and 160x48 (pytest-textual-snapshot).

Deterministic: a seeded DB with fixed timestamps, a frozen clock, no live
refresh timer. Regenerate after an intended change with
``pytest tests/test_tui_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

import pytest
from tui_helpers import NOW, seed, seed_config, settle

from evaltop.tui.app import EvaltopApp

SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def app(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    return EvaltopApp(seed_config(make_config), db, clock=lambda: NOW, live=False, bell=False)


def describe(app) -> str:
    """What was on screen when the snapshot was taken: printed on a mismatch,
    since CI keeps no snapshot report."""
    from textual.widgets import DataTable

    screen = app.screen
    parts = [
        f"screen={type(screen).__name__} settled={getattr(screen, 'settled', None)} size={app.size}"
    ]
    for t in screen.query(DataTable):
        widths = [c.get_render_width(t) for c in t.columns.values()]
        parts.append(
            f"{t.id}: rows={t.row_count} cursor={t.cursor_coordinate} widths={widths} "
            f"pending={t._require_update_dimensions}/{len(t._new_rows)}/{len(t._updated_cells)} "
            f"updates={t._update_count} id={id(t)}"
        )
    return "; ".join(parts)


def keys_then_settle(state: list[str], *keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)  # the plugin then waits for animations itself
        state.append(describe(pilot.app))

    return run_before


def check(snap_compare, app, size, *keys: str) -> None:
    state: list[str] = []
    export = app.export_screenshot

    def export_and_describe(*args, **kwargs):  # the moment the plugin takes its shot
        state.append("at the shot: " + describe(app))
        return export(*args, **kwargs)

    app.export_screenshot = export_and_describe
    ok = snap_compare(app, terminal_size=size, run_before=keys_then_settle(state, *keys))
    assert ok, f"snapshot mismatch; on screen: {state}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_overview(snap_compare, app, size):
    check(snap_compare, app, size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cases(snap_compare, app, size):
    check(snap_compare, app, size, "2")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_case_detail(snap_compare, app, size):
    check(snap_compare, app, size, "2", "enter")
