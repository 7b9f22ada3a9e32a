"""Secrets/PII suite (issue 6): planted keys, emails, cards and phones never
reach the corpus file, a judge prompt (captured by the loopback server) for
live outputs, replays or shadow runs, when redaction is on; and they do when it
is off, so the check can fail."""

from __future__ import annotations

import json

import pytest
from loopback_server import LoopbackLLM
from replay_helpers import NOW, ScriptedCandidate, add_output, add_sample, write_config

from evaltop.core.model.config import load
from evaltop.core.rollout.corpus import build
from evaltop.core.rollout.replay import replay
from evaltop.core.rollout.shadow import shadow_step
from evaltop.core.scoring.judges.runner import score_pending
from evaltop.store.db import connect

PLANTED = {
    "email": "maria.lopez@example.com",
    "openai": "sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDfGh",
    "anthropic": "sk-ant-api03-ZYXWVU9876543210-abcdef",
    "aws": "AKIAJ7Q2EXAMPLEKEY12",
    "card": "5555 5555 5555 4444",
    "phone": "+44 20 7946 0958",
    "bearer": "Bearer abcDEF123456ghiJKL",
}
SECRET_TEXT = (
    "Customer maria.lopez@example.com paid with 5555 5555 5555 4444, call +44 20 7946 0958. "
    "Keys: sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDfGh sk-ant-api03-ZYXWVU9876543210-abcdef "
    "AKIAJ7Q2EXAMPLEKEY12; header Authorization: Bearer abcDEF123456ghiJKL"
)


def leaks(text: str) -> list[str]:
    return [k for k, v in PLANTED.items() if v.removeprefix("Bearer ") in text]


def config(tmp_path, base, on: bool):
    path, _ = write_config(tmp_path, base)
    path.write_text(path.read_text() + f"[redaction]\nenabled = {str(on).lower()}\n"
                    '[shadow]\nenabled = true\ncandidate = "cand"\nrate = 1.0\n')
    return load(path)


def judge_prompts(llm) -> str:
    return "\n".join(json.dumps(r["json"]) for r in llm.requests if r["path"] == "/v1/messages")


class Echo(ScriptedCandidate):
    """A candidate that repeats its input back, secrets included."""

    def __call__(self, req):
        if req["_path"].endswith("/chat/completions"):
            text = " ".join(m["content"] for m in req["messages"])
            return (
                200,
                {},
                {
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": "echo " + text}}
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10},
                },
            )
        return super().__call__(req)


@pytest.mark.parametrize("on", [True, False])
def test_planted_secrets_never_reach_corpus_or_judges(tmp_path, on):
    with LoopbackLLM(responder=Echo()) as llm:
        cfg = config(tmp_path, llm.base_url, on)
        conn = connect(cfg.db_path)
        add_output(
            conn,
            "live1",
            input=[{"role": "user", "content": SECRET_TEXT}],
            output="Sure: " + SECRET_TEXT,
            task="support",
            ts=NOW - 60,
            metadata={"note": SECRET_TEXT},
        )
        add_sample(conn, "live1", NOW - 60)
        # live judging
        score_pending(cfg, cfg.db_path)
        # corpus
        build(cfg, conn, tmp_path / "corpus.jsonl", now=NOW)
        corpus_text = (tmp_path / "corpus.jsonl").read_text()
        # a replay of that corpus whose candidate echoes its input
        replay(cfg, cfg.db_path, tmp_path / "corpus.jsonl", "cand", "r", progress=False)
        # shadow: the live (unredacted) input goes to the candidate, which echoes it to the judge
        shadow_step(cfg, cfg.db_path, now=NOW)
        prompts = judge_prompts(llm)
        conn.close()
    # live, replay, shadow candidate; the shadow live copy reuses the live verdict
    assert len([r for r in llm.requests if r["path"] == "/v1/messages"]) == 3
    if on:
        assert leaks(corpus_text) == [] and leaks(prompts) == []
        assert "[EMAIL]" in prompts and "[CARD]" in corpus_text
    else:
        assert set(leaks(corpus_text)) == set(PLANTED) and set(leaks(prompts)) == set(PLANTED)
