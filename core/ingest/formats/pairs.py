"""What a ``{"request": ..., "response": ...}`` line adds around the response.

Apps that log the call as a pair often put their own labels next to it. The
labels ``task``, ``prompt_version``, ``variant`` and ``tags`` are promoted from
the top level of the line first, then from ``request.metadata``, then from the
response's ``metadata`` (OpenAI echoes it); everything else in those metadata
objects stays in ``metadata``. ``latency_ms``, ``ts``/``timestamp``,
``provider`` and ``id`` may also sit at the top level.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.ingest.formats.common import fail, get_dict, to_float, to_str

LABELS = ("task", "prompt_version", "variant")
_WRAPPER_KEYS = frozenset(
    {"request", "response", "metadata", "tags", "latency_ms", "ts", "timestamp", "provider", "id"}
)


def unwrap(obj: dict, fmt: str) -> tuple[dict, dict, dict]:
    """(request, response, labels) of a pair line; ``labels`` holds record fields."""
    if "request" not in obj:
        fail(fmt, "request missing (a request/response pair needs both)")
    request = get_dict(obj, "request", fmt)
    response = obj.get("response")
    if response is None:
        fail(fmt, "response missing (a request/response pair needs both)")
    if not isinstance(response, dict):
        fail(fmt, f"response must be an object, got {type(response).__name__}")
    return request, response, labels(obj, fmt, [request.get("metadata"), _meta(response)])


def _meta(response: Any) -> Any:
    return response.get("metadata") if isinstance(response, dict) else None


def labels(obj: dict, fmt: str, more_meta: list[Any]) -> dict[str, Any]:
    """Record fields from the line's top level and metadata objects (first wins)."""
    out: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    sources = [m for m in (obj.get("metadata"), *more_meta) if isinstance(m, dict)]
    for src in sources:
        for k, v in src.items():
            if k not in LABELS and k != "tags":
                metadata.setdefault(k, v)
    for key in LABELS:
        for src in (obj, *sources):
            if src.get(key) not in (None, ""):
                out[key] = to_str(src[key])
                break
    for src in (obj, *sources):
        if src.get("tags") is not None:
            out["tags"] = tag_list(src["tags"], fmt)
            break
    for k, v in obj.items():
        if k not in _WRAPPER_KEYS and k not in LABELS:
            metadata.setdefault(k, v)
    if metadata:
        out["metadata"] = metadata
    if obj.get("latency_ms") is not None:
        out["latency_ms"] = to_float(obj["latency_ms"], fmt, "latency_ms")
    for key in ("ts", "timestamp"):
        if obj.get(key) is not None:
            out["ts"] = obj[key]
            break
    if obj.get("provider"):
        out["provider"] = obj["provider"]
    if isinstance(obj.get("id"), str) and obj["id"]:
        out["id"] = obj["id"]
    return out


def tag_list(value: Any, fmt: str, key: str = "tags") -> list[str]:
    """Tags as a list of strings: an array, or one comma-separated string."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if not isinstance(value, list):
        fail(fmt, f"{key} must be an array of strings, got {type(value).__name__}")
    return [to_str(t) for t in value if t is not None]
