"""`python -m bench ingest` keeps working (tiny sizes, no timings asserted:
speed targets live in bench/, not in tests)."""

from __future__ import annotations

import json

import pytest

from bench import ingest as bench_ingest


def test_overlap_bound_spreads_both_ceilings_cpu_over_the_cores():
    # 10 us (store) + 30 us (count) of CPU per record on 2 cores: 20 us per record at best
    assert bench_ingest.overlap_bound(10e-6, 30e-6, 2) == pytest.approx(50_000)
    assert bench_ingest.overlap_bound(10e-6, 30e-6, 1) == pytest.approx(25_000)


def test_a_tiny_run_writes_every_figure(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_ingest, "RESULTS", tmp_path)
    assert bench_ingest.main(["--records", "300", "--runs", "1", "--workers", "0"]) == 0
    [out] = tmp_path.glob("ingest-*.json")
    result = json.loads(out.read_text())
    wu, wo = result["with_usage"], result["without_usage"]
    assert wu["evaltop_rps"] > 0 and wu["raw_ceiling_rps"] > 0 and wu["ratio"] > 0
    assert wo["evaltop_rps"] > 0 and wo["tiktoken_ceiling_rps"] > 0
    assert 0 < wo["overlap_bound_rps"] and wo["overlap_bound_ratio"] == pytest.approx(
        wo["overlap_bound_rps"] / wo["tiktoken_ceiling_rps"])
    chat = result["chat_without_usage"]
    assert chat["evaltop_rps"] > 0 and chat["counted_every_time_rps"] > 0 and chat["speedup"] > 0
    printed = capsys.readouterr().out
    assert (
        "raw parse+insert ceiling" in printed and "bounded by" in printed and "chat logs" in printed
    )
