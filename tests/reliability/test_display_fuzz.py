"""Display injection, randomised: seeded mixes of the dashboard's injection
corpus with random C0/C1 controls, escape sequences, bidi overrides and
markup-looking text, in every logged field of many cases. The case detail of
each one is rendered in turn (plus the cases list, regressions and review
screens): no control character may reach the screen and no action may fire.
The figure reports what was counted on the screens (control characters found
in the screenshots, sentinel actions run), then the test asserts both are 0."""

from __future__ import annotations

import random

import pytest
from suite_size import size
from test_tui_injection import CORPUS, FORBIDDEN, SentinelApp, settle
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
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.widgets.live_table import LiveTable

pytestmark = pytest.mark.anyio


class CountingApp(SentinelApp):
    """The sentinel app, counting every time an injected action ran."""

    fired_count = 0

    def action_sentinel(self) -> None:
        super().action_sentinel()
        CountingApp.fired_count += 1

CONTROLS = [chr(c) for c in (*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0))]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
MARKUP = [
    "[@click=app.sentinel]",
    "[@click=screen.dismiss]",
    "[/]",
    "[on red]",
    "[link=x]",
    "[$text]",
    "[b]",
    "\\[",
    "[@click=app.sentinel()]x[/@click]",
]


@pytest.fixture
def anyio_backend():
    return "asyncio"


def nasty(rng: random.Random) -> str:
    parts = rng.sample(CORPUS, rng.randint(1, 4))
    parts += [rng.choice(CONTROLS) for _ in range(rng.randint(1, 6))]
    parts += [rng.choice(BIDI) for _ in range(rng.randint(0, 3))]
    parts += [rng.choice(MARKUP) for _ in range(rng.randint(0, 3))]
    parts += [f"\x1b[{rng.randint(0, 99)}{rng.choice('mHJKABCDsu')}", "plain words"]
    rng.shuffle(parts)
    return "".join(parts)


def seed_fuzz(db_path, n: int, rng: random.Random) -> None:
    conn = store_db.connect(db_path)
    rows = [
        output_row(
            7000 + i,
            NOW - 100 - i,
            user=nasty(rng),
            output=nasty(rng) + "\n" + nasty(rng),
            task=nasty(rng)[:30],
            prompt_version=nasty(rng)[:20],
            metadata={nasty(rng)[:10]: nasty(rng)},
        )
        for i in range(n)
    ]
    insert_outputs(conn, rows)
    with store_db.write(conn):
        for r in rows:
            insert_score(conn, r[0], r[1], "helpfulness", 0, kind="llm", score=1, reason=nasty(rng))
    rebuild_rollup(conn)
    conn.close()


async def test_random_injection_mixes_render_inert_in_every_case(tmp_path, make_config, figure):
    n = size(12, 200)
    rng = random.Random(666)
    db = seed(tmp_path / "evaltop.db", n=60)
    seed_fuzz(db, n, rng)
    SentinelApp.fired, CountingApp.fired_count = False, 0
    app = CountingApp(seed_config(make_config), db, clock=lambda: NOW, live=False, bell=False)
    screens, control_chars, bad = 0, 0, []

    def shot(where: str) -> None:
        nonlocal screens, control_chars
        screens += 1
        found = FORBIDDEN.findall(app.export_screenshot())
        control_chars += len(found)
        if found:
            bad.append((where, found[:5]))
        assert app.is_running, where

    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.query_one(LiveTable).row_count > 0
        shot("cases")
        await pilot.click(LiveTable, offset=(60, 2))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        seen = set()
        for k in range(n):
            shot(f"detail {k}")
            seen.add(app.screen.row["id"])
            await pilot.press("j")
            await settle(pilot)
        await pilot.press("escape")
        for key in ("3", "5", "1"):
            await pilot.press(key)
            await settle(pilot)
            shot(f"screen {key}")
    assert len({i for i in seen if i.startswith("out-007")}) >= n - 1, (
        "j did not walk the fuzzed cases"
    )
    figure("display_injection", fuzzed_cases=n, screens_rendered=screens,
           control_bytes_rendered=control_chars, actions_fired=CountingApp.fired_count)
    assert control_chars == 0 and not bad, f"control characters on screen: {bad[:3]}"
    assert CountingApp.fired_count == 0 and not SentinelApp.fired
