"""Replay candidate calls cut off after sending (a real loopback server that
resets the connection mid-reply, or a closed port): retried, and counted as
unconfirmed spend beside the run's confirmed inference cost."""

from __future__ import annotations

import socket

from loopback_server import LoopbackLLM
from replay_helpers import CALL_PUSD, rows, write_config, write_corpus

from evaltop.core.rollout.replay import replay

MAX_OUT_PUSD = 1024 * 2_000_000  # max_output_tokens (default 1024) x $2/M


def test_a_reset_attempt_is_retried_and_counted_unconfirmed(tmp_path):
    with LoopbackLLM(mode="reset", times=1, usage=(100, 20)) as llm:
        _, cfg = write_config(tmp_path, llm.base_url)
        corpus = tmp_path / "corpus.jsonl"
        write_corpus(corpus, 1)
        s = replay(cfg, cfg.db_path, corpus, "cand", "r1", judge=False, progress=False)
        assert llm.count() == 2
    assert (s.ok, s.errors, s.cost_pusd, s.unconfirmed_attempts) == (1, 0, CALL_PUSD, 1)
    (row,) = rows(cfg.db_path, "SELECT status, attempts, cost_pusd, unconfirmed_attempts, "
                               "unconfirmed_pusd FROM run_cases")
    assert row[:4] == ("ok", 2, CALL_PUSD, 1)
    # one worst case: the counted prompt at $1/M + max_output_tokens at $2/M
    prompt_pusd = row[4] - MAX_OUT_PUSD
    assert prompt_pusd > 0 and prompt_pusd % 1_000_000 == 0
    assert s.unconfirmed_pusd == row[4]


def test_a_refused_connection_is_never_counted(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _, cfg = write_config(tmp_path, f"http://127.0.0.1:{port}")
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 1)
    s = replay(cfg, cfg.db_path, corpus, "cand", "r1", judge=False, progress=False)
    assert (s.ok, s.errors, s.unconfirmed_attempts, s.unconfirmed_pusd) == (0, 1, 0, 0)
    assert rows(cfg.db_path, "SELECT attempts, unconfirmed_attempts FROM run_cases") == [(4, 0)]
