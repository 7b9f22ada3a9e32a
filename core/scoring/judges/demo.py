"""The offline demo judge (``kind = "demo"``): no network, no API key.

It grades from features of the output (empty or failed calls, refusal
phrasing, JSON that the input asked for, keys the input did not name, SQL that
is not SQL, one-word labels, rambling summaries, vague answers) plus a small
hash-based jitter, so a dashboard shows realistic variation and planted
regressions. It is priced as a cheap real model (``model``, default
``gemini-2.0-flash-lite``) with tiktoken-counted tokens and goes through the
same budget reservation and ``judge_calls`` path as a real judge.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time

from evaltop.core.ingest.tokens import count_text
from evaltop.core.model.config import JudgeConfig
from evaltop.core.model.records import Usage
from evaltop.core.scoring.judges.llm import CallOutcome, Resend, prompt_tokens
from evaltop.core.scoring.judges.prompts import JudgePrompt, Verdict
from evaltop.core.scoring.judges.rules import REFUSAL_SCAN_CHARS
from evaltop.core.scoring.judges.subject import Subject

DEFAULT_MODEL = "gemini-2.0-flash-lite"
_REFUSAL = re.compile(r"\b(I'?m sorry|I can(?:no|')?t (help|assist)|I'?m unable|As an AI)\b", re.I)
_QUOTED_KEY = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"')
_SQL = re.compile(r"^\s*(SELECT|WITH)\b", re.I)


def _quality(s: Subject) -> tuple[float, str]:
    """Quality in [0, 1] and why, from the output's features."""
    out = s.output_text.strip()
    task = s.task.lower()
    if s.error or not out:
        return 0.0, "no output (the call failed)"
    if _REFUSAL.search(out.replace("\u2019", "'")[:REFUSAL_SCAN_CHARS]):
        return 0.1, "refused a request it should answer"
    wants_json = "json" in s.input_text.lower() or "extract" in task
    if wants_json:
        try:
            value = json.loads(out)
        except ValueError:
            return 0.2, "asked for JSON, answered in prose"
        named = set(_QUOTED_KEY.findall(s.input_text))
        if isinstance(value, dict) and named:
            extra = sorted(set(value) - named)
            if extra:
                return 0.35, f"invented the field {extra[0]!r}"
        return 0.9, "well-formed JSON with the requested fields"
    if "sql" in task:
        return (0.9, "a plain SQL query") if _SQL.match(out) else (0.15, "not a SQL query")
    if "classif" in task:
        words = len(out.split())
        return (0.85, "a single label") if words <= 2 else (0.3, "a label buried in prose")
    sentences = len(re.findall(r"[.!?](\s|$)", out))
    if "summar" in task and sentences > 4:
        return 0.4, f"rambles ({sentences} sentences)"
    if len(out) < 40:
        return 0.45, "too short to be useful"
    return 0.85, "clear and on topic"


def demo_verdict(judge: JudgeConfig, s: Subject) -> Verdict:
    """Deterministic verdict on the judge's scale (same output, same score)."""
    q, why = _quality(s)
    h = hashlib.blake2b(f"{judge.name}\0{s.id}".encode(), digest_size=4).digest()
    jitter = (int.from_bytes(h, "big") / 0xFFFFFFFF - 0.5) * 0.2  # +-0.1
    q = min(1.0, max(0.0, q + jitter))
    lo, hi = judge.scale
    score = round(lo + q * (hi - lo), 1)
    return Verdict(min(hi, max(lo, score)), f"demo judge: {why}")


class DemoJudge:
    """Same interface as :class:`LLMJudge`; answers locally."""

    def __init__(self, judge: JudgeConfig) -> None:
        self.judge = judge
        self.model = judge.model or DEFAULT_MODEL
        self.slot = asyncio.Semaphore(judge.concurrency)

    async def aclose(self) -> None:
        return None

    async def call(self, prompt: JudgePrompt, subject: Subject | None = None, *,
                   may_resend: Resend | None = None) -> CallOutcome:
        """Offline: never fails in transport, so ``may_resend`` is never asked."""
        started = time.monotonic()
        if subject is None:
            return CallOutcome("error", error="the demo judge needs the subject", attempts=1)
        verdict = demo_verdict(self.judge, subject)
        reply = json.dumps({"score": verdict.score, "reason": verdict.reason})
        usage = Usage(
            input_tokens=prompt_tokens(prompt, self.model),
            output_tokens=min(self.judge.max_output_tokens, count_text(reply, self.model)),
            estimated=True,
        )
        return CallOutcome("ok", verdict=verdict, usage=usage, attempts=1, billed="yes",
                           latency_ms=(time.monotonic() - started) * 1000)
