"""Judge throughput against the loopback LLM server.

    python -m bench judges            # or: python -m bench.judges --latency 0.2 --concurrency 32

1. Throughput: ``score_pending`` over N pending samples with one LLM judge whose
   server answers after a fixed latency L with concurrency C. The ideal is
   C / L judged outputs per second; we report the ratio (target >= 90%).
2. Overhead per judged output: the same run with L = 0, minus a bare httpx
   client sending the same requests with the same concurrency, divided by N:
   what evaltop adds per output (prompt building, token counting, budget
   reservation and settlement, score and judge_calls rows).
Medians of ``--runs`` runs; JSON written to bench/results/judges-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from evaltop.core import config as config_mod
from evaltop.core.judges.runner import score_pending
from evaltop.store import db

SERVER = Path(__file__).resolve().parents[1] / "tests" / "loopback_server.py"
RESULTS = Path(__file__).resolve().parent / "results"
OUTPUT = "The invoice INV-20931 was paid on 3 March; the refund of $42.10 is pending approval."


def _seed(path: Path, n: int) -> None:
    conn = db.connect(path)
    now = time.time() - 60
    with db.write(conn):
        conn.executemany(
            """INSERT INTO outputs (id, ts, model, task, input_text, output_text, ingested_at)
               VALUES (?, ?, 'gpt-4o-mini', 'support', 'Where is my refund?', ?, ?)""",
            [(f"b{i}", now + i * 1e-3, OUTPUT, now) for i in range(n)])
        conn.executemany(
            "INSERT INTO samples (output_id, probability, sampled_at, output_ts) VALUES (?, 1, ?, ?)",
            [(f"b{i}", now, now + i * 1e-3) for i in range(n)])
    conn.close()


def _config(base_url: str, tmp: Path, concurrency: int) -> config_mod.Config:
    judge = {"name": "bench", "kind": "llm", "provider": "openai", "base_url": base_url,
             "model": "claude-haiku-4-5", "rubric": "Grade correctness.", "concurrency": concurrency,
             "timeout_s": 30, "deadline_s": 60, "max_output_tokens": 100}
    return config_mod.validate({"judges": [judge], "store": {"path": str(tmp / "x.db")}}, base_dir=tmp)


@contextlib.contextmanager
def loopback(latency: float) -> Iterator[str]:
    """The loopback server in its own process (so it does not share our GIL);
    yields its OpenAI-style base URL."""
    proc = subprocess.Popen([sys.executable, str(SERVER), "--latency", str(latency), "--usage", "120", "20"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        if not base.startswith("http://127.0.0.1:"):
            raise SystemExit(f"bench.judges: loopback server did not start ({base!r})")
        yield f"{base}/v1"
    finally:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=30)


def run_evaltop(n: int, latency: float, concurrency: int) -> float:
    """Seconds for score_pending to judge n outputs."""
    with tempfile.TemporaryDirectory() as d, loopback(latency) as base_url:
        tmp = Path(d)
        path = tmp / "bench.db"
        _seed(path, n)
        cfg = _config(base_url, tmp, concurrency)
        started = time.perf_counter()
        summary = score_pending(cfg, path)
        elapsed = time.perf_counter() - started
        if summary.judged != n:
            raise SystemExit(f"bench.judges: judged {summary.judged} of {n}: {summary.as_dict()}")
        return elapsed


async def _raw(url: str, n: int, concurrency: int, body: dict) -> None:
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def one() -> None:
            async with sem:
                r = await client.post(url, json=body)
                r.json()
        await asyncio.gather(*(one() for _ in range(n)))


def run_raw(n: int, concurrency: int) -> float:
    """Seconds for a bare httpx client to send the same n requests (L = 0)."""
    body = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": OUTPUT * 20}]}
    with loopback(0.0) as base_url:
        started = time.perf_counter()
        asyncio.run(_raw(base_url + "/chat/completions", n, concurrency, body))
        return time.perf_counter() - started


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.judges", description=__doc__.splitlines()[0])
    ap.add_argument("--outputs", type=int, default=640)
    ap.add_argument("--latency", type=float, default=0.2, help="loopback reply latency L, seconds")
    ap.add_argument("--concurrency", type=int, default=32, help="judge concurrency C")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    n, lat, c = args.outputs, args.latency, args.concurrency
    ideal = c / lat
    slow = [run_evaltop(n, lat, c) for _ in range(args.runs)]
    fast = [run_evaltop(n, 0.0, c) for _ in range(args.runs)]
    raw = [run_raw(n, c) for _ in range(args.runs)]
    throughput = n / statistics.median(slow)
    overhead_ms = max(0.0, statistics.median(fast) - statistics.median(raw)) / n * 1000
    result = {
        "outputs": n, "latency_s": lat, "concurrency": c, "runs": args.runs,
        "ideal_per_s": ideal, "throughput_per_s": round(throughput, 1),
        "ratio": round(throughput / ideal, 3), "target_ratio": 0.9,
        "evaltop_l0_s": round(statistics.median(fast), 3), "raw_httpx_l0_s": round(statistics.median(raw), 3),
        "overhead_ms_per_output": round(overhead_ms, 2),
    }
    print(f"judge throughput: {throughput:.1f}/s of ideal {ideal:.0f}/s (C={c}, L={lat:g}s) = "
          f"{throughput / ideal:.1%} (target >= 90%)")
    print(f"overhead per judged output: {overhead_ms:.2f} ms (evaltop at L=0 {result['evaltop_l0_s']} s "
          f"vs bare httpx {result['raw_httpx_l0_s']} s for {n} outputs)")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"judges-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 0 if result["ratio"] >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
