"""corpus build / add: dedupe, near-duplicates, stratification, caps, redaction."""

from __future__ import annotations

import json

import pytest
from replay_helpers import NOW, add_label, add_output, add_score

from evaltop.core.rollout import corpus as corpus_mod
from evaltop.core.rollout.corpus import (
    CorpusError,
    NearDupIndex,
    add_case,
    build,
    case_id_for,
    load,
    minhash,
)

LONG = (
    "Please summarise the quarterly report for the northern region, focusing on revenue, churn, "
    "hiring plans and the open risks the finance team raised in the last review meeting. "
)


def read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_exact_duplicates_collapse_to_the_failing_one(conn, make_config, tmp_path):
    cfg = make_config()
    add_output(conn, "a", input="What is  the refund policy?", output="good", ts=NOW - 100)
    add_output(conn, "b", input="what is the REFUND policy?", output="bad", ts=NOW - 200)
    add_output(conn, "c", input="What is the refund policy? ", output="good2", ts=NOW - 50)
    add_score(conn, "a", "j", True)
    add_score(conn, "b", "j", False)
    s = build(cfg, conn, tmp_path / "c.jsonl", now=NOW)
    cases = read(tmp_path / "c.jsonl")
    assert s.examined == 3 and s.distinct_inputs == 1 and s.written == 1
    assert [c["source_output_id"] for c in cases] == ["b"]
    assert cases[0]["outcome"] == "fail" and cases[0]["scores"]["j"]["passed"] is False


def test_near_duplicates_are_dropped_within_a_task(conn, make_config, tmp_path):
    cfg = make_config()
    add_output(conn, "n1", input=LONG + "Thanks!", task="sum")
    # one word more: near-duplicate
    add_output(conn, "n2", input=LONG + "Thanks a lot!", task="sum")
    add_output(
        conn,
        "n3",
        input="Translate 'good morning' into French, formal register please.",
        task="sum",
    )
    add_output(conn, "n4", input=LONG + "Thanks!!", task="other")  # same text, other task: kept
    s = build(cfg, conn, tmp_path / "c.jsonl", now=NOW)
    ids = sorted(c["source_output_id"] for c in read(tmp_path / "c.jsonl"))
    assert s.near_duplicates == 1
    assert len(ids) == 3 and "n3" in ids and "n4" in ids and len({"n1", "n2"} & set(ids)) == 1


def test_minhash_index_separates_near_from_different():
    idx = NearDupIndex()
    assert not idx.is_near(minhash(LONG))
    idx.add(minhash(LONG + "Thanks!"))
    for i in range(40):  # growth past the initial capacity keeps earlier signatures
        idx.add(minhash(f"unrelated filler text number {i} about {i * 3} things"))
    assert idx.is_near(minhash(LONG + "Thanks a lot!"))
    assert not idx.is_near(
        minhash("Write a haiku about databases and the sea at night, in English.")
    )


def test_stratified_keeps_failures_and_labels_and_caps_passes(conn, make_config, tmp_path):
    cfg = make_config()
    for i in range(40):
        add_output(conn, f"p{i}", input=f"question number {i} about topic {i * 7}", task="qa")
        add_score(conn, f"p{i}", "j", True)
    for i in range(6):
        add_output(conn, f"f{i}", input=f"failing question {i} regarding item {i * 13}", task="qa")
        add_score(conn, f"f{i}", "j", False)
    for i in range(3):
        add_output(conn, f"l{i}", input=f"labelled question {i} on theme {i * 17}", task="qa")
        add_label(conn, f"l{i}", "pass")
    add_output(conn, "u0", input="never judged at all", task="qa")
    add_output(conn, "e0", input="a call that errored", task="qa", error="HTTP 500")
    s = build(cfg, conn, tmp_path / "c.jsonl", per_segment=5, now=NOW)
    cases = read(tmp_path / "c.jsonl")
    by = {}
    for c in cases:
        by.setdefault(c["outcome"], []).append(c["source_output_id"])
    assert sorted(by["fail"]) == sorted([f"f{i}" for i in range(6)] + ["e0"])
    assert sorted(by["labelled"]) == ["l0", "l1", "l2"]
    assert len(by["pass"]) == 5 and by["unscored"] == ["u0"]
    assert s.by_segment["qa/pass"] == 5 and s.written == len(cases) == 16


def test_sampling_is_deterministic_by_seed(conn, make_config, tmp_path):
    cfg = make_config()
    for i in range(30):
        add_output(
            conn, f"p{i}", input=f"distinct prompt {i} with words {i * 31} and {i * 7}", task="qa"
        )
        add_score(conn, f"p{i}", "j", True)
    build(cfg, conn, tmp_path / "a.jsonl", per_segment=5, seed="s1", now=NOW)
    build(cfg, conn, tmp_path / "b.jsonl", per_segment=5, seed="s1", now=NOW)
    build(cfg, conn, tmp_path / "c.jsonl", per_segment=5, seed="s2", now=NOW)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    ids = lambda p: {c["source_output_id"] for c in read(p)}  # noqa: E731
    assert ids(tmp_path / "a.jsonl") != ids(tmp_path / "c.jsonl")


def test_window_excludes_old_outputs(conn, make_config, tmp_path):
    cfg = make_config()
    add_output(conn, "new", input="recent prompt", ts=NOW - 86400)
    add_output(conn, "old", input="ancient prompt", ts=NOW - 40 * 86400)
    build(cfg, conn, tmp_path / "c.jsonl", days=30, now=NOW)
    assert [c["source_output_id"] for c in read(tmp_path / "c.jsonl")] == ["new"]


SECRETS = [
    "jane.roe@example.org",
    "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2",
    "4111 1111 1111 1111",
    "+1 (415) 555-0134",
]


def test_redaction_removes_planted_secrets_everywhere(conn, make_config, tmp_path):
    cfg = make_config()
    msgs = [{"role": "system", "content": "key sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"},
            {"role": "user", "content": "I'm jane.roe@example.org, card 4111 1111 1111 1111"}]
    add_output(conn, "s1", input=msgs, output="Call +1 (415) 555-0134 or mail jane.roe@example.org",
               metadata={"user_email": "jane.roe@example.org", "api_key": "whatever"})
    add_score(conn, "s1", "j", False, reason="leaked jane.roe@example.org")
    add_label(conn, "s1", "fail", note="customer +1 (415) 555-0134")
    build(cfg, conn, tmp_path / "c.jsonl", now=NOW)
    text = (tmp_path / "c.jsonl").read_text()
    for secret in SECRETS + ["whatever"]:
        assert secret not in text
    case = read(tmp_path / "c.jsonl")[0]
    assert case["redacted"] is True
    assert case["input"][1]["content"] == "I'm [EMAIL], card [CARD]"
    assert case["baseline_output"] == "Call [PHONE] or mail [EMAIL]"

    off = make_config({"redaction": {"enabled": False}})
    build(off, conn, tmp_path / "raw.jsonl", now=NOW)
    assert "jane.roe@example.org" in (tmp_path / "raw.jsonl").read_text()


def test_redaction_failure_drops_the_case(conn, make_config, tmp_path, monkeypatch):
    cfg = make_config()
    add_output(conn, "ok", input="plain question")
    add_output(conn, "boom", input="TRIGGER secret jane.roe@example.org")
    real = corpus_mod.redact_obj

    def flaky(obj):
        if isinstance(obj, str) and "TRIGGER" in obj:
            raise RuntimeError("redactor bug")
        return real(obj)

    monkeypatch.setattr(corpus_mod, "redact_obj", flaky)
    s = build(cfg, conn, tmp_path / "c.jsonl", now=NOW)
    text = (tmp_path / "c.jsonl").read_text()
    assert s.dropped_redaction == 1 and s.written == 1
    assert "jane.roe" not in text and "TRIGGER" not in text
    with pytest.raises(CorpusError, match="redaction failed"):
        add_case(cfg, conn, "boom", tmp_path / "one.jsonl")
    assert not (tmp_path / "one.jsonl").exists()


def test_add_case_appends_once_and_defaults_next_to_config(conn, make_config, tmp_path):
    cfg = make_config()
    add_output(conn, "x1", input="mail me at a@b.io")
    path = add_case(cfg, conn, "x1")
    assert path == tmp_path / "corpus.jsonl"
    add_case(cfg, conn, "x1")
    cases = load(path)
    assert (
        len(cases) == 1
        and cases[0]["id"] == case_id_for("x1")
        and cases[0]["input"] == "mail me at [EMAIL]"
    )
    with pytest.raises(CorpusError, match="no stored output"):
        add_case(cfg, conn, "missing")


def test_load_names_file_and_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": "a", "input": "x"}\n\n[1, 2]\n')
    with pytest.raises(CorpusError, match=r"bad.jsonl:3: expected a JSON object"):
        load(p)
    p.write_text('{"id": "a", "input": "x"}\n{"id": "a", "input": "y"}\n')
    with pytest.raises(CorpusError, match=r":2: duplicate case id"):
        load(p)
    p.write_text('{"id": "a", "input": 5}\n')
    with pytest.raises(CorpusError, match=r":1: `input` must be"):
        load(p)
    p.write_text('{"id": "a", "input": "x"\n')
    with pytest.raises(CorpusError, match=r":1: not JSON"):
        load(p)


def test_bounded_candidate_heap_keeps_the_smallest_seeded_ranks(conn, make_config, tmp_path):
    cfg = make_config()
    ids = [f"p{i}" for i in range(60)]  # more than per_segment x EXAMINE_FACTOR = 20 candidates
    for i, oid in enumerate(ids):
        add_output(
            conn, oid, input=f"unique prompt {i} mentioning {i * 101} and {i * 7} items", task="qa"
        )
        add_score(conn, oid, "j", True)
    build(cfg, conn, tmp_path / "c.jsonl", per_segment=3, seed="s", now=NOW)
    got = sorted(c["source_output_id"] for c in read(tmp_path / "c.jsonl"))
    assert got == sorted(sorted(ids, key=lambda o: corpus_mod._rank("s", o))[:3])


def test_cli_build_and_add(conn, db_path, tmp_path):
    from click.testing import CliRunner

    from evaltop.tui.cli.main import cli

    add_output(conn, "a1", input="reach me at a@b.io", ts=__import__("time").time() - 60)
    add_score(conn, "a1", "j", False)
    run = CliRunner().invoke
    out = tmp_path / "c.jsonl"
    (tmp_path / "none.toml").write_text("")  # defaults (a named config must exist)
    cfg = ["--db", str(db_path), "--config", str(tmp_path / "none.toml")]
    r = run(cli, ["corpus", "build", "--days", "1", "--out", str(out), *cfg])
    assert r.exit_code == 0, r.output
    assert "wrote 1 cases" in r.stdout and "redaction on" in r.stdout and "  t/fail: 1" in r.stdout
    assert "a@b.io" not in out.read_text()
    r = run(cli, ["corpus", "add", "a1", "--out", str(tmp_path / "d.jsonl"), *cfg])
    assert r.exit_code == 0 and len(load(tmp_path / "d.jsonl")) == 1
    r = run(cli, ["corpus", "add", "zz", *cfg])
    assert r.exit_code == 2 and "no stored output with id 'zz'" in r.stderr
    r = run(cli, ["corpus", "build", "--db", str(tmp_path / "missing.db"), "--out", str(out)])
    assert r.exit_code == 2 and "does not exist" in r.stderr
    r = run(cli, ["corpus", "build", "--days", "0", *cfg])
    assert r.exit_code == 2
