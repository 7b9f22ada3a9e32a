"""Helpers for the pricing tests: run real log lines through ingest's prepare
stage and read the stored row's billing columns by name."""

from __future__ import annotations

from decimal import Decimal

import orjson

from evaltop.core.ingest import prepare
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.tail.jsonl_tail import Batch
from evaltop.store.checkpoints import Checkpoint
from evaltop.store.outputs import OUTPUT_COLUMNS

BOOK = PriceBook.builtin()


def usd(micro: int | str) -> int:
    """Millionths of a dollar (tokens x USD per Mtok) as picodollars."""
    return int(Decimal(micro) * 10**6)


def rows(objs: list[dict], fmt: str, book: PriceBook = BOOK) -> list[dict]:
    """Each line as ingest stores it, as {column: value}. A native line needs
    an output or an error (ingest rejects one with neither): a line that only
    carries what pricing reads gets the output "ok"."""
    if fmt == "native":
        objs = [o if "output" in o or "error" in o else {**o, "output": "ok"} for o in objs]
    lines = [(i + 1, i * 100, orjson.dumps(o)) for i, o in enumerate(objs)]
    batch = Batch(source="app", path="app.jsonl", lines=lines, rejects=[],
                  checkpoint=Checkpoint(source="app", file_key="k", path="app.jsonl"))
    prep = prepare.prepare(batch, fmt, book, 1.5)
    assert not prep.rejects, prep.rejects
    return [dict(zip(OUTPUT_COLUMNS, r, strict=True)) for r in prep.outputs.values()]


def row(obj: dict, fmt: str, book: PriceBook = BOOK) -> dict:
    [r] = rows([obj], fmt, book)
    return r


def anthropic_message(model: str, usage: dict, *, msg_id: str = "msg_01") -> dict:
    return {
        "id": msg_id, "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "Here is the summary."}],
        "stop_reason": "end_turn", "stop_sequence": None, "usage": usage,
    }


def openai_chat(model: str, usage: dict, *, service_tier: str | None = None,
                cid: str = "chatcmpl-1") -> dict:
    obj = {
        "id": cid, "object": "chat.completion", "created": 1767225600, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Done."},
                     "finish_reason": "stop"}],
        "usage": usage,
    }
    if service_tier is not None:
        obj["service_tier"] = service_tier
    return obj


def otel_line(attrs: dict, *, span_id: str = "eee19b7ec3c1b174") -> dict:
    """One OTLP/JSON export holding one GenAI client span."""
    def value(v):
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}
        return {"stringValue": v}

    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{
        "scope": {"name": "test"},
        "spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": span_id,
            "name": "chat", "kind": 3, "startTimeUnixNano": "1767225600000000000",
            "endTimeUnixNano": "1767225601000000000",
            "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()],
            "status": {},
        }],
    }]}]}
