"""Anthropic Messages responses, request/response pairs and batch results."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FormatError, parse_record

DATA = Path(__file__).parent / "data" / "formats" / "anthropic.jsonl"
LINES = [orjson.loads(b) for b in DATA.read_bytes().splitlines()]


def one(n: int):
    [rec] = parse_record(LINES[n - 1], source="app", line_hash=f"line{n}")
    assert rec.format == "anthropic" and rec.provider == "anthropic"
    return rec


def test_cache_reads_and_writes_are_added_to_input():
    rec = one(1)
    u = rec.usage
    # input_tokens 12 EXCLUDES cache: 12 + 3000 reads + 500 writes.
    assert (u.input_tokens, u.cached_input_tokens, u.cache_write_tokens) == (3512, 3000, 500)
    assert u.uncached_input_tokens == 12 and u.output_tokens == 25
    assert rec.output == "Hello! How can I help?"  # text blocks joined as one text
    assert rec.finish_reason == "end_turn" and rec.metadata["ts_source"] == "ingest"


def test_pair_with_system_blocks_tools_and_split_cache_writes():
    rec = one(2)
    assert [(m.role, m.content) for m in rec.input] == [
        ("system", "You are a travel agent."),
        ("user", "Book Paris"),
        ("assistant", 'tool_call search({"q":"flights"})'),
        ("user", "3 flights"),
    ]
    assert rec.output == 'Booking now.\ntool_call book_flight({"to":"CDG","seats":2})'
    # cache_creation_input_tokens is null: the 5m + 1h split is the write count.
    assert (
        rec.usage.input_tokens,
        rec.usage.cache_write_tokens,
        rec.usage.cached_input_tokens,
    ) == (350, 300, 0)
    assert rec.metadata["cache_write_1h_tokens"] == 200
    assert rec.ts == datetime(2026, 3, 1, 12, tzinfo=UTC) and rec.latency_ms == 950.0
    assert (rec.task, rec.prompt_version) == ("booking", "p2")
    assert rec.metadata["user_id"] == "u-42"


def test_thinking_is_counted_not_output():
    rec = one(3)
    assert rec.output == "42"
    assert rec.metadata["thinking_blocks"] == 1 and rec.metadata["redacted_thinking_blocks"] == 1
    assert rec.usage.output_tokens == 900 and rec.usage.reasoning_tokens == 0


def test_refusal_stop_reason_is_an_error():
    rec = one(4)
    assert rec.error == "refusal" and rec.finish_reason == "refusal" and rec.output == ""


def test_batch_results():
    ok = one(5)
    assert ok.id == "msg_batch1" and ok.output == "Hello again!"
    assert ok.metadata["custom_id"] == "my-first-request"
    err = one(6)
    assert err.id == "h:line6" and err.usage is None
    assert err.error == "invalid_request_error: max_tokens: Field required"
    assert one(7).error == "expired"


def test_error_response_in_a_pair():
    [rec] = parse_record(
        {
            "request": {
                "model": "claude-haiku-4-5",
                "messages": [{"role": "user", "content": "hi"}],
            },
            "response": {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
            },
        },
        line_hash="e",
    )
    assert rec.format == "anthropic" and rec.error == "overloaded_error: Overloaded"
    assert rec.input[0].content == "hi" and rec.id == "h:e"


@pytest.mark.parametrize(
    "obj, reason",
    [
        ({"id": "m", "type": "message", "content": "hi"}, "anthropic: content must be an array"),
        ({"id": "m", "type": "message", "content": [7]}, "anthropic: content[0] must be an object"),
        (
            {"id": "m", "type": "message", "content": [], "usage": {"input_tokens": -3}},
            "usage.input_tokens must not be negative",
        ),
        (
            {
                "id": "m",
                "type": "message",
                "content": [],
                "usage": {"cache_creation": {"ephemeral_5m_input_tokens": "x"}},
            },
            "usage.cache_creation.ephemeral_5m_input_tokens must be a whole number",
        ),
        ({"custom_id": "c", "result": {"type": "exploded"}}, "result.type: expected succeeded"),
        ({"custom_id": "c", "result": {"type": "succeeded"}}, "result.message missing"),
    ],
)
def test_malformed_anthropic_lines(obj, reason):
    with pytest.raises(FormatError) as exc:
        parse_record(obj)
    assert reason in str(exc.value)
