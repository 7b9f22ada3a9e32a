"""Langfuse trace exports: a trace with full ``observations`` (and ``scores``).

Every GENERATION observation is one output; its task is the trace name unless
metadata names one, its tags are the trace's. Trace scores become feedback on
their ``observationId``, or on the trace's last generation when they name
none. A lone observation line (with ``traceId`` and ``type``) is read too.
Accounting: Langfuse usage types are separate buckets that sum to the total,
so input = every type whose name contains ``input`` (plain input, cache reads,
cache writes) and output = every type containing ``output``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from evaltop.core.ingest.formats.common import (
    build_feedback,
    complete,
    fail,
    get_dict,
    get_list,
    ingest_time,
    line_id,
    timestamp,
    to_decimal,
    to_int,
    to_str,
    usage,
)
from evaltop.core.ingest.formats.messages import any_input, content_text
from evaltop.core.ingest.formats.pairs import LABELS, tag_list
from evaltop.core.model.records import Feedback, LoggedOutput

FMT = "langfuse"


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput | Feedback]:
    if "dataType" in obj and "observations" not in obj and "type" not in obj:
        return [_lone_score(obj, source, line_hash)]
    if "observations" not in obj and not ("traceId" in obj and "type" in obj):
        fail(FMT, "observations missing (expected a trace export with full observations, "
                  "or one observation with traceId and type)")
    trace = obj if "observations" in obj else {}
    observations = get_list(obj, "observations", FMT) if trace else [obj]
    out: list[LoggedOutput | Feedback] = []
    gens: list[str] = []
    for i, o in enumerate(observations):
        path = f"observations[{i}]" if trace else "observation"
        if isinstance(o, str):
            fail(
                FMT,
                f"{path} is only an id; export traces with full observations "
                "(GET /api/public/traces/{id})",
            )
        if not isinstance(o, dict):
            fail(FMT, f"{path} must be an object")
        if o.get("type") == "GENERATION":
            rec = _generation(o, trace, path, source)
            out.append(rec)
            gens.append(rec.id)
    for j, score in enumerate(get_list(trace, "scores", FMT)):
        fid = f"{to_str(trace.get('id'))}:score:{j}"
        fb = _score(score, trace, gens, f"scores[{j}]", fid, source)
        if fb is not None:
            out.append(fb)
    return out


def _generation(o: dict, trace: dict, path: str, source: str) -> LoggedOutput:
    oid = o.get("id")
    if not isinstance(oid, str) or not oid:
        fail(FMT, f"{path}.id missing")
    md = get_dict(o, "metadata", FMT, f"{path}.")
    trace_md = get_dict(trace, "metadata", FMT)
    fields: dict[str, Any] = {
        "id": oid,
        "ts": o.get("startTime") or trace.get("timestamp"),
        "model": to_str(o.get("model")),
        "provider": md.get("provider") or md.get("ls_provider"),
        "input": any_input(o.get("input"), FMT, f"{path}.input"),
        "output": output_text(o.get("output"), f"{path}.output"),
        "usage": usage_of(o, path),
    }
    for label in LABELS:
        for src in (md, trace_md):
            if src.get(label) not in (None, ""):
                fields[label] = to_str(src[label])
                break
    fields.setdefault("task", to_str(trace.get("name")))
    if "prompt_version" not in fields and o.get("promptVersion") is not None:
        fields["prompt_version"] = to_str(o["promptVersion"])
    tags = trace.get("tags") if trace.get("tags") is not None else md.get("tags")
    if tags is not None:
        fields["tags"] = tag_list(tags, FMT, "tags")
    if o.get("startTime") and o.get("endTime"):
        start = timestamp(o["startTime"], FMT, f"{path}.startTime")
        end = timestamp(o["endTime"], FMT, f"{path}.endTime")
        if end >= start:
            fields["latency_ms"] = (end - start).total_seconds() * 1000.0
    if o.get("level") == "ERROR":
        fields["error"] = to_str(o.get("statusMessage")) or "ERROR"
    fields["reported_cost_usd"] = _cost(o, path)
    metadata = {k: v for k, v in md.items() if k not in LABELS and k != "tags"}
    context = {
        "trace_id": o.get("traceId") or trace.get("id"),
        "trace_name": trace.get("name"),
        "observation_name": o.get("name"),
        "user_id": trace.get("userId"),
        "session_id": trace.get("sessionId"),
        "environment": trace.get("environment") or o.get("environment"),
        "prompt_name": o.get("promptName"),
        "level": o.get("level") if o.get("level") not in (None, "DEFAULT") else None,
    }
    metadata.update({k: v for k, v in context.items() if v not in (None, "")})
    fields["metadata"] = metadata
    return complete(FMT, fields, {}, o, "", source)


def output_text(value: Any, key: str) -> str:
    """Generation output: text, a chat message, an OpenAI response, or messages."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, dict):
        if "content" in value:
            return content_text(value["content"], FMT, f"{key}.content")
        choices = value.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            msg = choices[0].get("message")
            if isinstance(msg, dict):
                return content_text(msg.get("content"), FMT, f"{key}.choices[0].message.content")
    if (
        isinstance(value, list)
        and value
        and all(isinstance(m, dict) and "role" in m for m in value)
    ):
        return content_text(value[-1].get("content"), FMT, f"{key}[-1].content")
    return to_str(value)


def usage_of(o: dict, path: str) -> dict[str, int] | None:
    details = get_dict(o, "usageDetails", FMT, f"{path}.")
    if details:
        counts = {
            "input_tokens": 0,
            "output_tokens": 0,
            "cached_input_tokens": 0,
            "cache_write_tokens": 0,
            "reasoning_tokens": 0,
        }
        seen = False
        writes_1h, ttl_known = 0, False
        for k, v in details.items():
            name = k.lower()
            n = to_int(v, FMT, f"{path}.usageDetails.{k}")
            if "total" in name:
                continue
            if "input" in name or name.startswith("prompt"):
                seen = True
                counts["input_tokens"] += n
                if "cache_read" in name or "cached" in name:
                    counts["cached_input_tokens"] += n
                elif "cache_creation" in name or "cache_write" in name:
                    counts["cache_write_tokens"] += n
                    if "1h" in name or "5m" in name:  # a TTL split (Anthropic's names)
                        ttl_known = True
                        writes_1h += n if "1h" in name else 0
            elif "output" in name or name.startswith("completion"):
                seen = True
                counts["output_tokens"] += n
                if "reasoning" in name:
                    counts["reasoning_tokens"] += n
        if seen:
            if ttl_known:
                counts["cache_write_1h_tokens"] = writes_1h
            return usage(FMT, **counts)
    old = get_dict(o, "usage", FMT, f"{path}.")
    if old and old.get("unit") in (None, "TOKENS") and ("input" in old or "output" in old):
        return usage(
            FMT,
            input_tokens=to_int(old.get("input"), FMT, f"{path}.usage.input"),
            output_tokens=to_int(old.get("output"), FMT, f"{path}.usage.output"),
        )
    return None


def _cost(o: dict, path: str):
    """``costDetails.total``, else the sum of its parts, else the legacy totals."""
    cost = get_dict(o, "costDetails", FMT, f"{path}.")
    if cost:
        if cost.get("total") is not None:
            return to_decimal(cost["total"], FMT, f"{path}.costDetails.total")
        parts = [to_decimal(v, FMT, f"{path}.costDetails.{k}") for k, v in cost.items()]
        return sum((p for p in parts if p is not None), start=Decimal(0))
    for key in ("calculatedTotalCost", "totalCost"):
        if o.get(key) is not None:
            return to_decimal(o[key], FMT, f"{path}.{key}")
    return None


def _lone_score(s: dict, source: str, line_hash: str) -> Feedback:
    """A score exported on its own (``GET /api/public/scores``)."""
    target = s.get("observationId")
    if not isinstance(target, str) or not target:
        fail(
            FMT,
            "score observationId missing: a trace-level score can only be read "
            "inside its trace export",
        )
    return _score(s, {}, [target], "score", line_id(s, line_hash), source)


def _score(
    s: Any, trace: dict, gens: list[str], path: str, fallback_id: str, source: str
) -> Feedback | None:
    if not isinstance(s, dict):
        fail(FMT, f"{path} must be an object")
    name = s.get("name")
    if not isinstance(name, str) or not name:
        fail(FMT, f"{path}.name missing")
    target = s.get("observationId")
    if not target or (gens and target not in gens):
        if not gens:
            return None  # a score about a trace with no generation: nothing to attach it to
        target = gens[-1]
    kind = s.get("dataType")
    if kind == "CATEGORICAL":
        value = s.get("stringValue") if s.get("stringValue") is not None else s.get("value")
    elif kind == "BOOLEAN":
        value = None if s.get("value") is None else bool(s["value"])
    else:
        value = s.get("value") if s.get("value") is not None else s.get("stringValue")
    if isinstance(value, dict | list):
        fail(FMT, f"{path}.value must be a number, boolean or string")
    when = s.get("timestamp") or trace.get("timestamp")
    return build_feedback(
        FMT,
        {
            "id": to_str(s.get("id")) or fallback_id,
            "output_id": target,
            "ts": timestamp(when, FMT, f"{path}.timestamp") if when else ingest_time(),
            "name": name,
            "value": value,
            "source": source,
        },
    )
