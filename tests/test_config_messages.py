"""Config and filter errors read cleanly (issue 12, item 13): a misspelt key
is named first with a did-you-mean, and no message doubles its punctuation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from evaltop.core.model import config
from evaltop.core.views.cases import parse_filter

EXE = str(Path(sys.executable).with_name("evaltop"))
DOUBLED = re.compile(r"::|(?<!\.)\.\.(?!\.)|,,|\s\s|\.\s*\(|[:,]\s*$")


def _error(data: dict) -> str:
    with pytest.raises(config.ConfigError) as info:
        config.validate(data, origin="f.toml")
    return str(info.value)


@pytest.mark.parametrize("data, says", [
    ({"sources": [{"name": "a", "paht": "x"}]},
     "f.toml: sources[0].paht: unknown key (did you mean path?)"),
    ({"sampling": {"base_rat": 0.5}},
     "f.toml: sampling.base_rat: unknown key (did you mean base_rate?)"),
    ({"sorces": []}, "f.toml: sorces: unknown key (did you mean sources?)"),
    ({"analysis": {"zzzz": 1}}, "f.toml: analysis.zzzz: unknown key"),
])
def test_an_unknown_key_comes_first_with_a_did_you_mean(data, says):
    assert _error(data) == says


def test_the_unknown_key_wins_over_the_errors_it_causes_and_the_rest_are_counted():
    msg = _error({"sources": [{"name": "a", "paht": "x", "format": "nope"}]})
    assert msg.startswith("f.toml: sources[0].paht: unknown key (did you mean path?)")
    assert msg.endswith("(+1 more)")  # the bad format; not the missing `path`


def test_the_cli_names_the_misspelt_key(tmp_path):
    (tmp_path / "evaltop.toml").write_text('[[sources]]\nname = "app"\npaht = "logs/*.jsonl"\n')
    proc = subprocess.run([EXE, "ingest", "--once"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == ("evaltop: evaltop.toml: sources[0].paht: unknown key "
                           "(did you mean path?)\n")


def test_a_since_filter_error_has_one_colon():
    with pytest.raises(ValueError) as info:
        parse_filter("since:yesterday", now=0.0)
    msg = str(info.value)
    assert msg.startswith("filter: since: expected a duration such as 90m") and "::" not in msg


_BAD = [-1, "x", 1.5, [], True, "", ".."]


def _all_messages() -> set[str]:
    out = set()
    bases = {"sources": {"name": "a", "path": "x"},
             "judges": {"name": "j", "kind": "rule", "rule": "json_valid"}}
    for top, field in config.Config.model_fields.items():
        if top == "base_dir":
            continue
        sub = getattr(field.annotation, "model_fields", None) or {}
        cases = [{top: v} for v in _BAD] + [{top: {k: v}} for k in sub for v in _BAD]
        for data in cases:
            try:
                config.validate(data, origin="f.toml")
            except config.ConfigError as exc:
                out.add(str(exc))
    for kind, model in (("sources", config.SourceConfig), ("judges", config.JudgeConfig)):
        for key in model.model_fields:
            for v in _BAD:
                try:
                    config.validate({kind: [dict(bases[kind], **{key: v})]}, origin="f.toml")
                except config.ConfigError as exc:
                    out.add(str(exc))
    return out


def test_no_config_error_doubles_its_punctuation():
    msgs = _all_messages()
    assert len(msgs) > 100
    bad = [m for m in msgs if DOUBLED.search(m.replace("'..'", "''"))]
    assert bad == []
