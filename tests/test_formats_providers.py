"""Provider names are canonical whatever a log calls them."""

from __future__ import annotations

import pytest

from evaltop.core.ingest.formats.providers import provider_name


@pytest.mark.parametrize(
    "raw, model, expected",
    [
        ("OpenAI", "", "openai"),
        ("gcp.vertex_ai", "", "google"),
        ("vertex_ai", "gemini-2.5-pro", "google"),
        ("mistral_ai", "", "mistral"),
        ("aws.bedrock", "anthropic.claude-3-haiku", "aws"),
        ("az.ai.openai", "gpt-4o", "azure"),
        ("my-gateway", "gpt-4o", "my-gateway"),  # unknown names are kept
        (None, "claude-sonnet-4-5-20250929", "anthropic"),
        ("", "openrouter/openai/o3-mini", "openai"),
        (None, "gemini-2.5-flash", "google"),
        (None, "codestral-latest", "mistral"),
        (None, "llama-3.1-8b", ""),  # unknown family: no guess
        (7, "gpt-4.1", "openai"),  # a non-string provider is ignored
    ],
)
def test_provider_name(raw, model, expected):
    assert provider_name(raw, model) == expected
