"""Anthropic Messages: a message alone, a request/response pair, or a batch result.

Accounting: ``usage.input_tokens`` EXCLUDES cache reads and writes, so the
normalised input is ``input_tokens + cache_read_input_tokens +
cache_creation_input_tokens`` (nulls count 0; when only the ``cache_creation``
split is logged, its 5m and 1h parts are summed). ``output_tokens`` already
includes thinking; Anthropic reports no separate reasoning count.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.ingest.formats.common import (
    complete,
    fail,
    get_dict,
    get_list,
    to_int,
    to_str,
    usage,
)
from evaltop.core.ingest.formats.messages import chat_messages, content_text, render_tool_call
from evaltop.core.ingest.formats.pairs import unwrap
from evaltop.core.model.records import LoggedOutput

FMT = "anthropic"
_CALL_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput]:
    if "custom_id" in obj and "result" in obj:
        return [_batch_result(obj, source, line_hash)]
    if "request" in obj or "response" in obj:
        request, response, extra = unwrap(obj, FMT)
        fields = message_fields(response, "response.")
        if request:
            fields["input"] = request_input(request)
        return [complete(FMT, fields, extra, obj, line_hash, source)]
    return [complete(FMT, message_fields(obj, ""), {}, obj, line_hash, source)]


def message_fields(msg: dict, path: str) -> dict[str, Any]:
    """Record fields of a Messages API response (or an error response)."""
    kind = msg.get("type")
    if kind == "error":
        return {"error": error_text(msg), "provider": "anthropic"}
    if kind not in (None, "message"):
        fail(FMT, f"{path}type: expected message, got {to_str(kind)[:40]!r}")
    if "content" not in msg:  # every Messages API response has it, [] when empty
        fail(FMT, f"{path}content missing")
    texts: list[str] = []
    calls: list[str] = []
    counts = {"thinking": 0, "redacted_thinking": 0}
    for i, block in enumerate(get_list(msg, "content", FMT, path)):
        if not isinstance(block, dict):
            fail(FMT, f"{path}content[{i}] must be an object")
        btype = block.get("type")
        if not isinstance(btype, str):
            fail(FMT, f"{path}content[{i}].type must be a string")
        if btype == "text":
            texts.append(to_str(block.get("text")))
        elif btype in counts:
            counts[btype] += 1
        elif btype in _CALL_BLOCKS:
            calls.append(render_tool_call(block.get("name"), block.get("input")))
    text = "".join(texts)
    metadata: dict[str, Any] = {f"{k}_blocks": n for k, n in counts.items() if n}
    if msg.get("stop_sequence"):
        metadata["stop_sequence"] = msg["stop_sequence"]
    fields: dict[str, Any] = {
        "id": msg.get("id"),
        "model": to_str(msg.get("model")),
        "provider": "anthropic",
        "output": "\n".join([text, *calls] if text else calls),
        "finish_reason": msg.get("stop_reason"),
        "usage": usage_of(msg.get("usage"), f"{path}usage", metadata),
        "metadata": metadata,
        **billing_fields(msg.get("usage"), f"{path}usage"),
    }
    if fields["finish_reason"] == "refusal":
        fields["error"] = "refusal"
    return fields


def usage_of(u: Any, key: str, metadata: dict[str, Any]) -> dict[str, int] | None:
    if u is None:
        return None
    if not isinstance(u, dict):
        fail(FMT, f"{key} must be an object")
    if "input_tokens" not in u and ("prompt_tokens" in u or "completion_tokens" in u):
        fail(FMT, f"{key}.input_tokens missing (prompt_tokens is OpenAI's usage, not Anthropic's)")
    base = to_int(u.get("input_tokens"), FMT, f"{key}.input_tokens")
    reads = to_int(u.get("cache_read_input_tokens"), FMT, f"{key}.cache_read_input_tokens")
    writes = to_int(u.get("cache_creation_input_tokens"), FMT, f"{key}.cache_creation_input_tokens")
    split = get_dict(u, "cache_creation", FMT, f"{key}.")
    writes_1h = None  # no split logged: every write is priced as a 5-minute one
    if split:
        parts = {k: to_int(v, FMT, f"{key}.cache_creation.{k}") for k, v in split.items()}
        if u.get("cache_creation_input_tokens") is None:
            writes = sum(parts.values())
        writes_1h = parts.get("ephemeral_1h_input_tokens", 0)
        if writes_1h:
            metadata["cache_write_1h_tokens"] = writes_1h
    return usage(
        FMT,
        input_tokens=base + reads + writes,
        output_tokens=to_int(u.get("output_tokens"), FMT, f"{key}.output_tokens"),
        cached_input_tokens=reads,
        cache_write_tokens=writes,
        cache_write_1h_tokens=writes_1h,
    )


def billing_fields(u: Any, key: str) -> dict[str, Any]:
    """``usage.service_tier`` (standard, priority, batch) as record fields."""
    tier = u.get("service_tier") if isinstance(u, dict) else None
    if tier is None:
        return {}
    if not isinstance(tier, str):
        fail(FMT, f"{key}.service_tier must be a string, got {type(tier).__name__}")
    return {"batch": True} if tier == "batch" else {"service_tier": tier}


def error_text(err: dict) -> str:
    """``type: message`` of an error response ``{type: error, error: {type, message}}``."""
    inner = err.get("error") if isinstance(err.get("error"), dict) else err
    etype = to_str(inner.get("type"))
    msg = to_str(inner.get("message"))
    return f"{etype}: {msg}" if etype and msg else (msg or etype or "error")


def request_input(request: dict) -> list[dict[str, str]]:
    """System prompt (string or text blocks) first, then the messages."""
    msgs = []
    system = request.get("system")
    if system:
        msgs.append({"role": "system", "content": content_text(system, FMT, "request.system")})
    if "messages" in request:
        msgs += chat_messages(request["messages"], FMT, "request.messages")
    return msgs


def _batch_result(obj: dict, source: str, line_hash: str) -> LoggedOutput:
    """``{custom_id, result: {type: succeeded|errored|canceled|expired, ...}}``."""
    result = get_dict(obj, "result", FMT)
    rtype = result.get("type")
    extra = {"metadata": {"custom_id": to_str(obj.get("custom_id"))}}
    if rtype == "succeeded":
        msg = get_dict(result, "message", FMT, "result.")
        if not msg:
            fail(FMT, "result.message missing for a succeeded batch result")
        fields = message_fields(msg, "result.message.")
        fields["batch"] = True  # Message Batches: billed at the batch rates
        fields.pop("service_tier", None)
        return complete(FMT, fields, extra, obj, line_hash, source)
    if rtype == "errored":
        reason = error_text(get_dict(result, "error", FMT, "result."))
    elif rtype in ("canceled", "expired"):
        reason = rtype
    else:
        got = to_str(rtype)[:40]
        fail(FMT, f"result.type: expected succeeded, errored, canceled or expired, got {got!r}")
    fields = {"error": reason, "provider": "anthropic", "batch": True}
    return complete(FMT, fields, extra, obj, line_hash, source)
