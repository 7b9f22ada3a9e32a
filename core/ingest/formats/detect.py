"""Which format one decoded line is in, from its distinguishing keys only.

This runs on every line, so it looks at a few keys and never tries parsers.
Order matters where formats share keys: Langfuse observations and native
records both have ``input``/``output``, so Langfuse's ``traceId`` and
``observations`` are checked first.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.ingest.formats.common import FormatError

FORMATS = ("native", "openai", "anthropic", "otel", "litellm", "langfuse")

_OPENAI_OBJECTS = frozenset(
    {"chat.completion", "chat.completion.chunk", "text_completion", "response"}
)
_LANGFUSE_TYPES = frozenset(
    {
        "GENERATION",
        "SPAN",
        "EVENT",
        "AGENT",
        "TOOL",
        "CHAIN",
        "RETRIEVER",
        "EVALUATOR",
        "EMBEDDING",
        "GUARDRAIL",
    }
)
_LITELLM_KEYS = ("call_type", "response_cost", "custom_llm_provider")
_NATIVE_KEYS = ("output", "input", "usage", "error")


def detect(obj: Any) -> str:
    """``native`` | ``openai`` | ``anthropic`` | ``otel`` | ``litellm`` | ``langfuse``."""
    if not isinstance(obj, dict):
        raise FormatError(f"not a JSON object (got {_json_type(obj)})")
    if "resourceSpans" in obj or "resourceLogs" in obj or "resourceMetrics" in obj:
        return "otel"
    if "traceId" in obj and (_str(obj.get("type")) in _LANGFUSE_TYPES or "dataType" in obj):
        return "langfuse"  # one observation or one score
    if "observations" in obj:
        return "langfuse"
    if obj.get("type") == "feedback":
        return "native"
    if _str(obj.get("object")) in _OPENAI_OBJECTS:
        return "openai"
    if obj.get("type") == "message" and "content" in obj:
        return "anthropic"
    if "custom_id" in obj:
        return "anthropic" if "result" in obj else "openai"
    for key in _LITELLM_KEYS:
        if key in obj:
            return "litellm"
    if "request" in obj and "response" in obj:
        return _pair_provider(obj)
    if "choices" in obj and "model" in obj:
        return "openai"
    for key in _NATIVE_KEYS:
        if key in obj:
            return "native"
    keys = ", ".join(sorted(str(k) for k in obj)[:6]) or "none"
    raise FormatError(f"unrecognised record: no format's keys found (keys: {keys})")


def _pair_provider(obj: dict) -> str:
    """A request/response pair: the response shape names the provider."""
    resp = obj.get("response")
    if isinstance(resp, dict):
        if _str(resp.get("object")) in _OPENAI_OBJECTS or "choices" in resp:
            return "openai"
        if resp.get("type") in ("message", "error") and ("content" in resp or "error" in resp):
            return "anthropic"
        if isinstance(resp.get("error"), dict) and "type" not in resp:
            return "openai"
    req = obj.get("request")
    if isinstance(req, dict) and ("anthropic_version" in req or "system" in req):
        return "anthropic"
    raise FormatError(
        "request/response pair: cannot tell the provider from the response "
        "(expected an OpenAI object or an Anthropic message); set the source's format"
    )


def _str(value: Any) -> str:
    """``value`` if it is a string, else "" (a list or object never names a format)."""
    return value if isinstance(value, str) else ""


def _json_type(obj: Any) -> str:
    if isinstance(obj, list):
        return "an array"
    if isinstance(obj, str):
        return "a string"
    if obj is None:
        return "null"
    if isinstance(obj, bool):
        return "a boolean"
    return "a number" if isinstance(obj, int | float) else type(obj).__name__


def looks_like(obj: Any) -> str | None:
    """The format :func:`detect` names for ``obj``, or None when it names none."""
    try:
        return detect(obj)
    except FormatError:
        return None


def hint(obj: Any, fmt: str) -> str:
    """`` (the line looks like X: ...)`` when detection names another format
    than the one a source set, for the reason of a line that does not fit."""
    other = looks_like(obj)
    if other is None or other == fmt:
        return ""
    return (f' (the line looks like {other}: set format = "{other}" or "auto", '
            "then `evaltop rejects --retry`)")
