"""OpenAI chat completions, pairs, Responses API and Batch output lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FormatError, parse_record

DATA = Path(__file__).parent / "data" / "formats" / "openai.jsonl"
LINES = [orjson.loads(b) for b in DATA.read_bytes().splitlines()]


def one(n: int, fmt: str = "openai"):
    [rec] = parse_record(LINES[n - 1], fmt, source="app", line_hash=f"line{n}")
    assert rec.format == "openai" and rec.source == "app"
    return rec


def test_chat_completion_keeps_prompt_tokens_as_total_input():
    rec = one(1)
    assert rec.id == "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"
    assert rec.ts == datetime.fromtimestamp(1741570283, UTC)
    assert rec.model == "gpt-4o-mini-2024-07-18"  # dated name kept as logged
    u = rec.usage
    # prompt_tokens INCLUDES cached tokens; completion_tokens INCLUDES reasoning.
    assert (u.input_tokens, u.cached_input_tokens, u.uncached_input_tokens) == (2006, 1920, 86)
    assert (u.output_tokens, u.reasoning_tokens, u.cache_write_tokens) == (300, 64, 0)
    assert rec.logprobs == [-0.01, -0.2] and rec.finish_reason == "stop"
    assert rec.output == "The capital of France is Paris." and rec.error is None


def test_pair_promotes_labels_and_renders_tool_calls():
    rec = one(2)
    assert rec.id == "chatcmpl-tool1"
    assert [(m.role, m.content) for m in rec.input] == [
        ("system", "You are a weather bot."),
        ("user", "Weather in Paris?\n[image]"),
    ]
    assert rec.output == 'tool_call get_weather({"city":"Paris"})'
    assert (rec.task, rec.prompt_version, rec.variant) == ("weather", "v7", "B")
    assert rec.tags == ["beta"] and rec.latency_ms == 420.5
    assert rec.metadata == {"customer": "acme"} and rec.finish_reason == "tool_calls"
    assert rec.usage.input_tokens == 80 and rec.usage.cached_input_tokens == 0


def test_refusal_and_content_filter_are_errors_with_their_finish_reason():
    refusal = one(3)
    assert refusal.output == "I can't help with that."
    assert (refusal.error, refusal.finish_reason) == ("refusal", "refusal")
    filtered = one(4)
    assert (filtered.error, filtered.finish_reason, filtered.output) == (
        "content_filter",
        "content_filter",
        "",
    )


def test_responses_api_output_text_reasoning_and_echoed_metadata():
    rec = one(5)
    assert rec.output == "In a peaceful grove beneath a silver moon..."
    assert rec.ts == datetime.fromtimestamp(1741476542, UTC)
    assert (rec.usage.input_tokens, rec.usage.output_tokens, rec.usage.reasoning_tokens) == (
        36,
        387,
        192,
    )
    assert rec.metadata["reasoning_items"] == 1 and rec.task == "story"
    assert rec.finish_reason == "stop" and rec.error is None


def test_responses_api_incomplete_and_failed_are_errors():
    inc = one(6)
    assert inc.error == "incomplete: max_output_tokens" and inc.finish_reason == "max_output_tokens"
    assert inc.usage.cached_input_tokens == 1024 and inc.usage.reasoning_tokens == 500
    failed = one(9)
    assert failed.error == "server_error: The model failed to generate a response."
    assert failed.usage is None


def test_responses_pair_with_instructions_and_function_call():
    rec = one(11)
    assert [(m.role, m.content) for m in rec.input] == [
        ("system", "Answer briefly."),
        ("user", "What is 2+2?"),
    ]
    assert rec.output == 'tool_call calc({"expr":"2+2"})' and rec.finish_reason == "tool_calls"
    assert rec.task == "math"


def test_batch_success_uses_body_id_and_keeps_custom_id():
    rec = one(7)
    assert rec.id == "chatcmpl-batch1" and rec.output == "Hello."
    assert rec.metadata["custom_id"] == "request-2"
    assert rec.usage.input_tokens == 22


def test_batch_error_line_becomes_an_error_record_without_usage():
    rec = one(8)
    assert rec.id == "batch_req_456"
    assert rec.error.startswith("invalid_prompt: Your prompt was flagged")
    assert rec.usage is None and rec.metadata["custom_id"] == "request-1"
    assert rec.metadata["ts_source"] == "ingest"


def test_batch_http_error_body():
    line = {
        "id": "batch_req_9",
        "custom_id": "r9",
        "error": None,
        "response": {
            "status_code": 429,
            "request_id": "q",
            "body": {"error": {"message": "Rate limit", "type": "requests"}},
        },
    }
    [rec] = parse_record(line)
    assert rec.error == "requests: Rate limit" and rec.metadata["status_code"] == 429


def test_legacy_text_completion():
    rec = one(10)
    assert rec.output == "\n\nThis is indeed a test" and rec.finish_reason == "length"


def test_unfinished_response_is_not_an_output_yet():
    assert (
        parse_record({"id": "resp_q", "object": "response", "status": "in_progress", "output": []})
        == []
    )


@pytest.mark.parametrize(
    "obj, reason",
    [
        (
            {"id": "c", "object": "chat.completion", "created": 1, "choices": []},
            "openai: choices must be a non-empty array",
        ),
        (
            {"id": "c", "object": "chat.completion", "created": 1, "choices": [{"index": 0}]},
            "openai: choices[0].message missing",
        ),
        (
            {
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "choices": [{"message": {"content": "x"}}],
                "usage": {"prompt_tokens": "lots"},
            },
            "usage.prompt_tokens must be a whole number",
        ),
        (
            {
                "id": "c",
                "object": "chat.completion",
                "created": 1,
                "choices": [{"message": {"content": "x"}}],
                "usage": {
                    "prompt_tokens": 3,
                    "completion_tokens": 1,
                    "prompt_tokens_details": {"cached_tokens": 5},
                },
            },
            "cache reads 5 + writes 0 exceed input tokens 3",
        ),
        (
            {"id": "c", "object": "chat.completion.chunk", "choices": []},
            "streaming chunks are not supported",
        ),
        (
            {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {}},
            "Batch API input line",
        ),
        (
            {
                "request": {"messages": []},
                "response": {"object": "chat.completion", "choices": [{"message": {"content": 5}}]},
            },
            "response.choices[0].message.content must be a string",
        ),
        (
            {
                "id": "c",
                "object": "chat.completion",
                "created": "noon",
                "choices": [{"message": {"content": "x"}}],
            },
            "openai: ts: not an RFC 3339 timestamp",
        ),
    ],
)
def test_malformed_openai_lines(obj, reason):
    with pytest.raises(FormatError) as exc:
        parse_record(obj)
    assert reason in str(exc.value)


def test_forcing_openai_on_a_foreign_line_fails_clearly():
    with pytest.raises(FormatError, match="openai: object: expected chat.completion"):
        parse_record({"id": "x", "output": "hello"}, "openai")


def test_pair_with_an_api_error_response_keeps_the_input():
    [rec] = parse_record(
        {
            "request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
            "response": {
                "error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}
            },
            "ts": 1741570283.5,
            "task": "chat",
        },
        line_hash="k",
    )
    assert rec.format == "openai" and rec.id == "h:k"
    assert rec.error == "invalid_request_error: Incorrect API key provided"
    assert rec.input[0].content == "hi" and rec.task == "chat" and rec.usage is None
    assert rec.ts.timestamp() == 1741570283.5


def test_pair_names_the_real_provider_behind_an_openai_compatible_api():
    line = dict(LINES[1], provider="azure.ai.openai")
    [rec] = parse_record(line)
    assert rec.provider == "azure" and rec.format == "openai"
