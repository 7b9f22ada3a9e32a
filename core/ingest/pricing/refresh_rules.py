"""The decisions behind the built-in price table, as data (read by ``refresh.py``).

Every choice a refresh makes that is not a plain unit conversion lives here,
with its reason, so a reviewer reads the policy without reading the code and
a change of policy is a change of data. docs/pricing.md ("Where each built-in
rate comes from") explains the same rules for users.
"""

from __future__ import annotations

import re

# LiteLLM's ``litellm_provider`` -> (our provider name, the prefix its keys carry).
# Only first-party entries: the same model resold by Bedrock, Vertex, Azure,
# OpenRouter... has other prices and other rules. OpenAI and Anthropic keys
# are bare (``gpt-4o``); the others are prefixed (``gemini/gemini-2.5-pro``).
PROVIDERS: dict[str, tuple[str, str]] = {
    "openai": ("openai", ""),
    "anthropic": ("anthropic", ""),
    "gemini": ("google", "gemini/"),
    "mistral": ("mistral", "mistral/"),
    "deepseek": ("deepseek", "deepseek/"),
    "xai": ("xai", "xai/"),
}

# Only text models billed per token: LiteLLM's ``mode`` of chat and Responses API models.
MODES = ("chat", "responses")

# Models left out although first-party and billed per token, matched (re.search)
# against the name without its provider prefix. Each has a reason the table
# cannot price it right with the six billing buckets.
LEFT_OUT: tuple[tuple[str, str], ...] = (
    (r"^ft:", "fine-tuned: each customer's own model and price"),
    (r"audio|tts|transcribe|realtime|voxtral|omni",
     "audio and speech: audio tokens are priced apart, the buckets here are text"),
    (r"image|lyria|vision-exp", "image and music generation, experimental vision"),
    (r"search|deep-research|computer-use|container|customtools",
     "tools and agents billed per call or per session on top of tokens"),
    (r"gemma|learnlm|gemini-exp|robotics",
     "Google's open-weight, experimental and robotics models: no stable list price"),
    (r"zai-|glm|deepseek-v4-1|mamba|leanstral",
     "third-party or lab models hosted by Mistral: not Mistral's own price list"),
    (r"vibe-cli|fim|mistral-code-|mistral-tiny",
     "IDE and completion products, and a deprecated alias (mistral-tiny)"),
    (r"daybreak|^chat-latest", "unreleased codenames and a floating ChatGPT alias"),
)
LEFT_OUT_RE = re.compile("|".join(p for p, _why in LEFT_OUT))

# LiteLLM per-token key stem -> our per-Mtok key stem (the grammar of the keys,
# with their ``_above_<N>k_tokens`` tier and ``_batches|_flex|_priority`` mode,
# is ``sources.LITELLM_KEY``, the one the runtime reads a LiteLLM file with).
STEMS = {
    "input_cost_per_token": "input",
    "cache_read_input_token_cost": "cached_input",
    "cache_creation_input_token_cost": "cache_write",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
    "output_cost_per_token": "output",
    "output_cost_per_reasoning_token": "reasoning",
}
# Other spellings of a rate the file also gives under its usual key: not
# reported as unpriced while both hold the same value.
SAME_AS = {"input_cost_per_token_cache_hit": "cache_read_input_token_cost"}  # DeepSeek
MODE_NAMES = {"batches": "batch", "flex": "flex", "priority": "priority"}

# Generic aliases whose snapshot-peeled name would be another model's: the
# group ``gemini-pro`` holds only ``gemini-pro-latest`` (Google moves it from
# model to model), ``claude-mythos`` only ``claude-mythos-preview``. Keyed by
# the peeled name, they would price every ``gemini-pro*`` log at today's
# target's rates; they keep their own full name instead.
KEEP_FULL_NAME = ("gemini-pro", "gemini-flash", "gemini-flash-lite", "claude-mythos")

# Tiers the provider documents and the file lacks: added only while the
# file's entry has no tier of its own (a later file that has one wins).
ADDED_TIERS: dict[str, tuple[dict, str]] = {
    "claude-sonnet-4-5": (
        {"above_input_tokens": 200000, "input_per_mtok": 6, "cached_input_per_mtok": 0.6,
         "cache_write_per_mtok": 7.5, "cache_write_1h_per_mtok": 12, "output_per_mtok": 22.5},
        "long-context tier (above 200k prompt tokens: 2x input, 1.5x output, cache rates"
        " scaled) kept from the previous table: Anthropic documents it for Sonnet 4.5 with"
        " the 1M context window, the file has none",
    ),
}

# Entries without batch rates whose dated snapshot in the same file is the same
# model at the same standard rates and has them: the snapshot's batch rates are
# copied (only while the standard rates are equal; a refresh warns otherwise).
BATCH_FROM_SNAPSHOT = {
    "gpt-4": "gpt-4-0613",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
}

# A cache write priced at $0, or below the cache read of the same rates, is no
# price per token written (DeepSeek lists 0 for a cache it fills for free and
# bills the prompt token as input; old tables held a $0 OpenAI write and a
# Gemini storage price). It is left out, so such a write takes the input-rate
# fallback, flagged, instead of being priced free. The reason named in the ref:
WRITE_LEFT_OUT_WHY = {
    "deepseek": "a prompt token DeepSeek does not read from cache is billed as input, never $0",
    "openai": "OpenAI bills a prompt token it does not read from cache at the input rate",
    "google": "below its cache read: a storage price read as a token price",
}
WRITE_LEFT_OUT_DEFAULT = "below its cache read: not a price per token written"

# Retired models (in the previous table, no longer in the file) keep their last
# price so older logs stay priced; their ref starts with this word, and an entry
# already retired by an earlier refresh is carried over unchanged.
RETIRED = "retired"

# Key order in the written table: provider, the rates (standard, then each mode,
# each in bucket order), tiers, ref; inside a tier the same, then its threshold.
_BUCKET_ORDER = ("input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning")
KEY_ORDER = ("provider",
             *(f"{m}{s}_per_mtok" for m in ("", "batch_", "flex_", "priority_")
               for s in _BUCKET_ORDER),
             "tiers", "ref")
