"""The synthetic traffic bench/gen.py generates: its models (with traffic
share, pass rate, latency and reasoning share), tasks, words and prices, the
generator's parameters (``Gen``) and the random helpers the tables are drawn
with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from evaltop.core.model.money import per_mtok_to_pusd_per_token

MODELS = [
    ("gpt-4o-mini", "openai", 22, 0.86, 900, 0.0),
    ("gpt-4o", "openai", 6, 0.91, 1800, 0.0),
    ("gpt-4.1-mini", "openai", 10, 0.89, 1100, 0.0),
    ("gpt-4.1-nano", "openai", 8, 0.82, 500, 0.0),
    ("o4-mini", "openai", 4, 0.92, 4200, 0.6),
    ("claude-haiku-4-5", "anthropic", 14, 0.88, 1300, 0.0),
    ("claude-sonnet-4-5", "anthropic", 6, 0.93, 2600, 0.0),
    ("gemini-2.5-flash", "google", 12, 0.85, 800, 0.0),
    ("gemini-2.5-pro", "google", 3, 0.92, 3000, 0.3),
    ("mistral-small", "mistral", 6, 0.80, 700, 0.0),
    ("mistral-large", "mistral", 3, 0.88, 1900, 0.0),
    ("acme-llama-8b-ft", "self-hosted", 6, 0.78, 400, 0.0),  # no price: shows as unpriced
]
TASKS = [
    "support_answer", "extract_contact", "extract_invoice", "summarize_ticket", "classify_ticket",
    "sql_generation", "translate_de", "translate_fr", "rewrite_tone", "email_draft", "faq_lookup",
    "code_review", "code_explain", "title_suggest", "tag_suggest", "sentiment", "intent_detect",
    "meeting_notes", "release_notes", "product_description", "search_rerank", "query_rewrite",
    "pii_check", "moderation", "address_normalize", "invoice_match", "contract_clause",
    "resume_screen", "chat_smalltalk", "agent_plan",
]
JSON_TASKS = {
    "extract_contact",
    "extract_invoice",
    "intent_detect",
    "address_normalize",
    "agent_plan",
}
AB_TASKS = {"support_answer", "email_draft", "rewrite_tone"}
REGRESSED = ("extract_invoice", "gpt-4.1-nano")
JUDGE_MODEL = "claude-haiku-4-5"
FEEDBACK_NAMES = ("task_completed", "thumbs", "user_corrected", "error")
WORDS = (
    "account invoice refund order shipping customer contract renewal plan seat upgrade login "
    "password export report dashboard latency error timeout webhook payment card address "
    "company email meeting summary ticket priority bug feature request translation tone draft "
    "release notes schema query table join filter total average monthly weekly region team "
    "onboarding policy clause discount quote delivery warehouse tracking status escalation"
).split()
NOT_JSON = "Sure! Here is what I found: the total is 420 EUR."


@dataclass
class Gen:
    outputs: int
    days: float
    seed: int
    end: float
    judged: float = 0.10
    feedback: float = 0.02



def model_prices(names) -> dict[str, tuple[int, int, int] | None]:
    """pusd per token (input, cached input, output) per model from the built-in
    price table; None for a model it does not list (unpriced)."""
    from importlib.resources import files

    table = orjson.loads(files("evaltop.core.data").joinpath("prices.json").read_bytes())["models"]
    out: dict[str, tuple[int, int, int] | None] = {}
    for name in names:
        p = table.get(name)
        rates = (
            None
            if p is None
            else (
                p["input_per_mtok"],
                p.get("cached_input_per_mtok", p["input_per_mtok"]),
                p["output_per_mtok"],
            )
        )
        out[name] = (
            None if rates is None else tuple(int(per_mtok_to_pusd_per_token(str(x))) for x in rates)
        )
    return out


def text_pool(rng: np.random.Generator, task: str, n: int, lo: int, hi: int) -> list[str]:
    words = np.array(WORDS)
    out = []
    for i in range(n):
        k = int(rng.integers(lo, hi))
        body = " ".join(words[rng.integers(0, len(words), k)])
        out.append(f"[{task}] request {i}: {body}")
    return out


def weighted_choice(rng, n, weights, size):
    w = np.asarray(weights, dtype=float)
    return rng.choice(n, size=size, p=w / w.sum())

