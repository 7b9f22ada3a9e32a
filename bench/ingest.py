"""Ingest throughput beside the raw ceilings measured in the same run.

    python -m bench ingest            # or: python -m bench.ingest --records 20000 --runs 5

For 2 KB native records:
- with reported usage: evaltop ingest records/s vs the raw ceiling (orjson
  parse + ``executemany`` into the same ``outputs`` table, one transaction
  per 2,000 lines). Target >= 70%.
- without usage: evaltop ingest records/s vs the tiktoken ceiling (encoding
  the same texts on every core and nothing else, the fastest of three ways,
  one of them how ingest counts; see ``tiktoken_ceiling``). Target >= 80%.
  Also printed: the bound no ingest that both stores and counts can beat
  here, from the CPU per record of both ceilings (``overlap_bound``).
Also printed, with no target: chat records without usage that share a
few system prompts, ingested as shipped (long contents counted once) and
with every content counted again.
``--search``: every database (ceilings' and ingest's alike) has the
full-text search index on (docs/search.md), so its triggers index each row;
run once with and once without it to see what the index costs.
Runs are interleaved (ceiling, ingest, ceiling, ingest...) so a busy machine
skews both sides alike; the ratio is the median of per-run ratios. JSON is
written to bench/results/ingest-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson

from evaltop.core.ingest import tokens
from evaltop.core.ingest.pipeline import ingest_once
from evaltop.core.ingest.tokens import count_texts, get_encoding
from evaltop.core.model import config as config_mod
from evaltop.store import db as store_db
from evaltop.store import search as store_search

RESULTS = Path(__file__).resolve().parent / "results"
SEARCH = False  # --search: every fresh database gets the full-text index (its triggers)
_WORDS = (
    "the invoice total customer order shipping refund policy account please summarise "
    "extract field value date amount currency reply politely support ticket product "
    "warranty address email number status pending approved rejected because however "
    "answer question context document section table row column model output json"
).split()


def make_log(path: Path, n: int, *, usage: bool, seed: int = 1) -> int:
    """n native records of about 2 KB each; returns the file size."""
    rng = random.Random(seed)
    with open(path, "wb") as fh:
        for i in range(n):
            rec = {
                "id": f"b{i}", "ts": 1_767_225_600 + i * 0.5, "model": "gpt-4o-mini",
                "provider": "openai", "task": f"task{i % 20}", "prompt_version": "v3",
                "input": " ".join(rng.choices(_WORDS, k=210)),
                "output": " ".join(rng.choices(_WORDS, k=60)), "latency_ms": 800 + i % 400,
            }
            if usage:
                rec["usage"] = {"input_tokens": 300 + i % 50, "output_tokens": 70 + i % 9}
            fh.write(orjson.dumps(rec) + b"\n")
    return path.stat().st_size


def make_chat_log(path: Path, n: int, seed: int = 2) -> int:
    """n native chat records without usage, as a support bot logs them: one
    of 5 system prompts (~1.5 KB), a user turn (~300 B), a reply (~400 B)."""
    rng = random.Random(seed)
    systems = [f"You are assistant {k}. " + " ".join(rng.choices(_WORDS, k=220)) for k in range(5)]
    with open(path, "wb") as fh:
        for i in range(n):
            rec = {
                "id": f"c{i}",
                "ts": 1_767_225_600 + i * 0.5,
                "model": "gpt-4o-mini",
                "provider": "openai",
                "task": f"task{i % 5}",
                "input": [
                    {"role": "system", "content": systems[i % 5]},
                    {"role": "user", "content": " ".join(rng.choices(_WORDS, k=45))},
                ],
                "output": " ".join(rng.choices(_WORDS, k=60)),
                "latency_ms": 800 + i % 400,
            }
            fh.write(orjson.dumps(rec) + b"\n")
    return path.stat().st_size


def chat_ingest(log: Path, db: Path, workers: int | None, *, remember: bool) -> float:
    """evaltop ingest of the chat log, long contents remembered (as shipped)
    or counted every time (the setting turned off, for comparison); the
    memory starts empty either way."""
    tokens._shared.clear()
    saved = tokens.SHARED_MIN_CHARS
    tokens.SHARED_MIN_CHARS = saved if remember else 1 << 62
    try:
        return evaltop_ingest(log, db, workers)
    finally:
        tokens.SHARED_MIN_CHARS = saved
        tokens._shared.clear()


def _fresh_db(tmp: Path, name: str) -> Path:
    db = tmp / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if SEARCH:
        conn = store_db.connect(db)
        with store_db.write(conn):
            store_search.enable(conn)
        conn.close()
    return db


_RAW_SQL = (
    "INSERT INTO outputs (id, ts, model, provider, task, prompt_version, input_text, output_text, "
    "input_tokens, output_tokens, latency_ms, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


def raw_ceiling(log: Path, db: Path, cpu: list[float] | None = None) -> float:
    """Records/s for orjson parse + executemany into the same table: no
    normalisation, no pricing, no dedup, no rollups."""
    conn = store_db.connect(db)
    started, cpu0 = time.perf_counter(), time.process_time()
    n = 0
    with open(log, "rb") as fh:
        while True:
            lines = fh.readlines(4 << 20)
            if not lines:
                break
            now = time.time()
            rows = []
            for line in lines:
                o = orjson.loads(line)
                u = o.get("usage") or {}
                rows.append(
                    (
                        o["id"],
                        o["ts"],
                        o["model"],
                        o["provider"],
                        o["task"],
                        o["prompt_version"],
                        o["input"],
                        o["output"],
                        u.get("input_tokens", 0),
                        u.get("output_tokens", 0),
                        o["latency_ms"],
                        now,
                    )
                )
            with store_db.write(conn):
                conn.executemany(_RAW_SQL, rows)
            n += len(rows)
    elapsed = time.perf_counter() - started
    if cpu is not None:  # process CPU per record (excludes waiting on the disk)
        cpu.append((time.process_time() - cpu0) / n)
    conn.close()
    return n / elapsed


def tiktoken_ceiling(log: Path) -> dict[str, float]:
    """Records/s encoding each record's input and output on every core, the
    fastest of three ways: tiktoken's ``encode_ordinary_batch`` (one future
    per text); chunks of 60 texts, each text encoded on its own, one chunk per
    task on a pool of every core; and the texts split in one part per core,
    each part counted by one call (``tokens.count_texts``, how ingest counts
    since 2026-11-27 15:00 UTC). ``best_cpu``: process CPU per record of
    the fastest way."""
    enc = get_encoding("o200k_base")
    texts = []
    with open(log, "rb") as fh:
        for line in fh:
            o = orjson.loads(line)
            texts += [o["input"], o["output"]]
    cores = os.cpu_count() or 1
    n = len(texts) // 2
    out: dict[str, float] = {}

    def timed(name: str, run) -> None:
        started, cpu0 = time.perf_counter(), time.process_time()
        run()
        out[name] = n / (time.perf_counter() - started)
        out[f"{name}_cpu"] = (time.process_time() - cpu0) / n

    def encode(chunk: list[str]) -> int:
        return sum(len(enc.encode_ordinary(t)) for t in chunk)

    timed("batch", lambda: enc.encode_ordinary_batch(texts, num_threads=cores))
    with ThreadPoolExecutor(cores) as pool:
        timed(
            "chunked",
            lambda: sum(pool.map(encode, [texts[i : i + 60] for i in range(0, len(texts), 60)])),
        )
        part = -(-len(texts) // cores)
        timed(
            "joined",
            lambda: list(
                pool.map(
                    lambda p: count_texts(p, enc),
                    [texts[i : i + part] for i in range(0, len(texts), part)],
                )
            ),
        )
    best = max(("batch", "chunked", "joined"), key=out.__getitem__)
    out["best"], out["best_cpu"], out["best_way"] = out[best], out[f"{best}_cpu"], best
    return out


def overlap_bound(raw_cpu: float, count_cpu: float, cores: int) -> float:
    """Records/s no ingest that counts tokens AND stores rows can beat here:
    each record needs at least the raw ceiling's CPU (parse and insert) plus
    the tiktoken ceiling's (encoding its texts), both measured as process
    CPU seconds per record (waits on the disk excluded), and perfect
    overlap spreads the sum over ``cores``."""
    return cores / (raw_cpu + count_cpu)


def evaltop_ingest(log: Path, db: Path, workers: int | None = None) -> float:
    cfg = config_mod.validate(
        {
            "store": {"path": str(db)},
            "sources": [{"name": "bench", "path": str(log), "format": "native"}],
        },
        origin="<bench>",
        base_dir=log.parent,
    )
    conn = store_db.connect(db)
    summary = ingest_once(cfg, conn, progress=False, workers=workers)
    conn.close()
    assert summary.rejected == 0 and summary.duplicates == 0, summary
    return summary.outputs / summary.seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--workers",
        type=int,
        default=None,
        help="ingest's worker processes (default: auto, as `evaltop ingest`; 0: threads only)",
    )
    ap.add_argument("--search", action="store_true",
                    help="the full-text search index on in every database (docs/search.md)")
    args = ap.parse_args(argv)
    global SEARCH
    SEARCH = args.search
    tmp = Path(tempfile.mkdtemp(prefix="evaltop-bench-ingest-"))
    try:
        with_usage, without, chat = tmp / "usage.jsonl", tmp / "nousage.jsonl", tmp / "chat.jsonl"
        size = make_log(with_usage, args.records, usage=True)
        make_log(without, args.records, usage=False)
        chat_size = make_chat_log(chat, args.records)
        get_encoding("o200k_base")  # load ranks outside the timings
        runs: dict[str, list[float]] = {
            "raw": [],
            "ing": [],
            "tik": [],
            "est": [],
            "tik_batch": [],
            "tik_chunked": [],
            "tik_joined": [],
            "raw_cpu": [],
            "tik_cpu": [],
            "tik_way": [],
            "chat": [],
            "chat_each": [],
        }
        for _ in range(args.runs):  # interleaved, so each ratio compares like with like
            runs["raw"].append(raw_ceiling(with_usage, _fresh_db(tmp, "raw"), runs["raw_cpu"]))
            runs["ing"].append(evaltop_ingest(with_usage, _fresh_db(tmp, "ing"), args.workers))
            tik = tiktoken_ceiling(without)
            runs["tik"].append(tik["best"])
            runs["tik_batch"].append(tik["batch"])
            runs["tik_chunked"].append(tik["chunked"])
            runs["tik_joined"].append(tik["joined"])
            runs["tik_cpu"].append(tik["best_cpu"])
            runs["tik_way"].append(tik["best_way"])
            runs["est"].append(evaltop_ingest(without, _fresh_db(tmp, "est"), args.workers))
            runs["chat"].append(
                chat_ingest(chat, _fresh_db(tmp, "chat"), args.workers, remember=True)
            )
            runs["chat_each"].append(
                chat_ingest(chat, _fresh_db(tmp, "chate"), args.workers, remember=False)
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ways = runs.pop("tik_way")
    med = {k: statistics.median(v) for k, v in runs.items()}
    r_usage = statistics.median(i / r for i, r in zip(runs["ing"], runs["raw"], strict=True))
    r_count = statistics.median(e / t for e, t in zip(runs["est"], runs["tik"], strict=True))
    raw, ing, tik, est = med["raw"], med["ing"], med["tik"], med["est"]
    cores = os.cpu_count() or 1
    bound = overlap_bound(med["raw_cpu"], med["tik_cpu"], cores)
    result = {
        "bench": "ingest",
        "records": args.records,
        "runs": args.runs,
        "workers": args.workers,
        "search_index": args.search,
        "record_bytes": round(size / args.records),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "with_usage": {
            "evaltop_rps": ing,
            "raw_ceiling_rps": raw,
            "ratio": r_usage,
            "target": 0.70,
            "evaltop_runs": runs["ing"],
            "raw_runs": runs["raw"],
        },
        "without_usage": {
            "evaltop_rps": est,
            "tiktoken_ceiling_rps": tik,
            "ratio": r_count,
            "target": 0.80,
            "evaltop_runs": runs["est"],
            "tiktoken_runs": runs["tik"],
            "tiktoken_batch_rps": med["tik_batch"],
            "tiktoken_chunked_rps": med["tik_chunked"],
            "tiktoken_joined_rps": med["tik_joined"],
            "tiktoken_best_ways": ways,
            "overlap_bound_rps": bound,
            "overlap_bound_ratio": bound / tik,
            "evaltop_vs_bound": est / bound,
        },
        "chat_without_usage": {
            "record_bytes": round(chat_size / args.records),
            "evaltop_rps": med["chat"],
            "counted_every_time_rps": med["chat_each"],
            "speedup": statistics.median(
                a / b for a, b in zip(runs["chat"], runs["chat_each"], strict=True)
            ),
            "evaltop_runs": runs["chat"],
            "counted_every_time_runs": runs["chat_each"],
        },
    }
    print(f"ingest, {args.records:,} records of ~{result['record_bytes']:,} B, "
          f"median of {args.runs} interleaved runs (ratio = median of per-run ratios; "
          f"load average {os.getloadavg()[0]:.1f})"
          + (", full-text search index ON in every database:" if args.search else ":"))
    print(f"  with usage:    {ing:>9,.0f} rec/s   raw parse+insert ceiling {raw:>9,.0f} rec/s   "
          f"ratio {r_usage:.0%} (target >= 70%)")
    print(f"  without usage: {est:>9,.0f} rec/s   "
          f"tiktoken ceiling ({os.cpu_count()} cores) {tik:>9,.0f} rec/s   "
          f"ratio {r_count:.0%} (target >= 80%)")
    print("                 (tiktoken ceiling = the fastest of encode_ordinary_batch "
          f"{med['tik_batch']:,.0f} rec/s, "
          f"chunks of texts {med['tik_chunked']:,.0f} rec/s\n"
          f"                 and one joined call per core {med['tik_joined']:,.0f} rec/s; "
          f"fastest per run: {', '.join(ways)})")
    print("                 any ingest that stores what it counts is bounded by "
          f"{bound:,.0f} rec/s = {bound / tik:.0%} of that ceiling\n"
          "                 (the raw ceiling's work plus counting, overlapped perfectly on "
          f"{cores} cores); evaltop reaches {est / bound:.0%} of that bound")
    c = result["chat_without_usage"]
    print(f"  chat logs without usage (~{c['record_bytes']:,} B, one of 5 system prompts): "
          f"{c['evaltop_rps']:,.0f} rec/s; {c['counted_every_time_rps']:,.0f} with every content "
          f"counted again (x{c['speedup']:.2f}; no target)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ingest-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"  wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
