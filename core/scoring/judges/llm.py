"""LLM judges over httpx: OpenAI-compatible chat completions and Anthropic Messages.

One :class:`LLMJudge` per configured judge holds its reused
``httpx.AsyncClient`` (explicit connect/read/write/pool timeouts; a judge with
``concurrency`` above 8 gets several clients of at most 8 connections, since
httpcore scans its whole pool on every request) and a semaphore of
``concurrency``. :meth:`call` sends
one judge request with retries (see ``retry.py``) inside an overall deadline
(``deadline_s``, ``asyncio.timeout_at``) that also stops a server trickling
bytes. It never touches the database: the paid-call path (``paid.py``)
reserves budget around it and records the outcome.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from evaltop.core.ingest.tokens import (
    TOKENS_PER_MESSAGE,
    TOKENS_REPLY_PRIMING,
    count_text,
    encoding_name_for,
)
from evaltop.core.model.config import ConfigError, JudgeConfig
from evaltop.core.model.records import Usage
from evaltop.core.scoring.judges import retry
from evaltop.core.scoring.judges.prompts import (
    JudgePrompt,
    ReplyError,
    Verdict,
    parse_reply,
    response_format,
)
from evaltop.core.scoring.judges.subject import Subject

ANTHROPIC_VERSION = "2023-06-01"
ESTIMATE_MARGIN = 1.25  # prompt tokens counted with a foreign tokenizer: reserve 25% more
ESTIMATE_SLACK = 16
CONNECTIONS_PER_CLIENT = 8


@dataclass
class CallOutcome:
    """What one judge call series came to.

    ``billed``: "yes" (a reply with content came back), "no" (nothing the
    provider charges for: refused, rate limited, never connected), "unknown"
    (the request went out and no usable reply came back: a timeout, a cut
    connection). ``schema_error``: a billed reply broke the reply schema.
    ``transient``: a timeout or an outage rather than a verdict-level error.
    """

    status: str  # ok | error | timeout
    verdict: Verdict | None = None
    usage: Usage | None = None
    attempts: int = 0
    latency_ms: float = 0.0
    error: str | None = None
    billed: str = "no"  # of the last attempt; earlier ones: unknown_attempts
    schema_error: bool = False
    transient: bool = False  # worth trying again later (timeouts, outages)
    unknown_attempts: int = 0  # attempts that may have been billed with no reply to say so


# Asked before resending after an attempt that may have been billed: None to
# go ahead, else why not (e.g. the budget cannot hold one more estimate).
Resend = Callable[[], Awaitable[str | None]]


def api_key_for(judge: JudgeConfig, where: str = "") -> str | None:
    """The judge's API key from ``api_key_env``; a clear error when unset.
    The key itself is never logged or stored."""
    if not judge.api_key_env:
        return None
    key = os.environ.get(judge.api_key_env, "")
    if not key:
        where = where or f"judges[{judge.name}]"
        raise ConfigError(
            f"{where}.api_key_env: environment variable {judge.api_key_env} is not set "
            f"(the API key for judge {judge.name!r})"
        )
    return key


def endpoint(judge: JudgeConfig) -> str:
    base = (judge.base_url or "").rstrip("/")
    if judge.provider == "anthropic":
        return f"{base}/messages" if base.endswith("/v1") else f"{base}/v1/messages"
    return f"{base}/chat/completions"


@functools.lru_cache(maxsize=64)
def _count_system(system: str, model: str) -> int:
    return count_text(system, model)  # the same text for every call of a judge


@functools.lru_cache(maxsize=256)
def _count_prompt(system: str, user: str, model: str) -> int:
    return (
        _count_system(system, model)
        + count_text(user, model)
        + 2 * TOKENS_PER_MESSAGE
        + TOKENS_REPLY_PRIMING
    )


def prompt_tokens(prompt: JudgePrompt, model: str) -> int:
    """Counted prompt tokens (chat overhead included); cached, since the
    budget estimate and a usage estimate count the same prompt."""
    return _count_prompt(prompt.system, prompt.user, model)


def budget_prompt_tokens(prompt: JudgePrompt, model: str) -> int:
    """Prompt tokens to reserve for: exact for OpenAI tokenizers, with a margin
    when the model's tokenizer is only approximated."""
    n = prompt_tokens(prompt, model)
    if encoding_name_for(model)[1]:
        n = int(n * ESTIMATE_MARGIN) + ESTIMATE_SLACK
    return n


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _openai_usage(u: Any) -> Usage | None:
    if not isinstance(u, dict) or "prompt_tokens" not in u:
        return None
    details = u.get("prompt_tokens_details") or {}
    out_details = u.get("completion_tokens_details") or {}
    inp, out = _int(u.get("prompt_tokens")), _int(u.get("completion_tokens"))
    return Usage(input_tokens=inp, output_tokens=out,
                 cached_input_tokens=min(inp, _int(details.get("cached_tokens"))),
                 reasoning_tokens=min(out, _int(out_details.get("reasoning_tokens"))))


def _anthropic_usage(u: Any) -> Usage | None:
    if not isinstance(u, dict) or "input_tokens" not in u:
        return None
    read, write = _int(u.get("cache_read_input_tokens")), _int(u.get("cache_creation_input_tokens"))
    split = u.get("cache_creation")
    write_1h = min(write, _int(split.get("ephemeral_1h_input_tokens"))) \
        if isinstance(split, dict) else None  # no split: priced as 5-minute writes
    return Usage(input_tokens=_int(u.get("input_tokens")) + read + write,
                 output_tokens=_int(u.get("output_tokens")),
                 cached_input_tokens=read, cache_write_tokens=write,
                 cache_write_1h_tokens=write_1h)


class LLMJudge:
    """A configured LLM judge: builds requests, sends them, parses verdicts."""

    def __init__(self, judge: JudgeConfig, *, api_key: str | None = None,
                 backoff_base: float = retry.BACKOFF_BASE_S,
                 backoff_cap: float = retry.BACKOFF_CAP_S,
                 rng: random.Random | None = None) -> None:
        self.judge = judge
        self.model = judge.model or ""
        self.url = endpoint(judge)
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self._rng = rng or random.Random()
        self.slot = asyncio.Semaphore(judge.concurrency)
        t = judge.timeout_s
        headers = {"content-type": "application/json"}
        if judge.provider == "anthropic":
            headers["anthropic-version"] = ANTHROPIC_VERSION
            if api_key:
                headers["x-api-key"] = api_key
        elif api_key:
            headers["authorization"] = f"Bearer {api_key}"
        # httpcore scans every pooled connection on each request, so a wide
        # judge gets a few reused clients of at most 8 connections each.
        shards = -(-judge.concurrency // CONNECTIONS_PER_CLIENT)
        per = -(-judge.concurrency // shards)
        self._clients = [httpx.AsyncClient(
            timeout=httpx.Timeout(connect=min(t, 10.0), read=t, write=t, pool=t),
            limits=httpx.Limits(max_connections=per, max_keepalive_connections=per),
            headers=headers,
        ) for _ in range(shards)]
        self._busy = [0] * shards  # requests in flight per client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        """POST on the least busy client (never waits on a full pool while another has room)."""
        i = min(range(len(self._clients)), key=self._busy.__getitem__)
        self._busy[i] += 1
        try:
            return await self._clients[i].post(self.url, json=body)
        finally:
            self._busy[i] -= 1

    def request_body(self, prompt: JudgePrompt) -> dict[str, Any]:
        j = self.judge
        if j.provider == "anthropic":
            return {"model": self.model, "max_tokens": j.max_output_tokens, "temperature": 0,
                    "system": prompt.system,
                    "messages": [{"role": "user", "content": prompt.user}]}
        body: dict[str, Any] = {
            "model": self.model, "temperature": 0,
            "messages": [{"role": "system", "content": prompt.system},
                         {"role": "user", "content": prompt.user}],
        }
        # OpenAI's reasoning models take max_completion_tokens; others max_tokens.
        bare = self.model.rsplit("/", 1)[-1].lower()
        reasoning = bare.startswith(("o1", "o3", "o4", "gpt-5"))
        key = "max_completion_tokens" if reasoning else "max_tokens"
        body[key] = j.max_output_tokens
        if j.json_schema_mode:
            body["response_format"] = response_format()
        return body

    def _extract(self, body: dict) -> tuple[str | None, Usage | None, str | None]:
        """(reply text, reported usage, problem)."""
        if self.judge.provider == "anthropic":
            blocks = body.get("content")
            if not isinstance(blocks, list):
                return None, None, "reply has no content blocks"
            text = "".join(
                b.get("text", "")
                for b in blocks
                if isinstance(b, dict)
                and b.get("type") == "text"
                and isinstance(b.get("text"), str)
            )
            if body.get("stop_reason") == "refusal":
                return None, _anthropic_usage(body.get("usage")), "the judge model refused"
            return text, _anthropic_usage(body.get("usage")), None
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return None, None, "reply has no choices"
        msg = choices[0].get("message") or {}
        usage = _openai_usage(body.get("usage"))
        if isinstance(msg.get("refusal"), str) and msg["refusal"]:
            return None, usage, f"the judge model refused: {msg['refusal'][:120]}"
        content = msg.get("content")
        return (content if isinstance(content, str) else None), usage, None

    def _finish(self, text: str | None, usage: Usage | None, prompt: JudgePrompt,
                problem: str | None) -> CallOutcome:
        if usage is None:  # no usage reported: count it, marked estimated
            usage = Usage(input_tokens=prompt_tokens(prompt, self.model),
                          output_tokens=count_text(text or "", self.model), estimated=True)
        if problem:
            return CallOutcome("error", usage=usage, error=problem, billed="yes")
        try:
            verdict = parse_reply(text, self.judge.scale)
        except ReplyError as exc:
            return CallOutcome(
                "error", usage=usage, error=str(exc), billed="yes", schema_error=True
            )
        return CallOutcome("ok", verdict=verdict, usage=usage, billed="yes")

    def _on_response(
        self, resp: httpx.Response, prompt: JudgePrompt
    ) -> tuple[CallOutcome | None, float | None, str]:
        """(final outcome, or None to retry after the returned delay; error text)."""
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code == 200:
            if not isinstance(body, dict):
                return CallOutcome("error", error="provider reply is not a JSON object",
                                   billed="unknown"), None, ""
            text, usage, problem = self._extract(body)
            return self._finish(text, usage, prompt, problem), None, ""
        msg = retry.error_message(body)
        what = f"HTTP {resp.status_code}" + (f": {msg}" if msg else "")
        quota = retry.quota_error(body)
        if quota:
            return (
                CallOutcome("error", error=f"{quota}: {msg or 'quota exhausted'} (not retried)"),
                None,
                "",
            )
        if retry.should_retry(resp.status_code, resp.headers):
            return None, retry.retry_after_s(resp.headers), what
        return CallOutcome("error", error=what), None, ""

    async def call(self, prompt: JudgePrompt, subject: Subject | None = None, *,
                   may_resend: Resend | None = None) -> CallOutcome:
        """Send one judge request (retrying what is worth retrying) within the deadline.

        An attempt that failed after its bytes may have left is counted in
        ``unknown_attempts``; before resending after one, ``may_resend()``
        must say yes (the paid path grows the budget reservation there)."""
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        deadline = loop.time() + self.judge.deadline_s
        body = self.request_body(prompt)
        attempts, unknown, in_flight = 0, 0, False
        outcome: CallOutcome
        try:
            async with asyncio.timeout_at(deadline):
                while True:
                    attempts += 1
                    delay: float | None = None
                    in_flight, cut = True, False
                    try:
                        resp = await self._post(body)
                    except httpx.TransportError as exc:
                        in_flight, cut = False, retry.maybe_sent(exc)
                        unknown += cut
                        failed = self._transport_failure(exc, cut)
                        last = failed.error or ""
                    else:
                        in_flight = False
                        final, delay, last = self._on_response(resp, prompt)
                        if final is not None:
                            unknown += final.billed == "unknown"
                            outcome = final
                            break
                        failed = None
                    if attempts > self.judge.max_retries:
                        outcome = self._gave_up(
                            failed, f"gave up after {attempts} attempts: {last}")
                        break
                    wait = delay if delay is not None else retry.backoff_delay(
                        attempts, base=self.backoff_base, cap=self.backoff_cap, rng=self._rng)
                    if loop.time() + wait >= deadline:
                        outcome = self._gave_up(failed, (
                            f"{last}; waiting {wait:.1f}s to retry would pass deadline_s="
                            f"{self.judge.deadline_s:g}"))
                        break
                    if cut and may_resend is not None:
                        why_not = await may_resend()
                        if why_not:
                            outcome = self._gave_up(failed, f"{last}; not retried: {why_not}")
                            break
                    await asyncio.sleep(wait)
        except TimeoutError:
            unknown += in_flight
            outcome = CallOutcome(
                "timeout",
                billed="unknown" if in_flight else "no",
                transient=True,
                error=f"deadline_s={self.judge.deadline_s:g} passed"
                + (" while waiting for the reply" if in_flight else " between retries"),
            )
        outcome.attempts = attempts
        outcome.unknown_attempts = unknown
        outcome.latency_ms = (time.monotonic() - started) * 1000
        return outcome

    def _transport_failure(self, exc: httpx.TransportError, sent: bool) -> CallOutcome:
        """The outcome of an attempt that got no HTTP reply."""
        name = type(exc).__name__
        if isinstance(exc, httpx.TimeoutException) and sent:
            return CallOutcome("timeout", billed="unknown", transient=True,
                               error=f"no reply within timeout_s={self.judge.timeout_s:g} ({name})")
        what = "transport error" if sent else "connection failed"
        return CallOutcome("error", billed="unknown" if sent else "no", transient=True,
                           error=f"{what}: {name}: {exc}"[:200])

    @staticmethod
    def _gave_up(failed: CallOutcome | None, error: str) -> CallOutcome:
        """The last attempt's failure (or an outage) as the final outcome."""
        if failed is None:
            return CallOutcome("error", transient=True, error=error[:300])
        failed.error = error[:300]
        return failed
