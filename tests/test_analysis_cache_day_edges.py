"""The budget and spend reads take most of a day as the day's rollup row less
the rest: the same figures as reading the hours (or the outputs) themselves,
for windows ending anywhere in a day, with outputs after the window's end."""

from __future__ import annotations

import random

import pytest
from tui_helpers import insert_outputs, output_row, rebuild_rollup

from evaltop.store import db as store_db
from evaltop.store import inference_queries as q

DAY, HOUR = 86400, 3600
D0 = 20_400 * DAY  # a UTC midnight


@pytest.fixture
def spread(conn):
    """Three days of outputs, several models, some unpriced, some erroring."""
    rng = random.Random(5)
    rows = []
    for i in range(1500):
        ts = D0 + rng.uniform(0, 3 * DAY)
        rows.append(
            output_row(
                i,
                ts,
                model=rng.choice(["a", "b", "c", "unpriced"]),
                task=rng.choice(["x", "y"]),
                cost_pusd=None if i % 11 == 0 else rng.randrange(10**6, 10**9),
                error="boom" if i % 17 == 0 else None,
            )
        )
    insert_outputs(conn, rows)
    rebuild_rollup(conn)
    return conn


def _hours_read(conn, by: str, since: float, until: float) -> dict:
    """The documented meaning: sums over the whole hours touching the window."""
    expr = {"model": "model", "day": "date(hour * 3600, 'unixepoch')", "all": "''"}[by]
    rows = conn.execute(
        f"SELECT {expr} AS k, {', '.join(f'sum({c}) AS {c}' for c in q.SUMS)} FROM rollup_hourly "
        "WHERE hour BETWEEN ? AND ? GROUP BY k",
        (int(since // HOUR), int(until // HOUR)),
    )
    return {r["k"]: {c: r[c] for c in q.SUMS} for r in rows}


def _scan(conn, since: float, until: float) -> tuple[int, int]:
    return tuple(
        conn.execute(
            "SELECT coalesce(sum(cost_pusd), 0), coalesce(sum(cost_pusd IS NULL), 0) FROM outputs "
            "WHERE ts >= ? AND ts < ?",
            (since, until),
        ).fetchone()
    )


ENDS = [0.3 * HOUR, 11 * HOUR + 59 * 60, 12 * HOUR, 12.5 * HOUR, 20 * HOUR + 7.25, DAY - 1, DAY]


@pytest.mark.parametrize("start_day", [0, 1, 2])
@pytest.mark.parametrize("end", ENDS)
def test_midnight_windows_equal_reading_the_hours(spread, start_day, end):
    since, until = D0 + start_day * DAY, D0 + 2 * DAY + end
    for by in ("model", "day"):
        got = {r["k"]: r for r in q.inference_by(spread, by, since, until)}
        want = _hours_read(spread, by, since, until)
        assert set(got) == set(want), by
        for k, w in want.items():
            assert {c: got[k][c] for c in q.SUMS if c != "latency_ms_sum"} == \
                {c: w[c] for c in q.SUMS if c != "latency_ms_sum"}
            assert got[k]["latency_ms_sum"] == pytest.approx(w["latency_ms_sum"], rel=1e-12)
    total = q.inference_totals(spread, since, until)
    want_all = _hours_read(spread, "all", since, until).get("", {c: 0 for c in q.SUMS})
    assert total["cost_pusd"] == want_all["cost_pusd"] and total["outputs"] == want_all["outputs"]


@pytest.mark.parametrize("since_off", [0, 3 * HOUR, 13 * HOUR + 1.5, DAY - 5])
@pytest.mark.parametrize("end", ENDS)
def test_spend_in_equals_a_scan_of_the_outputs(spread, since_off, end):
    for since, until in (
        (D0 + since_off, D0 + 2 * DAY + end),
        (D0 + DAY + since_off, D0 + DAY + end),
        (D0 + since_off, D0 + end),
    ):
        if until > since:
            assert q.spend_in(spread, since, until) == _scan(spread, since, until), (
                since - D0,
                until - D0,
            )


def test_a_model_seen_only_after_the_window_end_is_not_listed(conn):
    insert_outputs(conn, [output_row(1, D0 + 2 * HOUR, model="early"),
                          output_row(2, D0 + 20 * HOUR, model="late")])
    rebuild_rollup(conn)
    assert [r["k"] for r in q.inference_by(conn, "model", D0, D0 + 13 * HOUR)] == ["early"]
    assert q.spend_in(conn, D0, D0 + 13 * HOUR) == _scan(conn, D0, D0 + 13 * HOUR)


def test_a_window_with_nothing_stored_after_it_reads_the_day_row(conn):
    insert_outputs(
        conn,
        [
            output_row(1, D0 + 1 * HOUR, model="gone"),
            output_row(2, D0 + 2 * HOUR, model="kept"),
            output_row(3, D0 + 2.2 * HOUR, model="kept", cost_pusd=None),
        ],
    )
    rebuild_rollup(conn)
    with store_db.write(conn):  # the daily row of "gone" is left at zero by the trigger
        conn.execute("DELETE FROM outputs WHERE model = 'gone'")
        conn.execute("DELETE FROM rollup_hourly WHERE model = 'gone'")
    since, until = D0, D0 + 2.5 * HOUR
    got = {r["k"]: r for r in q.inference_by(conn, "model", since, until)}
    want = _hours_read(conn, "model", since, until)
    assert set(got) == set(want) == {"kept"}
    assert {c: got["kept"][c] for c in q.SUMS} == pytest.approx(want["kept"])
    assert q.spend_in(conn, since, until) == _scan(conn, since, until) == (1_500_000_000, 1)


def test_the_partial_hour_at_either_end_is_read_from_the_outputs(conn):
    """As window_totals does: a row the hourly rollup does not hold yet still counts."""
    insert_outputs(
        conn, [output_row(1, D0 + 1 * HOUR, model="m"), output_row(2, D0 + 14.2 * HOUR, model="m")]
    )
    rebuild_rollup(conn)
    insert_outputs(conn, [output_row(3, D0 + 14.6 * HOUR, model="m", cost_pusd=7)])  # not rolled up
    until = D0 + 14.7 * HOUR
    assert q.spend_in(conn, D0, until) == _scan(conn, D0, until) == (3_000_000_007, 0)
    assert q.spend_in(conn, D0 + 0.5 * HOUR, until) == _scan(conn, D0 + 0.5 * HOUR, until)
