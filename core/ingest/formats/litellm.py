"""LiteLLM StandardLoggingPayload lines (custom callbacks, proxy logging).

Accounting: LiteLLM reports OpenAI-style usage for every provider, so the
top-level ``prompt_tokens`` is the whole input and ``completion_tokens`` the
whole output; cache and reasoning details come from ``response.usage`` when
it is logged. ``response_cost`` is kept as the reported cost (exact Decimal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evaltop.core.ingest.formats import openai
from evaltop.core.ingest.formats.common import (
    FormatError,
    complete,
    fail,
    get_dict,
    timestamp,
    to_decimal,
    to_int,
    to_str,
    usage,
)
from evaltop.core.ingest.formats.messages import any_input
from evaltop.core.ingest.formats.pairs import LABELS, tag_list
from evaltop.core.model.records import LoggedOutput

FMT = "litellm"
NOT_GENERATIVE = frozenset(
    {
        "embedding",
        "aembedding",
        "image_generation",
        "aimage_generation",
        "moderation",
        "amoderation",
        "transcription",
        "atranscription",
        "speech",
        "aspeech",
        "rerank",
        "arerank",
    }
)
SIGNATURE = ("call_type", "custom_llm_provider", "response_cost")  # one is in every payload
_KEEP_METADATA = ("user_api_key_alias", "user_api_key_team_alias", "user_api_key_end_user_id")


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput]:
    if not any(key in obj for key in SIGNATURE):
        fail(FMT, "call_type missing (a StandardLoggingPayload has call_type, "
                  "custom_llm_provider and response_cost)")
    call_type = to_str(obj.get("call_type"))
    if call_type in NOT_GENERATIVE:
        return []
    start, end, first = (_time(obj, k) for k in ("startTime", "endTime", "completionStartTime"))
    fields: dict[str, Any] = {
        "id": to_str(obj.get("id")),
        "ts": start,
        "model": to_str(obj.get("model")),
        "provider": obj.get("custom_llm_provider"),
        "input": any_input(obj.get("messages"), FMT, "messages"),
    }
    fields.update(_response(obj.get("response")))
    fields["usage"] = _usage(obj, fields.pop("response_usage", None))
    if start is not None and end is not None and end >= start:
        fields["latency_ms"] = (end - start).total_seconds() * 1000.0
    metadata = _metadata(obj, fields)
    if start is not None and first is not None and first >= start:
        metadata["ttft_ms"] = (first - start).total_seconds() * 1000.0
    fields["metadata"] = {**metadata, **fields.get("metadata", {})}
    if obj.get("status") == "failure":
        info = get_dict(obj, "error_information", FMT)
        fields["error"] = to_str(obj.get("error_str") or info.get("error_message")) or "failure"
    if obj.get("response_cost") is not None and not obj.get("response_cost_failure_debug_info"):
        fields["reported_cost_usd"] = to_decimal(obj["response_cost"], FMT, "response_cost")
    return [complete(FMT, fields, {}, obj, line_hash, source)]


def _time(obj: dict, key: str) -> datetime | None:
    """Epoch seconds (the payload's floats) or an ISO string (older loggers)."""
    value = obj.get(key)
    return None if value is None else timestamp(value, FMT, key)


def _response(resp: Any) -> dict[str, Any]:
    """Output fields from ``response``: an OpenAI-style object, text, or nothing."""
    if resp is None:
        return {}
    if isinstance(resp, str):
        return {"output": resp}
    if not isinstance(resp, dict):
        fail(FMT, f"response must be an object or a string, got {type(resp).__name__}")
    if "choices" not in resp and resp.get("object") not in ("response", "chat.completion"):
        return {"output": to_str(resp)}
    try:
        got = openai.response_fields(resp, "response.") or {}
    except FormatError as exc:
        raise FormatError(FMT + str(exc)[len(openai.FMT) :]) from exc
    keep = ("output", "finish_reason", "logprobs", "error", "service_tier")
    out = {k: got[k] for k in keep if got.get(k) is not None}
    out["response_usage"] = resp.get("usage")
    if got.get("metadata"):
        out["metadata"] = got["metadata"]
    return out


def _usage(obj: dict, details: Any):
    if "prompt_tokens" not in obj and "completion_tokens" not in obj:
        return openai.usage_of(details, "response.usage") if isinstance(details, dict) else None
    d = details if isinstance(details, dict) else {}
    in_d = get_dict(d, "prompt_tokens_details", FMT, "response.usage.")
    out_d = get_dict(d, "completion_tokens_details", FMT, "response.usage.")
    cached = in_d.get("cached_tokens")
    if cached is None:
        cached = d.get("cache_read_input_tokens")
    split = d.get("cache_creation_token_details") or d.get("cache_creation")
    w1h = None  # the TTL split of cache writes, when the Anthropic usage kept it
    if isinstance(split, dict):
        w1h = to_int(split.get("ephemeral_1h_input_tokens"), FMT,
                     "response.usage.cache_creation_token_details.ephemeral_1h_input_tokens")
    return usage(
        FMT,
        input_tokens=to_int(obj.get("prompt_tokens"), FMT, "prompt_tokens"),
        output_tokens=to_int(obj.get("completion_tokens"), FMT, "completion_tokens"),
        cached_input_tokens=to_int(cached, FMT, "response.usage cached tokens"),
        cache_write_tokens=to_int(
            d.get("cache_creation_input_tokens"), FMT, "response.usage.cache_creation_input_tokens"
        ),
        reasoning_tokens=to_int(
            out_d.get("reasoning_tokens"),
            FMT,
            "response.usage.completion_tokens_details.reasoning_tokens",
        ),
        cache_write_1h_tokens=w1h,
    )


def _metadata(obj: dict, fields: dict[str, Any]) -> dict[str, Any]:
    """Labels (task, prompt_version, variant, tags) and the useful call context."""
    md = get_dict(obj, "metadata", FMT)
    requester = get_dict(md, "requester_metadata", FMT, "metadata.")
    for label in LABELS:
        for src in (requester, md):
            if src.get(label) not in (None, ""):
                fields[label] = to_str(src[label])
                break
    tags = obj.get("request_tags") or requester.get("tags") or md.get("tags")
    if tags:
        fields["tags"] = tag_list(tags, FMT, "request_tags")
    out: dict[str, Any] = {}
    for key in ("trace_id", "call_type", "model_group", "api_base", "cache_hit", "end_user"):
        if obj.get(key) not in (None, ""):
            out[key] = obj[key]
    for key in _KEEP_METADATA:
        if md.get(key):
            out[key] = md[key]
    extra = {k: v for k, v in requester.items() if k not in LABELS and k != "tags"}
    if extra:
        out["requester_metadata"] = extra
    return out
