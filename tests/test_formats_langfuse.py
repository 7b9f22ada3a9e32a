"""Langfuse trace exports: generations, usage types, costs, scores."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FormatError, parse_record
from evaltop.core.model.records import Feedback, LoggedOutput

DATA = Path(__file__).parent / "data" / "formats" / "langfuse.jsonl"
LINES = [orjson.loads(b) for b in DATA.read_bytes().splitlines()]


def split(n: int) -> tuple[list[LoggedOutput], list[Feedback]]:
    out = parse_record(LINES[n - 1], source="lf")
    return [r for r in out if isinstance(r, LoggedOutput)], [
        r for r in out if isinstance(r, Feedback)
    ]


def test_every_generation_is_an_output_and_spans_are_not():
    outputs, _ = split(1)
    assert [r.id for r in outputs] == ["obs-gen-1", "obs-gen-2"]
    assert all(r.format == "langfuse" and r.tags == ["prod", "rag"] for r in outputs)


def test_usage_types_are_summed_per_side():
    first, second = split(1)[0]
    # OpenAI-style buckets: input 800 + input_cached_tokens 200; output 50 incl. reasoning 10.
    assert (first.usage.input_tokens, first.usage.cached_input_tokens) == (1000, 200)
    assert (first.usage.output_tokens, first.usage.reasoning_tokens) == (60, 10)
    # Anthropic-style buckets: 40 + 2000 cache reads + 300 cache writes.
    u = second.usage
    assert (u.input_tokens, u.cached_input_tokens, u.cache_write_tokens, u.output_tokens) == (
        2340,
        2000,
        300,
        120,
    )


def test_cost_details_total_or_sum_is_the_reported_cost():
    first, second = split(1)[0]
    assert first.reported_cost_usd == Decimal("0.000165")
    assert second.reported_cost_usd == Decimal("0.00192")  # no total: 0.00012 + 0.0018


def test_labels_task_from_metadata_or_trace_name():
    first, second = split(1)[0]
    assert first.task == "query_rewrite" and second.task == "qa-pipeline"
    assert first.prompt_version == "rag-v3"  # trace metadata
    assert first.metadata["prompt_name"] == "rewrite" and first.metadata["session_id"] == "sess-1"
    assert first.ts == datetime(2026, 2, 10, 9, 0, 0, 210000, tzinfo=UTC)
    assert first.latency_ms == 500.0
    assert first.output == "Define retrieval-augmented generation"
    assert [(m.role, m.content) for m in second.input] == [
        ("system", "Use the docs."),
        ("user", "What is RAG?"),
    ]


def test_scores_become_feedback_on_their_generation():
    _, scores = split(1)
    got = {s.id: (s.output_id, s.name, s.value) for s in scores}
    assert got == {
        "score-1": ("obs-gen-1", "rewrite_quality", 0.9),
        "score-2": ("obs-gen-2", "user_feedback", True),  # trace-level: last generation
        "score-3": ("obs-gen-2", "tone", "friendly"),
    }
    assert all(s.source == "lf" for s in scores)


def test_error_level_deprecated_usage_and_calculated_cost():
    [rec], scores = split(2)
    assert rec.error == "429 rate limited" and scores == []
    assert (rec.usage.input_tokens, rec.usage.output_tokens) == (120, 0)
    assert rec.reported_cost_usd == Decimal("0.00024") and rec.provider == "mistral"


def test_a_lone_observation_line():
    [rec], _ = split(3)
    assert rec.id == "obs-lone-1" and rec.output == "Hello" and rec.provider == "google"
    assert rec.usage is None and rec.reported_cost_usd is None


def test_trace_without_generations_yields_nothing():
    trace = {
        "id": "t",
        "name": "x",
        "observations": [{"id": "s", "type": "SPAN"}],
        "scores": [{"name": "ok", "value": 1}],
    }
    assert parse_record(trace) == []


@pytest.mark.parametrize(
    "trace, reason",
    [
        ({"id": "t", "observations": ["obs-1"]}, "observations[0] is only an id"),
        ({"id": "t", "observations": [{"type": "GENERATION"}]}, "observations[0].id missing"),
        (
            {
                "id": "t",
                "observations": [
                    {"id": "g", "type": "GENERATION", "usageDetails": {"input": "9k"}}
                ],
            },
            "observations[0].usageDetails.input must be a whole number",
        ),
        (
            {
                "id": "t",
                "observations": [{"id": "g", "type": "GENERATION", "costDetails": {"total": "?"}}],
            },
            "observations[0].costDetails.total must be a number of USD",
        ),
        (
            {
                "id": "t",
                "observations": [{"id": "g", "type": "GENERATION"}],
                "scores": [{"value": 1}],
            },
            "scores[0].name missing",
        ),
    ],
)
def test_malformed_langfuse_lines(trace, reason):
    with pytest.raises(FormatError) as exc:
        parse_record(trace)
    assert reason in str(exc.value)


def test_a_lone_score_line_is_feedback_on_its_observation():
    score = {
        "id": "s-9",
        "traceId": "t",
        "observationId": "obs-gen-1",
        "name": "helpful",
        "value": 0.0,
        "dataType": "NUMERIC",
        "source": "ANNOTATION",
        "timestamp": "2026-02-10T10:00:00Z",
    }
    [fb] = parse_record(score)
    assert (fb.id, fb.output_id, fb.name, fb.value) == ("s-9", "obs-gen-1", "helpful", 0.0)
    with pytest.raises(FormatError, match="langfuse: score observationId missing"):
        parse_record({**score, "observationId": None})
