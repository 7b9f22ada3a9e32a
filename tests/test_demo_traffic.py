"""The demo traffic model: deterministic, realistic, with the planted regression."""

from __future__ import annotations

import orjson
import pytest

from evaltop.core.demo import traffic as dt

NOW = 1_790_000_000.0


def _generate(seed=7, run_id="t", share=0.5):
    traffic = dt.DemoTraffic(seed, start=NOW - 2 * 86400, run_id=run_id, rollout_at=NOW,
                             candidate_share=share, canary_from=NOW - 86400,
                             prompt_change_at=NOW - 43200)
    history = traffic.advance(NOW, dt.diurnal(40))
    live = traffic.advance(NOW + 1800, dt.constant(2.0))
    return history, live


def _outputs(records):
    return [r for r in records if r.get("type") != "feedback"]


def test_same_seed_same_bytes_and_other_seed_differs():
    a = b"\n".join(orjson.dumps(r) for r in sum(_generate(seed=3), []))
    b = b"\n".join(orjson.dumps(r) for r in sum(_generate(seed=3), []))
    c = b"\n".join(orjson.dumps(r) for r in sum(_generate(seed=4), []))
    assert a == b
    assert a != c


def test_run_id_keeps_ids_unique_across_runs():
    h1, _ = _generate(run_id="run1")
    h2, _ = _generate(run_id="run2")
    ids1 = {r["id"] for r in h1}
    ids2 = {r["id"] for r in h2}
    assert len(ids1) == len(h1)
    assert not ids1 & ids2


def _extract_flags(records, model_pred):
    bad = total = 0
    for r in _outputs(records):
        if r["task"] != dt.REGRESSED_TASK or r.get("error") or not model_pred(r["model"]):
            continue
        total += 1
        try:
            obj = orjson.loads(r["output"])
        except orjson.JSONDecodeError:
            bad += 1
            continue
        if set(obj) - set(dt.ALLOWED_FIELDS):
            bad += 1
    return bad, total


def test_canary_then_rollout_and_the_candidate_regresses_on_one_task():
    history, live = _generate()
    canary = [r for r in _outputs(history) if r["model"] == dt.CANDIDATE]
    assert canary and all(r["ts"] >= dt.iso(NOW - 86400) and "canary" in r["tags"] for r in canary)
    assert len(canary) / len(_outputs(history)) < 0.25  # a canary: 20% of traffic, for a while
    cand = [r for r in _outputs(live) if r["model"] == dt.CANDIDATE]
    assert 0.35 < len(cand) / len(_outputs(live)) < 0.65
    assert all("rollout" in r["tags"] for r in cand)
    bad_c, n_c = _extract_flags(live, lambda m: m == dt.CANDIDATE)
    bad_canary, n_canary = _extract_flags(history, lambda m: m == dt.CANDIDATE)
    bad_i, n_i = _extract_flags(history + live, lambda m: m != dt.CANDIDATE)
    assert n_c > 200 and n_i > 300 and n_canary > 5
    assert bad_c / n_c > 0.4  # the planted regression ...
    assert bad_i / n_i < 0.12  # ... against the incumbents
    assert bad_canary / n_canary < 0.25  # ... and against the same model's own canary
    # ... and only on that task: the candidate's other tasks fail about as often as the incumbents'
    for task in ("classify_ticket", "sql_generation"):
        c = [r for r in _outputs(live) if r["task"] == task and r["model"] == dt.CANDIDATE]
        fails = sum(r.get("output") not in dt.demo_text.LABELS and task == "classify_ticket"
                    or (task == "sql_generation" and not r.get("output", "").startswith("SELECT"))
                    for r in c)
        assert fails / len(c) < 0.15


def test_hallucinated_field_is_phone_number_in_valid_json():
    _, live = _generate()
    halluc = []
    for r in _outputs(live):
        if r["task"] == dt.REGRESSED_TASK and not r.get("error"):
            try:
                obj = orjson.loads(r["output"])
            except orjson.JSONDecodeError:
                continue
            if "phone_number" in obj:
                halluc.append(obj)
    assert halluc
    assert all(set(o) == {"name", "email", "company", "phone_number"} for o in halluc)


def test_feedback_refers_to_earlier_written_outputs():
    history, live = _generate()
    seen: set[str] = set()
    names = set()
    for r in history + live:
        if r.get("type") == "feedback":
            assert r["output_id"] in seen, r
            names.add(r["name"])
        else:
            seen.add(r["id"])
    assert names == {"task_completed", "thumbs", "user_corrected"}


def test_traffic_has_the_edge_cases_the_demo_needs():
    history, live = _generate()
    outs = _outputs(history + live)
    assert any(r.get("error") for r in outs)
    assert any(r.get("output") == dt.demo_text.REFUSAL for r in outs)
    assert any("usage" not in r and not r.get("error") for r in outs)  # counted by tiktoken
    assert any(r.get("latency_ms", 0) > 4000 and not r.get("error") for r in outs)
    low = [r for r in outs if r.get("logprobs") and sum(r["logprobs"]) / 8 < -0.7]
    assert low
    assert {r["model"] for r in outs} == set(dt.INCUMBENTS) | {dt.CANDIDATE}
    assert {r["task"] for r in outs} == set(dt.TASK_MIX)
    assert {r["variant"] for r in outs if r["task"] == "support_answer"} == {"short", "control"}


def test_records_parse_as_native_format():
    from evaltop.core.ingest.formats import parse_record

    history, _ = _generate()
    kinds = {"outputs": 0, "feedback": 0}
    for r in history:
        parsed = parse_record(orjson.loads(orjson.dumps(r)), "native", source="demo")
        assert len(parsed) == 1
        kinds["feedback" if r.get("type") == "feedback" else "outputs"] += 1
        if r.get("type") != "feedback":
            rec = parsed[0]
            assert rec.id == r["id"] and rec.model == r["model"] and rec.task == r["task"]
            assert (rec.usage is None) == ("usage" not in r)
    assert kinds["outputs"] and kinds["feedback"]


def test_advance_never_goes_backwards():
    traffic = dt.DemoTraffic(1, start=NOW, run_id="x")
    first = traffic.advance(NOW + 10, dt.constant(5))
    again = traffic.advance(NOW + 10, dt.constant(5))
    assert first and not _outputs(again)
    ts = [r["ts"] for r in _outputs(first)]
    assert ts == sorted(ts)


@pytest.mark.parametrize("task", list(dt.TASK_MIX))
def test_every_task_has_text(task):
    import random

    rng = random.Random(1)
    user, facts = dt.demo_text.prompt(task, rng)
    assert user.strip()
    assert dt.demo_text.answer(task, facts, rng).strip()


def test_support_prompt_version_changes_once():
    history, live = _generate()
    support = [r for r in _outputs(history + live) if r["task"] == "support_answer"]
    old = [r["ts"] for r in support if r["prompt_version"] == "support-v7"]
    new = [r["ts"] for r in support if r["prompt_version"] == "support-v8"]
    assert old and new and max(old) < min(new) and min(new) >= dt.iso(NOW - 43200)
