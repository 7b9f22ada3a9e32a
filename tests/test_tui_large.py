"""A 200k-output database: page queries return pages (keyset, deep pages,
filters) and the app switches through every screen with data. No timings
here: the speed targets live in bench/."""

from __future__ import annotations

import pytest
from tui_helpers import NOW, OUTPUT_COLS, rebuild_rollup, settle

from evaltop.core.views import cases as dc
from evaltop.core.views import dashboard
from evaltop.store import db as store_db
from evaltop.tui.app import EvaltopApp
from evaltop.tui.screens.case_detail import CaseDetailScreen
from evaltop.tui.widgets.live_table import LiveTable

N = 200_000
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "evaltop.db"
    conn = store_db.connect(path)
    models = ["gpt-4o-mini", "claude-3-5-haiku", "llama-3.1-8b", "mistral-small"]
    tasks = ["sql", "summarize", "support", "extract", "classify"]

    def outputs():
        for i in range(N):
            ts = NOW - (N - i) * 3.0  # one every 3 s: about a week
            yield (
                f"o{i}",
                ts,
                "app",
                "native",
                models[i % 4],
                "p",
                tasks[i % 5],
                "v1",
                "",
                f"question {i}",
                None,
                f"h{i}",
                f"answer {i} needle{i % 1000}",
                100,
                20,
                0,
                1_000_000 * (i % 7),
                300.0,
                None,
                "[]",
                "{}",
                ts,
            )

    marks = ",".join("?" * len(OUTPUT_COLS))
    with store_db.write(conn):
        conn.executemany(
            f"INSERT INTO outputs ({','.join(OUTPUT_COLS)}) VALUES ({marks})", outputs()
        )
        conn.executemany(
            "INSERT INTO scores (output_id, judge, kind, status, score, passed, output_ts, "
            "created_at) VALUES (?, 'json_valid', 'rule', 'ok', ?, ?, ?, ?)",
            (
                (f"o{i}", float(i % 4 != 0), int(i % 4 != 0), NOW - (N - i) * 3.0, NOW)
                for i in range(0, N, 10)
            ),
        )
        conn.executemany(
            "INSERT INTO samples (output_id, strata, probability, status, sampled_at, output_ts) "
            "VALUES (?, 'base', 0.1, 'done', ?, ?)",
            ((f"o{i}", NOW, NOW - (N - i) * 3.0) for i in range(0, N, 10)))
    rebuild_rollup(conn)
    conn.close()
    return path


def test_keyset_pages_deep_into_a_large_table(big_db, make_config):
    conn = store_db.connect(big_db, readonly=True)
    f = dc.parse_filter("", NOW, failing=False)
    after, seen = None, set()
    for _ in range(5):
        rows = dc.page(conn, f, after)
        assert len(rows) == dc.PAGE
        keys = [r["key"] for r in rows]
        assert keys == sorted(keys, reverse=True) and not seen & set(keys)
        seen |= set(keys)
        after = keys[-1]
    deep = dc.page(conn, f, (NOW - 150_000 * 3.0, 50_000))
    assert len(deep) == dc.PAGE and deep[0]["ts"] <= NOW - 150_000 * 3.0
    back = dc.page_before(conn, f, deep[0]["key"])
    assert len(back) == dc.PAGE and back[-1]["key"] > deep[0]["key"]
    failing = dc.page(conn, dc.parse_filter("model:gpt-4o-mini", NOW))
    assert len(failing) == dc.PAGE and {r["model"] for r in failing} == {"gpt-4o-mini"}
    assert all(r["passed"] == 0 for r in failing)
    text = dc.page(conn, dc.parse_filter("needle7 since:1d", NOW, failing=False))
    assert text and all("needle7" in r["head"] for r in text)
    o = dashboard.overview(conn, make_config({"analysis": {"min_n": 10}}), NOW)
    assert o.outputs > 20_000 and o.rates[0].n > 2_000
    conn.close()


async def test_every_screen_loads_on_a_large_db(big_db, make_config):
    app = EvaltopApp(
        make_config({"analysis": {"min_n": 10}}), big_db, clock=lambda: NOW, live=False
    )
    async with app.run_test(size=(160, 48)) as pilot:
        for key in ("1", "2", "3", "4", "5", "2"):
            await pilot.press(key)
            await settle(pilot)
            if key != "1":
                assert app.screen.query(LiveTable).first().row_count > 0, key
        assert app.screen.query_one(LiveTable).row_count == dc.PAGE
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseDetailScreen)
        assert app.screen.detail is not None and app.screen.detail.id == app.screen.row["id"]
