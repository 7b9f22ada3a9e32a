"""When to retry an HTTP call to a model provider, and how long to wait.

The policy of the official OpenAI and Anthropic Python SDKs: 2 retries by
default; retry on 408, 409, 429, 5xx (including Anthropic's 529
"overloaded"), on timeouts and on every connection error; the server's
``x-should-retry: true|false`` overrides the status; never retry OpenAI's
``insufficient_quota`` (a 429 that no amount of waiting fixes) or other 4xx.
Waits honour ``retry-after-ms``, then ``Retry-After`` (delta-seconds or an
HTTP-date), capped; otherwise exponential backoff ``min(base * 2**n, cap)``
less a random 0-25% (the SDKs' 0.5 s and 8 s).

Whether a failed attempt may have been billed (:func:`maybe_sent`): a
connection that was never made (refused, DNS, connect timeout, no pool slot)
carried no byte of the request; any later failure (a reset or read error,
also on a reused keep-alive connection, a read or write timeout) may have
reached the provider, so its outcome is unknown.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from typing import Any

import httpx

DEFAULT_MAX_RETRIES = 2
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0
RETRY_STATUSES = frozenset({408, 409, 429, 529})
RETRY_AFTER_CAP_S = 60.0
QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached", "billing_not_active"})


def is_retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES or 500 <= status <= 599


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """The status rule, unless the server says ``x-should-retry: true|false``."""
    said = headers.get("x-should-retry")
    if said == "true":
        return True
    if said == "false":
        return False
    return is_retryable_status(status)


# Failures before any byte of the request left this process.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
              httpx.UnsupportedProtocol)


def maybe_sent(exc: BaseException) -> bool:
    """True when a transport failure may have happened after the request
    reached the provider (so it may be billed); False when it never left."""
    return not isinstance(exc, NEVER_SENT)


def retry_after_s(headers: Mapping[str, str], *, now: float | None = None,
                  cap: float = RETRY_AFTER_CAP_S) -> float | None:
    """The server's wait: ``retry-after-ms`` first, then ``Retry-After``."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms.strip())
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return min(max(value / 1000.0, 0.0), cap)
    return parse_retry_after(headers.get("retry-after"), now=now, cap=cap)


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


def backoff_delay(retry_number: int, *, base: float = BACKOFF_BASE_S,
                  cap: float = BACKOFF_CAP_S, rng: random.Random) -> float:
    """The SDKs' backoff before retry ``retry_number`` (1, 2, ...):
    ``min(cap, base * 2**(retry_number - 1))`` less a random 0-25%."""
    ceiling = min(cap, base * (2 ** min(max(0, retry_number - 1), 60)))
    return ceiling * (1.0 - 0.25 * rng.random())
