"""corpus export: promptfoo YAML / JSONL checked against promptfoo's documented
config shape, assertion mapping per judge, and the allowed-fields JavaScript
run for real under node when node is installed."""

from __future__ import annotations

import json
import shutil
import subprocess

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from evaltop.core.rollout.export import (
    judge_assertion,
    promptfoo_config,
    provider_entry,
    write_promptfoo,
)
from evaltop.tui.cli.main import cli

# promptfoo's config reference (docs "Configuration reference", "Assertions &
# metrics") as a JSON Schema of the parts we write. Assertion types are the
# documented base types; any may be negated with a `not-` prefix.
ASSERT_TYPES = {
    "contains",
    "icontains",
    "regex",
    "starts-with",
    "contains-any",
    "contains-all",
    "is-json",
    "contains-json",
    "javascript",
    "python",
    "latency",
    "cost",
    "similar",
    "llm-rubric",
    "factuality",
    "equals",
    "is-refusal",
}
ASSERTION = {
    "type": "object", "required": ["type"], "additionalProperties": False,
    "properties": {"type": {"type": "string"}, "value": {}, "threshold": {"type": "number"},
                   "metric": {"type": "string"}, "weight": {"type": "number"},
                   "provider": {"$ref": "#/$defs/provider"}},
}
PROVIDER = {
    "anyOf": [
        {"type": "string"},
        {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "string"},
                "label": {"type": "string"},
                "config": {"type": "object"},
            },
        },
    ]
}
SCHEMA = {
    "$defs": {"provider": PROVIDER},
    "type": "object",
    "required": ["prompts", "providers", "tests"],
    "properties": {
        "description": {"type": "string"},
        "prompts": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "providers": {"type": "array", "items": PROVIDER, "minItems": 1},
        "evaluateOptions": {
            "type": "object",
            "properties": {"maxConcurrency": {"type": "integer"}},
        },
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["vars"],
                "properties": {
                    "description": {"type": "string"},
                    "vars": {"type": "object", "additionalProperties": {"type": "string"}},
                    "assert": {"type": "array", "items": ASSERTION},
                    "metadata": {"type": "object"},
                },
            },
        },
    },
    "additionalProperties": False,
}


def check_promptfoo(doc: dict) -> None:
    jsonschema.validate(doc, SCHEMA)
    for t in doc["tests"]:
        for a in t.get("assert", []):
            assert a["type"].removeprefix("not-") in ASSERT_TYPES, a["type"]


JUDGES = [
    {"name": "json", "kind": "rule", "rule": "json_valid", "applies_to": {"tasks": ["extract"]}},
    {
        "name": "fields",
        "kind": "rule",
        "rule": "allowed_fields",
        "fields": ["name", "email"],
        "applies_to": {"tasks": ["extract"]},
    },
    {
        "name": "schema",
        "kind": "rule",
        "rule": "json_schema",
        "schema": {"type": "object", "required": ["name"]},
        "applies_to": {"tasks": ["extract"]},
    },
    {"name": "re", "kind": "rule", "rule": "regex", "pattern": "^\\{"},
    {"name": "has", "kind": "rule", "rule": "contains", "value": "name"},
    {"name": "hasnt", "kind": "rule", "rule": "not_contains", "value": "As an AI"},
    {"name": "short", "kind": "rule", "rule": "max_length", "max_chars": 500},
    {"name": "fast", "kind": "rule", "rule": "max_latency_ms", "max_ms": 2000},
    {"name": "refuse", "kind": "rule", "rule": "refusal"},
    {
        "name": "helpful",
        "kind": "llm",
        "provider": "anthropic",
        "base_url": "http://x",
        "model": "claude-haiku-4-5",
        "rubric": "Does it answer?",
        "scale": [1, 5],
        "pass_threshold": 4,
    },
    {"name": "demo", "kind": "demo"},
]
CASES = [
    {
        "id": "c1",
        "source_output_id": "o1",
        "task": "extract",
        "model": "gpt-4o-mini",
        "prompt_version": "v2",
        "input": "Extract: Jane, jane@[EMAIL]",
        "scores": {},
    },
    {
        "id": "c2",
        "source_output_id": "o2",
        "task": "chat",
        "model": "gpt-4o-mini",
        "prompt_version": "v1",
        "input": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi {{name}}"},
        ],
        "scores": {},
    },
]


def test_promptfoo_config_matches_the_documented_schema(make_config, tmp_path):
    cfg = make_config({"judges": JUDGES})
    path = write_promptfoo(cfg, CASES, tmp_path / "p.yaml", corpus_name="corpus.jsonl")
    text = path.read_text()
    assert text.startswith("# promptfoo config exported by `evaltop corpus export`")
    doc = yaml.safe_load(text)
    check_promptfoo(doc)
    assert doc["prompts"] == ["{{messages}}"]  # a chat case makes the whole corpus chat-shaped
    assert doc["providers"] == ["echo"]
    t1, t2 = doc["tests"]
    assert json.loads(t1["vars"]["messages"]) == [
        {"role": "user", "content": "Extract: Jane, jane@[EMAIL]"}
    ]
    assert json.loads(t2["vars"]["messages"])[0] == {"role": "system", "content": "Be brief."}
    assert t1["metadata"] == {"case_id": "c1", "source_output_id": "o1", "task": "extract",
                              "model": "gpt-4o-mini", "prompt_version": "v2"}
    types1 = {a["metric"]: a["type"] for a in t1["assert"]}
    assert types1 == {
        "json": "is-json",
        "fields": "javascript",
        "schema": "is-json",
        "re": "regex",
        "has": "contains",
        "hasnt": "not-contains",
        "short": "javascript",
        "fast": "latency",
        "refuse": "not-is-refusal",
        "helpful": "llm-rubric",
    }
    types2 = {a["metric"] for a in t2["assert"]}
    assert types2 == set(types1) - {"json", "fields", "schema"}  # applies_to tasks respected
    rubric = next(a for a in t1["assert"] if a["type"] == "llm-rubric")
    assert rubric["threshold"] == 0.75 and "Does it answer?" in rubric["value"]
    assert rubric["provider"] == {"id": "anthropic:messages:claude-haiku-4-5",
                                  "config": {"max_tokens": 300, "apiBaseUrl": "http://x"}}
    assert next(a for a in t1["assert"] if a["metric"] == "schema")["value"] == {
        "type": "object",
        "required": ["name"],
    }


def test_text_only_corpus_uses_input_prompt_and_candidate_provider(make_config):
    cfg = make_config({"models": {"cand": {"provider": "openai", "base_url": "http://127.0.0.1:9/v1",
                                           "model": "gpt-4.1-mini", "api_key_env": "CAND_API_KEY",
                                           "params": {"temperature": 0}}}})
    prov = provider_entry("cand", cfg.models["cand"])
    doc = promptfoo_config(cfg, CASES[:1], corpus_name="c", providers=[prov], concurrency=8)
    check_promptfoo(doc)
    assert doc["prompts"] == ["{{input}}"] and doc["tests"][0]["vars"] == {
        "input": CASES[0]["input"]
    }
    assert doc["providers"] == [
        {
            "id": "openai:chat:gpt-4.1-mini",
            "label": "cand",
            "config": {
                "max_tokens": 1024,
                "temperature": 0,
                "apiBaseUrl": "http://127.0.0.1:9/v1",
                "apiKeyEnvar": "CAND_API_KEY",
            },
        }
    ]
    assert doc["evaluateOptions"] == {"maxConcurrency": 8}


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
@pytest.mark.parametrize(("output", "passed", "reason"), [
    ('{"name": "a", "email": "b"}', True, "fields allowed"),
    ('{"name": "a", "phone_number": "1"}', False, 'unexpected field "phone_number"'),
    ("not json", False, "not JSON"),
    ("[1, 2]", False, "not a JSON object"),
])
def test_allowed_fields_javascript_runs_in_node(make_config, output, passed, reason):
    cfg = make_config({"judges": JUDGES})
    body = judge_assertion(cfg.judges[1], cfg.base_dir)["value"]
    script = f"const f = new Function('output', 'context', {json.dumps(body)});\n" \
             f"process.stdout.write(JSON.stringify(f({json.dumps(output)}, {{}})));"
    res = json.loads(
        subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout
    )
    assert res["pass"] is passed and res["reason"] == reason


def test_cli_export_promptfoo_and_jsonl(make_config, tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(c) + "\n" for c in CASES))
    cfgfile = tmp_path / "evaltop.toml"
    cfgfile.write_text('[[judges]]\nname = "json"\nkind = "rule"\nrule = "json_valid"\n')
    runner = CliRunner()
    out = tmp_path / "pf.yaml"
    r = runner.invoke(
        cli,
        [
            "corpus",
            "export",
            str(corpus),
            "--out",
            str(out),
            "--config",
            str(cfgfile),
            "--provider",
            "openai:chat:gpt-4.1-mini",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = yaml.safe_load(out.read_text())
    check_promptfoo(doc)
    assert doc["providers"] == ["openai:chat:gpt-4.1-mini"]
    out2 = tmp_path / "t.jsonl"
    r = runner.invoke(
        cli,
        [
            "corpus",
            "export",
            str(corpus),
            "--format",
            "jsonl",
            "--out",
            str(out2),
            "--config",
            str(cfgfile),
        ],
    )
    assert r.exit_code == 0, r.output
    tests = [json.loads(line) for line in out2.read_text().splitlines()]
    assert [t["metadata"]["case_id"] for t in tests] == ["c1", "c2"] and tests[0]["assert"][0][
        "type"
    ] == "is-json"
    r = runner.invoke(
        cli, ["corpus", "export", str(corpus), "--candidate", "nope", "--config", str(cfgfile)]
    )
    assert r.exit_code == 2 and "--candidate 'nope'" in r.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    r = runner.invoke(cli, ["corpus", "export", str(bad), "--config", str(cfgfile)])
    assert r.exit_code == 2 and "bad.jsonl:1: not JSON" in r.output


def test_a_logged_file_url_never_becomes_a_promptfoo_file_var(make_config):
    cfg = make_config()
    cases = [{"id": "x", "input": "summarise this"}, {"id": "y", "input": " FILE:///etc/passwd"}]
    doc = promptfoo_config(cfg, cases, corpus_name="c")
    check_promptfoo(doc)
    assert doc["prompts"] == ["{{messages}}"]
    assert all(
        not v.lower().lstrip().startswith("file://")
        for t in doc["tests"]
        for v in t["vars"].values()
    )
    assert json.loads(doc["tests"][1]["vars"]["messages"]) == [{"role": "user", "content": " FILE:///etc/passwd"}]
