"""What a judge looks at: one output (live or replayed) and its context."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from evaltop.core.model.config import JudgeConfig


@dataclass(frozen=True)
class Subject:
    """One output to judge. ``id`` is the outputs.id (or a replay case id)."""

    id: str
    output_text: str
    input_text: str = ""
    model: str = ""
    task: str = ""
    tags: tuple[str, ...] = ()
    finish_reason: str | None = None
    latency_ms: float | None = None
    error: str | None = None
    ts: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_output_row(cls, row: Mapping[str, Any]) -> Subject:
        """From an ``outputs`` row (sqlite3.Row or dict)."""
        keys = row.keys()
        tags = _json_list(row["tags_json"]) if "tags_json" in keys else []
        meta = _json_dict(row["metadata_json"]) if "metadata_json" in keys else {}
        return cls(
            id=row["id"], output_text=row["output_text"] or "", input_text=row["input_text"] or "",
            model=row["model"] or "", task=row["task"] or "", tags=tuple(str(t) for t in tags),
            finish_reason=row["finish_reason"], latency_ms=row["latency_ms"], error=row["error"],
            ts=float(row["ts"]), metadata=meta,
        )


def _json_list(text: str | None) -> list:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _json_dict(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def applies(judge: JudgeConfig, subject: Subject) -> bool:
    """The judge's ``applies_to`` filter: every non-empty list must match
    (tasks and models exactly, tags by any overlap)."""
    f = judge.applies_to
    if f.tasks and subject.task not in f.tasks:
        return False
    if f.models and subject.model not in f.models:
        return False
    if f.tags and not set(f.tags) & set(subject.tags):
        return False
    return True
