"""Secrets/PII on the rendered screen (issue 6): with ``[redaction] enabled``
planted keys, e-mails, cards and phones in logged prompts, outputs, metadata,
task names and judge reasons never appear on the dashboard, their
placeholders do, and with redaction off they are shown as logged (so the
check can fail)."""

from __future__ import annotations

import html
import re

import pytest
from test_tui_injection import settle
from tui_helpers import (
    NOW,
    insert_outputs,
    insert_score,
    output_row,
    rebuild_rollup,
    seed,
    seed_config,
)

from evaltop.store import db as store_db
from evaltop.tui.app import EvaltopApp
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.widgets import safe_text
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio

PLANTED = {
    "email": "maria.lopez@example.com",
    "openai": "sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDfGh",
    "aws": "AKIAJ7Q2EXAMPLEKEY12",
    "card": "5555 5555 5555 4444",
    "phone": "+44 20 7946 0958",
}


@pytest.fixture
def anyio_backend():
    return "asyncio"


def screen_text(app) -> str:
    """What the terminal shows, as text (the SVG's text runs, unescaped)."""
    svg = app.export_screenshot()
    body = svg[svg.index("</style>"):] if "</style>" in svg else svg
    return html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")


def seed_secrets(db_path) -> list[str]:
    s = PLANTED
    rows = [
        output_row(9001, NOW - 30, user=f"My card is {s['card']}, mail me at {s['email']}",
                   output=f"Use key {s['openai']} and call {s['phone']}", task=f"t {s['email']}",
                   metadata={"aws": s["aws"], "note": f"reach {s['email']}"}),
        output_row(9002, NOW - 20, user=f"{s['aws']} leaked", output=f"{s['email']} wrote in"),
    ]
    conn = store_db.connect(db_path)
    insert_outputs(conn, rows)
    with store_db.write(conn):
        for r in rows:
            insert_score(conn, r[0], r[1], "helpfulness", 0, kind="llm", score=1,
                         reason=f"the answer leaks {s['openai']} and {s['phone']}")
    rebuild_rollup(conn)
    conn.close()
    return [r[0] for r in rows]


async def _screens(tmp_path, make_config, enabled: bool) -> list[str]:
    db = seed(tmp_path / "evaltop.db", n=60)
    ids = seed_secrets(db)
    cfg = seed_config(make_config, redaction={"enabled": enabled})
    app = EvaltopApp(cfg, db, clock=lambda: NOW, live=False, bell=False)
    shots = []
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one(LiveTable).row_count > 0
        shots.append(screen_text(app))
        await pilot.press("enter")  # the newest case: a planted one
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        seen = set()
        for _ in range(2):
            seen.add(app.screen.row["id"])
            shots.append(screen_text(app))
            await pilot.press("j")
            await settle(pilot)
        assert set(ids) <= seen, seen
    return shots


async def test_redaction_on_keeps_every_planted_secret_off_the_screen(tmp_path, make_config):
    shots = await _screens(tmp_path, make_config, enabled=True)
    shown = "\n".join(shots)
    leaked = {k: v for k, v in PLANTED.items() if v in shown}
    assert not leaked, leaked
    for placeholder in ("[EMAIL]", "[API_KEY]", "[CARD]", "[PHONE]"):
        assert placeholder in shown, placeholder


async def test_redaction_off_shows_them_as_logged(tmp_path, make_config):
    shots = await _screens(tmp_path, make_config, enabled=False)
    shown = "\n".join(shots)
    assert {k for k, v in PLANTED.items() if v in shown} == set(PLANTED)


def test_a_cut_never_leaves_part_of_a_secret():
    """Redaction runs on the whole value before a cell cuts it."""
    safe_text.set_redaction(True)
    key = PLANTED["openai"]
    text = "x" * 50 + key + " tail"
    assert key[:12] not in safe_text.line(text, 60)  # a plain cut would show "sk-proj-Q1w2"
    safe_text.set_redaction(False)
    assert key[:8] in safe_text.line(text, 60)


def test_the_fetch_worker_redacts_ahead_of_the_event_loop():
    """``prewarm`` (run on the screen's worker thread) leaves every short
    string of the fetched rows redacted in the cache the cells read."""
    safe_text.set_redaction(True)
    rows = [
        {"head": f"case {i} from {PLANTED['email']}", "meta": {"k": [f"{PLANTED['phone']} #{i}"]}}
        for i in range(50)
    ]
    safe_text._redact_short.cache_clear()
    safe_text.prewarm(rows)
    warmed = safe_text._redact_short.cache_info()
    assert warmed.misses == 100 and warmed.currsize == 100
    assert safe_text.line(rows[7]["head"], 60) == "case 7 from [EMAIL]"
    assert safe_text.line(rows[7]["meta"]["k"][0], 60) == "[PHONE] #7"
    assert safe_text._redact_short.cache_info().hits == warmed.hits + 2
