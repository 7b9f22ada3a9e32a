"""compare: paired statistics on planted runs, and the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from replay_helpers import add_run
from scipy import stats as sps

from evaltop.core.rollout.compare import compare, corpus_side, run_side, to_markdown
from evaltop.store.db import connect
from evaltop.tui.cli.main import cli

N = 40


def verdicts(fail: set[int] = frozenset(), low: set[int] = frozenset()) -> dict:
    return {f"c{i:02d}": {"fields": (i not in fail, float(i not in fail), "rule"),
                          "helpful": (i not in low, 2.0 if i in low else 4.0, "llm")}
            for i in range(N)}


@pytest.fixture
def seeded(db_path):
    conn = connect(db_path)
    task_of = lambda cid: "extract" if int(cid[1:]) % 2 else "summary"  # noqa: E731
    add_run(conn, "base", verdicts(fail={1}), task_of=task_of, cost_pusd=1000, latency_ms=100)
    add_run(conn, "same", verdicts(fail={1}), task_of=task_of, cost_pusd=1000, latency_ms=100)
    # the candidate: 12 extract cases break (pass -> fail), case 1 is fixed, 10 score lower.
    add_run(
        conn,
        "worse",
        verdicts(fail={3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25}, low=set(range(0, 20, 2))),
        task_of=task_of,
        cost_pusd=400,
        latency_ms=250,
        errors={"c39"},
    )
    yield conn
    conn.close()


def test_planted_regression_is_found_with_exact_counts(seeded):
    r = compare(run_side(seeded, "base"), run_side(seeded, "worse"), alpha=0.05)
    f = r["judges"]["fields"]
    assert (f["pass_to_fail"], f["fail_to_pass"]) == (12, 1)
    assert f["mcnemar_p"] == pytest.approx(sps.binomtest(12, 13, 0.5).pvalue)
    h = r["judges"]["helpful"]
    assert (h["wins"], h["ties"], h["losses"]) == (0, 30, 10) and h["mean_delta"] < 0
    assert h["wilcoxon_p"] == pytest.approx(sps.wilcoxon([-2.0] * 10).pvalue)
    assert "wins" not in f  # rule scores are pass/fail: no separate score test
    flips = r["flipped"]
    directions = [f["direction"] for f in flips]
    # pass->fail listed first
    assert directions == sorted(directions, key=lambda d: d != "pass_to_fail")
    assert any(f["case_id"] == "c39" and "(call failed)" in f["judges"] for f in flips)
    assert r["regression"] is True
    assert {s["test"] for s in r["significant"] if s["direction"] == "regressed"} >= {
        "fields pass rate"
    }
    by = {t["task"]: t for t in r["by_task"]}
    # odd ids + c39; even <20
    assert by["extract"]["pass_to_fail"] == 13 and by["summary"]["pass_to_fail"] == 10
    assert r["cost"]["a_usd"] == pytest.approx(39 * 1e-9 + 1e-9) and r["cost"][
        "b_usd"
    ] == pytest.approx(39 * 4e-10)
    assert r["latency"]["delta_mean_ms"] == pytest.approx(150) and r["errors"] == {"a": 0, "b": 1}


def test_overall_counts_are_case_level(seeded):
    r = compare(run_side(seeded, "base"), run_side(seeded, "worse"))
    # 12 odd (fields) + 10 even < 20 (helpful) + c39 (call failed)
    assert r["overall"]["pass_to_fail"] == 23
    assert r["overall"]["fail_to_pass"] == 1  # c01 fixed
    flips = {f["case_id"]: f["judges"] for f in r["flipped"]}
    assert flips["c03"] == ["fields"] and flips["c02"] == ["helpful"] and flips["c01"] == ["fields"]


def test_a_judge_only_one_side_has_does_not_decide_the_case(db_path):
    conn = connect(db_path)
    add_run(conn, "a", {f"c{i}": {"fields": (True, 1.0, "rule")} for i in range(10)})
    add_run(
        conn,
        "b",
        {f"c{i}": {"fields": (True, 1.0, "rule"), "new": (False, 0.0, "rule")} for i in range(10)},
    )
    r = compare(run_side(conn, "a"), run_side(conn, "b"))
    conn.close()
    assert r["overall"]["pass_rate_b"] == 1.0 and r["overall"]["pass_to_fail"] == 0
    assert "new" not in r["judges"] and r["regression"] is False


def test_identical_runs_show_no_regression(seeded):
    r = compare(run_side(seeded, "base"), run_side(seeded, "same"))
    assert r["regression"] is False and r["significant"] == [] and r["flipped"] == []
    assert r["overall"]["pass_rate_a"] == r["overall"]["pass_rate_b"] == pytest.approx(39 / 40)


def test_markdown_keeps_untrusted_text_inert(seeded):
    r = compare(run_side(seeded, "base"), run_side(seeded, "worse"))
    r["flipped"][0]["b_output"] = "x`|\x1b[2J[@click=app.quit]"
    md = to_markdown(r)
    assert "\x1b" not in md and "significant regression" in md and "| fields |" in md


def test_corpus_side_uses_stored_scores_and_computes_missing_rules(make_config):
    cfg = make_config({"judges": [{"name": "json", "kind": "rule", "rule": "json_valid"}]})
    corpus = [{"id": "a", "task": "t", "input": "x", "baseline_output": '{"k": 1}',
               "scores": {"helpful": {"kind": "llm", "score": 4.0, "passed": True}},
               "baseline": {"cost_usd": 0.002, "latency_ms": 80.0, "error": None}},
              {"id": "b", "task": "t", "input": "y", "baseline_output": "not json", "scores": {},
               "baseline": {"cost_usd": None, "latency_ms": None, "error": None}}]
    side = corpus_side(cfg, corpus)
    assert side.cases["a"].passed == {"helpful": True, "json": True}
    assert side.cases["b"].passed == {"json": False} and side.cases["a"].cost_pusd == 2_000_000_000
    corpus[0]["baseline"]["cost_pusd"] = 2_000_000_001  # the exact value wins over the float
    assert corpus_side(cfg, corpus).cases["a"].cost_pusd == 2_000_000_001


def cli_run(db_path, *args):
    config = Path(str(db_path) + ".toml")
    config.touch()  # an empty config: defaults (a named config must exist)
    return CliRunner().invoke(
        cli, ["compare", *args, "--db", str(db_path), "--config", str(config)]
    )


def test_cli_exit_codes(seeded, db_path):
    r = cli_run(db_path, "base", "worse", "--fail-on", "regression", "--format", "json")
    assert r.exit_code == 1, r.output
    assert json.loads(r.stdout)["regression"] is True
    assert "significant paired regression" in r.stderr
    assert cli_run(db_path, "base", "worse").exit_code == 0  # no --fail-on: report only
    r = cli_run(db_path, "base", "same", "--fail-on", "regression", "--format", "markdown")
    assert r.exit_code == 0 and "no significant regression" in r.stdout
    r = cli_run(db_path, "base", "nope")
    assert r.exit_code == 2 and "no run named 'nope'" in r.stderr
    r = cli_run(db_path, "nope-a", "nope-b")
    assert r.exit_code == 2 and "no run named 'nope-a'" in r.stderr
    r = cli_run(db_path, "base", "worse", "--fail-on", "budget")
    assert r.exit_code == 2 and "--fail-on" in r.stderr
