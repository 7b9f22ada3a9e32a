"""LLM judges against the real loopback server: replies, faults, retries, costs."""

from __future__ import annotations

import email.utils
import time

import pytest
from judge_helpers import JUDGE_MODEL, cost, llm_judge, rows, seed
from loopback_server import LoopbackLLM

from evaltop.core.model.config import ConfigError
from evaltop.core.scoring.judges.retry import parse_retry_after
from evaltop.core.scoring.judges.runner import score_pending


@pytest.fixture
def llm():
    with LoopbackLLM() as server:
        yield server


def _cfg(make_config, llm, provider="openai", **kw):
    base = llm.openai_base_url if provider == "openai" else llm.anthropic_base_url
    return make_config({"judges": [llm_judge(base, provider=provider, **kw)]})


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_good_reply_scores_and_exact_cost(make_config, conn, db_path, llm, provider, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY_FOR_TEST", "sk-test-secret-123")
    llm.set_mode("good", usage=(1000, 50))
    cfg = _cfg(make_config, llm, provider, api_key_env="JUDGE_KEY_FOR_TEST")
    seed(conn, 3, output=["PLANT_SCORE=5 great", "PLANT_SCORE=2 poor", "plain"])
    s = score_pending(cfg, db_path)
    assert (s.sampled, s.judged, s.passed, s.failed, s.errors, s.calls, s.retries) == (
        3,
        3,
        2,
        1,
        0,
        3,
        0,
    )
    assert s.cost_pusd == 3 * cost(1000, 50)
    got = {
        r["output_id"]: (r["score"], r["passed"], r["status"])
        for r in rows(conn, "SELECT * FROM scores")
    }
    assert got == {"o0": (5.0, 1, "ok"), "o1": (2.0, 0, "ok"), "o2": (4.0, 1, "ok")}
    calls = rows(conn, "SELECT * FROM judge_calls")
    assert {(c["status"], c["attempts"], c["input_tokens"], c["output_tokens"], c["cost_pusd"],
             c["cost_known"], c["usage_estimated"], c["model"]) for c in calls} == {
        ("ok", 1, 1000, 50, cost(1000, 50), 1, 0, JUDGE_MODEL)}
    assert rows(conn, "SELECT DISTINCT status FROM samples") == [{"status": "done"}]
    ledger = rows(conn, "SELECT state, amount_pusd FROM ledger")
    assert ledger == [{"state": "settled", "amount_pusd": cost(1000, 50)}] * 3
    req = llm.requests[0]
    if provider == "openai":
        assert req["path"] == "/v1/chat/completions"
        assert req["headers"]["authorization"] == "Bearer sk-test-secret-123"
        assert req["json"]["response_format"]["type"] == "json_schema"
        assert req["json"]["max_tokens"] == 100
    else:
        assert req["path"] == "/v1/messages"
        assert req["headers"]["x-api-key"] == "sk-test-secret-123"
        assert req["headers"]["anthropic-version"] == "2023-06-01"
        assert req["json"]["max_tokens"] == 100 and "You are an evaluator" in req["json"]["system"]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"sk-test-secret-123" not in db_path.read_bytes()
    # judged once: a second run finds nothing pending and sends nothing
    n = len(llm.requests)
    assert score_pending(cfg, db_path).sampled == 0 and len(llm.requests) == n


def test_usage_missing_is_counted_and_marked_estimated(make_config, conn, db_path, llm):
    llm.set_mode("good", usage=None)
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm), db_path)
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert call["usage_estimated"] == 1 and call["input_tokens"] > 100 and call["output_tokens"] > 5
    assert call["cost_pusd"] == cost(call["input_tokens"], call["output_tokens"]) == s.cost_pusd


@pytest.mark.parametrize("header", ["0", "garbage-value", "HTTP-DATE"])
def test_429_retry_after_then_good(make_config, conn, db_path, llm, header):
    if header == "HTTP-DATE":
        header = email.utils.formatdate(time.time() - 5, usegmt=True)
    llm.set_mode("retry_after", retry_after=header, times=2, usage=(10, 10))
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm), db_path)
    assert (s.judged, s.calls, s.retries, s.errors) == (1, 1, 2, 0)
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert (call["status"], call["attempts"], call["cost_pusd"]) == ("ok", 3, cost(10, 10))
    assert llm.count() == 3


def test_retry_after_values_are_parsed_and_capped():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("99999") == 60.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after("") is None
    assert parse_retry_after("nan") is None
    future = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after(future, now=1_000_000) == 30.0
    assert (
        parse_retry_after(email.utils.formatdate(1_000_000 + 86400, usegmt=True), now=1_000_000)
        == 60.0
    )


def test_huge_retry_after_never_waits_past_the_deadline(make_config, conn, db_path, llm):
    llm.set_mode("retry_after", retry_after="99999", times=5)
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm, deadline_s=30), db_path)
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert call["status"] == "error" and call["attempts"] == 1
    assert "waiting 60.0s to retry would pass deadline_s=30" in call["error"]
    # an outage, not a verdict: the sample stays pending for a later run
    assert (s.deferred, s.errors) == (1, 0)
    assert rows(conn, "SELECT status FROM samples") == [{"status": "pending"}]
    assert rows(conn, "SELECT state, amount_pusd FROM ledger") == [
        {"state": "released", "amount_pusd": 0}
    ]


def test_500_retried_with_backoff_then_good(make_config, conn, db_path, llm):
    llm.set_mode("500", times=2, usage=(20, 5))
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm), db_path)
    assert (s.judged, s.retries) == (1, 2)
    assert rows(conn, "SELECT attempts, status FROM judge_calls") == [
        {"attempts": 3, "status": "ok"}
    ]


def test_500_forever_gives_up_then_error_for_good_after_three_series(
    make_config, conn, db_path, llm
):
    llm.set_mode("500")
    seed(conn, 1)
    cfg = _cfg(make_config, llm, max_retries=1)
    for _ in range(2):
        s = score_pending(cfg, db_path)
        assert s.deferred == 1 and not rows(conn, "SELECT * FROM scores")
    s = score_pending(cfg, db_path)
    assert s.errors == 1
    score = rows(conn, "SELECT * FROM scores")[0]
    assert score["status"] == "error" and score["passed"] is None
    assert "gave up after 2 attempts: HTTP 500" in score["error"]
    calls = rows(conn, "SELECT status, attempts, cost_pusd FROM judge_calls")
    assert calls == [{"status": "error", "attempts": 2, "cost_pusd": 0}] * 3
    assert llm.count() == 6


def test_529_overloaded_anthropic_retried(make_config, conn, db_path, llm):
    llm.set_mode("529", times=1, usage=(30, 3))
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm, "anthropic"), db_path)
    assert (s.judged, s.retries, s.cost_pusd) == (1, 1, cost(30, 3))


def test_slow_trickle_past_deadline_is_timeout_with_reserved_estimate(
    make_config, conn, db_path, llm
):
    llm.set_mode("slow_trickle", trickle_s=0.05)
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm, timeout_s=1, deadline_s=0.6), db_path)
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert call["status"] == "timeout" and call["cost_known"] == 0
    assert call["cost_pusd"] == 0 and call["unconfirmed_attempts"] == 1
    assert call["unconfirmed_pusd"] == call["reserved_pusd"] > 0
    assert "deadline_s=0.6 passed while waiting for the reply" in call["error"]
    ledger = rows(conn, "SELECT state, amount_pusd FROM ledger")
    assert ledger == [{"state": "settled", "amount_pusd": call["reserved_pusd"]}]
    assert s.deferred == 1 and s.cost_pusd == 0 and s.unconfirmed_pusd == call["reserved_pusd"]


@pytest.mark.parametrize("mode, kw, why", [
    ("invalid_json", {}, "schema: reply is not JSON"),
    ("schema_violation", {"variant": "off_scale"}, "schema: score 42 is outside the scale [1, 5]"),
    ("schema_violation", {"variant": "missing"}, "schema: reply has no 'score'"),
    ("schema_violation", {"variant": "string"}, "schema: 'score' must be a number"),
    ("schema_violation", {"variant": "no_reason"}, "schema: 'reason' must be a string"),
])
def test_bad_replies_are_errors_never_default_scores(
    make_config, conn, db_path, llm, mode, kw, why
):
    llm.set_mode(mode, usage=(100, 10), **kw)
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm), db_path)
    assert (s.judged, s.errors, s.passed, s.failed) == (0, 1, 0, 0)
    score = rows(conn, "SELECT * FROM scores")[0]
    assert score["status"] == "error" and score["score"] is None and score["passed"] is None
    assert score["error"].startswith(why)
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    # one more billed try, and both billed replies are paid for
    assert call["attempts"] == 2 and call["cost_pusd"] == 2 * cost(100, 10) == s.cost_pusd
    assert llm.count() == 2


def test_invalid_http_body_is_an_error_with_unknown_cost(make_config, conn, db_path, llm):
    llm.set_mode("invalid_json", body_invalid=True)
    seed(conn, 1)
    score_pending(_cfg(make_config, llm), db_path)
    call = rows(conn, "SELECT * FROM judge_calls")[0]
    assert call["status"] == "error" and call["cost_known"] == 0
    assert call["error"] == "provider reply is not a JSON object"


def test_insufficient_quota_is_never_retried(make_config, conn, db_path, llm):
    llm.set_mode("insufficient_quota")
    seed(conn, 1)
    s = score_pending(_cfg(make_config, llm), db_path)
    assert llm.count() == 1 and (s.errors, s.retries) == (1, 0)
    score = rows(conn, "SELECT * FROM scores")[0]
    assert score["error"].startswith("insufficient_quota: You exceeded your current quota")
    assert rows(conn, "SELECT state FROM ledger") == [{"state": "released"}]


def test_missing_api_key_env_names_the_variable(make_config, conn, db_path, llm):
    seed(conn, 1)
    cfg = _cfg(make_config, llm, api_key_env="NO_SUCH_JUDGE_KEY")
    with pytest.raises(
        ConfigError,
        match=r"judges\[0\] \(quality\)\.api_key_env: environment variable "
        r"NO_SUCH_JUDGE_KEY is not set",
    ):
        score_pending(cfg, db_path)
    assert llm.count() == 0


def test_unpriced_judge_model_is_refused_at_start(make_config, conn, db_path, llm):
    seed(conn, 1)
    cfg = _cfg(make_config, llm, model="my-local-llama-judge")
    with pytest.raises(ConfigError, match=r"'my-local-llama-judge' has no price.*pricing\.models"):
        score_pending(cfg, db_path)
    assert llm.count() == 0 and not rows(conn, "SELECT * FROM scores")


def test_check_judges_validates_everything_without_opening_anything(make_config, monkeypatch):
    from evaltop.core.scoring.judges.setup import check_judges

    good = make_config({"judges": [
        {"name": "r", "kind": "rule", "rule": "regex", "pattern": "x"},
        {"name": "d", "kind": "demo"},
        llm_judge("http://127.0.0.1:9/v1", api_key_env="SOME_JUDGE_KEY"),
    ]})
    with pytest.raises(
        ConfigError, match=r"judges\[2\] \(quality\)\.api_key_env: .*SOME_JUDGE_KEY"
    ):
        check_judges(good)
    monkeypatch.setenv("SOME_JUDGE_KEY", "k")
    check_judges(good)
    with pytest.raises(
        ConfigError, match=r"judges\[0\] \(d\)\.model: 'no-such-model' has no price"
    ):
        check_judges(
            make_config({"judges": [{"name": "d", "kind": "demo", "model": "no-such-model"}]})
        )
