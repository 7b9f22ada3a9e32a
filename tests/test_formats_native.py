"""Native lines (docs/formats.md): outputs, feedback, and the errors bad lines get."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FormatError, parse_record
from evaltop.core.model.records import Feedback, LoggedOutput

DATA = Path(__file__).parent / "data" / "formats" / "native.jsonl"


def sample(n: int) -> list:
    line = DATA.read_bytes().splitlines()[n - 1]
    return parse_record(orjson.loads(line), "native", source="app", line_hash=f"line{n}")


def test_full_output_record_maps_every_field():
    [rec] = sample(1)
    assert isinstance(rec, LoggedOutput)
    assert rec.id == "out-1" and rec.format == "native" and rec.source == "app"
    assert rec.ts == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert (rec.model, rec.provider, rec.task, rec.prompt_version, rec.variant) == (
        "gpt-4o-mini",
        "openai",
        "extract_contact",
        "v2",
        "A",
    )
    assert [(m.role, m.content) for m in rec.input] == [
        ("system", "Extract contact fields as JSON."),
        ("user", "Ann, ann@x.io, ACME"),
    ]
    assert rec.output.startswith('{"name": "Ann"')
    assert rec.usage.input_tokens == 60 and rec.usage.output_tokens == 20
    assert rec.usage.estimated is False
    assert rec.latency_ms == 640.0 and rec.tags == ["json"] and rec.metadata == {"user": "u1"}
    assert rec.confidence == 0.93


def test_epoch_ts_token_logprobs_unknown_keys_kept_and_no_usage():
    [rec] = sample(2)
    assert rec.ts == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert rec.provider == "anthropic"  # inferred from the claude-* model family
    assert rec.logprobs == [-0.5, -0.1]
    assert rec.effective_confidence() == pytest.approx(2.718281828**-0.3)
    assert rec.metadata == {"region": "eu"}  # an unknown key is kept, not dropped
    assert rec.usage is None  # nothing reported: the pipeline counts it


def test_millisecond_epoch_and_error_object():
    [rec] = sample(3)
    assert rec.ts.timestamp() == pytest.approx(1772359260.123)
    assert rec.error == "timeout after 30s" and rec.output == ""


def test_feedback_with_and_without_id_and_offset_ts():
    [fb] = sample(4)
    assert isinstance(fb, Feedback)
    assert (fb.id, fb.output_id, fb.name, fb.value) == ("fb-1", "out-1", "user_corrected", True)
    [fb2] = sample(5)
    assert fb2.id == "h:line5" and fb2.value == -1
    assert fb2.ts == datetime(2026, 3, 1, 8, 6, tzinfo=UTC)


def test_feedback_without_ts_gets_the_ingest_time():
    before = time.time()
    [fb] = parse_record({"type": "feedback", "output_id": "o", "name": "thumbs", "value": "up"})
    after = time.time()
    assert before <= fb.ts.timestamp() <= after
    assert fb.id.startswith("h:")


def test_output_without_ts_is_marked_as_ingest_time():
    [rec] = parse_record({"id": "x", "output": "hi"}, "native")
    assert rec.metadata["ts_source"] == "ingest"


def test_id_falls_back_to_line_hash_and_is_stable_without_one():
    obj = {"ts": 1, "output": "a", "model": "m"}
    [a] = parse_record(obj, line_hash="abc")
    assert a.id == "h:abc"
    [b], [c] = parse_record(obj), parse_record(dict(reversed(obj.items())))
    assert b.id == c.id and b.id.startswith("h:")


def test_cost_usd_is_exact_decimal():
    [rec] = parse_record({"id": "c", "ts": 1, "output": "", "cost_usd": 0.1})
    assert rec.reported_cost_usd == Decimal("0.1")


def test_message_parts_and_openai_logprobs_object():
    [rec] = parse_record(
        {
            "id": "p",
            "ts": 1,
            "input": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Look"},
                        {"type": "image_url", "image_url": {"url": "u"}},
                    ],
                }
            ],
            "output": {"role": "assistant", "content": "ok"},
            "logprobs": {"content": [{"token": "ok", "logprob": -0.25}]},
            "tags": "a, b",
        }
    )
    assert rec.input[0].content == "Look\n[image]"
    assert rec.output == "ok" and rec.logprobs == [-0.25] and rec.tags == ["a", "b"]


@pytest.mark.parametrize(
    "obj, reason",
    [
        ({"id": "x", "ts": "yesterday", "output": ""}, "native: ts: not an RFC 3339 timestamp"),
        (
            {"id": "x", "ts": 1, "usage": {"prompt_tokens": 3}},
            "native: usage.prompt_tokens: unknown key",
        ),
        (
            {"id": "x", "ts": 1, "usage": {"input_tokens": -1}},
            "native: usage.input_tokens must not be negative",
        ),
        (
            {"id": "x", "ts": 1, "usage": {"input_tokens": "many"}},
            "usage.input_tokens must be a whole number",
        ),
        (
            {"id": "x", "ts": 1, "usage": {"input_tokens": 5, "cached_input_tokens": 9}},
            "cache reads 9 + writes 0 exceed input tokens 5",
        ),
        (
            {"id": "x", "ts": 1, "usage": {"output_tokens": 1, "reasoning_tokens": 2}},
            "reasoning tokens 2 exceed output tokens 1",
        ),
        ({"id": "x", "ts": 1, "confidence": 1.5}, "confidence must be between 0 and 1"),
        ({"id": "x", "ts": 1, "logprobs": [0.5]}, "logprobs[0] must be <= 0"),
        ({"id": "x", "ts": 1, "logprobs": ["a"]}, "logprobs[0] must be a number"),
        ({"id": "x", "ts": 1, "model": 4}, "model must be a string"),
        ({"id": "x", "ts": 1, "input": 5}, "input must be a string or an array of chat messages"),
        ({"id": "x", "ts": 1, "input": [5]}, "input[0] must be a message object"),
        ({"id": "x", "ts": 1, "output": 5}, "output must be a string"),
        ({"id": "x", "ts": 1, "metadata": []}, "metadata must be an object"),
        ({"id": "x", "ts": 1, "tags": {"a": 1}}, "tags must be an array of strings"),
        ({"id": "x", "ts": 1, "cost_usd": "cheap"}, "cost_usd must be a number of USD"),
        ({"id": "x", "ts": 1, "type": "span"}, "type: expected output or feedback"),
        ({"type": "feedback", "name": "thumbs"}, "feedback output_id missing"),
        ({"type": "feedback", "output_id": "o"}, "feedback name missing"),
        (
            {"type": "feedback", "output_id": "o", "name": "n", "value": {"a": 1}},
            "feedback value must be",
        ),
    ],
)
def test_malformed_native_lines_name_the_key(obj, reason):
    with pytest.raises(FormatError) as exc:
        parse_record(obj, "native")
    assert reason in str(exc.value)
