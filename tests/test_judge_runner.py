"""The scoring runner: rules + demo/LLM judges, family guard, single judging, report."""

from __future__ import annotations

import threading

import pytest
from judge_helpers import cost, llm_judge, rows, seed
from loopback_server import LoopbackLLM

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.tokens import count_text
from evaltop.core.model.window import Window
from evaltop.core.scoring.judges.demo import demo_verdict
from evaltop.core.scoring.judges.runner import judge_subjects, score_pending
from evaltop.core.scoring.judges.subject import Subject
from evaltop.core.views.report import build as report_mod
from evaltop.core.views.report.context import ReportContext

RULES = [
    {"name": "json", "kind": "rule", "rule": "json_valid", "applies_to": {"tasks": ["extract"]}},
    {"name": "fields", "kind": "rule", "rule": "allowed_fields", "fields": ["name", "email"],
     "applies_to": {"tasks": ["extract"]}},
    {"name": "short", "kind": "rule", "rule": "max_length", "max_chars": 30},
]


def test_rules_run_on_applicable_outputs_and_samples_finish(make_config, conn, db_path):
    cfg = make_config({"judges": RULES})
    seed(
        conn,
        2,
        task="extract",
        output=['{"name": "a", "email": "b"}', '{"name": "a", "phone_number": 1}'],
    )
    seed(conn, 1, task="chat", output="x" * 40, prefix="c")
    s = score_pending(cfg, db_path)
    got = {
        (r["output_id"], r["judge"]): (r["passed"], r["reason"])
        for r in rows(conn, "SELECT * FROM scores")
    }
    assert got[("o1", "fields")] == (0, "unexpected field 'phone_number'")
    assert got[("o0", "fields")][0] == 1 and got[("o0", "json")][0] == 1
    assert got[("c0", "short")] == (0, "output is 40 characters, over the limit of 30")
    assert ("c0", "json") not in got  # applies_to: extract only
    assert (s.sampled, s.judged, s.passed, s.failed, s.done, s.cost_pusd, s.calls) == (
        3,
        7,
        4,
        3,
        3,
        0,
        0,
    )


def test_no_judges_leaves_samples_pending(make_config, conn, db_path):
    seed(conn, 2)
    s = score_pending(make_config({}), db_path)
    assert (s.sampled, s.judged, s.done) == (2, 0, 0)
    assert rows(conn, "SELECT DISTINCT status FROM samples") == [{"status": "pending"}]


def test_demo_judge_is_offline_deterministic_and_metered(make_config, conn, db_path):
    demo = {"name": "demo", "kind": "demo", "scale": [1, 5], "pass_threshold": 3}
    cfg = make_config({"judges": [demo]})
    outputs = ['{"name": "a", "email": "b", "phone": "c"}', '{"name": "a", "email": "b"}',
               "I'm sorry, but I can't help with that."]
    seed(conn, 3, task="extract_contact", output=outputs,
         input_text='Reply with ONLY a JSON object with the keys "name" and "email".')
    s = score_pending(cfg, db_path)
    sc = {r["output_id"]: r for r in rows(conn, "SELECT * FROM scores")}
    assert "invented the field 'phone'" in sc["o0"]["reason"] and sc["o0"]["passed"] == 0
    assert sc["o1"]["passed"] == 1 and sc["o2"]["passed"] == 0
    # deterministic: the same verdict again, from the pure function
    j = cfg.judges[0]
    again = demo_verdict(
        j,
        Subject(
            id="o1",
            output_text=outputs[1],
            task="extract_contact",
            input_text='Reply with ONLY a JSON object with the keys "name" and "email".',
        ),
    )
    assert again.score == sc["o1"]["score"]
    calls = rows(conn, "SELECT * FROM judge_calls ORDER BY output_id")
    price = PriceBook.from_config(cfg).lookup("gemini-2.0-flash-lite")
    assert len(calls) == 3 and all(c["model"] == "gemini-2.0-flash-lite" for c in calls)
    for c in calls:
        assert c["input_tokens"] > 150 and c["usage_estimated"] == 1
        assert c["cost_pusd"] == c["input_tokens"] * price.input + c["output_tokens"] * price.output
    assert s.cost_pusd == sum(c["cost_pusd"] for c in calls) > 0
    assert rows(conn, "SELECT DISTINCT state FROM ledger") == [{"state": "settled"}]
    reply_tokens = count_text('{"score": 1.0, "reason": "demo judge: x"}', "gemini-2.0-flash-lite")
    assert all(c["output_tokens"] >= reply_tokens - 5 for c in calls)


def test_family_guard_warns_or_skips(make_config, conn, db_path):
    with LoopbackLLM(usage=(10, 10)) as llm:
        warn = llm_judge(llm.openai_base_url, name="warn", model="gpt-4.1-mini")
        skip = llm_judge(
            llm.openai_base_url, name="skip", model="gpt-4.1-mini", require_different_family=True
        )
        other = llm_judge(llm.openai_base_url, name="other")  # claude judge
        cfg = make_config({"judges": [warn, skip, other]})
        seed(conn, 2, model="gpt-4o-mini")
        seed(conn, 1, model="claude-sonnet-4-5", prefix="c")
        s = score_pending(cfg, db_path)
        assert llm.count() == 3 + 3 + 1  # warn: all 3, other: all 3, skip: only the claude output
    sc = {(r["output_id"], r["judge"]): r for r in rows(conn, "SELECT * FROM scores")}
    assert sc[("o0", "warn")]["same_family"] == 1 and sc[("o0", "warn")]["status"] == "ok"
    assert sc[("c0", "warn")]["same_family"] == 0
    assert sc[("c0", "other")]["same_family"] == 1
    assert (
        sc[("o0", "skip")]["status"] == "skipped"
        and "same model family (gpt)" in sc[("o0", "skip")]["error"]
    )
    assert sc[("c0", "skip")]["status"] == "ok"
    assert s.skipped_family == 2 and s.done == 3
    ctx = ReportContext(cfg=cfg, conn=conn, window=Window(None, 4e9))
    rep = report_mod.build(ctx)
    assert rep["judges"]["warn"]["same_family_outputs"] == 2
    assert rep["judges"]["other"]["same_family_outputs"] == 1
    assert rep["judges"]["skip"]["same_family_outputs"] == 2


def test_two_runners_at_once_judge_each_pair_once(make_config, conn, db_path):
    with LoopbackLLM(latency_s=0.05, usage=(10, 10)) as llm:
        cfg = make_config({"judges": [llm_judge(llm.openai_base_url, concurrency=4)]})
        seed(conn, 24)
        out = []
        threads = [
            threading.Thread(
                target=lambda i=i: out.append(score_pending(cfg, db_path, owner=f"p{i}"))
            )
            for i in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert llm.count() == 24  # nobody paid twice
    assert sum(s.judged for s in out) == 24
    assert rows(conn, "SELECT COUNT(*) AS n, COUNT(DISTINCT output_id) AS d FROM scores") == [
        {"n": 24, "d": 24}
    ]
    assert rows(conn, "SELECT COUNT(*) AS n FROM judge_calls") == [{"n": 24}]
    assert rows(conn, "SELECT COUNT(*) AS n FROM samples WHERE status = 'done'") == [{"n": 24}]


@pytest.mark.parametrize("enabled", [True, False])
def test_redaction_before_the_judge_sees_text(make_config, conn, db_path, enabled):
    with LoopbackLLM(usage=(10, 10)) as llm:
        cfg = make_config(
            {"judges": [llm_judge(llm.openai_base_url)], "redaction": {"enabled": enabled}}
        )
        seed(
            conn,
            1,
            output="Mail me at jane.doe@example.com",
            input_text="key sk-proj-abcdefghijklmnop0123456789",
        )
        score_pending(cfg, db_path)
        sent = llm.requests[0]["json"]["messages"][1]["content"]
    assert ("jane.doe@example.com" in sent) is (not enabled)
    if enabled:
        assert "[EMAIL]" in sent


def test_report_section_spend_judges_budget_and_failure(make_config, conn, db_path):
    with LoopbackLLM(usage=(200, 50)) as llm:
        judge = llm_judge(llm.openai_base_url, concurrency=1, max_output_tokens=50)
        cfg = make_config(
            {"judges": [judge], "budgets": {"judge_daily_usd": 0.0013, "judge_monthly_usd": 5}}
        )
        seed(conn, 3)
        s = score_pending(cfg, db_path)
    # each call costs $0.00045 and reserves ~$0.0008 (prompt ~500 tokens + 50 output):
    # two fit under $0.0013, the third's worst case does not
    one = cost(200, 50)
    assert (s.judged, s.skipped_budget, s.cost_pusd) == (2, 1, 2 * one)
    assert "daily budget $0.0013" in s.budget_reason
    assert rows(conn, "SELECT status FROM samples ORDER BY output_id")[2] == {"status": "pending"}
    ctx = ReportContext(cfg=cfg, conn=conn, window=Window(None, 4e9))
    rep = report_mod.build(ctx)
    assert rep["spend"]["judge_usd"] == 2 * one / 1e12
    q = rep["judges"]["quality"]
    assert (q["calls"], q["refused_budget"], q["errors"], q["retries"]) == (2, 1, 0, 0)
    assert (q["input_tokens"], q["output_tokens"]) == (400, 100)
    assert q["cost_usd"] == 2 * one / 1e12
    b = rep["budgets"]["judge"]
    assert (b["daily_usd"], b["spent_today_usd"], b["monthly_usd"], b["paused"]) == (
        0.0013,
        0.0009,
        5.0,
        True,
    )
    assert report_mod.failures(rep, {"budget"}) == [f"budget: {b['reason']}"]
    assert not [f for f in report_mod.failures(rep, {"regression"}) if f.startswith("budget")]
    md = report_mod.markdown(rep)
    assert "| quality | 2 | 0 | 0 | 400 | 100 |" in md and "Judging is PAUSED" in md
    # paused: the next run does not even ask the ledger, and rule checks still run
    with LoopbackLLM(usage=(200, 50)) as llm:
        again = score_pending(cfg.model_copy(update={"judges": [cfg.judges[0].model_copy(
            update={"base_url": llm.openai_base_url})]}), db_path)
        assert llm.count() == 0
    assert (again.sampled, again.skipped_budget, again.calls) == (1, 1, 0)
    assert again.budget_reason == b["reason"]
    assert rows(conn, "SELECT COUNT(*) AS n FROM judge_calls WHERE status = 'refused_budget'") == [
        {"n": 1}
    ]


def test_judge_subjects_for_replays_meters_under_run_id(make_config, conn, db_path):
    with LoopbackLLM(usage=(10, 10)) as llm:
        cfg = make_config({"judges": [llm_judge(llm.openai_base_url), RULES[2]]})
        subs = [
            Subject(id=f"case{i}", output_text=f"PLANT_SCORE={i + 1}", model="mistral-large")
            for i in range(3)
        ]
        out = judge_subjects(cfg, db_path, subs, run_id="run-1", skip={("case2", "quality")})
        assert llm.count() == 2
    v = sorted((d["id"], d["judge"], d["status"], d["score"], d["passed"]) for d in out["verdicts"])
    assert v == [("case0", "quality", "ok", 1.0, False), ("case1", "quality", "ok", 2.0, False)]
    assert out["cost_usd"] == 2 * cost(10, 10) / 1e12
    assert rows(conn, "SELECT DISTINCT run_id FROM judge_calls") == [{"run_id": "run-1"}]
    assert not rows(conn, "SELECT * FROM scores")  # replays keep their verdicts in run_scores
