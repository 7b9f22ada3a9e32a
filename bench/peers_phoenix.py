"""Peer: Arize Phoenix's OTLP endpoint against `evaltop receive`, the same spans
(`python -m bench.peers phoenix`).

1. installs ``arize-phoenix`` from PyPI into its own virtualenv unless it is
   there: ``$XDG_CACHE_HOME/evaltop-bench/phoenix-venv`` (~/.cache/...), out
   of the source tree (tests walk every .py file of bench/) and out of
   evaltop's environment;
2. generates ``--requests`` export requests with ``bench.otlp_gen`` (512
   GenAI chat spans + 64 HTTP/DB spans each), gzip-compressed protobuf, the
   one encoding Phoenix accepts (it answers OTLP/JSON with 415, checked
   and reported);
3. alternating, R times each, on a fresh store every time (Phoenix: a new
   ``PHOENIX_WORKING_DIR``, SQLite; evaltop: a new database), with the server
   already up: ``--exporters`` threads send the requests (bench.receiver's
   exporters) and the clock runs from the first send until every span is
   stored and queryable: for Phoenix, until its GraphQL API counts all the
   spans in the project (it answers 200 before storing, inserting in the
   background); for evaltop, until the last 200, which it gives only after
   the commit (the stored count is then checked);
4. prints medians and the ratio; JSON to bench/results/peers-phoenix-<time>.json.

Phoenix stores every span (576 per request), evaltop stores the 512 LLM calls
as outputs and counts the other 64 as ignored; both read and decide on all 576.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.otlp_gen import make_batches
from bench.receiver import (
    RssSampler,
    memory_kb,
    running_receiver,
    send_all,
    send_to,
    stored_outputs,
)

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "evaltop-bench"
VENV = PEERS / "phoenix-venv"
PHOENIX_VERSION = "20.26.1"  # the version measured in docs/benchmarks.md
RESULTS = ROOT / "bench" / "results"
POLL_S = 0.25  # the stored time's resolution; Phoenix takes tens of seconds here
COUNT_QUERY = "{ projects { edges { node { name recordCount } } } }"


class PeerUnavailable(Exception):
    """Phoenix could not be installed or started; the message says why."""


def ensure_phoenix(version: str = PHOENIX_VERSION) -> str:
    """The installed Phoenix version, installing it into its own venv when missing."""
    py = VENV / "bin" / "python"
    if not (VENV / "bin" / "phoenix").exists():
        PEERS.mkdir(parents=True, exist_ok=True)
        print(f"installing Phoenix: {VENV}/bin/pip install arize-phoenix=={version}", flush=True)
        steps = ([sys.executable, "-m", "venv", str(VENV)],
                 [str(py), "-m", "pip", "install", "-q", f"arize-phoenix=={version}"])
        for cmd in steps:
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                tail = (res.stderr or res.stdout).strip().splitlines()[-5:]
                raise PeerUnavailable(f"`{' '.join(cmd)}` failed:\n  " + "\n  ".join(tail))
    res = subprocess.run([str(py), "-c", "import importlib.metadata as m; "
                          "print(m.version('arize-phoenix'))"], capture_output=True, text=True)
    if res.returncode != 0:
        raise PeerUnavailable(f"Phoenix in {VENV} does not import: {res.stderr.strip()[-300:]}")
    return res.stdout.strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Phoenix:
    """``phoenix serve`` on loopback with its working dir (SQLite) in ``work``."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = work / "phoenix.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Phoenix:
        env = dict(os.environ, PHOENIX_WORKING_DIR=str(self.work), PHOENIX_HOST="127.0.0.1",
                   PHOENIX_PORT=str(self.port), PHOENIX_GRPC_PORT=str(_free_port()),
                   PHOENIX_TELEMETRY_ENABLED="false", NO_COLOR="1")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([str(VENV / "bin" / "phoenix"), "serve"], cwd=self.work,
                                         env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        tail = self.log.read_text(errors="replace").strip().splitlines()[-15:]
        self.__exit__()
        raise PeerUnavailable("`phoenix serve` did not answer /healthz (exit "
                              f"{self.proc.returncode}):\n  " + "\n  ".join(tail))

    def span_count(self, client: httpx.Client) -> int:
        r = client.post(self.url + "/graphql", json={"query": COUNT_QUERY})
        edges = r.json()["data"]["projects"]["edges"]
        return sum(e["node"]["recordCount"] for e in edges)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def phoenix_run(work: Path, bodies: list[bytes], total: int, exporters: int,
                timeout: float = 900.0) -> dict:
    with Phoenix(work) as px, httpx.Client(timeout=30) as client:
        idle = memory_kb(px.proc.pid)
        with RssSampler(px.proc.pid, every=0.1) as sampler:
            started = time.perf_counter()
            try:
                sent = send_all(px.url, bodies, "protobuf", exporters)
            except SystemExit as exc:
                tail = px.log.read_text(errors="replace").strip().splitlines()[-15:]
                raise PeerUnavailable(f"{exc}\n  " + "\n  ".join(tail)) from None
            acked = time.perf_counter() - started
            n = 0
            while n < total:
                n = px.span_count(client)
                if time.perf_counter() - started > timeout:
                    raise PeerUnavailable(f"Phoenix stored {n} of {total} spans "
                                          f"in {timeout:.0f} s")
                if n < total:  # a query every 0.25 s: a load on Phoenix's event loop itself
                    time.sleep(POLL_S)
            stored = time.perf_counter() - started
        json_status = httpx.post(px.url + "/v1/traces", content=b"{}",
                                 headers={"Content-Type": "application/json"}).status_code
    return {"stored_s": stored, "acked_s": acked, "ack_p99_s": _p99(sent.ack_s),
            "spans": n, "peak_rss_mb": sampler.peak_kb / 1024,
            "idle_rss_mb": idle["VmRSS"] / 1024, "json_status": json_status}


def evaltop_run(work: Path, bodies: list[bytes], llm: int, exporters: int,
                command: list[str] | None = None) -> dict:
    with running_receiver(work, command) as rec:
        idle = memory_kb(rec.pid)
        with RssSampler(rec.pid) as rss:
            sent = send_to(rec, bodies, "protobuf", exporters)
    n = stored_outputs(work / "evaltop.db")
    if n != llm:
        raise SystemExit(f"bench.peers phoenix: evaltop stored {n} outputs of {llm} LLM spans")
    return {"stored_s": sent.wall_s, "acked_s": sent.wall_s, "ack_p99_s": _p99(sent.ack_s),
            "spans": n, "peak_rss_mb": rss.peak_kb / 1024, "idle_rss_mb": idle["VmRSS"] / 1024}


def _p99(values: list[float]) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(0.99 * (len(s) - 1)))]


def run(requests: int = 10, repeats: int = 3, exporters: int = 4, seed: int = 21,
        command: list[str] | None = None) -> int:
    try:
        version = ensure_phoenix()
    except PeerUnavailable as exc:
        print(f"bench-peers: Phoenix is not measured: {exc}", flush=True)
        return 1
    batches = make_batches(requests, seed=seed, with_json=False)
    bodies = [b.body("protobuf") for b in batches]
    llm = sum(b.llm_spans for b in batches)
    total = llm + sum(b.other_spans for b in batches)
    del batches
    tmp = Path(tempfile.mkdtemp(prefix="evaltop-peers-phoenix-"))
    runs: dict[str, list[dict]] = {"phoenix": [], "evaltop": []}
    try:
        for r in range(repeats):
            for name in ("phoenix", "evaltop"):
                work = tmp / f"{name}-{r}"
                work.mkdir()
                if name == "phoenix":
                    res = phoenix_run(work, bodies, total, exporters)
                else:
                    res = evaltop_run(work, bodies, llm, exporters, command)
                runs[name].append(res)
                shutil.rmtree(work, ignore_errors=True)
            print(f"run {r + 1}: Phoenix {runs['phoenix'][-1]['stored_s']:.2f} s "
                  f"(all acked at {runs['phoenix'][-1]['acked_s']:.2f} s), "
                  f"evaltop {runs['evaltop'][-1]['stored_s']:.2f} s", flush=True)
    except PeerUnavailable as exc:
        print(f"bench-peers: Phoenix is not measured: {exc}", flush=True)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: {m: statistics.median(x[m] for x in v)
               for m in ("stored_s", "acked_s", "ack_p99_s", "peak_rss_mb", "idle_rss_mb")}
           for k, v in runs.items()}
    result = {
        "bench": "peers-phoenix",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": platform.platform(), "cpus": os.cpu_count(),
        "python": platform.python_version(), "phoenix": version,
        "requests": requests, "spans": total, "llm_spans": llm, "exporters": exporters,
        "repeats": repeats, "runs": runs, "median": med,
        "ratio_phoenix_over_evaltop": med["phoenix"]["stored_s"] / med["evaltop"]["stored_s"],
        "phoenix_answers_otlp_json_with": runs["phoenix"][0]["json_status"],
        "load_average": os.getloadavg(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"peers-phoenix-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=2))
    px, ev = med["phoenix"], med["evaltop"]
    print(f"\n{requests} OTLP/HTTP protobuf requests (gzip) = {total:,} spans ({llm:,} LLM), "
          f"{exporters} exporters, median of {repeats}, until all stored and queryable:")
    print(f"  Phoenix {version} (phoenix serve, SQLite): {px['stored_s']:.2f} s = "
          f"{total / px['stored_s']:,.0f} spans/s (all answered 200 at {px['acked_s']:.2f} s; "
          f"peak RSS {px['peak_rss_mb']:.0f} MB)")
    print(f"  evaltop receive:                     {ev['stored_s']:.2f} s = "
          f"{total / ev['stored_s']:,.0f} spans/s read, {llm / ev['stored_s']:,.0f} LLM "
          f"outputs/s (200 = committed; peak RSS {ev['peak_rss_mb']:.0f} MB)")
    print(f"  ratio Phoenix / evaltop = {result['ratio_phoenix_over_evaltop']:.2f}; Phoenix "
          f"answered OTLP/JSON with HTTP {result['phoenix_answers_otlp_json_with']}; "
          f"load average {result['load_average'][0]:.1f}")
    print(f"results: {out}")
    return 0
