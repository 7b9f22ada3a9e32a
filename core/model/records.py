"""The one normalised record every log format becomes.

Formats (``core/ingest/formats``) build :class:`LoggedOutput` and :class:`Feedback`;
the ingest pipeline counts tokens where usage is missing, prices, and hands
them to the store. Nothing here touches SQL or the terminal.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Usage(BaseModel):
    """Token usage, normalised once (see docs/formats.md "Token accounting").

    - ``input_tokens``: ALL input tokens, including cache reads and writes;
    - ``cached_input_tokens``: cache reads (subset of input_tokens);
    - ``cache_write_tokens``: cache writes (subset of input_tokens), all TTLs;
    - ``cache_write_1h_tokens``: the 1-hour writes among them (``None``: the
      log gave only the total, priced as 5-minute writes);
    - ``output_tokens``: all output tokens, including reasoning;
    - ``reasoning_tokens``: reasoning (subset of output_tokens).
    """

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = Field(0, ge=0)
    output_tokens: int = Field(0, ge=0)
    cached_input_tokens: int = Field(0, ge=0)
    cache_write_tokens: int = Field(0, ge=0)
    reasoning_tokens: int = Field(0, ge=0)
    estimated: bool = False
    cache_write_1h_tokens: int | None = Field(None, ge=0)

    @property
    def uncached_input_tokens(self) -> int:
        return max(0, self.input_tokens - self.cached_input_tokens - self.cache_write_tokens)


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str = "user"
    content: str = ""


def parse_ts(value: Any) -> datetime:
    """RFC 3339 / ISO 8601 string, epoch seconds, ms, us or ns -> aware UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError("timestamp must be a string or number, not a boolean")
    if isinstance(value, str):
        s = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", s):
            return parse_ts(float(s) if "." in s else int(s))
        if s.endswith(("Z", "z")):
            s = s[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(s)
        except ValueError as exc:
            raise ValueError(f"not an RFC 3339 timestamp: {value[:40]!r}") from exc
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        v = float(value)
        av = abs(v)
        if av >= 1e17:
            v /= 1e9  # nanoseconds
        elif av >= 1e14:
            v /= 1e6  # microseconds
        elif av >= 1e11:
            v /= 1e3  # milliseconds
        return datetime.fromtimestamp(v, tz=UTC)
    raise ValueError(f"unsupported timestamp {type(value).__name__}")


_WS = re.compile(r"\s+")


def normalise_for_hash(text: str) -> str:
    """Case-folded, NFKC, whitespace-collapsed: the same prompt hashes the same."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def text_hash(text: str) -> str:
    return hashlib.blake2b(normalise_for_hash(text).encode(), digest_size=12).hexdigest()


def input_text(inp: Any) -> str:
    """A logged or corpus input (text or chat messages) flattened to
    ``role: content`` lines, as judges and the corpus read it."""
    if isinstance(inp, list):
        return "\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}"
                         for m in inp if isinstance(m, dict))
    return inp or ""


class LoggedOutput(BaseModel):
    """One LLM call as evaltop stores it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    ts: datetime
    model: str = ""
    provider: str = ""
    input: str | list[Message] | None = None
    output: str = ""
    usage: Usage | None = None  # None: the log reported none; count it
    latency_ms: float | None = None
    task: str = ""
    prompt_version: str = ""
    variant: str = ""
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    confidence: float | None = None  # 0..1; from logprobs when only they are logged
    logprobs: list[float] | None = None
    error: str | None = None
    finish_reason: str | None = None
    reported_cost_usd: Decimal | None = None  # cost the log itself states (LiteLLM, Langfuse)
    batch: bool = False  # run through a batch API (billed at batch rates)
    service_tier: str | None = None  # as the provider reported it (OpenAI: flex, priority...)
    source: str = ""
    format: str = ""

    @field_validator("ts", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> datetime:
        return parse_ts(v)

    @property
    def input_text(self) -> str:
        """The input flattened for search, hashing and token counting."""
        if self.input is None:
            return ""
        if isinstance(self.input, str):
            return self.input
        return "\n".join(f"{m.role}: {m.content}" for m in self.input)

    @property
    def input_hash(self) -> str:
        return text_hash(self.input_text)

    def effective_confidence(self) -> float | None:
        """``confidence`` if logged, else the geometric-mean token probability."""
        if self.confidence is not None:
            return self.confidence
        if self.logprobs:
            import math

            return math.exp(sum(self.logprobs) / len(self.logprobs))
        return None


class Feedback(BaseModel):
    """A downstream signal about an output (``"type": "feedback"`` records)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    output_id: str = Field(min_length=1)
    ts: datetime
    name: str = Field(min_length=1)
    value: float | bool | str | None = None
    source: str = ""

    @field_validator("ts", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> datetime:
        return parse_ts(v)


Record = LoggedOutput | Feedback
