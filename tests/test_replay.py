"""replay against the real loopback server: outputs, tokens, exact cost, judging,
retries, quota errors, resume without paying twice, CLI errors."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from loopback_server import LoopbackLLM
from replay_helpers import CALL_PUSD, ScriptedCandidate, rows, write_config, write_corpus

from evaltop.core.rollout.replay import replay
from evaltop.tui.cli.main import cli


def test_replay_records_calls_cost_and_judges_then_resumes_for_free(tmp_path):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        _, cfg = write_config(tmp_path, llm.base_url)
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 6, extra={2: "BREAK", 4: "NOUSAGE"})
        s = replay(cfg, cfg.db_path, corpus, "cand", "r1", progress=False)
        assert (s.cases, s.called, s.ok, s.errors, s.already_ok) == (6, 6, 6, 0, 0)
        db = cfg.db_path
        cases = {
            r[0]: r[1:]
            for r in rows(
                db,
                "SELECT case_id, status, input_tokens, output_tokens, "
                "usage_estimated, cost_pusd, attempts FROM run_cases WHERE run_id='r1'",
            )
        }
        assert cases["c000"] == ("ok", 100, 20, 0, CALL_PUSD, 1)
        est = cases["c004"]
        assert (
            est[0] == "ok"
            and est[3] == 1
            and est[1] > 0
            and est[4] == est[1] * 1_000_000 + est[2] * 2_000_000
        )
        assert s.cost_pusd == 5 * CALL_PUSD + est[4]
        verdicts = dict(
            ((c, j), p) for c, j, p in rows(db, "SELECT case_id, judge, passed FROM run_scores")
        )
        assert verdicts[("c002", "fields")] == 0 and verdicts[("c002", "helpful")] == 0
        assert sum(verdicts.values()) == 10 and len(verdicts) == 12
        calls = rows(db, "SELECT count(*), sum(cost_pusd) FROM judge_calls WHERE run_id = 'r1'")[0]
        assert calls == (6, 6 * (50 * 500_000 + 10 * 1_500_000)) and script.judge_calls == 6
        assert rows(db, "SELECT finished_at IS NOT NULL FROM runs WHERE run_id = 'r1'") == [(1,)]

        again = replay(cfg, cfg.db_path, corpus, "cand", "r1", progress=False)
        assert (again.called, again.already_ok) == (0, 6)
        assert script.total() == 6 and script.judge_calls == 6  # nothing paid twice
        assert again.judging["rule_verdicts"] == 0 and again.judging["llm_verdicts"] == 0


def test_retry_after_is_honoured_and_quota_is_not_retried(tmp_path):
    quota = (
        429,
        {},
        {
            "error": {
                "message": "You exceeded your current quota.",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            }
        },
    )
    limited = (429, {"Retry-After": "0"}, {"error": {"message": "slow down", "type": "rate_limit"}})
    script = ScriptedCandidate(
        script={0: [limited, limited], 1: [quota], 2: [(500, {}, {"error": {"message": "x"}})]}
    )
    with LoopbackLLM(responder=script) as llm:
        _, cfg = write_config(tmp_path, llm.base_url)
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 3)
        s = replay(cfg, cfg.db_path, corpus, "cand", "r", judge=False, progress=False)
        got = {
            r[0]: r[1:]
            for r in rows(cfg.db_path, "SELECT case_id, status, attempts, error FROM run_cases")
        }
        assert got["c000"][:2] == ("ok", 3) and got["c002"][:2] == ("ok", 2)
        assert (
            got["c001"][0] == "error"
            and got["c001"][1] == 1
            and got["c001"][2].startswith("quota: HTTP 429")
        )
        assert script.calls == {0: 3, 1: 1, 2: 2} and s.retries == 3 and s.errors == 1
        # a re-run retries the errored case only
        s2 = replay(cfg, cfg.db_path, corpus, "cand", "r", judge=False, progress=False)
        assert (s2.called, s2.ok, s2.already_ok) == (1, 1, 2) and script.calls[1] == 2


def test_cli_errors_exit_2(tmp_path):
    with LoopbackLLM(responder=ScriptedCandidate()) as llm:
        cfgfile, cfg = write_config(tmp_path, llm.base_url)
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 2)
        run = CliRunner().invoke
        r = run(
            cli,
            ["replay", str(corpus), "--candidate", "nope", "--run", "x", "--config", str(cfgfile)],
        )
        assert r.exit_code == 2 and "--candidate 'nope' is not a [models.NAME] entry" in r.stderr
        r = run(
            cli,
            [
                "replay",
                str(corpus),
                "--candidate",
                "cand",
                "--run",
                "x",
                "--config",
                str(cfgfile),
                "--no-judge",
            ],
        )
        assert r.exit_code == 0 and "called 2 (ok 2" in r.stdout
        with sqlite3.connect(cfg.db_path) as c:
            c.execute("UPDATE runs SET candidate = 'other' WHERE run_id = 'x'")
        r = run(
            cli,
            ["replay", str(corpus), "--candidate", "cand", "--run", "x", "--config", str(cfgfile)],
        )
        assert r.exit_code == 2 and "already belongs to candidate 'other'" in r.stderr
        cfgfile.write_text(
            cfgfile.read_text().replace(
                "timeout_s = 30", 'timeout_s = 30\napi_key_env = "CAND_API_KEY"'
            )
        )
        r = run(
            cli,
            ["replay", str(corpus), "--candidate", "cand", "--run", "y", "--config", str(cfgfile)],
        )
        assert r.exit_code == 2 and "CAND_API_KEY is not set" in r.stderr


def test_api_key_is_sent_as_bearer_and_not_stored(tmp_path, monkeypatch):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfgfile, _ = write_config(tmp_path, llm.base_url)
        cfgfile.write_text(
            cfgfile.read_text().replace(
                "timeout_s = 30", 'timeout_s = 30\napi_key_env = "CAND_API_KEY"'
            )
        )
        from evaltop.core.model.config import load

        cfg = load(cfgfile)
        monkeypatch.setenv("CAND_API_KEY", "sk-test-SECRETSECRETSECRET")
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 1)
        replay(cfg, cfg.db_path, corpus, "cand", "k", judge=False, progress=False)
        sent = [r for r in llm.requests if r["path"].endswith("/chat/completions")]
        assert sent[0]["headers"]["authorization"] == "Bearer sk-test-SECRETSECRETSECRET"
    assert b"SECRETSECRET" not in cfg.db_path.read_bytes()


@pytest.mark.parametrize("provider", ["anthropic"])
def test_anthropic_candidate_wire_format(tmp_path, provider):
    seen = []

    def responder(req):
        seen.append(req)
        return (
            200,
            {},
            {
                "id": "m",
                "type": "message",
                "role": "assistant",
                "model": req["model"],
                "content": [{"type": "text", "text": "hi"}],
                "stop_reason": "end_turn",
                "usage": {
                    "input_tokens": 7,
                    "output_tokens": 3,
                    "cache_read_input_tokens": 5,
                    "cache_creation_input_tokens": 2,
                },
            },
        )

    with LoopbackLLM(responder=responder) as llm:
        cfgfile, _ = write_config(tmp_path, llm.base_url)
        text = cfgfile.read_text().replace(
            'provider = "openai"\nbase_url = "' + llm.base_url + '/v1"',
            f'provider = "anthropic"\nbase_url = "{llm.base_url}"',
        )
        cfgfile.write_text(text)
        from evaltop.core.model.config import load

        cfg = load(cfgfile)
        corpus = tmp_path / "corpus.jsonl"
        corpus.write_text(
            '{"id": "a", "input": [{"role": "system", "content": "S"}, '
            '{"role": "user", "content": "U"}]}\n'
        )
        replay(cfg, cfg.db_path, corpus, "cand", "an", judge=False, progress=False)
    assert seen[0]["_path"] == "/v1/messages" and seen[0]["system"] == "S"
    assert (
        seen[0]["messages"] == [{"role": "user", "content": "U"}] and seen[0]["max_tokens"] == 1024
    )
    assert seen[0]["_headers"]["anthropic-version"] == "2023-06-01"
    got = rows(
        cfg.db_path,
        "SELECT output_text, input_tokens, cached_input_tokens, output_tokens FROM run_cases",
    )
    assert got == [("hi", 14, 5, 3)]


def test_compare_corpus_against_its_replay_exit_codes(tmp_path):
    with LoopbackLLM(responder=ScriptedCandidate()) as llm:
        cfgfile, cfg = write_config(tmp_path, llm.base_url)
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 20, extra={i: "BREAK" for i in range(12)})
        replay(cfg, cfg.db_path, corpus, "cand", "cand-1", progress=False)
    run = CliRunner().invoke
    r = run(cli, ["compare", "corpus", "cand-1", "--format", "json", "--config", str(cfgfile)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    # the corpus has no stored scores: its rule checks run on the baseline outputs (all pass)
    assert (
        res["judges"]["fields"]["pass_to_fail"] == 12
        and res["judges"]["fields"]["pass_rate_a"] == 1.0
    )
    assert "helpful" not in res["judges"]  # no production LLM verdicts to pair with
    assert res["a"] == "corpus corpus.jsonl" and res["cases"]["paired"] == 20
    r = run(
        cli, ["compare", "corpus", "cand-1", "--fail-on", "regression", "--config", str(cfgfile)]
    )
    assert r.exit_code == 1 and "significant regression" in r.stdout


def test_unusable_judge_stops_before_any_candidate_call(tmp_path):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfgfile, _ = write_config(tmp_path, llm.base_url)
        cfgfile.write_text(
            cfgfile.read_text().replace(
                'model = "judge-model"', 'model = "judge-model"\napi_key_env = "JUDGE_API_KEY"'
            )
        )
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 3)
        r = CliRunner().invoke(cli, ["replay", str(corpus), "--candidate", "cand", "--run", "z",
                                     "--config", str(cfgfile)])
    assert r.exit_code == 2 and "JUDGE_API_KEY" in r.stderr
    assert script.total() == 0


def test_trickling_reply_times_out_and_plain_loopback_reply_parses(tmp_path):
    with LoopbackLLM(mode="slow_trickle", trickle_s=0.05) as llm:
        cfgfile, _ = write_config(tmp_path, llm.base_url)
        cfgfile.write_text(cfgfile.read_text().replace("max_retries = 3\ntimeout_s = 30",
                                                       "max_retries = 0\ntimeout_s = 0.3"))
        from evaltop.core.model.config import load

        cfg = load(cfgfile)
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 1)
        s = replay(cfg, cfg.db_path, corpus, "cand", "slow", judge=False, progress=False)
        assert s.errors == 1 and "timeout" in s.error_samples[0]
        llm.set_mode("good", score=3, usage=(11, 7))
        # a generous timeout for the good reply: 0.3 s is missed on a loaded CI box
        cfgfile.write_text(cfgfile.read_text().replace("timeout_s = 0.3", "timeout_s = 30"))
        cfg = load(cfgfile)
        s = replay(cfg, cfg.db_path, corpus, "cand", "slow", judge=False, progress=False)
    assert s.ok == 1
    got = rows(
        cfg.db_path,
        "SELECT status, output_text, input_tokens, output_tokens, attempts FROM run_cases",
    )
    assert got == [("ok", '{"score": 3, "reason": "loopback judged 33 chars"}', 11, 7, 2)]


def test_judge_budget_refusal_leaves_work_for_a_rerun(tmp_path):
    script = ScriptedCandidate()
    with LoopbackLLM(responder=script) as llm:
        cfgfile, _ = write_config(tmp_path, llm.base_url)
        cfgfile.write_text(
            cfgfile.read_text().replace("judge_daily_usd = 10.0", "judge_daily_usd = 0.0")
        )
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 3)
        args = [
            "replay",
            str(corpus),
            "--candidate",
            "cand",
            "--run",
            "b",
            "--config",
            str(cfgfile),
        ]
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 0, r.output
        assert "3 rule verdicts, 0 LLM verdicts" in r.stdout and "skipped budget 3" in r.stderr
        assert script.judge_calls == 0
        cfgfile.write_text(
            cfgfile.read_text().replace("judge_daily_usd = 0.0", "judge_daily_usd = 10.0")
        )
        r = CliRunner().invoke(cli, args)
        assert "0 rule verdicts, 3 LLM verdicts" in r.stdout and "already done 3" in r.stdout
        assert script.judge_calls == 3 and script.total() == 3
