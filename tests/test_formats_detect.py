"""Auto-detection picks each format's parser; junk lines get a useful reason."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FORMATS, FormatError, detect, parse_record

DATA = Path(__file__).parent / "data" / "formats"
SAMPLES = [
    (fmt, n, orjson.loads(line))
    for fmt in FORMATS
    for n, line in enumerate((DATA / f"{fmt}.jsonl").read_bytes().splitlines(), 1)
]


def test_every_format_has_samples():
    assert {fmt for fmt, _, _ in SAMPLES} == set(FORMATS)


@pytest.mark.parametrize("fmt, n, obj", SAMPLES, ids=[f"{f}:{n}" for f, n, _ in SAMPLES])
def test_detect_names_the_sample_file_format(fmt, n, obj):
    assert detect(obj) == fmt
    auto = parse_record(obj, line_hash=f"{fmt}{n}")
    forced = parse_record(obj, fmt, line_hash=f"{fmt}{n}")
    assert [r.id for r in auto] == [r.id for r in forced]
    assert all(getattr(r, "format", fmt) == fmt for r in auto)


@pytest.mark.parametrize(
    "obj, fmt",
    [
        (
            {"request": {"messages": []}, "response": {"choices": [{"message": {"content": "x"}}]}},
            "openai",
        ),
        (
            {
                "request": {"system": "s", "messages": []},
                "response": {"id": "m", "type": "message", "content": []},
            },
            "anthropic",
        ),
        ({"request": {"model": "m"}, "response": {"error": {"message": "bad key"}}}, "openai"),
        ({"id": "b", "custom_id": "c", "response": None, "error": {"message": "x"}}, "openai"),
        ({"custom_id": "c", "result": {"type": "expired"}}, "anthropic"),
        ({"type": "feedback", "output_id": "o", "name": "n"}, "native"),
        ({"id": "x", "traceId": "t", "type": "GENERATION"}, "langfuse"),
        ({"call_type": "completion"}, "litellm"),
        ({"id": "x", "error": "boom"}, "native"),
    ],
)
def test_detect_edge_shapes(obj, fmt):
    assert detect(obj) == fmt


@pytest.mark.parametrize(
    "obj, reason",
    [
        ([1, 2], "not a JSON object (got an array)"),
        ("text", "not a JSON object (got a string)"),
        (None, "not a JSON object (got null)"),
        (3.5, "not a JSON object (got a number)"),
        ({}, "unrecognised record: no format's keys found (keys: none)"),
        (
            {"hello": 1, "world": 2},
            "unrecognised record: no format's keys found (keys: hello, world)",
        ),
        (
            {"request": {"model": "x"}, "response": {"ok": True}},
            "request/response pair: cannot tell the provider",
        ),
    ],
)
def test_unrecognisable_lines(obj, reason):
    with pytest.raises(FormatError) as exc:
        parse_record(obj)
    assert str(exc.value) == reason or reason in str(exc.value)


def test_non_object_with_a_forced_format_and_unknown_format_name():
    with pytest.raises(FormatError, match="not a JSON object"):
        parse_record([], "openai")
    with pytest.raises(FormatError, match="unknown format 'csv'"):
        parse_record({"id": "x"}, "csv")


def _paths(o, path=()):
    """Every key/index path in a decoded line (first three items of each array)."""
    items = o.items() if isinstance(o, dict) else enumerate(o[:3]) if isinstance(o, list) else ()
    for k, v in items:
        yield (*path, k)
        yield from _paths(v, (*path, k))


def _replaced(obj, path, value):
    top = copy.deepcopy(obj)
    node = top
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return top


def test_every_field_replaced_by_junk_is_a_named_error_or_still_parses():
    # Odd but JSON-valid values at every position of every sample: the line is
    # either still readable or rejected with a reason from the format's own
    # checks, never a crash and never the generic "unexpected shape" fallback.
    weird = [0, "", [], {}, None, True, [None], {"": None}, "x", -1, 1.5, [{"a": 1}]]
    tried = 0
    for fmt, _, obj in SAMPLES:
        for path in _paths(obj):
            for value in weird:
                tried += 1
                try:
                    parse_record(_replaced(obj, path, value), fmt)
                except FormatError as exc:
                    assert str(exc).startswith(f"{fmt}: "), (path, value, str(exc))
                    assert "unexpected shape" not in str(exc), (path, value, str(exc))
    assert tried > 5000


def test_config_accepts_exactly_the_formats_that_exist():
    from evaltop.core.model.config import FORMATS as CONFIG_FORMATS

    assert set(CONFIG_FORMATS) == {"auto", *FORMATS}
