"""Export a corpus as a promptfoo config (`evaltop corpus export`).

``--format promptfoo`` writes one YAML file with ``description``, ``prompts``,
``providers``, ``tests`` (inline) and ``evaluateOptions``; ``--format jsonl``
writes the same test cases one JSON object per line (promptfoo reads them via
``tests: file://tests.jsonl``).

Prompts: a corpus whose inputs are all plain text uses ``{{input}}``; one with
chat inputs uses ``{{messages}}`` where ``vars.messages`` is the JSON text of
the message list (promptfoo parses a prompt that renders to a JSON message
array as chat; a var holding a list would instead fan out into one test per
element).

Judges map to assertions (``metric`` = our judge name): json_valid ->
``is-json``; json_schema -> ``is-json`` with the schema; regex -> ``regex``;
contains / not_contains -> ``contains`` / ``not-contains``; allowed_fields,
max_length -> ``javascript``; max_latency_ms -> ``latency``; refusal ->
``not-is-refusal``; llm judges -> ``llm-rubric`` with the rubric, the scale,
a threshold at our pass threshold mapped to promptfoo's 0..1, and the judge's
own model as the grading ``provider``. Demo
judges have no promptfoo counterpart and are left out.

A case gets the assertions of the judges that apply to it, by the same
``applies_to`` rule as live judging (tasks, models, tags). The model matched
against ``applies_to.models`` is the one the outputs will come from: the
``model`` given (a single ``--candidate``), else the case's own model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import yaml

from evaltop.core.model.config import CandidateModel, Config, JudgeConfig
from evaltop.core.scoring.judges.subject import Subject, applies

PLACEHOLDER_PROVIDER = "echo"


def _provider(provider: str, model: str, base_url: str, api_key_env: str | None,
              config: dict[str, Any]) -> dict[str, Any]:
    prefix = "anthropic:messages" if provider == "anthropic" else "openai:chat"
    config = {**config, "apiBaseUrl": base_url.rstrip("/")}
    if api_key_env:
        config["apiKeyEnvar"] = api_key_env
    return {"id": f"{prefix}:{model}", "config": config}


def provider_entry(name: str, model: CandidateModel) -> dict[str, Any]:
    """A promptfoo provider for one of our ``[models.NAME]`` candidates."""
    entry = _provider(model.provider, model.model, model.base_url, model.api_key_env,
                      {"max_tokens": model.max_output_tokens, **model.params})
    return {"id": entry["id"], "label": name, "config": entry["config"]}


def _allowed_fields_js(fields: list[str]) -> str:
    allowed = json.dumps(sorted(fields))
    return (
        "let o = output;\n"
        "if (typeof o === 'string') {\n"
        "  try { o = JSON.parse(o); } catch (e) "
        "{ return {pass: false, score: 0, reason: 'not JSON'}; }\n"
        "}\n"
        "if (o === null || typeof o !== 'object' || Array.isArray(o)) {\n"
        "  return {pass: false, score: 0, reason: 'not a JSON object'};\n"
        "}\n"
        f"const allowed = new Set({allowed});\n"
        "const extra = Object.keys(o).filter((k) => !allowed.has(k));\n"
        "return extra.length"
        " ? {pass: false, score: 0, reason: 'unexpected field ' + JSON.stringify(extra[0])}"
        " : {pass: true, score: 1, reason: 'fields allowed'};\n"
    )


def judge_assertion(judge: JudgeConfig, base_dir: Path) -> dict[str, Any] | None:
    """The promptfoo assertion for one of our judges, or None (no counterpart)."""
    a: dict[str, Any]
    if judge.kind == "llm":
        lo, hi = judge.scale
        rubric = (f"{judge.rubric.strip()}\n\n(evaltop judge {judge.name!r}: scale {lo:g}-{hi:g}, "
                  f"passes at {judge.threshold:g})")
        a = {
            "type": "llm-rubric",
            "value": rubric,
            "threshold": round((judge.threshold - lo) / (hi - lo), 6),
            # the same grader model as our judge (a different family than the candidate, if you
            # chose so)
            "provider": _provider(
                judge.provider or "openai",
                judge.model or "",
                judge.base_url or "",
                judge.api_key_env,
                {"max_tokens": judge.max_output_tokens},
            ),
        }
    elif judge.kind != "rule":
        return None
    elif judge.rule == "json_valid":
        a = {"type": "is-json"}
    elif judge.rule == "json_schema":
        schema = judge.schema_
        if schema is None and judge.schema_file:
            path = Path(judge.schema_file)
            schema = json.loads(
                (path if path.is_absolute() else base_dir / path).read_text(encoding="utf-8")
            )
        a = {"type": "is-json", "value": schema}
    elif judge.rule == "regex":
        a = {"type": "regex", "value": judge.pattern}
    elif judge.rule == "contains":
        a = {"type": "contains", "value": judge.value}
    elif judge.rule == "not_contains":
        a = {"type": "not-contains", "value": judge.value}
    elif judge.rule == "allowed_fields":
        a = {"type": "javascript", "value": _allowed_fields_js(judge.fields or [])}
    elif judge.rule == "max_length":
        a = {"type": "javascript", "value": f"String(output).length <= {judge.max_chars}"}
    elif judge.rule == "max_latency_ms":
        a = {"type": "latency", "threshold": judge.max_ms}
    elif judge.rule == "refusal":
        a = {"type": "not-is-refusal"}
    else:
        return None
    a["metric"] = judge.name
    return a


def _chat(cases: list[dict]) -> bool:
    """Chat-shaped export when any input is a chat, or when a text input starts
    with ``file://`` (promptfoo would read that path as the var's value; a JSON
    message list starts with ``[`` and is taken literally)."""
    return any(isinstance(c.get("input"), list)
               or str(c.get("input") or "").lstrip().lower().startswith("file://") for c in cases)


def _case_subject(case: dict, model: str | None) -> Subject:
    """What ``applies_to`` is matched against for a case's future output."""
    return Subject(id=case["id"], output_text="", model=model or case.get("model", "") or "",
                   task=case.get("task", "") or "",
                   tags=tuple(str(t) for t in case.get("tags") or ()))


def promptfoo_test(case: dict, judges: list[JudgeConfig], base_dir: Path, chat: bool,
                   model: str | None = None) -> dict[str, Any]:
    inp = case.get("input")
    if chat:
        msgs = inp if isinstance(inp, list) else [{"role": "user", "content": inp or ""}]
        msgs = [{"role": m.get("role", "user"), "content": m.get("content", "")} for m in msgs]
        vars_ = {"messages": json.dumps(msgs, ensure_ascii=False)}
    else:
        vars_ = {"input": inp or ""}
    subject = _case_subject(case, model)
    asserts = [a for j in judges
               if applies(j, subject) and (a := judge_assertion(j, base_dir)) is not None]
    out: dict[str, Any] = {
        "description": f"{case.get('task') or 'case'} {case['id']}",
        "vars": vars_,
        "metadata": {
            k: case.get(k, "") or ""
            for k in ("id", "source_output_id", "task", "model", "prompt_version")
        },
    }
    out["metadata"]["case_id"] = out["metadata"].pop("id")
    if asserts:
        out["assert"] = asserts
    return out


def promptfoo_config(cfg: Config, cases: list[dict], *, corpus_name: str,
                     providers: list[Any] | None = None, concurrency: int | None = None,
                     model: str | None = None) -> dict[str, Any]:
    """The promptfoo config as a plain dict (what the YAML holds); ``model``
    is the model the outputs will come from, when known (see the module doc)."""
    chat = _chat(cases)
    return {
        "description": f"evaltop corpus {corpus_name} ({len(cases)} cases)",
        "prompts": ["{{messages}}" if chat else "{{input}}"],
        "providers": providers or [PLACEHOLDER_PROVIDER],
        "evaluateOptions": {"maxConcurrency": concurrency or 4},
        "tests": [promptfoo_test(c, cfg.judges, cfg.base_dir, chat, model) for c in cases],
    }


def write_promptfoo(cfg: Config, cases: list[dict], out: Path, *, corpus_name: str,
                    providers: list[Any] | None = None, concurrency: int | None = None,
                    model: str | None = None) -> Path:
    doc = promptfoo_config(cfg, cases, corpus_name=corpus_name, providers=providers,
                           concurrency=concurrency, model=model)
    head = (f"# promptfoo config exported by `evaltop corpus export` from {corpus_name}.\n"
            "# Run: npx promptfoo eval -c <this file>\n")
    if not providers:
        head += (
            "# providers: `echo` is a placeholder that returns the prompt; replace it with your\n"
            "# candidate (e.g. openai:chat:gpt-4.1-mini) or export with --provider/--candidate.\n"
        )
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    Path(out).write_text(head + text, encoding="utf-8")
    return Path(out)


def write_jsonl(cfg: Config, cases: list[dict], out: Path, *, model: str | None = None) -> Path:
    chat = _chat(cases)
    with open(out, "wb") as fh:
        for c in cases:
            fh.write(orjson.dumps(promptfoo_test(c, cfg.judges, cfg.base_dir, chat, model)) + b"\n")
    return Path(out)
