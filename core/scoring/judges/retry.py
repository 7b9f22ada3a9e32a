"""When to retry an HTTP call to a model provider, and how long to wait.

Retry on 408, 409, 429, 5xx (including Anthropic's 529 "overloaded") and on
connection failures; never on OpenAI's ``insufficient_quota`` (a 429 that no
amount of waiting fixes) or on other 4xx. Waits honour ``Retry-After``
(delta-seconds or an HTTP-date); garbage falls back to exponential backoff
with full jitter, and every wait is capped.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from typing import Any

RETRY_STATUSES = frozenset({408, 409, 429, 529})
RETRY_AFTER_CAP_S = 60.0
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"})


def is_retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES or 500 <= status <= 599


def quota_error(body: Any) -> str | None:
    """The quota error code in an OpenAI-style error body, or None."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if not isinstance(err, dict):
        return None
    for key in ("code", "type"):
        value = err.get(key)
        if isinstance(value, str) and value in QUOTA_CODES:
            return value
    return None


def error_message(body: Any) -> str:
    """A short provider error message from an OpenAI or Anthropic error body."""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            msg = err.get("message") or err.get("type") or err.get("code")
            if isinstance(msg, str):
                return msg[:200]
        if isinstance(err, str):
            return err[:200]
    return ""


def parse_retry_after(value: str | None, *, now: float | None = None,
                      cap: float = RETRY_AFTER_CAP_S) -> float | None:
    """Seconds to wait from a Retry-After header; None when absent or garbage.

    Delta-seconds ("2", and "1.5" which some servers send) or an HTTP-date;
    a date in the past means 0; anything longer than ``cap`` becomes ``cap``.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)


def backoff_delay(retry_number: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(retry_number - 1))]."""
    ceiling = min(cap, base * (2 ** max(0, retry_number - 1)))
    return rng.uniform(0.0, ceiling)
