"""OTLP/JSON GenAI spans: current and legacy names, value encodings, evaluations."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FormatError, parse_record
from evaltop.core.model.records import Feedback, LoggedOutput

DATA = Path(__file__).parent / "data" / "formats" / "otel.jsonl"
LINES = [orjson.loads(b) for b in DATA.read_bytes().splitlines()]


def recs(n: int) -> list:
    out = parse_record(LINES[n - 1], source="traces")
    assert all(r.source == "traces" for r in out)
    return out


def test_only_the_inference_span_of_a_line_becomes_an_output():
    out = recs(1)
    outputs = [r for r in out if isinstance(r, LoggedOutput)]
    # invoke_agent (with usage) and execute_tool spans are skipped.
    assert [r.id for r in outputs] == ["5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174"]
    rec = outputs[0]
    assert rec.format == "otel" and rec.provider == "openai" and rec.model == "gpt-4o-2024-08-06"
    assert rec.ts == datetime(2025, 3, 10, 1, 31, 23, tzinfo=UTC)
    assert rec.latency_ms == 1250.0
    # intValue given as a string; input_tokens already includes the cached 1024.
    assert (rec.usage.input_tokens, rec.usage.cached_input_tokens, rec.usage.output_tokens) == (
        1500,
        1024,
        120,
    )
    assert [(m.role, m.content) for m in rec.input] == [
        ("system", "Be kind."),
        ("user", "Reset my password"),
    ]
    assert rec.output == 'Click Forgot password.\ntool_call send_email({"to":"u@x.io"})'
    assert rec.finish_reason == "stop" and rec.error is None
    assert (rec.task, rec.prompt_version) == ("password_reset", "v4")
    assert rec.metadata["service"] == "support-bot" and rec.metadata["conversation_id"] == "conv_1"
    assert rec.metadata["trace_id"] == "5b8efff798038103d269b633813fc60c"


def test_evaluation_event_becomes_feedback_on_the_span():
    [fb] = [r for r in recs(1) if isinstance(r, Feedback)]
    span = "5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174"
    assert (fb.output_id, fb.name, fb.value) == (span, "relevance", 0.75)
    assert fb.ts == datetime(2025, 3, 10, 1, 31, 25, tzinfo=UTC)


def test_legacy_names_indexed_prompts_and_error_status():
    [rec] = recs(2)
    assert rec.provider == "anthropic"  # from gen_ai.system
    assert (rec.usage.input_tokens, rec.usage.output_tokens) == (250, 30)
    assert [(m.role, m.content) for m in rec.input] == [
        ("system", "Summarise."),
        ("user", "Long text ..."),
    ]
    assert rec.output == '{"summary": "short"}'  # the model's JSON answer stays verbatim
    assert rec.finish_reason == "end_turn"
    assert rec.error == "overloaded_error: Overloaded"  # status.code 2


def test_structured_messages_without_operation_name():
    [rec] = recs(3)
    assert rec.provider == "google" and rec.model == "gemini-2.5-flash"
    assert [(m.role, m.content) for m in rec.input] == [("user", "Translate: chat")]
    assert rec.output == "cat" and rec.finish_reason == "length"
    assert (rec.usage.input_tokens, rec.usage.output_tokens) == (9, 1)


def test_line_without_inference_spans_is_valid_and_empty():
    assert recs(4) == []


def test_legacy_content_events():
    [rec] = recs(5)
    assert rec.input[0].content == "Hi there" and rec.output == "Hello! How can I help?"
    assert rec.usage is None  # no usage attributes: the pipeline counts tokens


def _line(attrs: list, **span) -> dict:
    base = {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "00f067aa0ba902b7",
        "startTimeUnixNano": 1_700_000_000_000_000_000,
        "endTimeUnixNano": 1_700_000_000_500_000_000,
        "attributes": attrs,
    }
    base.update(span)
    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [base]}]}]}


def _s(k, v):
    return {"key": k, "value": {"stringValue": v}}


def test_system_instructions_and_reasoning_and_cache_write_attributes():
    [rec] = parse_record(
        _line(
            [
                _s("gen_ai.operation.name", "chat"),
                _s("gen_ai.provider.name", "aws.bedrock"),
                _s("gen_ai.request.model", "claude-sonnet-4"),
                _s("gen_ai.system_instructions", '[{"type": "text", "content": "Be terse."}]'),
                _s("gen_ai.input.messages", "plain prompt text"),
                {"key": "gen_ai.usage.input_tokens", "value": {"intValue": 900}},
                {"key": "gen_ai.usage.cache_creation.input_tokens", "value": {"intValue": 800}},
                {"key": "gen_ai.usage.output_tokens", "value": {"intValue": 50}},
                {"key": "gen_ai.usage.reasoning.output_tokens", "value": {"intValue": "20"}},
            ]
        )
    )
    assert rec.provider == "aws" and rec.latency_ms == 500.0
    assert [(m.role, m.content) for m in rec.input] == [
        ("system", "Be terse."),
        ("user", "plain prompt text"),
    ]
    u = rec.usage
    assert (u.input_tokens, u.cache_write_tokens, u.output_tokens, u.reasoning_tokens) == (
        900,
        800,
        50,
        20,
    )


def test_embeddings_span_is_an_output_of_its_own_operation():
    line = _line(
        [
            _s("gen_ai.operation.name", "embeddings"),
            _s("gen_ai.request.model", "text-embedding-3-small"),
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": 8}},
        ]
    )
    [rec] = parse_record(line)
    assert rec.metadata["operation"] == "embeddings" and rec.output == ""
    assert rec.usage.input_tokens == 8


@pytest.mark.parametrize(
    "line, reason",
    [
        ({"resourceSpans": {}}, "otel: resourceSpans must be an array"),
        (_line([_s("gen_ai.operation.name", "chat")], spanId=""), "spans[0]: spanId missing"),
        (
            _line([{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "12x"}}]),
            "intValue must be an integer",
        ),
        (
            _line([{"value": {"stringValue": "x"}}]),
            "attributes[0] must be an object with a string key",
        ),
        (_line([], startTimeUnixNano="soon"), "startTimeUnixNano must be an integer (nanoseconds)"),
        (
            _line(
                [
                    _s("gen_ai.operation.name", "chat"),
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": -4}},
                ]
            ),
            "gen_ai.usage.input_tokens must not be negative",
        ),
    ],
)
def test_malformed_otel_lines(line, reason):
    with pytest.raises(FormatError) as exc:
        parse_record(line)
    assert reason in str(exc.value)


def test_evaluation_log_events_and_metrics_lines():
    logs = {
        "resourceLogs": [
            {
                "resource": {},
                "scopeLogs": [
                    {
                        "scope": {},
                        "logRecords": [
                            {
                                "timeUnixNano": "1741570290000000000",
                                "eventName": "gen_ai.evaluation.result",
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "attributes": [
                                    _s("gen_ai.evaluation.name", "groundedness"),
                                    _s("gen_ai.evaluation.score.label", "pass"),
                                ],
                            },
                            {
                                "timeUnixNano": "1741570291000000000",
                                "spanId": "eee19b7ec3c1b174",
                                "attributes": [
                                    _s("event.name", "gen_ai.client.inference.operation.details")
                                ],
                            },
                        ],
                    }
                ],
            }
        ]
    }
    [fb] = parse_record(logs, source="traces")
    assert (fb.output_id, fb.name, fb.value, fb.source) == (
        "5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174",
        "groundedness",
        "pass",
        "traces",
    )
    assert fb.ts == datetime(2025, 3, 10, 1, 31, 30, tzinfo=UTC)
    assert parse_record({"resourceMetrics": [{"scopeMetrics": []}]}) == []
    with pytest.raises(FormatError, match="otel: resourceSpans missing"):
        parse_record({"hello": 1}, "otel")
