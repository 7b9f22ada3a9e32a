"""Candidate wire formats: request bodies and reply parsing (token accounting)."""

from __future__ import annotations

import pytest

from evaltop.core.model.config import CandidateModel
from evaltop.core.rollout.candidates import build_request, messages_of, parse_reply


def test_openai_usage_keeps_cached_and_reasoning_as_subsets():
    text, usage, finish = parse_reply("openai", {
        "choices": [{"message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 40,
                  "prompt_tokens_details": {"cached_tokens": 100},
                  "completion_tokens_details": {"reasoning_tokens": 30}}})
    assert (text, finish) == ("hi", "stop")
    assert (
        usage.input_tokens,
        usage.cached_input_tokens,
        usage.output_tokens,
        usage.reasoning_tokens,
    ) == (120, 100, 40, 30)
    assert usage.estimated is False


def test_openai_refusal_and_missing_usage():
    text, usage, finish = parse_reply("openai", {
        "choices": [{"message": {"content": None, "refusal": "I can't help with that."},
                     "finish_reason": "stop"}]})
    assert text == "I can't help with that." and usage is None


def test_anthropic_input_adds_cache_reads_and_writes():
    text, usage, finish = parse_reply("anthropic", {
        "content": [{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "a"},
                    {"type": "text", "text": "b"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 4, "cache_read_input_tokens": 50,
                  "cache_creation_input_tokens": None}})
    assert text == "ab" and finish == "end_turn"
    assert (usage.input_tokens, usage.cached_input_tokens, usage.cache_write_tokens) == (60, 50, 0)


@pytest.mark.parametrize(("provider", "body", "msg"), [
    ("openai", [], "not a JSON object"),
    ("openai", {"choices": []}, "no choices"),
    ("anthropic", {"content": "x"}, "no content"),
])
def test_malformed_replies_raise(provider, body, msg):
    with pytest.raises(ValueError, match=msg):
        parse_reply(provider, body)


def test_request_bodies_per_provider():
    msgs = messages_of([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    oa = CandidateModel(
        provider="openai", base_url="http://h/v1/", model="m", params={"temperature": 0}
    )
    url, headers, body = build_request(oa, msgs, "k")
    assert url == "http://h/v1/chat/completions" and headers == {"Authorization": "Bearer k"}
    assert body == {"model": "m", "messages": msgs, "max_tokens": 1024, "temperature": 0}
    an = CandidateModel(provider="anthropic", base_url="http://h", model="c", max_output_tokens=9)
    url, headers, body = build_request(an, msgs, None)
    assert url == "http://h/v1/messages" and "x-api-key" not in headers
    assert body == {
        "model": "c",
        "max_tokens": 9,
        "messages": [{"role": "user", "content": "U"}],
        "system": "S",
    }
    assert messages_of("plain") == [{"role": "user", "content": "plain"}]
