"""Injection corpus through every widget that shows logged text: cases table,
case detail, review, regressions (segment names are logged text too), spend,
alerts pane and toasts. The app must keep running, fire no action, and put no
control character on the screen."""

from __future__ import annotations

import re

import pytest
from tui_helpers import (
    NOW,
    insert_outputs,
    insert_score,
    output_row,
    rebuild_rollup,
    record_notifications,
    seed,
    seed_config,
    settle,
)

from evaltop.store import db as store_db
from evaltop.tui.app import EvaltopApp
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio

CORPUS = [
    "\x1b]0;pwned-title\x07",
    "\x1b]8;;file:///etc/passwd\x1b\\osc8-link\x1b]8;;\x1b\\",
    "\x1b]52;c;cm0gLXJmIH4=\x07",
    "\x1b[2J\x1b[H",
    "\x9b31mc1-csi",
    "\x0eshift-out\x0f",
    "visible\rEVIL-OVERWRITE",
    "[@click=app.sentinel]click-me[/]",
    "[@click=app.quit]quit-me[/]",
    "[link=file:///etc/passwd]x[/link]",
    "[bold unclosed",
    "stray [/x] close",
    "[$accent @click=app.sentinel]",
    "bad utf8 \ufffd\ufffd",
    "\u202eevil-rtl\u202c",
]
NASTY = " ".join(CORPUS)
NASTY_MODEL = "[@click=app.sentinel]gpt\x1b[2J\u202e"
NASTY_TASK = "[/x]task\x9b\r"
NASTY_JUDGE = "[bold judge\x1b]0;t\x07"
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class SentinelApp(EvaltopApp):
    fired = False

    def action_sentinel(self) -> None:
        SentinelApp.fired = True


@pytest.fixture
def anyio_backend():
    return "asyncio"


def seed_nasty(db_path) -> None:
    """Nasty text in every logged field, with enough verdicts on both sides of the
    regression windows that the nasty segment is compared."""
    conn = store_db.connect(db_path)
    rows = []
    for i in range(60):
        ts = NOW - 3 * 86400 + i * 600 if i < 30 else NOW - 20_000 + i * 100
        rows.append(output_row(5000 + i, ts, model=NASTY_MODEL, task=NASTY_TASK, user=NASTY,
                               output=NASTY + "\nsecond line " + NASTY, variant=NASTY[:40],
                               prompt_version="\x1b[31mv9", metadata={"k\x1b[2J": NASTY}))
    rows.append(output_row(9999, NOW - 10, model=NASTY_MODEL, task=NASTY_TASK,
                           output="A" * 1_000_000 + "\x1b[2J"))
    insert_outputs(conn, rows)
    with store_db.write(conn):
        for i in range(60):
            r = rows[i]
            insert_score(conn, r[0], r[1], NASTY_JUDGE, int(i < 30 or i % 3 == 0), reason=NASTY)
            conn.execute(
                "INSERT INTO samples (output_id, strata, probability, status, sampled_at, "
                "output_ts) VALUES (?, ?, 1.0, 'done', ?, ?)",
                (r[0], NASTY[:30], r[1], r[1] - 10_000_000),
            )
        insert_score(conn, "out-009999", NOW - 10, NASTY_JUDGE, 0, reason="B" * 1_000_000)
        conn.execute(
            "INSERT INTO feedback (id, output_id, ts, name, value_text, ingested_at) VALUES "
            "('fb-nasty', 'out-005059', ?, ?, ?, ?)",
            (NOW - 5, NASTY_JUDGE, NASTY, NOW),
        )
        conn.execute(
            "INSERT INTO alerts (kind, level, message, dedupe_key, ts) "
            "VALUES (?, 'critical', ?, 'n1', ?)",
            (NASTY_TASK, NASTY, NOW - 60),
        )
    rebuild_rollup(conn)
    conn.close()


def assert_clean(app, where: str) -> str:
    svg = app.export_screenshot()
    bad = FORBIDDEN.findall(svg)
    assert not bad, f"{where}: control characters reached the screen: {bad[:5]!r}"
    assert app.is_running and not SentinelApp.fired, where
    return svg


async def test_injection_corpus_through_every_widget(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db", n=120)
    seed_nasty(db)
    SentinelApp.fired = False
    app = SentinelApp(seed_config(make_config), db, clock=lambda: NOW, live=False, bell=False)
    sent = record_notifications(app)
    shots = {}
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(pilot)
        shots["overview"] = assert_clean(app, "overview")
        app.poll_now()
        await settle(pilot)
        conn = store_db.connect(db)
        with store_db.write(conn):
            conn.execute("INSERT INTO alerts (kind, level, message, dedupe_key, ts) VALUES "
                         "(?, 'critical', ?, 'n2', ?)", (NASTY_JUDGE, NASTY, NOW))
        conn.close()
        app.poll_now()
        await settle(pilot)
        assert any("osc8-link" in n.message for n in sent)  # the toast arrived, inert
        shots["toast"] = assert_clean(app, "toast")

        await pilot.press("2")
        await settle(pilot)
        table = app.screen.query_one(LiveTable)
        assert table.row_count > 0
        shots["cases"] = assert_clean(app, "cases")
        await pilot.click(LiveTable, offset=(80, 2))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        shots["detail-huge"] = assert_clean(app, "detail of the 1 MB output")
        await pilot.press("j")
        await settle(pilot)
        shots["detail"] = assert_clean(app, "detail")
        for section in ("#sec-input", "#sec-output", "#sec-scores", "#sec-cost",
                        "#sec-metadata"):
            app.screen.query_one(section).scroll_visible(animate=False, immediate=True)
            await pilot.pause()
            await pilot.click(section)
        await settle(pilot)
        assert_clean(app, "detail after clicks")
        await pilot.press("escape")
        for key, name in (("3", "regressions"), ("4", "spend"), ("5", "review")):
            await pilot.press(key)
            await settle(pilot)
            shots[name] = assert_clean(app, name)
        regs = app.get_screen_stack("regressions")[0]._rows
        assert any(r.segment.model == NASTY_MODEL for r in regs)
        await pilot.press("1")
        await settle(pilot)
        shots["overview-again"] = assert_clean(app, "overview again")
    assert not SentinelApp.fired
    text = "".join(shots.values()).replace("&#160;", " ")
    # The markup-looking strings were shown as literal characters, and the bidi override visibly.
    assert "@click=app.sentinel" in text and "⟪RLO⟫" in text
