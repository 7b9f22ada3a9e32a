"""The pipeline over every format (auto-detected), and the columns it writes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import orjson
from ingest_helpers import count, native, source_config, write_lines

from evaltop.core.ingest.formats import FormatError, parse_record
from evaltop.core.ingest.pipeline import ingest_once
from evaltop.core.model.records import Feedback, text_hash
from evaltop.store.rollups import hourly as rollups

SAMPLES = Path(__file__).parent / "data" / "formats"


def test_all_format_samples_auto_detected_match_parse_record(tmp_path, make_config, conn):
    lines = [
        ln
        for f in sorted(SAMPLES.glob("*.jsonl"))
        for ln in f.read_bytes().splitlines()
        if ln.strip()
    ]
    assert len(lines) > 20
    write_lines(tmp_path / "mixed.jsonl", [ln + b"\n" for ln in lines])
    # the reference: parse_record line by line, as documented
    out_ids, fb_ids, rejected, dups = set(), set(), 0, 0
    for ln in lines:
        try:
            recs = parse_record(orjson.loads(ln), "auto", source="app",
                                line_hash=hashlib.blake2b(ln, digest_size=16).hexdigest())
        except (FormatError, orjson.JSONDecodeError):
            rejected += 1
            continue
        for r in recs:
            ids = fb_ids if isinstance(r, Feedback) else out_ids
            dups += r.id in ids
            ids.add(r.id)
    s = ingest_once(source_config(make_config, "mixed.jsonl", format="auto"), conn)
    assert (s.outputs, s.feedback, s.rejected, s.duplicates) == (
        len(out_ids),
        len(fb_ids),
        rejected,
        dups,
    )
    assert {r[0] for r in conn.execute("SELECT id FROM outputs")} == out_ids
    formats = {r[0] for r in conn.execute("SELECT DISTINCT format FROM outputs")}
    assert formats == {"native", "openai", "anthropic", "otel", "litellm", "langfuse"}
    assert rollups.totals_match_outputs(conn)


def test_output_columns(tmp_path, make_config, conn):
    chat = native(
        1,
        input=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi  there"},
        ],
        tags=["beta", "edge"],
        metadata={"tenant": "acme"},
        logprobs=[-0.1, -0.3],
        latency_ms=812.5,
        prompt_version="v2",
        variant="B",
        error={"message": "timeout"},
    )
    reported = native(2, model="no-such-model", cost_usd=0.0125)
    counted = native(3, usage=False, output="hello there, general kenobi")
    write_lines(tmp_path / "app.jsonl", [chat, reported, counted])
    ingest_once(source_config(make_config, "app.jsonl"), conn)
    rows = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM outputs")}
    r1 = rows["o1"]
    assert json.loads(r1["input_json"]) == [{"role": "system", "content": "Be brief."},
                                            {"role": "user", "content": "Hi  there"}]
    assert r1["input_text"] == "system: Be brief.\nuser: Hi  there"
    assert r1["input_hash"] == text_hash(r1["input_text"])
    assert json.loads(r1["tags_json"]) == ["beta", "edge"]
    assert json.loads(r1["metadata_json"])["tenant"] == "acme"
    assert abs(r1["confidence"] - 0.8187307530779818) < 1e-12  # exp(mean(-0.1, -0.3))
    assert (r1["latency_ms"], r1["prompt_version"], r1["variant"], r1["error"]) == (
        812.5,
        "v2",
        "B",
        "timeout",
    )
    assert r1["ts"] == native(1)["ts"] and r1["source"] == "app" and r1["format"] == "native"
    assert r1["cost_source"] is not None and r1["cost_pusd"] > 0
    assert (rows["o2"]["cost_pusd"], rows["o2"]["cost_source"]) == (12_500_000_000, "reported")
    r3 = rows["o3"]
    assert r3["usage_estimated"] == 1 and r3["input_tokens"] > 0 and r3["output_tokens"] > 0
    assert rows["o1"]["usage_estimated"] == 0
    est = conn.execute("SELECT SUM(estimated_outputs), SUM(errors) FROM rollup_hourly").fetchone()
    assert tuple(est) == (1, 1)
    assert count(conn, "outputs") == 3
