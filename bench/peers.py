"""Peer benchmarks (`make bench-peers` runs both; `python -m bench.peers promptfoo
[options]` or `python -m bench.peers phoenix [options]` runs one):

- phoenix: Arize Phoenix's OTLP endpoint against `evaltop receive`, the same
  spans, time until all are stored and queryable (bench/peers_phoenix.py);
- promptfoo: `promptfoo eval` against `evaltop replay` on the same corpus,
  the same loopback candidate server and the same concurrency, below.

1. installs promptfoo from the npm registry into bench/.peers/ (ignored) unless
   it is already there;
2. writes a corpus of N cases and an evaltop config whose candidate
   (OpenAI-compatible) and LLM judge (Anthropic Messages) are the loopback
   server (fixed latency L), plus a rule check (json_valid); the export maps
   them to promptfoo's provider, ``llm-rubric`` (graded by the same judge
   model) and ``is-json``;
3. exports it with `evaltop corpus export --format promptfoo --candidate cand`
   (provider openai:chat with apiBaseUrl = the loopback server);
4. times `promptfoo eval` and `evaltop replay` (a fresh run name each time, so
   nothing is skipped) R times each, interleaved; checks each made N
   candidate calls and N judge calls;
5. prints medians, the ratio and both command lines; JSON to bench/results/.

Both tools pay their start-up in the wall time (node + promptfoo vs python +
evaltop; measured apart as ``--version``); ``ideal_s`` = 2 x N x L / C (a
candidate and a judge call per case) is the floor for either.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from loopback_server import LoopbackLLM

from bench import peers_phoenix

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / ".peers"
PROMPTFOO = PEERS / "node_modules" / ".bin" / "promptfoo"
RESULTS = ROOT / "bench" / "results"
EVALTOP = [sys.executable, "-m", "evaltop.tui.cli.main"]

CONFIG = """[store]
path = "{db}"
[pricing.models."bench-candidate"]
input_per_mtok = 0.15
output_per_mtok = 0.60
[models.cand]
provider = "openai"
base_url = "{base}/v1"
model = "bench-candidate"
concurrency = {conc}
max_output_tokens = 64
[pricing.models."bench-judge"]
input_per_mtok = 0.25
output_per_mtok = 1.25
[[judges]]
name = "json"
kind = "rule"
rule = "json_valid"
[[judges]]
name = "helpful"
kind = "llm"
provider = "anthropic"
base_url = "{base}"
model = "bench-judge"
rubric = "Does the answer name the person?"
scale = [0, 1]
pass_threshold = 0.5
concurrency = {conc}
"""


def candidate(req: dict) -> tuple[int, dict, dict]:
    """The candidate (OpenAI chat: a small JSON answer) and the judge
    (Anthropic Messages: a verdict both tools accept: score in 0..1, pass, reason)."""
    if req["_path"].endswith("/v1/messages"):
        verdict = json.dumps({"score": 1, "pass": True, "reason": "names the person"})
        return (
            200,
            {},
            {
                "id": "msg_bench",
                "type": "message",
                "role": "assistant",
                "model": req.get("model"),
                "content": [{"type": "text", "text": verdict}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 120, "output_tokens": 20},
            },
        )
    text = " ".join(
        str(m.get("content", "")) for m in req.get("messages") or [] if isinstance(m, dict)
    )
    answer = json.dumps({"name": "Ada", "chars": len(text)})
    return 200, {}, {"id": "chatcmpl-bench", "object": "chat.completion", "model": req.get("model"),
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": answer}}],
                     "usage": {"prompt_tokens": 40, "completion_tokens": 12, "total_tokens": 52}}


def ensure_promptfoo() -> str:
    """The installed promptfoo version (installing it when missing)."""
    if not PROMPTFOO.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("bench-peers: npm is not installed (apt-get install npm), "
                             "so promptfoo cannot be installed")
        PEERS.mkdir(parents=True, exist_ok=True)
        print(f"installing promptfoo: npm install --prefix {PEERS} promptfoo", flush=True)
        res = subprocess.run(
            [npm, "install", "--prefix", str(PEERS), "promptfoo"], capture_output=True, text=True
        )
        if res.returncode != 0 or not PROMPTFOO.exists():
            tail = (res.stderr or res.stdout).strip().splitlines()[-5:]
            raise SystemExit("bench-peers: `npm install promptfoo` failed:\n  " + "\n  ".join(tail))
    pkg = json.loads((PEERS / "node_modules" / "promptfoo" / "package.json").read_text())
    return pkg["version"]


def write_corpus(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"b{i:05d}",
                        "source_output_id": f"o{i}",
                        "task": "extract",
                        "input": f"Extract the person's name from message {i}: 'Hi, I am Ada.'",
                        "baseline_output": '{"name": "Ada"}',
                        "scores": {},
                    }
                )
                + "\n"
            )


def timed(cmd: list[str], env: dict, cwd: Path, ok_codes: tuple[int, ...]) -> float:
    start = time.perf_counter()
    res = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if res.returncode not in ok_codes:
        raise SystemExit(
            f"bench-peers: {' '.join(cmd)} exited {res.returncode}:\n{res.stderr[-2000:]}"
        )
    return took


def main(argv: list[str]) -> int:
    if argv and argv[0] == "phoenix":
        return phoenix_main(argv[1:])
    if argv and argv[0] == "promptfoo":
        return promptfoo_main(argv[1:])
    if argv:  # the options of the first peer benchmark, as before there were two
        return promptfoo_main(argv)
    status = 0
    for run in (promptfoo_main, phoenix_main):
        try:
            status = run([]) or status
        except SystemExit as exc:  # one peer that cannot run does not hide the other
            print(exc, file=sys.stderr, flush=True)
            status = 1
    return status


def phoenix_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.peers phoenix",
                                 description=peers_phoenix.__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=10, help="requests of 512+64 spans")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each (median reported)")
    ap.add_argument("--exporters", type=int, default=4, help="concurrent exporters, both")
    ap.add_argument("--command", default=None,
                    help="receiver command instead of `evaltop receive`")
    args = ap.parse_args(argv)
    command = args.command.split() if args.command else None
    return peers_phoenix.run(args.requests, args.repeats, args.exporters, command=command)


def promptfoo_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.peers promptfoo",
                                 description="promptfoo eval against evaltop replay")
    ap.add_argument("--cases", type=int, default=300, help="corpus size N")
    ap.add_argument("--concurrency", type=int, default=8, help="C, the same for both tools")
    ap.add_argument("--latency", type=float, default=0.05, help="loopback reply latency L, seconds")
    ap.add_argument("--repeats", type=int, default=5, help="runs of each tool (median reported)")
    args = ap.parse_args(argv)
    version = ensure_promptfoo()
    work = Path(tempfile.mkdtemp(prefix="evaltop-peers-"))
    n, conc = args.cases, args.concurrency
    with LoopbackLLM(responder=candidate, latency_s=args.latency) as llm:
        cfg = work / "evaltop.toml"
        cfg.write_text(CONFIG.format(db=work / "bench.db", base=llm.base_url, conc=conc))
        corpus = work / "corpus.jsonl"
        write_corpus(corpus, n)
        env = dict(
            os.environ,
            OPENAI_API_KEY="sk-bench-not-a-real-key",
            ANTHROPIC_API_KEY="sk-bench-not-real",
            PROMPTFOO_DISABLE_TELEMETRY="1",
            PROMPTFOO_DISABLE_UPDATE="1",
            PROMPTFOO_CONFIG_DIR=str(work / ".promptfoo"),
            PROMPTFOO_DISABLE_SHARING="1",
            NO_COLOR="1",
        )
        export = [
            *EVALTOP,
            "corpus",
            "export",
            str(corpus),
            "--format",
            "promptfoo",
            "--candidate",
            "cand",
            "--out",
            str(work / "promptfooconfig.yaml"),
            "--config",
            str(cfg),
        ]
        subprocess.run(export, env=env, check=True, capture_output=True)
        pf_cmd = [
            str(PROMPTFOO),
            "eval",
            "-c",
            str(work / "promptfooconfig.yaml"),
            "--no-cache",
            "--max-concurrency",
            str(conc),
            "--no-table",
            "--no-progress-bar",
            "-o",
            str(work / "pf.json"),
        ]
        times: dict[str, list[float]] = {"promptfoo": [], "evaltop": []}
        startup: dict[str, list[float]] = {"promptfoo": [], "evaltop": []}
        ev_cmd: list[str] = []
        for r in range(args.repeats):
            before = llm.count("/chat/completions"), llm.count("/v1/messages")
            times["promptfoo"].append(timed(pf_cmd, env, work, (0, 100)))
            pf_calls = (
                llm.count("/chat/completions") - before[0],
                llm.count("/v1/messages") - before[1],
            )
            ev_cmd = [*EVALTOP, "replay", str(corpus), "--candidate", "cand", "--run", f"bench-{r}",
                      "--concurrency", str(conc), "--config", str(cfg)]
            before = llm.count("/chat/completions"), llm.count("/v1/messages")
            times["evaltop"].append(timed(ev_cmd, env, work, (0,)))
            ev_calls = (
                llm.count("/chat/completions") - before[0],
                llm.count("/v1/messages") - before[1],
            )
            startup["promptfoo"].append(timed([str(PROMPTFOO), "--version"], env, work, (0,)))
            startup["evaltop"].append(timed([*EVALTOP, "--version"], env, work, (0,)))
            if pf_calls != (n, n) or ev_calls != (n, n):
                raise SystemExit(f"bench-peers: expected ({n} candidate, {n} judge) calls each, "
                                 f"got promptfoo {pf_calls}, evaltop {ev_calls}")
            print(f"run {r + 1}: promptfoo {times['promptfoo'][-1]:.2f} s, "
                  f"evaltop {times['evaltop'][-1]:.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    ideal = 2 * n * args.latency / conc  # a candidate call and a judge call per case
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "promptfoo": version,
        "node": subprocess.run(
            ["node", "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "cases": n,
        "concurrency": conc,
        "latency_s": args.latency,
        "repeats": args.repeats,
        "ideal_s": ideal,
        "times_s": times,
        "median_s": med,
        "startup_median_s": {k: statistics.median(v) for k, v in startup.items()},
        "load_average": os.getloadavg(),
        "ratio_promptfoo_over_evaltop": med["promptfoo"] / med["evaltop"],
        "commands": {
            "export": _show(export, work),
            "promptfoo": _show(pf_cmd, work),
            "evaltop": _show(ev_cmd, work),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"peers-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"\n{n} cases, concurrency {conc}, latency {args.latency * 1000:.0f} ms "
          f"(ideal {ideal:.2f} s), median of {args.repeats}:")
    print(f"  promptfoo {version}: {med['promptfoo']:.2f} s   ({result['commands']['promptfoo']})")
    print(f"  evaltop:          {med['evaltop']:.2f} s   ({result['commands']['evaltop']})")
    print(f"  ratio promptfoo / evaltop = {result['ratio_promptfoo_over_evaltop']:.2f}")
    st = result["startup_median_s"]
    print(f"  start-up alone (--version): promptfoo {st['promptfoo']:.2f} s, "
          f"evaltop {st['evaltop']:.2f} s; load average {result['load_average'][0]:.1f}")
    print(f"results: {out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def _show(cmd: list[str], work: Path) -> str:
    text = (
        " ".join(cmd)
        .replace(str(work) + "/", "")
        .replace(sys.executable + " -m evaltop.tui.cli.main", "evaltop")
    )
    return text.replace(str(PROMPTFOO), "promptfoo")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
