"""Calling a candidate model (``[models.NAME]``) over HTTP.

Two wire formats: ``openai`` (any OpenAI-compatible server: ``POST
{base_url}/chat/completions``, where ``base_url`` ends in ``/v1`` as with the
OpenAI SDK) and ``anthropic`` (``POST {base_url}/v1/messages``).

Retries follow the judges' policy, the OpenAI and Anthropic SDKs'
(:mod:`evaltop.core.scoring.judges.retry`): 408, 409, 429, 5xx, 529, connection
errors and timeouts are retried with exponential backoff and jitter, honouring
``retry-after-ms`` / ``Retry-After`` (capped) and ``x-should-retry``. An
attempt that failed after its request may have reached the provider (a reset,
a read error, a timeout) is counted in ``unknown_attempts``: it may have been
billed, and the run reports it as unconfirmed spend. Quota errors
(OpenAI ``insufficient_quota``, Anthropic billing errors) and other 4xx are
not: a retry would fail the same way. The API key is read from the environment
variable the config names; it is sent in a header and nowhere else.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from evaltop.core.model.config import CandidateModel
from evaltop.core.model.records import Message, Usage
from evaltop.core.scoring.judges.retry import (
    BACKOFF_BASE_S,
    BACKOFF_CAP_S,
    backoff_delay,
    error_message,
    maybe_sent,
    quota_error,
    retry_after_s,
    should_retry,
)

ANTHROPIC_VERSION = "2023-06-01"


class CandidateError(Exception):
    """A configuration problem (missing key variable...), not a call failure."""


@dataclass
class CallResult:
    ok: bool
    text: str | None = None
    usage: Usage | None = None  # None: the server reported none
    finish_reason: str | None = None
    latency_ms: float | None = None
    attempts: int = 0
    error: str | None = None
    retries: int = 0
    unknown_attempts: int = 0  # sent, then no usable reply: may have been billed


def messages_of(inp: str | list[dict] | None) -> list[dict[str, str]]:
    """Corpus/case input as chat messages ({role, content})."""
    if inp is None:
        return [{"role": "user", "content": ""}]
    if isinstance(inp, str):
        return [{"role": "user", "content": inp}]
    out = []
    for m in inp:
        msg = Message.model_validate(m) if isinstance(m, dict) else Message(content=str(m))
        out.append({"role": msg.role, "content": msg.content})
    return out or [{"role": "user", "content": ""}]


def api_key(model: CandidateModel, name: str) -> str | None:
    if not model.api_key_env:
        return None
    key = os.environ.get(model.api_key_env)
    if not key:
        raise CandidateError(
            f"models.{name}.api_key_env: environment variable {model.api_key_env} is not set"
        )
    return key


def build_request(model: CandidateModel, messages: list[dict[str, str]], key: str | None
                  ) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(url, headers, json body) for one call."""
    base = model.base_url.rstrip("/")
    if model.provider == "anthropic":
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        body: dict[str, Any] = {
            "model": model.model,
            "max_tokens": model.max_output_tokens,
            "messages": [m for m in messages if m["role"] != "system"]
            or [{"role": "user", "content": ""}],
        }
        if system:
            body["system"] = system
        headers = {"anthropic-version": ANTHROPIC_VERSION}
        if key:
            headers["x-api-key"] = key
        body.update(model.params)
        return f"{base}/v1/messages", headers, body
    body = {"model": model.model, "messages": messages, "max_tokens": model.max_output_tokens}
    body.update(model.params)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return f"{base}/chat/completions", headers, body


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else 0


def parse_reply(provider: str, data: Any) -> tuple[str, Usage | None, str | None]:
    """(text, usage, finish_reason) from a 200 reply; ValueError if malformed."""
    if not isinstance(data, dict):
        raise ValueError("reply is not a JSON object")
    u = data.get("usage") if isinstance(data.get("usage"), dict) else None
    if provider == "anthropic":
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise ValueError("reply has no content[] list")
        text = "".join(
            b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
        )
        usage = None
        if u is not None:
            cache_r, cache_w = (
                _int(u.get("cache_read_input_tokens")),
                _int(u.get("cache_creation_input_tokens")),
            )
            split = u.get("cache_creation")  # the TTL split: 1-hour writes cost more
            w1h = min(cache_w, _int(split.get("ephemeral_1h_input_tokens"))) \
                if isinstance(split, dict) else None
            usage = Usage(input_tokens=_int(u.get("input_tokens")) + cache_r + cache_w,
                          cached_input_tokens=cache_r, cache_write_tokens=cache_w,
                          cache_write_1h_tokens=w1h, output_tokens=_int(u.get("output_tokens")))
        return text, usage, data.get("stop_reason")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError("reply has no choices[0]")
    msg = choices[0].get("message") if isinstance(choices[0].get("message"), dict) else {}
    text = msg.get("content") if isinstance(msg.get("content"), str) else (msg.get("refusal") or "")
    usage = None
    if u is not None:
        pd = (
            u.get("prompt_tokens_details")
            if isinstance(u.get("prompt_tokens_details"), dict)
            else {}
        )
        cd = (
            u.get("completion_tokens_details")
            if isinstance(u.get("completion_tokens_details"), dict)
            else {}
        )
        inp, out = _int(u.get("prompt_tokens")), _int(u.get("completion_tokens"))
        usage = Usage(input_tokens=inp, output_tokens=out,
                      cached_input_tokens=min(inp, _int(pd.get("cached_tokens"))),
                      reasoning_tokens=min(out, _int(cd.get("reasoning_tokens"))))
    return text, usage, choices[0].get("finish_reason")


def _is_quota(status: int, body: Any) -> bool:
    if quota_error(body):
        return True
    # Anthropic says "credit balance is too low" with a 400.
    return status in (400, 402, 403) and "credit balance" in error_message(body).lower()


class CandidateClient:
    """One AsyncClient per candidate, a concurrency limit, retries. Each
    attempt must deliver its whole reply within ``timeout_s``; the recorded
    latency is that of the last attempt (the model's, not our retry waits)."""

    def __init__(self, name: str, model: CandidateModel, *, concurrency: int | None = None,
                 rng: random.Random | None = None):
        self.name = name
        self.model = model
        self.key = api_key(model, name)
        self.sem = asyncio.Semaphore(concurrency or model.concurrency)
        t = model.timeout_s
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(t, connect=min(t, 10.0), pool=t),
            limits=httpx.Limits(max_connections=concurrency or model.concurrency),
        )
        self.rng = rng or random.Random()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> CandidateClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def call(self, inp: str | list[dict] | None) -> CallResult:
        url, headers, body = build_request(self.model, messages_of(inp), self.key)
        res = CallResult(ok=False)
        async with self.sem:
            for attempt in range(self.model.max_retries + 1):
                res.attempts = attempt + 1
                start = time.monotonic()
                try:
                    async with asyncio.timeout(self.model.timeout_s):  # whole reply, even a trickle
                        wait = await self._attempt(url, headers, body, res)
                except TimeoutError:
                    res.error = f"timeout: no complete reply within {self.model.timeout_s:g} s"
                    res.unknown_attempts += 1
                    wait = -1
                res.latency_ms = (time.monotonic() - start) * 1000  # of the last attempt
                if wait is None:
                    break
                if attempt == self.model.max_retries:
                    break
                res.retries += 1
                backoff = backoff_delay(
                    attempt + 1, base=BACKOFF_BASE_S, cap=BACKOFF_CAP_S, rng=self.rng
                )
                await asyncio.sleep(wait if wait >= 0 else backoff)
        return res

    async def _attempt(self, url: str, headers: dict, body: dict, res: CallResult) -> float | None:
        """One HTTP attempt. Returns None when done (ok or final error), else
        the wait before retrying (-1 = use backoff)."""
        try:
            resp = await self.client.post(url, headers=headers, json=body)
        except httpx.TransportError as exc:
            res.unknown_attempts += maybe_sent(exc)
            if isinstance(exc, httpx.TimeoutException):
                res.error = f"timeout: {type(exc).__name__}"
            else:
                res.error = f"connection: {type(exc).__name__}: {exc}"[:300]
            return -1
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code == 200:
            try:
                res.text, res.usage, res.finish_reason = parse_reply(self.model.provider, data)
            except ValueError as exc:
                res.error = f"bad reply: {exc}"
                res.unknown_attempts += 1  # a 200 the provider may bill, usage unreadable
                return None
            res.ok, res.error = True, None
            return None
        msg = error_message(data) or resp.content[:200].decode("utf-8", "replace")
        res.error = f"HTTP {resp.status_code}: {msg}"
        if _is_quota(resp.status_code, data):
            res.error = "quota: " + res.error
            return None
        if should_retry(resp.status_code, resp.headers):
            ra = retry_after_s(resp.headers)
            return ra if ra is not None else -1
        return None
