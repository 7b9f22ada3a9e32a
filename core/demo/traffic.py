"""The demo's traffic model: who calls which model for what, and how it goes.

Deterministic by seed: the same seed, run id and clock give the same records,
byte for byte. :meth:`DemoTraffic.advance` moves the model's clock forward and
returns native-format log records (outputs, then the feedback events that
became due), ready to be written as JSON lines.

The planted story: a cheaper candidate model served a small canary
(``canary_share``, tagged ``canary``) from ``canary_from`` to ``canary_until``
and did fine there.
From ``rollout_at`` on it takes ``candidate_share`` of all traffic (tagged
``rollout``). On full traffic it stays as good as the incumbents on every task
but one: on ``extract_contact`` it now often adds a ``phone_number`` field the
downstream API does not accept, or wraps the JSON in prose. The same
(task, model, prompt version) segment is judged before and after, so the
regression is a like-for-like comparison.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime

from evaltop.core.demo import texts as demo_text

INCUMBENTS: dict[str, tuple[str, float]] = {  # model -> (provider, share of traffic)
    "gpt-4o-mini": ("openai", 0.40),
    "claude-haiku-4-5": ("anthropic", 0.35),
    "gemini-2.5-flash": ("google", 0.25),
}
CANDIDATE = "gpt-4.1-nano"
CANDIDATE_PROVIDER = "openai"
REGRESSED_TASK = "extract_contact"
ALLOWED_FIELDS = ("name", "email", "company")

TASK_MIX = {
    "support_answer": 0.28,
    "extract_contact": 0.30,
    "summarize_ticket": 0.14,
    "classify_ticket": 0.14,
    "sql_generation": 0.14,
}
PROMPT_VERSIONS = {
    "support_answer": "support-v7",
    "extract_contact": "extract-v3",
    "summarize_ticket": "summary-v2",
    "classify_ticket": "triage-v5",
    "sql_generation": "sql-v1",
}
NEW_PROMPT = ("support_answer", "support-v8")  # shipped at ``prompt_change_at``, no regression
# What goes wrong, per task: (flaw, probability) for an incumbent model.
FLAWS: dict[str, list[tuple[str, float]]] = {
    "support_answer": [("refusal", 0.02), ("vague", 0.06)],
    "extract_contact": [("hallucinated_field", 0.03), ("prose_json", 0.02)],
    "summarize_ticket": [("rambling", 0.06), ("vague", 0.05)],
    "classify_ticket": [("wrong_label", 0.07), ("vague", 0.03)],
    "sql_generation": [("not_sql", 0.05)],
}
CANDIDATE_FLAWS = {REGRESSED_TASK: [("hallucinated_field", 0.7), ("prose_json", 0.1)]}
MODEL_QUALITY = {
    "gpt-4o-mini": 1.0,
    "claude-haiku-4-5": 0.8,
    "gemini-2.5-flash": 1.2,
    CANDIDATE: 0.6,
}
MEDIAN_LATENCY_MS = {
    "gpt-4o-mini": 900,
    "claude-haiku-4-5": 1300,
    "gemini-2.5-flash": 750,
    CANDIDATE: 450,
}
NO_USAGE = {"gemini-2.5-flash": 0.3}  # share of records logged without usage (counted by tiktoken)
ERROR_RATE = 0.01
SLOW_RATE = 0.02
TIERS = ("free", "pro", "enterprise")
REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")


def iso(ts: float) -> str:
    return (
        datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def diurnal(per_hour: float) -> Callable[[float], float]:
    """A per-second rate averaging ``per_hour``, busier in European office hours."""

    def rate(ts: float) -> float:
        hour = (ts % 86400) / 3600
        return per_hour / 3600 * (1 + 0.6 * math.sin(2 * math.pi * (hour - 8) / 24))

    return rate


def constant(per_second: float) -> Callable[[float], float]:
    return lambda ts: per_second


class DemoTraffic:
    """Generates the demo's log records; one instance per demo run."""

    def __init__(self, seed: int = 7, *, start: float, run_id: str = "demo",
                 rollout_at: float | None = None, candidate_share: float = 0.5,
                 canary_from: float | None = None, canary_until: float | None = None,
                 canary_share: float = 0.2, prompt_change_at: float | None = None):
        self.rng = random.Random(f"{seed}:{run_id}")
        self.t = start
        self.run_id = run_id
        self.rollout_at = rollout_at
        self.candidate_share = candidate_share
        self.canary_from = canary_from
        self.canary_until = canary_until
        self.canary_share = canary_share
        self.prompt_change_at = prompt_change_at
        self.count = 0
        self._feedback: list[tuple[float, int, dict]] = []  # heap of (ts, seq, record)
        self._fb_seq = 0
        self._models = list(INCUMBENTS)
        self._weights = [INCUMBENTS[m][1] for m in self._models]
        self._tasks = list(TASK_MIX)
        self._task_weights = [TASK_MIX[t] for t in self._tasks]

    def advance(self, until: float, rate: Callable[[float], float]) -> list[dict]:
        """Outputs with ``self.t < ts <= until`` (Poisson arrivals at ``rate(ts)``
        per second) followed by every feedback event due by ``until``."""
        out: list[dict] = []
        rng = self.rng
        while True:
            gap = rng.expovariate(max(rate(self.t), 1e-9))
            if self.t + gap > until:
                # memoryless: restarting the gap at `until` keeps the process Poisson
                self.t = until
                break
            self.t += gap
            out.append(self._output(self.t))
        while self._feedback and self._feedback[0][0] <= until:
            out.append(heapq.heappop(self._feedback)[2])
        return out

    def skip_to(self, ts: float) -> None:
        """Move the clock to ``ts`` without generating traffic in between."""
        self.t = max(self.t, ts)

    # -- one output -------------------------------------------------------
    def _prompt_version(self, task: str, ts: float) -> str:
        if (
            task == NEW_PROMPT[0]
            and self.prompt_change_at is not None
            and ts >= self.prompt_change_at
        ):
            return NEW_PROMPT[1]
        return PROMPT_VERSIONS[task]

    def rolled_out(self, ts: float) -> bool:
        return self.rollout_at is not None and ts >= self.rollout_at

    def _pick_model(self, ts: float) -> str:
        rng = self.rng
        if self.rolled_out(ts):
            share = self.candidate_share
        elif (self.canary_from is not None and ts >= self.canary_from
              and (self.canary_until is None or ts < self.canary_until)):
            share = self.canary_share
        else:
            share = 0.0
        if share and rng.random() < share:
            return CANDIDATE
        return rng.choices(self._models, self._weights)[0]

    def _pick_flaw(self, model: str, task: str, ts: float) -> str | None:
        flaws = CANDIDATE_FLAWS.get(task) if model == CANDIDATE and self.rolled_out(ts) else None
        scale = 1.0 if flaws else MODEL_QUALITY[model]
        u = self.rng.random()
        for flaw, p in flaws or FLAWS[task]:
            if u < p * scale:
                return flaw
            u -= p * scale
        return None

    def _output(self, ts: float) -> dict:
        rng = self.rng
        self.count += 1
        model = self._pick_model(ts)
        provider = CANDIDATE_PROVIDER if model == CANDIDATE else INCUMBENTS[model][0]
        task = rng.choices(self._tasks, self._task_weights)[0]
        user, facts = demo_text.prompt(task, rng)
        system = demo_text.SYSTEM[task]
        flaw = self._pick_flaw(model, task, ts)
        tier = rng.choices(TIERS, (0.5, 0.35, 0.15))[0]
        tags = ["prod", tier] + (["beta"] if rng.random() < 0.05 else [])
        if model == CANDIDATE:
            tags.append("rollout" if self.rolled_out(ts) else "canary")
        rec: dict = {
            "id": f"{self.run_id}-{self.count:07d}",
            "ts": iso(ts),
            "model": model,
            "provider": provider,
            "task": task,
            "prompt_version": self._prompt_version(task, ts),
            "variant": "",
            "input": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "tags": tags,
            "metadata": {
                "customer_tier": tier,
                "region": rng.choice(REGIONS),
                "session_id": f"s-{rng.getrandbits(40):010x}",
            },
        }
        if task == "support_answer":  # an A/B test of two reply styles
            rec["variant"] = "short" if rng.random() < 0.5 else "control"
        if rng.random() < ERROR_RATE:
            rec["output"] = ""
            rec["error"] = rng.choice([
                "rate_limit_exceeded: Rate limit reached for requests",
                "upstream timeout after 30s",
                "overloaded_error: Overloaded",
            ])
            rec["latency_ms"] = round(rng.uniform(5000, 30000), 1)
            return rec
        text = demo_text.answer(task, facts, rng, flaw=flaw)
        rec["output"] = text
        latency = MEDIAN_LATENCY_MS[model] * math.exp(rng.gauss(0, 0.35)) * (1 + len(text) / 1500)
        if rng.random() < SLOW_RATE:
            latency = rng.uniform(4500, 9000)
        rec["latency_ms"] = round(latency, 1)
        if rng.random() >= NO_USAGE.get(model, 0.03):
            rec["usage"] = self._usage(model, system, user, text)
        if provider == "openai":
            rec["logprobs"] = self._logprobs(flaw is not None)
        self._schedule_feedback(rec, ts, task, flaw)
        return rec

    def _usage(self, model: str, system: str, user: str, text: str) -> dict:
        rng = self.rng
        inp = (len(system) + len(user)) // 4 + 8
        usage = {"input_tokens": inp, "output_tokens": max(1, len(text) // 4)}
        if rng.random() < 0.3:  # the system prompt came from the provider's cache
            usage["cached_input_tokens"] = min(inp, len(system) // 4)
        return usage

    def _logprobs(self, flawed: bool) -> list[float]:
        rng = self.rng
        unsure = rng.random() < (0.35 if flawed else 0.05)
        centre = -1.1 if unsure else -0.06
        return [
            round(min(0.0, rng.gauss(centre, 0.05 if not unsure else 0.4)), 4) for _ in range(8)
        ]

    def _schedule_feedback(self, rec: dict, ts: float, task: str, flaw: str | None) -> None:
        rng = self.rng
        events: list[tuple[str, object]] = []
        if task in ("support_answer", "extract_contact", "sql_generation") and rng.random() < 0.35:
            ok = (flaw is None) != (rng.random() < 0.1)
            events.append(("task_completed", ok))
        if task == "support_answer" and rng.random() < 0.15:
            events.append(("thumbs", flaw is None or rng.random() < 0.2))
        if task != "support_answer" and rng.random() < (0.4 if flaw else 0.02):
            events.append(("user_corrected", True))
        for name, value in events:
            fts = ts + rng.uniform(3, 90)
            self._fb_seq += 1
            fb = {"type": "feedback", "id": f"{rec['id']}-{name}", "output_id": rec["id"],
                  "ts": iso(fts), "name": name, "value": value}
            heapq.heappush(self._feedback, (fts, self._fb_seq, fb))
