"""One rule-verdict loop for live scoring, judged runs and ``compare corpus``.

A rule that gives no reason (a check that could not be applied) is stored as
NULL by every caller, never as an empty string; ``applies_to`` (tasks,
models, tags) decides the same way everywhere, the promptfoo export included.
"""

from __future__ import annotations

import time

from judge_helpers import rows, seed

from evaltop.core.rollout.compare import corpus_side
from evaltop.core.rollout.export import promptfoo_config
from evaltop.core.scoring.judges.rules import RuleResult, compile_rules, rule_verdicts
from evaltop.core.scoring.judges.runner import score_pending
from evaltop.core.scoring.judges.subject import Subject
from evaltop.core.scoring.runs import judge_run
from evaltop.store import db

LATENCY = {"name": "fast", "kind": "rule", "rule": "max_latency_ms", "max_ms": 1000}
ONLY_M1 = {"name": "json", "kind": "rule", "rule": "json_valid", "applies_to": {"models": ["m1"]}}


def test_empty_reason_is_none_and_done_pairs_and_filters_are_skipped(make_config):
    cfg = make_config({"judges": [LATENCY, ONLY_M1]})
    rules = compile_rules(cfg)
    subjects = [Subject(id="a", output_text="{}", model="m1", latency_ms=None),
                Subject(id="b", output_text="{}", model="m2", latency_ms=5.0)]
    got = {(v.subject_id, v.judge): v for v in rule_verdicts(rules, subjects, {("a", "json")})}
    assert set(got) == {("a", "fast"), ("b", "fast")}  # a/json done; b/json: models filter
    err = got[("a", "fast")]
    assert (err.status, err.passed, err.score, err.reason) == ("error", None, None, None)
    assert "latency was not logged" in err.error and not err.ok
    ok = got[("b", "fast")]
    assert (ok.status, ok.passed, ok.score, ok.reason) == ("ok", True, 1.0, "latency 5 ms")
    # a check whose reason is empty: None, whatever the verdict
    silent = {"s": (cfg.judges[0], lambda s: RuleResult(True, 1.0, ""))}
    assert [v.reason for v in rule_verdicts(silent, subjects)] == [None, None]


def test_live_scores_store_no_reason_as_null(make_config, conn, db_path):
    seed(conn, 2)
    with db.write(conn):
        conn.execute("UPDATE outputs SET latency_ms = NULL WHERE id = 'o0'")
    score_pending(make_config({"judges": [LATENCY]}), db_path)
    got = {r["output_id"]: r for r in rows(conn, "SELECT * FROM scores")}
    assert (got["o0"]["status"], got["o0"]["reason"]) == ("error", None)
    assert (got["o1"]["status"], got["o1"]["reason"]) == ("ok", "latency 500 ms")


def test_run_scores_store_no_reason_as_null(make_config, conn, db_path):
    now = time.time()
    with db.write(conn):
        conn.execute("INSERT INTO runs (run_id, candidate, model, corpus, created_at) "
                     "VALUES ('r', 'c', 'm1', '', ?)", (now,))
        for cid, latency in (("c0", None), ("c1", 7.0)):
            conn.execute("INSERT INTO run_cases (run_id, case_id, task, status, output_text, "
                         "latency_ms, ts) VALUES ('r', ?, 't', 'ok', '{}', ?, ?)",
                         (cid, latency, now))
    cases = [{"id": "c0", "task": "t", "input": "x"}, {"id": "c1", "task": "t", "input": "y"}]
    out = judge_run(make_config({"judges": [LATENCY, ONLY_M1]}), db_path, "r", cases)
    got = {(r["case_id"], r["judge"]): r
           for r in rows(conn, "SELECT * FROM run_scores WHERE run_id = 'r'")}
    assert out["rule_verdicts"] == 4 and out["llm"] is None
    assert (got[("c0", "fast")]["status"], got[("c0", "fast")]["reason"]) == ("error", None)
    assert got[("c1", "fast")]["reason"] == "latency 7 ms"
    assert got[("c0", "json")]["passed"] == 1  # the run's model m1 is the one matched


def test_compare_corpus_side_skips_errors_and_honours_the_models_filter(make_config):
    cfg = make_config({"judges": [LATENCY, ONLY_M1]})
    corpus = [{"id": "a", "task": "t", "model": "m1", "baseline_output": "{}",
               "baseline": {"latency_ms": None}},
              {"id": "b", "task": "t", "model": "m2", "baseline_output": "{}",
               "baseline": {"latency_ms": 3.0}}]
    side = corpus_side(cfg, corpus)
    assert side.cases["a"].passed == {"json": True}  # no latency: no verdict, not a failure
    assert side.cases["b"].passed == {"fast": True}  # m2: the json judge does not apply


def test_export_honours_the_models_filter(make_config):
    cfg = make_config({"judges": [ONLY_M1]})
    cases = [{"id": "a", "task": "t", "model": "m1", "input": "x"},
             {"id": "b", "task": "t", "model": "m2", "input": "y"}]

    def metrics(**kw):
        doc = promptfoo_config(cfg, cases, corpus_name="c", **kw)
        return [[a["metric"] for a in t.get("assert", [])] for t in doc["tests"]]

    assert metrics() == [["json"], []]  # each case's own model
    assert metrics(model="m2") == [[], []]  # a candidate's model, when it alone answers
    assert metrics(model="m1") == [["json"], ["json"]]
