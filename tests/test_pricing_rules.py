"""Every billing rule, from real response shapes of each provider, with the
expected cost computed by hand (tokens x USD per Mtok, in the comments) from
the built-in table's rates (docs/pricing.md lists them)."""

from __future__ import annotations

from pricing_helpers import (
    BOOK,
    anthropic_message,
    openai_chat,
    otel_line,
    row,
    usd,
)

from evaltop.core.ingest.pricing import explain

# --- cache writes by TTL (Anthropic) -----------------------------------------

SPLIT_USAGE = {
    "input_tokens": 50, "cache_creation_input_tokens": 3000, "cache_read_input_tokens": 10000,
    "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 2000},
    "output_tokens": 400, "service_tier": "standard",
}


def test_one_hour_cache_writes_are_priced_at_their_own_rate():
    r = row(anthropic_message("claude-sonnet-4-5-20250929", SPLIT_USAGE), "anthropic")
    # 50 x $3 + 10,000 x $0.30 + 1,000 x $3.75 (5 min) + 2,000 x $6 (1 h) + 400 x $15
    assert r["cost_pusd"] == usd(150 + 3000 + 3750 + 12000 + 6000)
    assert (r["cache_write_tokens"], r["cache_write_1h_tokens"]) == (3000, 2000)
    assert r["input_tokens"] == 13050 and r["price_entry"] == "claude-sonnet-4-5"
    assert r["price_fallback"] is None and r["service_tier"] == "standard"


def test_a_log_with_only_the_total_is_priced_at_the_5_minute_rate_and_says_so():
    u = {k: v for k, v in SPLIT_USAGE.items() if k != "cache_creation"}
    r = row(anthropic_message("claude-sonnet-4-5", u), "anthropic")
    # every write at $3.75: 50 x 3 + 10,000 x 0.3 + 3,000 x 3.75 + 400 x 15
    assert r["cost_pusd"] == usd(150 + 3000 + 11250 + 6000)
    assert r["cache_write_1h_tokens"] is None
    assert "TTL not reported" in r["price_fallback"]


def test_a_split_without_1h_writes_is_known_not_a_fallback():
    u = dict(SPLIT_USAGE, cache_creation_input_tokens=1000,
             cache_creation={"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 0})
    r = row(anthropic_message("claude-sonnet-4-5", u), "anthropic")
    assert r["cache_write_1h_tokens"] == 0 and r["price_fallback"] is None
    assert r["cost_pusd"] == usd(150 + 3000 + 3750 + 6000)


# --- long-context tiers ------------------------------------------------------

def test_the_whole_request_moves_to_the_long_context_tier_cached_tokens_counted():
    # 150,000 uncached + 60,000 cache reads = 210,000 > 200,000: the tier applies
    u = {"input_tokens": 150_000, "cache_read_input_tokens": 60_000,
         "cache_creation_input_tokens": 0, "output_tokens": 1000}
    r = row(anthropic_message("claude-sonnet-4-5", u), "anthropic")
    # 150,000 x $6 + 60,000 x $0.60 + 1,000 x $22.50
    assert r["cost_pusd"] == usd(900_000 + 36_000 + 22_500)
    bd = explain(r, BOOK)
    assert bd.total_pusd == r["cost_pusd"]
    assert any("above 200,000" in rule for rule in bd.rules)


def test_a_prompt_of_exactly_the_threshold_stays_in_the_base_tier():
    u = {"input_tokens": 200_000, "output_tokens": 10}
    r = row(anthropic_message("claude-sonnet-4-5", u), "anthropic")
    assert r["cost_pusd"] == usd(200_000 * 3 + 10 * 15)


def test_one_hour_writes_in_the_long_context_tier():
    u = {"input_tokens": 190_000, "cache_creation_input_tokens": 20_000,
         "cache_creation": {"ephemeral_1h_input_tokens": 20_000}, "output_tokens": 0}
    r = row(anthropic_message("claude-sonnet-4-5", u), "anthropic")
    # 190,000 x $6 + 20,000 x $12 (the tier's 1-hour write)
    assert r["cost_pusd"] == usd(1_140_000 + 240_000)


def test_gemini_long_context_from_an_otel_span():
    span = otel_line({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": "gemini-2.5-pro", "gen_ai.usage.input_tokens": 250_000,
        "gen_ai.usage.cache_read.input_tokens": 50_000, "gen_ai.usage.output_tokens": 2000,
    })
    r = row(span, "otel")
    # above 200k: 200,000 x $2.50 + 50,000 x $0.25 + 2,000 x $15
    assert r["cost_pusd"] == usd(500_000 + 12_500 + 30_000)


# --- batch -------------------------------------------------------------------

def test_openai_batch_output_lines_are_priced_at_batch_rates():
    line = {"id": "batch_req_1", "custom_id": "task-1", "error": None, "response": {
        "status_code": 200, "request_id": "req_1",
        "body": openai_chat("gpt-4o-mini-2024-07-18", {
            "prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200,
            "prompt_tokens_details": {"cached_tokens": 400}})}}
    r = row(line, "openai")
    # batch: 600 x $0.075 + 400 x $0.0375 (cache read at the batch ratio) + 200 x $0.30
    assert r["batch"] == 1 and r["cost_pusd"] == usd("45") + usd("15") + usd("60")
    assert r["price_fallback"] is None


def test_anthropic_batch_results_are_priced_at_batch_rates():
    line = {"custom_id": "req-1", "result": {"type": "succeeded", "message": anthropic_message(
        "claude-haiku-4-5", {"input_tokens": 100, "cache_read_input_tokens": 1000,
                             "cache_creation_input_tokens": 0, "output_tokens": 200,
                             "service_tier": "batch"})}}
    r = row(line, "anthropic")
    # 100 x $0.50 + 1,000 x $0.05 + 200 x $2.50
    assert r["batch"] == 1 and r["cost_pusd"] == usd(50 + 50 + 500)


def test_a_native_batch_record_without_batch_rates_is_an_upper_bound_flagged():
    obj = {"id": "n1", "ts": 1767225600, "model": "deepseek-chat", "batch": True,
           "usage": {"input_tokens": 1000, "output_tokens": 100}}
    r = row(obj, "native")
    assert r["cost_pusd"] == usd("280") + usd("42")  # standard: 1,000 x 0.28 + 100 x 0.42
    assert "no batch rates" in r["price_fallback"]


# --- service tier and reasoning (OpenAI) -------------------------------------

O3_USAGE = {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 200},
            "completion_tokens_details": {"reasoning_tokens": 300}}


def test_flex_and_priority_chat_completions_and_reasoning_counted_once():
    flex = row(openai_chat("o3-2025-04-16", O3_USAGE, service_tier="flex"), "openai")
    # 800 x $1 + 200 x $0.25 + 500 x $4 (the 300 reasoning tokens are inside the 500)
    assert flex["cost_pusd"] == usd(800 + 50 + 2000) and flex["service_tier"] == "flex"
    prio = row(openai_chat("o3", O3_USAGE, service_tier="priority", cid="c2"), "openai")
    # 800 x $3.50 + 200 x $0.875 + 500 x $14
    assert prio["cost_pusd"] == usd(2800 + 175 + 7000)
    std = row(openai_chat("o3", O3_USAGE, service_tier="default", cid="c3"), "openai")
    assert std["cost_pusd"] == usd(1600 + 100 + 4000)


def test_responses_api_priority():
    resp = {"id": "resp_1", "object": "response", "created_at": 1767225600, "status": "completed",
            "model": "gpt-5-2025-08-07", "service_tier": "priority",
            "output": [{"type": "reasoning", "summary": []},
                       {"type": "message", "role": "assistant",
                        "content": [{"type": "output_text", "text": "ok"}]}],
            "usage": {"input_tokens": 2000, "input_tokens_details": {"cached_tokens": 1000},
                      "output_tokens": 1000, "output_tokens_details": {"reasoning_tokens": 600},
                      "total_tokens": 3000}}
    r = row(resp, "openai")
    # 1,000 x $2.50 + 1,000 x $0.25 + 1,000 x $20
    assert r["cost_pusd"] == usd(2500 + 250 + 20_000)


def test_priority_without_priority_rates_stays_unpriced_never_zero():
    r = row(openai_chat("o3-mini", O3_USAGE, service_tier="priority"), "openai")
    assert r["cost_pusd"] is None and r["cost_source"] is None
    assert "no priority rates" in r["price_fallback"]


def test_an_own_reasoning_rate_applies_to_reasoning_tokens_only():
    from evaltop.core.ingest.pricing import PriceBook, price_from_mtok
    book = PriceBook({"thinker": price_from_mtok("thinker", {
        "input_per_mtok": 1, "output_per_mtok": 4, "reasoning_per_mtok": 10},
        source="config", where="t")})
    r = row({"id": "n", "ts": 1767225600, "model": "thinker",
             "usage": {"input_tokens": 10, "output_tokens": 100, "reasoning_tokens": 60}},
            "native", book)
    assert r["cost_pusd"] == usd(10 + 40 * 4 + 60 * 10)


# --- OTel spans --------------------------------------------------------------

def test_otel_span_with_ttl_split_service_tier_and_batch():
    span = otel_line({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-opus-4-5", "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.cache_creation.input_tokens": 600,
        "gen_ai.usage.cache_creation.ephemeral_1h_input_tokens": 400,
        "gen_ai.usage.output_tokens": 100, "evaltop.batch": True,
    })
    r = row(span, "otel")
    assert (r["cache_write_tokens"], r["cache_write_1h_tokens"], r["batch"]) == (600, 400, 1)
    # batch = half of every rate: 400 x $2.50 + 200 x $3.125 + 400 x $5 + 100 x $12.50
    assert r["cost_pusd"] == usd(1000) + usd("625") + usd(2000) + usd(1250)
    tiered = row(otel_line({"gen_ai.operation.name": "chat", "gen_ai.request.model": "o4-mini",
                            "openai.response.service_tier": "flex",
                            "gen_ai.usage.input_tokens": 1000,
                            "gen_ai.usage.output_tokens": 10}), "otel")
    assert tiered["service_tier"] == "flex" and tiered["cost_pusd"] == usd(550) + usd(22)


# --- gateways: LiteLLM and Langfuse keep the split and the tier too ----------

def test_litellm_log_without_a_reported_cost_keeps_split_and_service_tier():
    line = {"id": "ll-1", "call_type": "acompletion", "status": "success",
            "startTime": 1767225600.0, "endTime": 1767225601.0,
            "model": "claude-sonnet-4-5-20250929", "custom_llm_provider": "anthropic",
            "prompt_tokens": 3050, "completion_tokens": 400, "total_tokens": 3450,
            "messages": [{"role": "user", "content": "hi"}],
            "response": {"id": "chatcmpl-x", "object": "chat.completion", "created": 1767225600,
                         "model": "claude-sonnet-4-5-20250929",
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": "ok"}}],
                         "usage": {"prompt_tokens": 3050, "completion_tokens": 400,
                                   "cache_creation_input_tokens": 3000,
                                   "cache_creation_token_details": {
                                       "ephemeral_5m_input_tokens": 1000,
                                       "ephemeral_1h_input_tokens": 2000}}}}
    r = row(line, "litellm")
    # 50 x $3 + 1,000 x $3.75 + 2,000 x $6 + 400 x $15
    assert r["cache_write_1h_tokens"] == 2000
    assert r["cost_pusd"] == usd(150 + 3750 + 12_000 + 6000)
    flex = dict(line, id="ll-2", model="o3", response=dict(
        line["response"], model="o3", service_tier="flex",
        usage={"prompt_tokens": 3050, "completion_tokens": 400}))
    assert row(flex, "litellm")["service_tier"] == "flex"


def test_langfuse_usage_details_with_a_ttl_split():
    trace = {"id": "t1", "timestamp": "2026-01-01T00:00:00Z", "observations": [{
        "id": "g1", "traceId": "t1", "type": "GENERATION", "name": "gen",
        "startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-01T00:00:01Z",
        "model": "claude-sonnet-4-5", "input": "q", "output": "a",
        "usageDetails": {"input": 50, "input_cache_creation_5m": 1000,
                         "input_cache_creation_1h": 2000, "output": 400}}]}
    r = row(trace, "langfuse")
    assert (r["cache_write_tokens"], r["cache_write_1h_tokens"]) == (3000, 2000)
    assert r["cost_pusd"] == usd(150 + 3750 + 12_000 + 6000)
