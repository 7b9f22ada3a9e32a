"""GenAI message attributes, decoded (attribute values are plain already:
``otlp.from_json`` / ``otlp.from_proto`` decoded them). Messages come in
three generations: ``gen_ai.input.messages``/``gen_ai.output.messages``
(structured or a JSON string, ``{role, parts}``), indexed legacy attributes
(``gen_ai.prompt.0.content``), and legacy events (``gen_ai.content.prompt``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from evaltop.core.ingest.formats.common import fail, to_str
from evaltop.core.ingest.formats.messages import chat_messages, content_text, render_tool_call

FMT = "otel"


def json_or_text(value: Any) -> Any:
    """Attributes often carry messages as a JSON string. Only a JSON array (or a
    message object) is decoded; any other text, such as a model's own JSON
    answer, stays exactly as logged."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        if isinstance(parsed, list) or (
            isinstance(parsed, dict) and ("role" in parsed or "parts" in parsed)
        ):
            return parsed
    return value


def messages(value: Any, key: str) -> list[dict[str, str]]:
    value = json_or_text(value)
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, dict):
        value = [value]
    return chat_messages(value, FMT, key)


_INDEXED = re.compile(r"gen_ai\.(prompt|completion)\.(\d+)\.(.+)")


def _indexed(attrs: dict[str, Any]) -> dict[str, dict[int, dict[str, Any]]]:
    """``gen_ai.prompt.N.field`` legacy attributes grouped by kind and index."""
    groups: dict[str, dict[int, dict[str, Any]]] = {"prompt": {}, "completion": {}}
    for k, v in attrs.items():
        if k.startswith(("gen_ai.prompt.", "gen_ai.completion.")):
            m = _INDEXED.fullmatch(k)
            if m:
                groups[m[1]].setdefault(int(m[2]), {})[m[3]] = v
    return groups


def _indexed_message(fields: dict[str, Any], default_role: str) -> dict[str, str]:
    content = json_or_text(fields.get("content"))
    text = content if isinstance(content, str) else content_text(content, FMT, "content")
    calls = sorted({k.split(".")[1] for k in fields if k.startswith("tool_calls.")})
    lines = [text] if text else []
    for idx in calls:
        name = fields.get(f"tool_calls.{idx}.name")
        lines.append(render_tool_call(name, fields.get(f"tool_calls.{idx}.arguments")))
    return {"role": to_str(fields.get("role")) or default_role, "content": "\n".join(lines)}


def conversation(attrs: dict[str, Any], events: list[tuple[str, dict]]) -> tuple[Any, Any]:
    """(input messages or None, (output text, finish reason) or None) of a span."""
    inp: list[dict[str, str]] | None = None
    out: tuple[str, str | None] | None = None
    system = attrs.get("gen_ai.system_instructions")
    if "gen_ai.input.messages" in attrs:
        inp = messages(attrs["gen_ai.input.messages"], "gen_ai.input.messages")
    if "gen_ai.output.messages" in attrs:
        out = _output(attrs["gen_ai.output.messages"])
    if inp is None or out is None:
        groups = (
            _indexed(attrs)
            if any(
                k.startswith("gen_ai.prompt.") or k.startswith("gen_ai.completion.") for k in attrs
            )
            else None
        )
        if groups and inp is None and groups["prompt"]:
            inp = [_indexed_message(groups["prompt"][i], "user") for i in sorted(groups["prompt"])]
        if groups and out is None and groups["completion"]:
            msgs = [
                _indexed_message(groups["completion"][i], "assistant")
                for i in sorted(groups["completion"])
            ]
            first = groups["completion"][min(groups["completion"])]
            out = (
                "\n".join(m["content"] for m in msgs if m["content"]),
                to_str(first.get("finish_reason")) or None,
            )
    for name, eattrs in events:
        if inp is None and name == "gen_ai.content.prompt" and "gen_ai.prompt" in eattrs:
            inp = messages(eattrs["gen_ai.prompt"], "events.gen_ai.prompt")
        elif out is None and name == "gen_ai.content.completion" and "gen_ai.completion" in eattrs:
            value = json_or_text(eattrs["gen_ai.completion"])
            out = (to_str(value), None) if isinstance(value, str) else _output(value)
    if system:
        sys_value = json_or_text(system)
        sys_text = content_text(sys_value, FMT, "gen_ai.system_instructions")
        inp = [{"role": "system", "content": sys_text}, *(inp or [])]
    return inp, out


def _output(value: Any) -> tuple[str, str | None]:
    """Output messages ``[{role, parts, finish_reason}]`` as (text, finish reason)."""
    value = json_or_text(value)
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        fail(FMT, "gen_ai.output.messages must be an array of messages")
    texts = []
    finish = None
    for i, m in enumerate(value):
        msg = chat_messages([m], FMT, f"gen_ai.output.messages[{i}]")[0]
        if msg["content"]:
            texts.append(msg["content"])
        if finish is None and isinstance(m, dict) and m.get("finish_reason"):
            finish = to_str(m["finish_reason"])
    return "\n".join(texts), finish
