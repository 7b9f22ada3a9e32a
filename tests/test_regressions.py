"""Regressions: planted effects are found, noise is not, weighting removes
oversampling bias, model changes and prompt-level flips are named."""

from __future__ import annotations

import random

import numpy as np
import pytest
from scipy import stats as sps

from evaltop.core.analysis import prompt_flips
from evaltop.core.analysis import regressions as reg
from evaltop.core.analysis.stats import WeightedAgg
from evaltop.core.model.window import Window, analysis_windows
from evaltop.core.views.report.analysis import failures, markdown, report_section
from evaltop.core.views.report.context import ReportContext
from tests.analysis_helpers import (
    DAY,
    NOW,
    add_outputs,
    add_scores,
    flush,
    judged_output,
    new_rows,
    planted_traffic,
)

CURRENT = Window(NOW - DAY, NOW)
BASELINE = Window(NOW - 8 * DAY, NOW - DAY)


def significant(results):
    return [r for r in results if r.significant]


def test_planted_regression_is_the_only_finding(conn, make_config):
    cfg = make_config()
    planted_traffic(conn, seed=1, planted=("extract", "claude-haiku"))
    results = reg.find_regressions(conn, cfg, CURRENT, BASELINE)
    found = significant(results)
    assert {(r.segment.task, r.segment.model) for r in found} == {("extract", "claude-haiku")}
    # one finding per judge: the LLM judge's mean score is not a second one
    assert {(r.judge, r.metric) for r in found} == {
        ("json_valid", "pass_rate"), ("quality", "pass_rate")}
    for r in found:
        assert r.direction == "regressed" and r.delta < 0 and r.q <= 0.05
        assert r.e >= 20 and r.method == "msprt" and r.role == "primary"
        assert r.ci[0] < r.delta < r.ci[1] < 0 and r.ci_level == 0.9
        assert 0 < r.detectable < abs(r.delta)
        assert r.n_baseline == r.n_current == 300
        assert set(r.segment.as_dict()) == {"task", "model", "prompt_version", "variant"}
    score = next(r for r in results if r.metric == "mean_score"
                 and r.segment.model == "claude-haiku" and r.segment.task == "extract")
    assert score.role == "secondary" and not score.significant and score.p < 1e-6
    assert score.method == "weighted-z" and score.ci[1] < 0
    # every segment x judge was compared, and results are sorted by q
    tested = [r for r in results if r.q is not None]
    assert len(tested) == 6 * 2
    assert [r.q for r in tested] == sorted(r.q for r in tested)
    assert len([r for r in results if r.role == "secondary" and r.p is not None]) == 6


def test_no_plant_no_finding(conn, make_config):
    planted_traffic(conn, seed=2, planted=None)
    assert significant(reg.find_regressions(conn, make_config(), CURRENT, BASELINE)) == []


def strata_agg(parts) -> WeightedAgg:
    """Sum of (passes, n, weight) strata, as SQL would aggregate them."""
    total = WeightedAgg()
    for x, n, w in parts:
        total += WeightedAgg(n, x, x, n * w, x * w, x * w, n * w * w, x * w * w, x * w * w)
    return total


def test_aa_false_positive_rate_is_close_to_alpha():
    """100 seeds x 12 segments of A/A counts (two strata, one oversampled 10x
    with a different pass rate): raw p < alpha about alpha of the time, and
    BH keeps runs with any finding near alpha."""
    alpha, segments, seeds = 0.05, 12, 100
    raw_hits, runs_with_findings, tests = 0, 0, 0
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        results = []
        for s in range(segments):
            pop = int(rng.integers(400, 4000))
            rate_a, rate_b = rng.uniform(0.7, 0.95), rng.uniform(0.2, 0.6)
            sides = []
            for _ in range(2):
                n_a = rng.binomial(int(pop * 0.9), 0.1)  # base stratum, p = 0.1
                n_b = rng.binomial(int(pop * 0.1), 1.0)  # oversampled, p = 1
                sides.append(strata_agg([(rng.binomial(n_a, rate_a), n_a, 10.0),
                                         (rng.binomial(n_b, rate_b), n_b, 1.0)]))
            results.append(reg.compare_pass_rates(reg.Segment(task=f"t{s}"), "j", "rule", *sides,
                                                  min_n=30))
        tested = [r for r in results if r.p is not None]
        # one-sided p of the observed direction: a "worse" p below alpha
        raw_hits += sum(r.p < alpha and r.delta < 0 for r in tested)
        tests += len(tested)
        runs_with_findings += any(r.significant for r in reg.apply_fdr(results, alpha))
    lo, hi = sps.binom.ppf([0.0005, 0.9995], tests, alpha)
    assert lo <= raw_hits <= hi, f"{raw_hits} of {tests} raw p-values below alpha"
    assert runs_with_findings <= sps.binom.ppf(0.999, seeds, alpha)


def test_oversampled_stratum_does_not_bias_the_weighted_comparison(conn, make_config):
    """Edge cases (10% of traffic, pass 0.3) are sampled at 0.1 in the baseline
    and 1.0 now; everything else (pass 0.9) at 0.1. Nothing really changed."""
    rng = random.Random(5)
    rows = new_rows()
    i = 0
    for window, edge_p in ((BASELINE, 0.1), (CURRENT, 1.0)):
        for _ in range(4000):
            edge = rng.random() < 0.1
            p = edge_p if edge else 0.1
            if rng.random() >= p:
                continue
            i += 1
            judged_output(rows, f"o{i}", rng.uniform(window.since, window.until),
                          rng.random() < (0.3 if edge else 0.9), task="t", model="m", p=p, rng=rng)
    flush(conn, rows)
    results = reg.find_regressions(conn, make_config(), CURRENT, BASELINE)
    assert significant(results) == []
    rule = next(r for r in results if r.judge == "json_valid")
    assert rule.baseline_raw - rule.current_raw > 0.2  # the trap an unweighted rate falls into
    assert abs(rule.delta) < 0.08
    score = next(r for r in results if r.metric == "mean_score")
    assert score.method == "weighted-z"


def test_too_little_data_says_so(conn, make_config):
    rng = random.Random(0)
    rows = new_rows()
    for i in range(10):
        judged_output(
            rows, f"b{i}", NOW - 2 * DAY, True, task="rare", model="m", rng=rng, llm=False
        )
        judged_output(rows, f"c{i}", NOW - 1, False, task="rare", model="m", rng=rng, llm=False)
    flush(conn, rows)
    [r] = reg.find_regressions(conn, make_config({"analysis": {"min_n": 30}}), CURRENT, BASELINE)
    assert r.insufficient and not r.significant and r.p is None and r.q is None
    assert "insufficient data" in r.reason and "10 and 10" in r.reason
    assert r.baseline == 1.0 and r.current == 0.0  # what is known is still shown


def test_model_takeover_is_a_task_level_event(conn, make_config):
    rng = random.Random(9)
    rows = new_rows()
    i = 0
    for window, model, rate in ((BASELINE, "gpt-4o", 0.9), (CURRENT, "claude-sonnet", 0.6)):
        for _ in range(200):
            i += 1
            judged_output(
                rows,
                f"o{i}",
                rng.uniform(window.since, window.until),
                rng.random() < rate,
                task="summarize",
                model=model,
                rng=rng,
                llm=False,
            )
    for window in (BASELINE, CURRENT):  # a task where both models serve: arms, not a takeover
        for model in ("gpt-4o", "claude-sonnet"):
            for _ in range(100):
                i += 1
                judged_output(
                    rows,
                    f"o{i}",
                    rng.uniform(window.since, window.until),
                    rng.random() < 0.9,
                    task="classify",
                    model=model,
                    rng=rng,
                    llm=False,
                )
    flush(conn, rows)
    results = reg.find_regressions(conn, make_config(), CURRENT, BASELINE)
    task_level = [r for r in results if r.level == "task"]
    assert len(task_level) == 1
    [r] = task_level
    assert r.model_change == reg.Change("gpt-4o", "claude-sonnet")
    assert r.prompt_version_change is None
    assert r.segment == reg.Segment(task="summarize")
    assert r.significant and r.direction == "regressed" and r.n_baseline == r.n_current == 200
    # the per-model segments of the takeover have one side each: insufficient
    one_sided = [x for x in results if x.segment.task == "summarize" and x.level != "task"]
    assert one_sided and all(x.insufficient for x in one_sided)


def test_prompt_level_regressions_list_both_outputs(conn, make_config):
    outs = [
        {
            "id": "old-a",
            "ts": NOW - 3 * DAY,
            "input_text": "Q1",
            "input_hash": "h1",
            "output_text": '{"a": 1}',
            "task": "extract",
            "model": "m1",
        },
        {
            "id": "new-a",
            "ts": NOW - 100,
            "input_text": "Q1",
            "input_hash": "h1",
            "output_text": "not json",
            "task": "extract",
            "model": "m2",
        },
        {"id": "old-b", "ts": NOW - 3 * DAY, "input_hash": "h2", "output_text": "{}"},
        {"id": "new-b", "ts": NOW - 100, "input_hash": "h2", "output_text": "{}"},
        {"id": "old-c", "ts": NOW - 3 * DAY, "input_hash": "h3", "output_text": "x"},
        {"id": "new-c", "ts": NOW - 100, "input_hash": "h3", "output_text": "y"},
    ]
    add_outputs(conn, outs)
    verdicts = {"old-a": 1, "new-a": 0, "old-b": 1, "new-b": 1, "old-c": 0, "new-c": 0}
    add_scores(conn, [{"output_id": o["id"], "judge": "json_valid", "passed": verdicts[o["id"]],
                       "score": float(verdicts[o["id"]]), "output_ts": o["ts"]} for o in outs])
    [hit] = prompt_flips.prompt_regressions(conn, CURRENT, BASELINE)
    assert hit["judge"] == "json_valid" and hit["input_hash"] == "h1" and hit["input_text"] == "Q1"
    assert hit["baseline"]["output_id"] == "old-a" and hit["baseline"]["output_text"] == '{"a": 1}'
    assert hit["current"]["output_id"] == "new-a" and hit["current"]["model"] == "m2"


def test_report_section_failures_and_markdown(conn, make_config):
    cfg = make_config()
    planted_traffic(conn, seed=1, planted=("extract", "claude-haiku"))
    ctx = ReportContext(cfg=cfg, conn=conn, window=CURRENT, baseline=BASELINE, now=NOW)
    section = report_section(ctx)
    assert {
        "scores",
        "pending_samples",
        "sampling",
        "regressions",
        "arms",
        "downstream",
        "agreement",
    } <= set(section)
    assert len(section["regressions"]) == 2 and section["regression_summary"]["regressed"] == 2
    s = section["scores"]["json_valid"]
    assert s["judged"] == 6 * 300 and s["passed"] + s["failed"] == s["judged"] and s["errors"] == 0
    assert s["ci95"][0] < s["pass_rate_weighted"] < s["ci95"][1]
    why = failures(section, {"regression"})
    assert len(why) == 2 and all("extract" in w and "claude-haiku" in w for w in why)
    assert failures(section, {"budget"}) == []
    text = "\n".join(markdown(section))
    assert "## Regressions" in text and "claude-haiku" in text and "## Scores" in text


def test_report_without_baseline_window(conn, make_config):
    ctx = ReportContext(cfg=make_config(), conn=conn, window=Window(None, NOW), now=NOW)
    section = report_section(ctx)
    assert section["regressions"] == [] and "no baseline" in section["regression_summary"]["note"]


def test_markdown_keeps_untrusted_names_literal():
    from evaltop.core.views.report.analysis import _cell

    assert _cell("evil|model\n[x](javascript:alert(1)) <img src=x> `code` *b* a_b\\") == (
        "evil\\|model \\[x\\](javascript:alert(1)) &lt;img src=x&gt; 'code' \\*b\\* a\\_b\\\\")
    report = {
        "scores": {},
        "regressions": [],
        "regression_summary": {"tested": 1, "insufficient": 0},
        "prompt_regressions": [
            {
                "judge": "j|x",
                "baseline": {"output_id": "a", "model": "m<1>"},
                "current": {"output_id": "b", "model": "m2"},
            }
        ],
        "downstream": {"all": {"outputs": 10, "error": {"rate": 0.1, "n": 10}}},
    }
    text = "\n".join(markdown(report))
    assert "1 comparison tested" in text and "j\\|x" in text and "m&lt;1&gt;" in text
    assert "error rate 10.0% (n=10)" in text


def test_bad_analysis_window_in_config_names_the_key(make_config):
    from evaltop.core.model.config import ConfigError

    with pytest.raises(
        ConfigError, match=r"analysis\.baseline: expected a duration such as 90m.*'week'"
    ):
        make_config({"analysis": {"baseline": "week"}})
    cfg = make_config({"analysis": {"since": "2h", "baseline": "1d"}})
    current, baseline = analysis_windows(cfg.analysis, NOW)
    assert (current.since, current.until, baseline.since, baseline.until) == (
        NOW - 7200, NOW, NOW - 7200 - DAY, NOW - 7200)
