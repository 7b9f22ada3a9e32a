"""OTLP receiver throughput beside the decode+insert ceiling measured in the same run.

    python -m bench receiver          # or: python -m bench.receiver --requests 40 --runs 3

The real ``evaltop receive --port 0`` runs as a subprocess on a fresh
temporary database. ``--exporters`` threads (httpx, one connection each)
each send their share of the requests one after another, gzip-compressed,
as the OTel SDK's OTLP/HTTP exporter does; a 429/503 is retried after its
``Retry-After``. Each request is one ``bench.otlp_gen`` batch: 512 GenAI chat
spans (the SDK's default batch) and 64 HTTP/DB spans the receiver ignores.
Measured per run:

- protobuf, then OTLP/JSON (each on a fresh receiver and database): LLM
  spans stored / wall time from the first send until every request was
  answered 200 (the receiver answers 200 only after the commit), and the
  time to that 200 per request (p50, p99);
- the **ceiling**: the same gzip-compressed protobuf bodies decompressed,
  parsed with the protobuf library (``ParseFromString``), each span's id
  read, and the very rows evaltop stored for those spans inserted with one
  ``executemany`` per request into the same ``outputs`` table (same schema,
  indexes and triggers, fresh database). No HTTP, no mapping, no pricing,
  no dedupe. Target: the protobuf path at >= 70% of it;
- the **JSON ceiling**: the same for the OTLP/JSON bodies, decoded with
  the protobuf library's JSON parser (``json_format.ParseDict`` after
  ``orjson.loads``, the hex ids turned into the base64 that parser
  expects). The JSON path is shown against both ceilings: this one is what
  the same requests cost the protobuf library; the binary one is stricter;
- a **burst**: ``--burst`` exporters at once (16, then 64 by default),
  each sending two requests, on a fresh receiver each time: its peak RSS
  (``VmHWM``) beside its RSS before the burst, and how many requests it
  answered 429/503 (back-pressure). Bounded memory means the peak stops
  growing with the number of exporters once back-pressure starts.

Runs are interleaved (protobuf, ceiling, JSON, protobuf, ...) and each
ratio is the median of the per-run ratios. JSON goes to
bench/results/receiver-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.otlp_gen import make_batches
from bench.procstats import RssSampler, children, cpu_s, memory_kb, settle
from bench.receiver_ceiling import ceiling, ceiling_json, stored_rows

RESULTS = Path(__file__).resolve().parent / "results"
RECEIVE = [sys.executable, "-m", "evaltop.tui.cli.main", "receive"]
CONTENT_TYPES = {"protobuf": "application/x-protobuf", "json": "application/json"}
_LISTENING = re.compile(r"listening on (http://\S+?):(\d+)")
CONFIG = """[store]
path = "{db}"
[receiver]
host = "127.0.0.1"
port = 0
"""


@dataclass
class Receiver:
    url: str
    pid: int
    proc: subprocess.Popen
    stderr: list[str] = field(default_factory=list)


@contextmanager
def running_receiver(work: Path, command: list[str] | None = None,
                     timeout: float = 60.0) -> Iterator[Receiver]:
    """``evaltop receive --port 0`` on ``work/evaltop.db``, stopped (SIGTERM,
    then SIGKILL) on the way out."""
    db = work / "evaltop.db"
    cfg = work / "evaltop.toml"
    cfg.write_text(CONFIG.format(db=db))
    cmd = [*(command or RECEIVE), "--config", str(cfg), "--db", str(db),
           "--host", "127.0.0.1", "--port", "0"]
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    rec = Receiver("", proc.pid, proc)
    found = threading.Event()

    def read_stderr() -> None:  # keeps the pipe drained for the process's whole life
        assert proc.stderr is not None
        for line in proc.stderr:
            rec.stderr.append(line.rstrip())
            m = _LISTENING.search(line)
            if m and not found.is_set():
                rec.url = f"{m.group(1)}:{m.group(2)}"
                found.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not found.wait(0.05):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench.receiver: {' '.join(cmd)} did not start "
                                 f"(exit {proc.poll()}):\n" + "\n".join(rec.stderr[-20:]))
        settle(proc.pid)
        yield rec
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        reader.join(5)


@dataclass
class SendResult:
    wall_s: float
    ack_s: list[float]
    retried: int
    statuses: dict[int, int]
    cpu_s: float  # this process's CPU from the first send to the last answer


def send_all(url: str, bodies: list[bytes], encoding: str, exporters: int,
             *, path: str = "/v1/traces", retry_cap_s: float = 5.0) -> SendResult:
    """Send ``bodies`` (gzip-compressed) from ``exporters`` threads, exporter
    i sending bodies i, i+E, ... one after another; a 429/503 is retried after
    its Retry-After (capped), anything else but 200 stops the bench."""
    headers = {"Content-Type": CONTENT_TYPES[encoding], "Content-Encoding": "gzip"}
    acks: list[float] = []
    statuses: dict[int, int] = {}
    retried = [0]
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(exporters + 1)

    def exporter(k: int) -> None:
        with httpx.Client(timeout=120.0) as client:
            start.wait()
            for body in bodies[k::exporters]:
                t0 = time.perf_counter()
                while True:
                    try:
                        r = client.post(url + path, content=body, headers=headers)
                    except httpx.HTTPError as exc:
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                        return
                    with lock:
                        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if r.status_code in (429, 503):
                        with lock:
                            retried[0] += 1
                        time.sleep(min(float(r.headers.get("retry-after") or 1), retry_cap_s))
                        continue
                    if r.status_code != 200:
                        with lock:
                            errors.append(f"HTTP {r.status_code}: {r.text[:300]}")
                        return
                    break
                took = time.perf_counter() - t0
                with lock:
                    acks.append(took)

    threads = [threading.Thread(target=exporter, args=(k,)) for k in range(exporters)]
    for t in threads:
        t.start()
    start.wait()
    t0, cpu0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if errors:
        raise SystemExit(f"bench.receiver: {len(errors)} exporter(s) failed: {errors[0]}")
    return SendResult(wall, acks, retried[0], statuses, cpu)


def send_to(rec: Receiver, bodies: list[bytes], encoding: str, exporters: int) -> SendResult:
    """send_all to a running receiver; a failure quotes the receiver's stderr."""
    try:
        return send_all(rec.url, bodies, encoding, exporters)
    except SystemExit as exc:
        raise SystemExit(f"{exc}\nreceiver stderr:\n  " + "\n  ".join(rec.stderr[-15:])) from None


def stored_outputs(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT count(*) FROM outputs").fetchone()[0]
    finally:
        conn.close()


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def run_phase(work: Path, bodies: list[bytes], encoding: str, exporters: int, expected: int,
              command: list[str] | None) -> dict:
    """One receiver, fresh database: send everything, check what was stored."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with running_receiver(work, command) as rec:
        idle, cpu0 = memory_kb(rec.pid), cpu_s(rec.pid)
        with RssSampler(rec.pid) as rss:
            res = send_to(rec, bodies, encoding, exporters)
        mem, cpu = memory_kb(rec.pid), cpu_s(rec.pid) - cpu0
        processes = 1 + len(children(rec.pid))
    stored = stored_outputs(work / "evaltop.db")
    if stored != expected:
        raise SystemExit(f"bench.receiver: {encoding}: {stored} outputs stored, "
                         f"{expected} LLM spans sent")
    return {"encoding": encoding, "wall_s": res.wall_s, "spans_per_s": stored / res.wall_s,
            "ack_s": res.ack_s, "retried": res.retried, "statuses": res.statuses,
            "rss_idle_kb": idle["VmRSS"], "peak_rss_kb": rss.peak_kb,
            "hwm_sum_kb": mem["VmHWM"], "processes": processes,
            "receiver_cpu_s": cpu, "exporters_cpu_s": res.cpu_s}


def run_burst(work: Path, bodies: list[bytes], exporters: int,
              command: list[str] | None) -> dict:
    """``exporters`` at once, two requests each (the first 2 x exporters bodies)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    burst = [bodies[i % len(bodies)] for i in range(2 * exporters)]
    with running_receiver(work, command) as rec:
        idle = memory_kb(rec.pid)
        with RssSampler(rec.pid) as rss:
            res = send_to(rec, burst, "protobuf", exporters)
        mem = memory_kb(rec.pid)
    return {"exporters": exporters, "requests": len(burst), "wall_s": res.wall_s,
            "retried": res.retried, "statuses": res.statuses,
            "ack_p99_s": _pct(res.ack_s, 0.99), "rss_idle_kb": idle["VmRSS"],
            "peak_rss_kb": rss.peak_kb, "hwm_sum_kb": mem["VmHWM"],
            "stored": stored_outputs(work / "evaltop.db")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.receiver",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=40, help="export requests per run")
    ap.add_argument("--llm-spans", type=int, default=512, help="LLM spans per request")
    ap.add_argument("--other-spans", type=int, default=64, help="HTTP/DB spans per request")
    ap.add_argument("--exporters", type=int, default=4, help="concurrent exporters")
    ap.add_argument("--burst", default="16,64",
                    help="exporters in each burst, comma-separated (0: no burst)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--host-rate", type=float, default=10.0,
                    help="LLM calls/s per host, for the hosts-served estimate")
    ap.add_argument("--command", default=None,
                    help="receiver command instead of `evaltop receive` (e.g. another "
                         "checkout's python -m evaltop.tui.cli.main receive)")
    args = ap.parse_args(argv)
    command = args.command.split() if args.command else None
    t_gen = time.perf_counter()
    batches = make_batches(args.requests, seed=args.seed, llm=args.llm_spans,
                           other=args.other_spans)
    bodies = {enc: [b.body(enc) for b in batches] for enc in CONTENT_TYPES}
    raw = {enc: sum(len(b.protobuf if enc == "protobuf" else b.json) for b in batches)
           for enc in CONTENT_TYPES}
    del batches
    gen_s = time.perf_counter() - t_gen
    expected = args.requests * args.llm_spans
    tmp = Path(tempfile.mkdtemp(prefix="evaltop-bench-receiver-"))
    runs: dict[str, list] = {"protobuf": [], "json": [], "ceiling": [], "ceiling_json": []}
    bursts = []
    try:
        for _ in range(args.runs):
            pb = run_phase(tmp / "pb", bodies["protobuf"], "protobuf", args.exporters,
                           expected, command)
            runs["protobuf"].append(pb)
            cols, rows = stored_rows(tmp / "pb" / "evaltop.db")
            ceil_db = tmp / "ceiling.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{ceil_db}{suffix}").unlink(missing_ok=True)
            runs["ceiling"].append(ceiling(bodies["protobuf"], cols, rows, ceil_db))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{ceil_db}{suffix}").unlink(missing_ok=True)
            runs["ceiling_json"].append(ceiling_json(bodies["json"], cols, rows, ceil_db))
            del rows
            runs["json"].append(run_phase(tmp / "json", bodies["json"], "json", args.exporters,
                                          expected, command))
        for n in (int(x) for x in args.burst.split(",") if x.strip()):
            if n > 0:
                bursts.append(run_burst(tmp / f"burst{n}", bodies["protobuf"], n, command))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ceil_rate = [expected / c["wall_s"] for c in runs["ceiling"]]
    ceil_json_rate = [expected / c["wall_s"] for c in runs["ceiling_json"]]
    result: dict = {
        "bench": "receiver",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": " ".join(["python -m bench.receiver", *(argv or [])]),
        "receiver": " ".join(command or ["evaltop", "receive"]),
        "requests": args.requests, "llm_spans_per_request": args.llm_spans,
        "other_spans_per_request": args.other_spans, "exporters": args.exporters,
        "runs": args.runs, "seed": args.seed, "generate_s": gen_s,
        "bytes_per_request": {enc: raw[enc] / args.requests for enc in raw},
        "gzip_bytes_per_request": {enc: sum(map(len, b)) / args.requests
                                   for enc, b in bodies.items()},
        "cores": os.cpu_count(),
        "ceiling": {"spans_per_s": statistics.median(ceil_rate), "runs": ceil_rate,
                    "cpu_us_per_span": statistics.median(
                        c["cpu_s"] / expected * 1e6 for c in runs["ceiling"]),
                    "gunzip_share": statistics.median(
                        c["gunzip_s"] / c["wall_s"] for c in runs["ceiling"])},
        "ceiling_json": {"spans_per_s": statistics.median(ceil_json_rate),
                         "runs": ceil_json_rate},
        "hosts_at_calls_per_s": args.host_rate,
        "target": 0.70,
    }
    for enc in CONTENT_TYPES:
        phases = runs[enc]
        acks = [a for p in phases for a in p["ack_s"]]
        rates = [p["spans_per_s"] for p in phases]
        result[enc] = {
            "spans_per_s": statistics.median(rates), "runs": rates,
            "ratio": statistics.median(r / c for r, c in zip(rates, ceil_rate, strict=True)),
            "ratio_own_ceiling": statistics.median(
                r / c for r, c in zip(rates, ceil_rate if enc == "protobuf" else ceil_json_rate,
                                      strict=True)),
            "ack_p50_s": _pct(acks, 0.50), "ack_p99_s": _pct(acks, 0.99),
            "ack_max_s": max(acks), "acks": len(acks),
            "retried": sum(p["retried"] for p in phases),
            "peak_rss_mb": max(p["peak_rss_kb"] for p in phases) / 1024,
            "hwm_sum_mb": max(p["hwm_sum_kb"] for p in phases) / 1024,
            "processes": phases[0]["processes"],
            "receiver_cpu_us_per_span": statistics.median(
                p["receiver_cpu_s"] / expected * 1e6 for p in phases),
            "exporters_cpu_us_per_span": statistics.median(
                p["exporters_cpu_s"] / expected * 1e6 for p in phases),
            "hosts": statistics.median(rates) / args.host_rate,
            "idle_rss_mb": statistics.median(p["rss_idle_kb"] for p in phases) / 1024,
        }
    result["burst"] = bursts
    result["load_average"] = os.getloadavg()
    pb, js = result["protobuf"], result["json"]
    print(f"receiver, {args.requests} requests x {args.llm_spans} LLM spans "
          f"(+{args.other_spans} HTTP/DB) = {expected:,} LLM spans per run, "
          f"{args.exporters} exporters, gzip; {result['bytes_per_request']['protobuf'] / 1e6:.1f} "
          f"MB protobuf per request; median of {args.runs} interleaved runs "
          f"(load average {result['load_average'][0]:.1f}):")
    c = result["ceiling"]
    print(f"  ceiling (gunzip + ParseFromString + executemany, no HTTP): "
          f"{c['spans_per_s']:>9,.0f} spans/s   ({c['cpu_us_per_span']:.0f} us CPU per span, "
          f"{c['gunzip_share']:.0%} of it gunzip)")
    print(f"  JSON ceiling (gunzip + orjson + json_format.ParseDict + executemany): "
          f"{result['ceiling_json']['spans_per_s']:>9,.0f} spans/s")
    for name, r in (("protobuf", pb), ("OTLP/JSON", js)):
        own = ("" if name == "protobuf" else
               f" of the binary ceiling, {r['ratio_own_ceiling']:.0%} of the JSON one")
        print(f"  {name:<9} {r['spans_per_s']:>9,.0f} spans/s   ratio {r['ratio']:.0%}{own}"
              f" (target >= 70%)   ack p50 "
              f"{r['ack_p50_s'] * 1000:,.0f} ms, p99 {r['ack_p99_s'] * 1000:,.0f} ms "
              f"({r['acks']} requests)   peak RSS {r['peak_rss_mb']:.0f} MB "
              f"(idle {r['idle_rss_mb']:.0f}, {r['processes']} processes); "
              f"retried {r['retried']}")
        print(f"            receiver CPU {r['receiver_cpu_us_per_span']:.0f} us per span, "
              f"exporters {r['exporters_cpu_us_per_span']:.0f} us; serves "
              f"{r['hosts']:,.0f} hosts at {args.host_rate:g} LLM calls/s each")
    for burst in bursts:
        print(f"  burst: {burst['exporters']} exporters x 2 requests at once: peak RSS "
              f"{burst['peak_rss_kb'] / 1024:.0f} MB (idle {burst['rss_idle_kb'] / 1024:.0f}), "
              f"answers {burst['statuses']}, ack p99 {burst['ack_p99_s'] * 1000:,.0f} ms, "
              f"{burst['stored']:,} stored")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"receiver-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    for enc in CONTENT_TYPES:  # per-request acks stay in the file, not on the screen
        result[enc]["ack_s"] = [a for p in runs[enc] for a in p["ack_s"]]
    out.write_text(json.dumps(result, indent=2))
    print(f"  wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
