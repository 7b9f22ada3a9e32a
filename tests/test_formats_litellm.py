"""LiteLLM StandardLoggingPayload lines."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FormatError, parse_record

DATA = Path(__file__).parent / "data" / "formats" / "litellm.jsonl"
LINES = [orjson.loads(b) for b in DATA.read_bytes().splitlines()]


def test_success_payload_maps_usage_cost_labels_and_times():
    [rec] = parse_record(LINES[0], source="proxy")
    assert rec.format == "litellm" and rec.id == "chatcmpl-ll1" and rec.source == "proxy"
    assert rec.provider == "anthropic" and rec.model == "claude-3-5-sonnet-20241022"
    assert rec.ts == datetime(2025, 3, 10, 1, 40, 0, 250000, tzinfo=UTC)
    assert rec.latency_ms == 1250.0 and rec.metadata["ttft_ms"] == 500.0
    # prompt_tokens is the whole input; cache details come from response.usage.
    u = rec.usage
    assert (u.input_tokens, u.cached_input_tokens, u.cache_write_tokens, u.output_tokens) == (
        1200,
        1000,
        100,
        80,
    )
    assert rec.reported_cost_usd == Decimal("0.000123")  # exact, not 0.00012299999...
    assert rec.output == "fraud" and rec.finish_reason == "stop"
    assert rec.input[0].content == "Classify: my card was stolen"
    assert (rec.task, rec.variant) == ("triage", "control") and rec.tags == ["prod", "eu"]
    assert rec.metadata["model_group"] == "claude-sonnet"
    assert rec.metadata["requester_metadata"] == {"ticket": 77}
    assert "user_api_key_hash" not in rec.metadata


def test_failure_payload_is_an_error_record():
    [rec] = parse_record(LINES[1])
    assert rec.error == "litellm.Timeout: Request timed out after 30s"
    assert rec.output == "" and rec.latency_ms == 30000.0
    assert rec.usage.input_tokens == 0 and rec.reported_cost_usd == Decimal("0.0")


def test_embedding_calls_are_not_outputs():
    assert parse_record(LINES[2]) == []


def test_text_completion_with_string_response():
    [rec] = parse_record(LINES[3])
    assert rec.input == "Once upon a time" and rec.output == "there was a cat."
    assert rec.provider == "mistral" and rec.task == "story"
    assert rec.reported_cost_usd == Decimal("0.1")


def test_unpriceable_call_reports_no_cost():
    line = dict(
        LINES[3], response_cost=0.0, response_cost_failure_debug_info={"error_message": "no price"}
    )
    [rec] = parse_record(line)
    assert rec.reported_cost_usd is None


@pytest.mark.parametrize(
    "patch, reason",
    [
        ({"startTime": "later"}, "litellm: startTime: not an RFC 3339 timestamp"),
        ({"prompt_tokens": -1}, "litellm: prompt_tokens must not be negative"),
        ({"response_cost": "free"}, "litellm: response_cost must be a number of USD"),
        ({"response": 12}, "litellm: response must be an object or a string"),
        (
            {"response": {"object": "chat.completion", "choices": []}},
            "litellm: response.choices must be a non-empty array",
        ),
        ({"request_tags": 5}, "request_tags must be an array of strings"),
    ],
)
def test_malformed_litellm_lines(patch, reason):
    with pytest.raises(FormatError) as exc:
        parse_record({**LINES[3], **patch})
    assert reason in str(exc.value)


def test_iso_times_from_older_loggers():
    line = dict(LINES[3], startTime="2025-03-10T01:45:00Z", endTime="2025-03-10T01:45:02.5Z")
    [rec] = parse_record(line)
    assert rec.ts == datetime(2025, 3, 10, 1, 45, tzinfo=UTC) and rec.latency_ms == 2500.0
