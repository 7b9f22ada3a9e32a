"""Chat content to plain text, shared by every format.

Content arrives as a string, as OpenAI content parts, as Anthropic content
blocks or as OTel GenAI ``parts``. Text parts are kept; tool calls become one
line ``tool_call name(arguments)``; media become a placeholder such as
``[image]``; reasoning/thinking is not part of the text.
"""

from __future__ import annotations

from typing import Any

import orjson

from evaltop.core.ingest.formats.common import fail, to_str

_TEXT_KEYS = {"text": "text", "input_text": "text", "output_text": "text", "refusal": "refusal"}
_SKIP = frozenset({"thinking", "redacted_thinking", "reasoning"})
_MEDIA = {
    "image": "[image]",
    "image_url": "[image]",
    "input_image": "[image]",
    "audio": "[audio]",
    "input_audio": "[audio]",
    "file": "[file]",
    "input_file": "[file]",
    "document": "[document]",
    "blob": "[file]",
    "uri": "[file]",
}
_TOOL_CALLS = frozenset({"tool_use", "server_tool_use", "tool_call", "function_call"})
_TOOL_RESULTS = frozenset({"tool_result", "tool_call_response", "function_call_output"})


def render_tool_call(name: Any, arguments: Any) -> str:
    """``tool_call name(args)``; string arguments verbatim, objects as compact JSON."""
    if arguments is None:
        args = ""
    elif isinstance(arguments, str):
        args = arguments
    else:
        args = orjson.dumps(arguments).decode()
    return f"tool_call {to_str(name) or '?'}({args})"


def content_text(content: Any, fmt: str, key: str) -> str:
    """Flatten one message's content (string, parts or blocks) to text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        content = [content]
    if not isinstance(content, list):
        fail(fmt, f"{key} must be a string or an array of parts, got {type(content).__name__}")
    out: list[str] = []
    prev_text = False
    for i, part in enumerate(content):
        is_text, piece = _part(part, fmt, f"{key}[{i}]")
        if piece is None:
            continue
        if out and not (is_text and prev_text):
            out.append("\n")
        out.append(piece)
        prev_text = is_text
    return "".join(out)


def _part(part: Any, fmt: str, key: str) -> tuple[bool, str | None]:
    """(is plain text, text or None to skip) for one content part."""
    if isinstance(part, str):
        return True, part
    if not isinstance(part, dict):
        fail(fmt, f"{key} must be a string or an object, got {type(part).__name__}")
    kind = part.get("type", "text")
    if not isinstance(kind, str):
        fail(fmt, f"{key}.type must be a string")
    if kind in _TEXT_KEYS:
        value = part.get(_TEXT_KEYS[kind])
        if value is None and kind == "text":
            value = part.get("content")  # OTel GenAI text part
        return True, to_str(value)
    if kind in _SKIP:
        return False, None
    if kind in _TOOL_CALLS:
        fn = part.get("function") if isinstance(part.get("function"), dict) else part
        args = fn.get("arguments", fn.get("input"))
        return False, render_tool_call(fn.get("name"), args)
    if kind in _TOOL_RESULTS:
        body = part.get("content", part.get("response", part.get("output")))
        return False, content_text(body, fmt, f"{key}.content") if body is not None else ""
    if kind in _MEDIA:
        return False, _MEDIA[kind]
    if "text" in part:
        return True, to_str(part["text"])
    return False, f"[{to_str(kind)}]"


def chat_messages(value: Any, fmt: str, key: str) -> list[dict[str, str]]:
    """A list of chat messages (OpenAI, Anthropic, OTel parts) as role/content dicts."""
    if not isinstance(value, list):
        fail(fmt, f"{key} must be an array of messages, got {type(value).__name__}")
    plain = _plain_messages(value)
    if plain is not None:
        return plain
    msgs = []
    for i, m in enumerate(value):
        msgs.append(chat_message(m, fmt, f"{key}[{i}]"))
    return msgs


def _plain_messages(value: list) -> list[dict[str, str]] | None:
    """The common shape, read without the general path's per-part checks:
    messages with a string role and text that is a string or a list of
    ``text`` parts with string text (OpenAI ``content``, OTel ``parts``), no
    tool calls. None for anything else; the general path then decides. The
    result equals :func:`chat_message`'s (tests/test_formats_messages.py)."""
    out = []
    for m in value:
        if type(m) is not dict or "tool_calls" in m or "function_call" in m:
            return None
        role = m.get("role") or "user"
        if type(role) is not str:
            return None
        c = m["parts"] if "parts" in m and "content" not in m else m.get("content")
        if c is None:
            text = ""
        elif type(c) is str:
            text = c
        elif type(c) is list:
            texts = []
            for p in c:
                if type(p) is not dict or p.get("type", "text") != "text":
                    return None
                t = p.get("text")
                if t is None:
                    t = p.get("content")
                if type(t) is not str:
                    return None
                texts.append(t)
            text = "".join(texts)
        else:
            return None
        out.append({"role": role, "content": text})
    return out


def chat_message(m: Any, fmt: str, key: str) -> dict[str, str]:
    if isinstance(m, str):
        return {"role": "user", "content": m}
    if not isinstance(m, dict):
        fail(fmt, f"{key} must be a message object, got {type(m).__name__}")
    role = m.get("role") or "user"
    if not isinstance(role, str):
        fail(fmt, f"{key}.role must be a string")
    if "parts" in m and "content" not in m:
        text = content_text(m.get("parts"), fmt, f"{key}.parts")
    else:
        text = content_text(m.get("content"), fmt, f"{key}.content")
    calls = tool_call_lines(m, fmt, key)
    if calls:
        text = "\n".join([text, *calls]) if text else "\n".join(calls)
    return {"role": role, "content": text}


def tool_call_lines(message: dict, fmt: str, key: str) -> list[str]:
    """OpenAI ``tool_calls`` / legacy ``function_call`` of a message, rendered."""
    lines = []
    calls = message.get("tool_calls")
    if calls is not None:
        if not isinstance(calls, list):
            fail(fmt, f"{key}.tool_calls must be an array")
        for j, call in enumerate(calls):
            if not isinstance(call, dict):
                fail(fmt, f"{key}.tool_calls[{j}] must be an object")
            fn = call.get("function") if isinstance(call.get("function"), dict) else call
            lines.append(render_tool_call(fn.get("name"), fn.get("arguments")))
    fc = message.get("function_call")
    if isinstance(fc, dict):
        lines.append(render_tool_call(fc.get("name"), fc.get("arguments")))
    return lines


def any_input(value: Any, fmt: str, key: str) -> str | list[dict[str, str]] | None:
    """An input of unknown shape (Langfuse, LiteLLM): messages, text, or JSON text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        value = value["messages"]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(m, dict) and ("role" in m or "parts" in m) for m in value)
    ):
        return chat_messages(value, fmt, key)
    return to_str(value)
