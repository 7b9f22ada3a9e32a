"""OpenAI: chat completions, legacy completions, Responses API, Batch output.

Each comes alone, as a ``{"request", "response"}`` pair (see ``pairs.py``),
or as a Batch API output line ``{id, custom_id, response: {status_code,
body}, error}``. Accounting: ``prompt_tokens``/``input_tokens`` already include
cached tokens, ``completion_tokens``/``output_tokens`` already include
reasoning, so they are taken as they are.
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
from evaltop.core.ingest.formats.messages import (
    chat_messages,
    content_text,
    render_tool_call,
    tool_call_lines,
)
from evaltop.core.ingest.formats.pairs import labels, unwrap
from evaltop.core.model.records import LoggedOutput

FMT = "openai"


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput]:
    if "custom_id" in obj and "request" not in obj:
        if "response" not in obj and "error" not in obj:
            fail(
                FMT,
                "a Batch API input line (custom_id, method, url, body) holds no output; "
                "read the batch output file instead",
            )
        return [_batch_line(obj, source, line_hash)]
    if "request" in obj or "response" in obj:
        request, response, extra = unwrap(obj, FMT)
        fields = response_fields(response, "response.")
        if fields is None:
            return []
        inp = request_input(request)
        if inp is not None:
            fields["input"] = inp
        return [complete(FMT, fields, extra, obj, line_hash, source)]
    fields = response_fields(obj, "", bare_error=False)
    if fields is None:
        return []
    extra = labels({}, FMT, [obj.get("metadata")])  # the Responses API echoes request metadata
    return [complete(FMT, fields, extra, obj, line_hash, source)]


def response_fields(resp: dict, path: str, *, bare_error: bool = True) -> dict[str, Any] | None:
    """Record fields of one response object; None for a response still running.
    ``bare_error``: an error body alone (``{"error": {...}}``) is a failed call;
    only where a response is expected (a pair, a batch line), never for a line
    on its own, where it names no call of any format."""
    kind = resp.get("object")
    if kind == "chat.completion.chunk":
        fail(
            FMT,
            f"{path}object chat.completion.chunk: streaming chunks are not supported; "
            "log the assembled completion",
        )
    if kind == "response" or (kind is None and isinstance(resp.get("output"), list)):
        return _responses_api(resp, path)
    if kind in ("chat.completion", "text_completion") or "choices" in resp:
        return _completion(resp, path)
    if bare_error and isinstance(resp.get("error"), dict):
        return {"error": error_text(resp["error"]), "metadata": {}}
    fail(
        FMT,
        f"{path}object: expected chat.completion, text_completion or response, "
        f"got {to_str(kind) or 'none'}",
    )


def _completion(resp: dict, path: str) -> dict[str, Any]:
    choices = get_list(resp, "choices", FMT, path)
    if not choices or not isinstance(choices[0], dict):
        fail(FMT, f"{path}choices must be a non-empty array of objects")
    choice = choices[0]
    at = f"{path}choices[0]"
    fields: dict[str, Any] = {
        "id": resp.get("id"),
        "ts": resp.get("created"),
        "model": to_str(resp.get("model")),
        "provider": "openai",
        "finish_reason": choice.get("finish_reason"),
        "metadata": {"choices": len(choices)} if len(choices) > 1 else {},
    }
    if "message" in choice:
        msg = choice["message"]
        if not isinstance(msg, dict):
            fail(FMT, f"{at}.message must be an object")
        text = content_text(msg.get("content"), FMT, f"{at}.message.content")
        lines = [text] if text else []
        lines += tool_call_lines(msg, FMT, f"{at}.message")
        refusal = msg.get("refusal")
        if refusal:
            lines.append(to_str(refusal))
            fields["finish_reason"] = "refusal"
            fields["error"] = "refusal"
        fields["output"] = "\n".join(lines)
    elif "text" in choice:
        fields["output"] = to_str(choice["text"])
    else:
        fail(FMT, f"{at}.message missing")
    if fields["finish_reason"] == "content_filter":
        fields["error"] = "content_filter"
    fields["logprobs"] = _logprobs(choice.get("logprobs"), f"{at}.logprobs")
    fields["usage"] = usage_of(resp.get("usage"), f"{path}usage")
    return _with_service_tier(fields, resp, path)


def _with_service_tier(fields: dict[str, Any], resp: dict, path: str) -> dict[str, Any]:
    """``service_tier`` as the response reports it (flex, priority, default...):
    it chooses the rates the call is billed at."""
    tier = resp.get("service_tier")
    if tier is not None:
        if not isinstance(tier, str):
            fail(FMT, f"{path}service_tier must be a string, got {type(tier).__name__}")
        fields["service_tier"] = tier
    return fields


def _logprobs(lp: Any, key: str) -> list[float] | None:
    if not isinstance(lp, dict):
        return None
    if isinstance(lp.get("content"), list):
        vals = []
        for i, tok in enumerate(lp["content"]):
            if not isinstance(tok, dict) or not isinstance(tok.get("logprob"), int | float):
                fail(FMT, f"{key}.content[{i}].logprob must be a number")
            vals.append(float(tok["logprob"]))
        return vals or None
    if isinstance(lp.get("token_logprobs"), list):  # legacy completions
        return [float(v) for v in lp["token_logprobs"] if isinstance(v, int | float)] or None
    return None


_TERMINAL = {"completed", "failed", "incomplete", "cancelled"}


def _responses_api(resp: dict, path: str) -> dict[str, Any] | None:
    status = resp.get("status") or "completed"
    if not isinstance(status, str):
        fail(FMT, f"{path}status must be a string")
    if status not in _TERMINAL:
        return None  # queued / in_progress: the finished object comes later
    texts: list[str] = []
    calls: list[str] = []
    reasoning = 0
    refused = False
    for i, item in enumerate(get_list(resp, "output", FMT, path)):
        if not isinstance(item, dict):
            fail(FMT, f"{path}output[{i}] must be an object")
        kind = item.get("type")
        if kind == "message":
            parts = get_list(item, "content", FMT, f"{path}output[{i}].")
            refused = refused or any(
                isinstance(p, dict) and p.get("type") == "refusal" for p in parts
            )
            texts.append(content_text(parts, FMT, f"{path}output[{i}].content"))
        elif kind == "reasoning":
            reasoning += 1
        elif isinstance(kind, str) and (kind.endswith("_call") or kind == "function_call"):
            calls.append(render_tool_call(item.get("name") or kind, item.get("arguments")))
    fields: dict[str, Any] = {
        "id": resp.get("id"),
        "ts": resp.get("created_at"),
        "model": to_str(resp.get("model")),
        "provider": "openai",
        "output": "\n".join([t for t in texts if t] + calls),
        "usage": usage_of(resp.get("usage"), f"{path}usage"),
        "metadata": {"reasoning_items": reasoning} if reasoning else {},
    }
    if status == "completed":
        fields["finish_reason"] = "tool_calls" if calls and not any(texts) else "stop"
    elif status == "incomplete":
        reason = to_str(get_dict(resp, "incomplete_details", FMT, path).get("reason")) or "unknown"
        fields["finish_reason"] = reason
        fields["error"] = f"incomplete: {reason}"
    else:
        fields["finish_reason"] = status
        err = resp.get("error")
        fields["error"] = error_text(err) if isinstance(err, dict) else status
    if refused:
        fields["finish_reason"] = "refusal"
        fields["error"] = "refusal"
    return _with_service_tier(fields, resp, path)


def usage_of(u: Any, key: str) -> dict[str, int] | None:
    """OpenAI usage (chat or Responses naming) -> Usage; None when not logged."""
    if u is None:
        return None
    if not isinstance(u, dict):
        fail(FMT, f"{key} must be an object")
    if "prompt_tokens" in u or "completion_tokens" in u:
        inp, out = "prompt_tokens", "completion_tokens"
    elif "input_tokens" in u or "output_tokens" in u:
        inp, out = "input_tokens", "output_tokens"
    else:
        return None
    in_d = get_dict(u, f"{inp}_details", FMT, f"{key}.")
    out_d = get_dict(u, f"{out}_details", FMT, f"{key}.")
    dk = f"{key}.{inp}_details."
    return usage(
        FMT,
        input_tokens=to_int(u.get(inp), FMT, f"{key}.{inp}"),
        output_tokens=to_int(u.get(out), FMT, f"{key}.{out}"),
        cached_input_tokens=to_int(in_d.get("cached_tokens"), FMT, dk + "cached_tokens"),
        cache_write_tokens=to_int(in_d.get("cache_write_tokens"), FMT, dk + "cache_write_tokens"),
        reasoning_tokens=to_int(
            out_d.get("reasoning_tokens"), FMT, f"{key}.{out}_details.reasoning_tokens"
        ),
    )


def error_text(err: dict) -> str:
    """``code: message`` of an OpenAI error object."""
    code = to_str(err.get("code") or err.get("type"))
    msg = to_str(err.get("message"))
    return f"{code}: {msg}" if code and msg else (msg or code or "error")


def request_input(request: dict) -> Any:
    """The input of a chat, completions or Responses request."""
    if "messages" in request:
        return chat_messages(request["messages"], FMT, "request.messages")
    if "input" in request:
        items = request["input"]
        msgs = (
            []
            if not request.get("instructions")
            else [{"role": "system", "content": to_str(request["instructions"])}]
        )
        if isinstance(items, str):
            msgs.append({"role": "user", "content": items})
        elif isinstance(items, list):
            msgs += [_input_item(it, i) for i, it in enumerate(items)]
        else:
            fail(FMT, "request.input must be a string or an array of items")
        return msgs
    if "prompt" in request:
        p = request["prompt"]
        return "\n".join(to_str(x) for x in p) if isinstance(p, list) else to_str(p)
    return None


def _input_item(item: Any, i: int) -> dict[str, str]:
    key = f"request.input[{i}]"
    if isinstance(item, dict) and item.get("type") == "function_call":
        return {
            "role": "assistant",
            "content": render_tool_call(item.get("name"), item.get("arguments")),
        }
    if isinstance(item, dict) and item.get("type") == "function_call_output":
        return {"role": "tool", "content": to_str(item.get("output"))}
    if isinstance(item, dict) and "role" not in item and item.get("type") not in (None, "message"):
        return {"role": "user", "content": f"[{to_str(item.get('type'))}]"}
    return chat_messages([item], FMT, key)[0]


def _batch_line(obj: dict, source: str, line_hash: str) -> LoggedOutput:
    """A Batch API output line; failed requests become records with ``error``."""
    custom_id = to_str(obj.get("custom_id"))
    resp = get_dict(obj, "response", FMT)
    body = get_dict(resp, "body", FMT, "response.")
    status = resp.get("status_code")
    extra = {"metadata": {"custom_id": custom_id}, "id": obj.get("id")}
    if body and status in (None, 200) and "error" not in body:
        fields = response_fields(body, "response.body.")
        if fields is None:
            fail(FMT, "response.body: batch output holds an unfinished response")
        fields["batch"] = True  # billed at the model's batch rates
        return complete(FMT, fields, extra, obj, line_hash, source)
    err = obj.get("error") if isinstance(obj.get("error"), dict) else body.get("error")
    reason = error_text(err) if isinstance(err, dict) else f"HTTP {to_str(status) or 'error'}"
    if status not in (None, 200):
        extra["metadata"]["status_code"] = status
    fields = {
        "error": reason,
        "usage": None,
        "provider": "openai",
        "model": to_str(body.get("model")),
        "batch": True,
    }
    return complete(FMT, fields, extra, obj, line_hash, source)
