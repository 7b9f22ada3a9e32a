"""Rule checks: each passes and fails with a reason naming what failed."""

from __future__ import annotations

import json

import pytest

from evaltop.core.model.config import ConfigError
from evaltop.core.scoring.judges.rules import compile_rule, compile_rules
from evaltop.core.scoring.judges.subject import Subject, applies


def _check(make_config, rule: dict, output: str, **subject):
    cfg = make_config({"judges": [{"name": "r", "kind": "rule", **rule}]})
    return compile_rule(cfg.judges[0], cfg)(Subject(id="o", output_text=output, **subject))


def test_json_valid(make_config):
    assert _check(make_config, {"rule": "json_valid"}, '{"a": 1}').passed
    bad = _check(make_config, {"rule": "json_valid"}, '{"a": 1')
    assert not bad.passed and bad.score == 0.0 and bad.reason.startswith("not valid JSON")


SCHEMA = {"type": "object", "required": ["name"], "properties": {"age": {"type": "integer"}}}


def test_json_schema_inline(make_config):
    rule = {"rule": "json_schema", "schema": SCHEMA}
    assert _check(make_config, rule, '{"name": "Ada", "age": 36}').passed
    missing = _check(make_config, rule, '{"age": 36}')
    assert not missing.passed and "'name' is a required property" in missing.reason
    wrong = _check(make_config, rule, '{"name": "Ada", "age": "old"}')
    assert "'old' is not of type 'integer'" in wrong.reason and "$.age" in wrong.reason
    assert "not valid JSON" in _check(make_config, rule, "nope").reason


def test_json_schema_file_and_bad_schemas(make_config, tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(SCHEMA))
    assert _check(
        make_config, {"rule": "json_schema", "schema_file": "s.json"}, '{"name": "x"}'
    ).passed
    with pytest.raises(ConfigError, match=r"judges\[0\] \(r\)\.schema: invalid JSON Schema"):
        compile_rules(
            make_config(
                {
                    "judges": [
                        {
                            "name": "r",
                            "kind": "rule",
                            "rule": "json_schema",
                            "schema": {"type": "no-such-type"},
                        }
                    ]
                }
            )
        )
    with pytest.raises(ConfigError, match=r"schema_file .*missing\.json.*cannot read"):
        _check(make_config, {"rule": "json_schema", "schema_file": "missing.json"}, "{}")
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(ConfigError, match="not a JSON file"):
        _check(make_config, {"rule": "json_schema", "schema_file": "bad.json"}, "{}")


def test_regex_and_bad_pattern(make_config):
    rule = {"rule": "regex", "pattern": r"^\d{3}-\d{4}$"}
    assert _check(make_config, rule, "555-1234").passed
    bad = _check(make_config, rule, "5551234")
    assert not bad.passed and "does not match" in bad.reason
    with pytest.raises(
        ConfigError, match=r"judges\[0\] \(r\)\.pattern: invalid regular expression"
    ):
        compile_rules(
            make_config(
                {"judges": [{"name": "r", "kind": "rule", "rule": "regex", "pattern": "("}]}
            )
        )


def test_contains_and_not_contains(make_config):
    assert _check(make_config, {"rule": "contains", "value": "Order #"}, "Order #12 shipped").passed
    miss = _check(make_config, {"rule": "contains", "value": "Order #"}, "shipped")
    assert not miss.passed and "missing 'Order #'" in miss.reason
    assert _check(make_config, {"rule": "not_contains", "value": "TODO"}, "done").passed
    hit = _check(make_config, {"rule": "not_contains", "value": "TODO"}, "TODO: finish")
    assert not hit.passed and "forbidden 'TODO'" in hit.reason


def test_allowed_fields_top_level_and_nested(make_config):
    rule = {"rule": "allowed_fields", "fields": ["name", "email", "address.city"]}
    assert _check(make_config, rule, '{"name": "a", "email": "b", "address": {"city": "c"}}').passed
    bad = _check(make_config, rule, '{"name": "a", "phone_number": "555"}')
    assert not bad.passed and bad.reason == "unexpected field 'phone_number'"
    nested = _check(make_config, rule, '{"address": {"city": "c", "zip": "1"}}')
    assert nested.reason == "unexpected field 'address.zip'"
    # nested objects under a name without dotted children are not checked
    free = {"rule": "allowed_fields", "fields": ["meta"]}
    assert _check(make_config, free, '{"meta": {"anything": 1}}').passed
    # arrays of objects: each element is checked
    assert not _check(make_config, rule, '[{"name": "a"}, {"nickname": "b"}]').passed
    assert "expected a JSON object" in _check(make_config, rule, "[1]").reason
    assert "not valid JSON" in _check(make_config, rule, "name: a").reason


def test_max_length(make_config):
    assert _check(make_config, {"rule": "max_length", "max_chars": 5}, "12345").passed
    bad = _check(make_config, {"rule": "max_length", "max_chars": 5}, "123456")
    assert bad.reason == "output is 6 characters, over the limit of 5"


def test_max_latency(make_config):
    rule = {"rule": "max_latency_ms", "max_ms": 1000}
    assert _check(make_config, rule, "x", latency_ms=999.5).passed
    slow = _check(make_config, rule, "x", latency_ms=1500)
    assert not slow.passed and "1500 ms is over the limit of 1000 ms" in slow.reason
    unknown = _check(make_config, rule, "x")
    assert unknown.passed is None and unknown.error == "latency was not logged for this output"


@pytest.mark.parametrize("output, subject, why", [
    ("", {"finish_reason": "content_filter"}, "finish reason 'content_filter'"),
    ("no", {"finish_reason": "refusal"}, "finish reason 'refusal'"),
    ("", {"error": "HTTP 400 bad request"}, "the call failed"),
    ("I\u2019m sorry, but I can\u2019t help with that request.", {}, "refusal phrasing"),
    ("I cannot assist with creating malware.", {}, "refusal phrasing"),
    ("As an AI language model, I cannot browse.", {}, "refusal phrasing"),
    ("   ", {}, "empty output"),
])
def test_refusal_detected(make_config, output, subject, why):
    res = _check(make_config, {"rule": "refusal"}, output, **subject)
    assert res.passed is False and why in res.reason


def test_refusal_not_flagged_for_normal_or_late_apology(make_config):
    assert _check(make_config, {"rule": "refusal"}, "Here is the summary you asked for.").passed
    late = "Step 1: open the file. " * 30 + "I'm sorry, but I can't stress enough: back up first."
    assert _check(make_config, {"rule": "refusal"}, late).passed


def test_applies_to_filter(make_config):
    cfg = make_config({"judges": [{"name": "r", "kind": "rule", "rule": "json_valid",
                                   "applies_to": {"tasks": ["extract"], "tags": ["vip", "beta"]}}]})
    j = cfg.judges[0]
    assert applies(j, Subject(id="a", output_text="", task="extract", tags=("beta",)))
    assert not applies(j, Subject(id="a", output_text="", task="chat", tags=("beta",)))
    assert not applies(j, Subject(id="a", output_text="", task="extract", tags=("other",)))
