"""`evaltop cost OUTPUT_ID` and `evaltop spend --by bucket`, as a user runs
them (real subprocesses, a real store, a real loopback judge server), against
costs computed by hand below."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback_server import LoopbackLLM

from evaltop.core.ingest.pipeline import ingest_once
from evaltop.core.model import config as config_mod
from evaltop.core.scoring.judges.runner import score_pending
from evaltop.store import db

# m-test, per million tokens: input $2, cache read $0.20, 5-minute write $2.50,
# 1-hour write $4, output $10 (reasoning at the output rate).
# a1: 10,000 in (4,000 read, 3,000 written of which 1,000 for 1 hour), 500 out
# (200 reasoning):
#   uncached input 3,000 x 2    = $0.006
#   cache read     4,000 x 0.2  = $0.0008
#   5-minute write 2,000 x 2.5  = $0.005
#   1-hour write   1,000 x 4    = $0.004
#   output           300 x 10   = $0.003
#   reasoning        200 x 10   = $0.002      total $0.0208
# caching: reads saved 4,000 x (2 - 0.2) = $0.0072; writes cost 2,000 x 0.5 +
# 1,000 x 2 = $0.003 above the input rate; net saved $0.0042.
# The judge (m-judge: $1 in, $5 out) is billed 100 in + 10 out = $0.00015.
PRICING = """
[pricing.models."m-test"]
input_per_mtok = 2.0
cached_input_per_mtok = 0.2
cache_write_per_mtok = 2.5
cache_write_1h_per_mtok = 4.0
output_per_mtok = 10.0

[pricing.models."m-judge"]
input_per_mtok = 1.0
output_per_mtok = 5.0
"""


def _evaltop(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaltop.tui.cli.main", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cost")
    now = time.time()
    log = tmp / "app.jsonl"
    rec = {"id": "a1", "ts": now - 60, "model": "m-test", "task": "qa", "input": "q",
           "output": "the answer",
           "usage": {"input_tokens": 10000, "cached_input_tokens": 4000,
                     "cache_write_tokens": 3000, "cache_write_1h_tokens": 1000,
                     "output_tokens": 500, "reasoning_tokens": 200}}
    log.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    with LoopbackLLM(mode="reset", times=1, usage=(100, 10)) as llm:
        cfg_path = tmp / "evaltop.toml"
        cfg_path.write_text(
            f'[store]\npath = "{tmp / "evaltop.db"}"\n\n'
            f'[[sources]]\nname = "app"\npath = "{log}"\nformat = "native"\n'
            + PRICING
            + f'\n[[judges]]\nname = "quality"\nkind = "llm"\nprovider = "openai"\n'
            f'base_url = "{llm.openai_base_url}"\nmodel = "m-judge"\nmax_output_tokens = 100\n',
            encoding="utf-8")
        cfg = config_mod.load(cfg_path)
        conn = db.connect(cfg.db_path)
        try:
            ingest_once(cfg, conn, progress=False)
            with db.write(conn):
                conn.execute("INSERT INTO samples (output_id, probability, sampled_at, output_ts)"
                             " VALUES ('a1', 1.0, ?, ?)", (now, now - 60))
            s = score_pending(cfg, cfg.db_path)
            assert s.judged == 1 and s.unconfirmed_calls == 1
            call = dict(conn.execute("SELECT * FROM judge_calls").fetchone())
        finally:
            conn.close()
    return cfg_path, call


def test_cost_prints_every_bucket_rate_and_amount_and_the_judge_calls(store):
    cfg_path, call = store
    r = _evaltop("--config", str(cfg_path), "cost", "a1")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for want in (
        "uncached input               3,000           2  $0.006",
        "cache read                   4,000         0.2  $0.0008",
        "5-minute cache write         2,000         2.5  $0.005",
        "1-hour cache write           1,000           4  $0.004",
        "output                         300          10  $0.003",
        "reasoning                      200          10  $0.002",
        "price entry m-test, source: config",
        "quality (m-judge): ok, 2 attempts",
        "uncached input                 100           1  $0.0001",
    ):
        assert want in out, f"{want!r} not in:\n{out}"
    assert "total                                         $0.0208" in out
    assert "unconfirmed" in out and "1 attempt(s) cut off after sending" in out


def test_cost_json_matches_the_hand_computed_costs(store):
    cfg_path, call = store
    r = _evaltop("--config", str(cfg_path), "cost", "a1", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    inf = doc["inference"]
    assert inf["total_pusd"] == inf["stored_pusd"] == 20_800_000_000
    assert [(ln["bucket"], ln["tokens"], ln["usd_per_mtok"]) for ln in inf["lines"]] == [
        ("input", 3000, "2"), ("cache_read", 4000, "0.2"), ("cache_write_5m", 2000, "2.5"),
        ("cache_write_1h", 1000, "4"), ("output", 300, "10"), ("reasoning", 200, "10")]
    (jc,) = doc["judge_calls"]
    assert jc["breakdown"]["total_pusd"] == 150_000_000 == call["cost_pusd"]
    assert jc["unconfirmed_attempts"] == 1
    assert doc["judge_unconfirmed_usd"] == call["unconfirmed_pusd"] / 1e12 > 0


def test_cost_of_an_unknown_output_is_a_clear_error(store):
    cfg_path, _ = store
    r = _evaltop("--config", str(cfg_path), "cost", "no-such-id")
    assert r.returncode == 2
    assert "no output with id 'no-such-id'" in r.stderr and "Traceback" not in r.stderr


def test_spend_by_bucket_splits_cache_writes_and_savings(store):
    cfg_path, call = store
    r = _evaltop("--config", str(cfg_path), "spend", "--by", "bucket", "--since", "all", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    inf = doc["inference"]
    assert {b["bucket"]: (b["tokens"], b["usd"]) for b in inf["buckets"]} == {
        "input": (3000, 0.006), "cache_read": (4000, 0.0008), "cache_write_5m": (2000, 0.005),
        "cache_write_1h": (1000, 0.004), "output": (300, 0.003), "reasoning": (200, 0.002)}
    assert inf["cache_writes_usd"] == 0.009
    assert inf["cache_read_saved_usd"] == 0.0072
    assert inf["cache_write_premium_usd"] == 0.003
    assert inf["cache_net_saved_usd"] == 0.0042
    judge = {b["bucket"]: b["usd"] for b in doc["judge"]["buckets"]}
    assert (judge["input"], judge["output"]) == (0.0001, 0.00005)
    assert doc["judge_unconfirmed_calls"] == 1
    assert doc["judge_unconfirmed_usd"] == call["unconfirmed_pusd"] / 1e12
    text = _evaltop("--config", str(cfg_path), "spend", "--by", "bucket", "--since", "all")
    assert "net saved by caching $0.0042" in text.stdout
    assert "Judge unconfirmed:" in text.stdout


def test_spend_by_bucket_rejects_a_bad_window(tmp_path: Path):
    r = _evaltop("--config", str(tmp_path / "none.toml"), "spend", "--by", "bucket",
                 "--since", "soon")
    assert r.returncode == 2 and "--since: expected a duration" in r.stderr


def test_spend_by_kind_lists_unconfirmed_judge_spend_apart(store):
    cfg_path, call = store
    r = _evaltop("--config", str(cfg_path), "spend", "--by", "kind", "--json")
    assert r.returncode == 0, r.stderr
    kinds = {row["name"]: row for row in json.loads(r.stdout)["rows"]}
    assert (kinds["inference"]["count"], kinds["inference"]["cost_usd"]) == (1, 0.0208)
    assert (kinds["judge"]["count"], kinds["judge"]["cost_usd"]) == (1, 0.00015)
    unconfirmed = kinds["judge unconfirmed"]
    assert (unconfirmed["count"], unconfirmed["cost_usd"]) == (1, call["unconfirmed_pusd"] / 1e12)
    text = _evaltop("--config", str(cfg_path), "spend", "--by", "kind").stdout.splitlines()
    assert text[2].split()[:2] == ["judge", "1"] and text[3].split()[:3] == [
        "judge", "unconfirmed", "1"]
