"""Judge throughput against the loopback LLM server.

    python -m bench judges            # or: python -m bench.judges --configs 32x0.2 --runs 5

1. Throughput: ``score_pending`` over N pending samples with one LLM judge whose
   server answers after a fixed latency L with concurrency C. The ideal is
   C / L judged outputs per second; we report the ratio (target >= 90%), and
   beside it the ratio a bare httpx client reaches against the same server
   (what this machine allows).
2. Overhead per judged output: the same run with L = 0, minus a bare httpx
   client sending the same requests with the same concurrency, divided by N
   (wall time, and CPU time of this process, which is steadier on a busy
   machine): what evaltop adds per output (prompt building, redaction, token
   counting, budget reservation and settlement, score and judge_calls rows).
The server runs in its own process. Default pairs C x L: 8 x 0.2 s, 32 x 0.5 s,
32 x 0.2 s. Medians of ``--runs`` runs; JSON in bench/results/judges-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from evaltop.core.ingest.tokens import count_text
from evaltop.core.model import config as config_mod
from evaltop.core.scoring.judges.llm import CONNECTIONS_PER_CLIENT
from evaltop.core.scoring.judges.runner import score_pending
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
            "INSERT INTO samples (output_id, probability, sampled_at, output_ts)"
            " VALUES (?, 1, ?, ?)",
            [(f"b{i}", now, now + i * 1e-3) for i in range(n)],
        )
    conn.close()


def _config(base_url: str, tmp: Path, concurrency: int) -> config_mod.Config:
    judge = {
        "name": "bench",
        "kind": "llm",
        "provider": "openai",
        "base_url": base_url,
        "model": "claude-haiku-4-5",
        "rubric": "Grade correctness.",
        "concurrency": concurrency,
        "timeout_s": 30,
        "deadline_s": 60,
        "max_output_tokens": 100,
    }
    return config_mod.validate(
        {"judges": [judge], "store": {"path": str(tmp / "x.db")}}, base_dir=tmp
    )


@contextlib.contextmanager
def loopback(latency: float) -> Iterator[str]:
    """The loopback server in its own process (so it does not share our GIL);
    yields its OpenAI-style base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--latency", str(latency), "--usage", "120", "20"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
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


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_evaltop(n: int, latency: float, concurrency: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for score_pending to judge n outputs."""
    with tempfile.TemporaryDirectory() as d, loopback(latency) as base_url:
        tmp = Path(d)
        path = tmp / "bench.db"
        _seed(path, n)
        cfg = _config(base_url, tmp, concurrency)
        started, cpu = time.perf_counter(), _cpu()
        summary = score_pending(cfg, path)
        elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
        if summary.judged != n:
            raise SystemExit(f"bench.judges: judged {summary.judged} of {n}: {summary.as_dict()}")
        return elapsed, cpu


async def _raw(url: str, n: int, concurrency: int, body: dict) -> None:
    """Bare httpx with the judge's client layout (clients of <= 8 connections)."""
    sem = asyncio.Semaphore(concurrency)
    shards = -(-concurrency // CONNECTIONS_PER_CLIENT)
    per = -(-concurrency // shards)
    limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
    clients = [httpx.AsyncClient(limits=limits, timeout=30) for _ in range(shards)]

    async def one(i: int) -> None:
        async with sem:
            r = await clients[i % shards].post(url, json=body)
            r.json()

    try:
        await asyncio.gather(*(one(i) for i in range(n)))
    finally:
        for c in clients:
            await c.aclose()


def run_raw(n: int, concurrency: int, latency: float = 0.0) -> tuple[float, float]:
    """(wall, CPU) seconds for a bare httpx client sending n requests."""
    body = {"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": OUTPUT * 20}]}
    with loopback(latency) as base_url:
        started, cpu = time.perf_counter(), _cpu()
        asyncio.run(_raw(base_url + "/chat/completions", n, concurrency, body))
        return time.perf_counter() - started, _cpu() - cpu


def _median(pairs: list[tuple[float, float]], i: int) -> float:
    return statistics.median(p[i] for p in pairs)


def measure(c: int, lat: float, runs: int, seconds: float = 10.0) -> dict:
    ideal = c / lat
    n = max(100, int(ideal * seconds))  # `seconds` of ideal work: start-up weighs little
    slow = [run_evaltop(n, lat, c) for _ in range(runs)]
    fast = [run_evaltop(n, 0.0, c) for _ in range(runs)]
    raw = [run_raw(n, c) for _ in range(runs)]
    raw_slow = [run_raw(n, c, lat) for _ in range(runs)]
    throughput = n / _median(slow, 0)
    raw_throughput = n / _median(raw_slow, 0)
    return {
        "concurrency": c,
        "latency_s": lat,
        "outputs": n,
        "runs": runs,
        "ideal_per_s": ideal,
        "throughput_per_s": round(throughput, 1),
        "ratio": round(throughput / ideal, 3),
        "raw_httpx_per_s": round(raw_throughput, 1),
        "raw_httpx_ratio": round(raw_throughput / ideal, 3),
        "evaltop_l0_wall_s": round(_median(fast, 0), 3),
        "raw_httpx_l0_wall_s": round(_median(raw, 0), 3),
        "overhead_wall_ms_per_output": round(
            max(0.0, _median(fast, 0) - _median(raw, 0)) / n * 1000, 2
        ),
        "evaltop_cpu_ms_per_output": round(_median(fast, 1) / n * 1000, 2),
        "raw_httpx_cpu_ms_per_output": round(_median(raw, 1) / n * 1000, 2),
        "overhead_cpu_ms_per_output": round((_median(fast, 1) - _median(raw, 1)) / n * 1000, 2),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.judges", description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default="8x0.2,32x0.5,32x0.2",
                    help="comma-separated CxL pairs: judge concurrency x loopback latency (s)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0,
                    help="ideal seconds of judging per run (start-up is amortised over it)")
    args = ap.parse_args(argv)
    count_text("warm up", "claude-haiku-4-5")  # load the tokenizer once, as a running engine has
    results = []
    for spec in args.configs.split(","):
        c, lat = spec.split("x")
        r = measure(int(c), float(lat), args.runs, args.seconds)
        results.append(r)
        print(f"C={r['concurrency']:>3} L={r['latency_s']:g}s: "
              f"{r['throughput_per_s']:.1f}/s of ideal "
              f"{r['ideal_per_s']:.0f}/s = {r['ratio']:.1%} (target >= 90%; "
              f"bare httpx on this machine {r['raw_httpx_ratio']:.1%}); overhead per output "
              f"{r['overhead_wall_ms_per_output']:.2f} ms wall, "
              f"{r['overhead_cpu_ms_per_output']:.2f} ms CPU "
              f"(evaltop {r['evaltop_cpu_ms_per_output']:.2f} "
              f"vs bare httpx {r['raw_httpx_cpu_ms_per_output']:.2f})", flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"judges-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps({"cpus": os.cpu_count(), "loadavg_1m": os.getloadavg()[0],
                               "results": results}, indent=2) + "\n")
    print(f"wrote {out}")
    return 0 if all(r["ratio"] >= 0.9 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
