"""Schema v19: rows stored before it keep their cache writes as 5-minute
writes (the 1-hour column is NULL, and the breakdown says the TTL was not
reported); judge calls gain the same bucket columns."""

from __future__ import annotations

import sqlite3

from pricing_helpers import BOOK, usd

from evaltop.core.ingest.pricing import explain
from evaltop.store import db
from evaltop.store.schema import steps


def test_older_rows_keep_their_total_as_5_minute_writes(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for script in steps.STEPS[:18]:  # a database as the v18 release left it (no buckets yet)
        steps.run_script(conn, script)
    conn.execute("PRAGMA user_version = 18")
    conn.execute(
        "INSERT INTO outputs (id, ts, model, input_tokens, output_tokens, cached_input_tokens, "
        "cache_write_tokens, cost_pusd, cost_source, ingested_at) "
        "VALUES ('o1', 1767225600, 'claude-sonnet-4-5', 3050, 400, 0, 3000, 1, 'builtin', 0)")
    conn.execute("INSERT INTO judge_calls (judge, model, output_id, status, ts) "
                 "VALUES ('j', 'gpt-4o-mini', 'o1', 'ok', 0)")
    conn.close()
    conn = db.connect(path)  # migrates
    row = conn.execute("SELECT * FROM outputs WHERE id = 'o1'").fetchone()
    assert row["cache_write_tokens"] == 3000 and row["cache_write_1h_tokens"] is None
    assert row["batch"] == 0 and row["service_tier"] is None and row["price_entry"] is None
    bd = explain(row, BOOK)
    # 50 x $3 + 3,000 x $3.75 (5-minute) + 400 x $15
    assert bd.total_pusd == usd(150 + 11_250 + 6000) and bd.stored_pusd == 1
    assert "TTL not reported" in bd.price_fallback
    [five_min] = [ln for ln in bd.lines if ln.bucket == "cache_write_5m"]
    assert five_min.tokens == 3000 and str(five_min.usd_per_mtok) == "3.75"
    judge = conn.execute("SELECT * FROM judge_calls").fetchone()
    assert (judge["cached_input_tokens"], judge["cache_write_1h_tokens"]) == (0, None)
    assert explain(judge, BOOK).total_pusd == 0
    conn.close()


def test_judge_and_replay_calls_keep_the_1h_split_and_use_the_same_engine():
    from evaltop.core.rollout.candidates import parse_reply
    from evaltop.core.scoring.judges.llm import _anthropic_usage
    u = {"input_tokens": 50, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 3000,
         "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
         "output_tokens": 400}
    judge = _anthropic_usage(u)
    _, replay, _ = parse_reply("anthropic", {"content": [{"type": "text", "text": "ok"}],
                                             "usage": u, "stop_reason": "end_turn"})
    price = BOOK.lookup("claude-sonnet-4-5")
    for usage in (judge, replay):
        assert usage.cache_write_1h_tokens == 2000
        # 50 x $3 + 1,000 x $3.75 + 2,000 x $6 + 400 x $15
        assert price.cost_pusd(usage) == usd(150 + 3750 + 12_000 + 6000)


def test_the_judge_budget_estimate_reaches_the_long_context_tier():
    from evaltop.core.scoring.judges.paid import worst_case_pusd
    price = BOOK.lookup("claude-sonnet-4-5")
    assert worst_case_pusd(price, 1000, 100) == usd(1000 * 3 + 100 * 15)
    # above 200k the whole call is at $6 in / $22.50 out
    assert worst_case_pusd(price, 250_000, 100) == usd(250_000 * 6) + usd("2250")


def test_bucket_totals_split_spend_and_show_what_caching_saved():
    from evaltop.core.views.costs import bucket_totals
    rows = [
        {"model": "claude-sonnet-4-5", "ts": 1767225600, "input_tokens": 13_050,
         "cached_input_tokens": 10_000, "cache_write_tokens": 3000,
         "cache_write_1h_tokens": 2000, "output_tokens": 400, "cost_source": "builtin"},
        {"model": "gpt-4o-mini", "ts": 1767225600, "input_tokens": 10, "output_tokens": 1,
         "cost_pusd": 7, "cost_source": "reported"},
        {"model": "no-such-model", "ts": 1767225600, "input_tokens": 10},
    ]
    t = bucket_totals(rows, BOOK)
    assert (t.priced, t.not_itemised, t.not_itemised_pusd, t.unpriced) == (1, 1, 7, 1)
    assert t.amount["cache_write_1h"] == usd(12_000)
    assert t.amount["cache_write_5m"] == usd(3750) and t.tokens["cache_read"] == 10_000
    assert sum(t.amount.values()) == usd(150 + 3000 + 3750 + 12_000 + 6000)
    # reads saved 10,000 x ($3 - $0.30); writes cost 1,000 x $0.75 + 2,000 x $3 over input
    assert t.cache_saved == usd(27_000)
    assert t.cache_saved - t.write_premium == usd(27_000 - 750 - 6000)


def test_a_judge_call_stores_its_buckets_entry_and_fallback():
    from evaltop.core.model.records import Usage
    from evaltop.core.scoring.judges.paid import _buckets, _cost
    price = BOOK.lookup("claude-sonnet-4-5-20250929")
    split = Usage(input_tokens=3050, output_tokens=400, cache_write_tokens=3000,
                  cache_write_1h_tokens=2000)
    assert _buckets(split, price) == {
        "cached_input_tokens": 0, "cache_write_tokens": 3000, "cache_write_1h_tokens": 2000,
        "reasoning_tokens": 0, "price_entry": "claude-sonnet-4-5", "price_fallback": None}
    assert _cost(price, split) == usd(150 + 3750 + 12_000 + 6000)
    total_only = split.model_copy(update={"cache_write_1h_tokens": None})
    assert "TTL not reported" in _buckets(total_only, price)["price_fallback"]
