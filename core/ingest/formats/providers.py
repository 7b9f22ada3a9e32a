"""Provider names: one canonical name per provider, whatever the log calls it."""

from __future__ import annotations

from typing import Any

_PROVIDERS = {
    "openai": "openai",
    "azure": "azure",
    "azure_ai": "azure",
    "azure.ai.openai": "azure",
    "az.ai.openai": "azure",
    "az.ai.inference": "azure",
    "anthropic": "anthropic",
    "gemini": "google",
    "google": "google",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "mistral": "mistral",
    "mistral_ai": "mistral",
    "mistralai": "mistral",
    "cohere": "cohere",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "xai",
    "x_ai": "xai",
    "perplexity": "perplexity",
    "bedrock": "aws",
    "aws.bedrock": "aws",
    "ollama": "ollama",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "openrouter": "openrouter",
    "ibm.watsonx.ai": "ibm",
    "watsonx": "ibm",
}

_MODEL_PREFIXES = (
    ("gpt-", "openai"),
    ("chatgpt", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-davinci", "openai"),
    ("claude", "anthropic"),
    ("gemini", "google"),
    ("gemma", "google"),
    ("mistral", "mistral"),
    ("mixtral", "mistral"),
    ("codestral", "mistral"),
    ("ministral", "mistral"),
    ("magistral", "mistral"),
    ("pixtral", "mistral"),
    ("command", "cohere"),
    ("deepseek", "deepseek"),
    ("grok", "xai"),
)


def provider_name(raw: Any, model: str = "") -> str:
    """Canonical provider (openai, anthropic, google, mistral, ...).

    Known aliases map to one name; unknown names are kept lower-cased; with no
    name the model's family decides (``claude-*`` is anthropic), else ``""``.
    """
    if isinstance(raw, str) and raw.strip():
        key = raw.strip().lower()
        return _PROVIDERS.get(key, key)
    name = model.lower().rsplit("/", 1)[-1]
    for prefix, provider in _MODEL_PREFIXES:
        if name.startswith(prefix):
            return provider
    return ""
