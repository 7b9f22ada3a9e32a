"""Scale data: a realistic evaltop database (and optional logs) of a given size.

    python -m bench.gen --outputs 1000000 --days 90 --seed 1 --db bench/results/gen.db
    python -m bench.gen --outputs 200000 --logs /tmp/logs --log-mb 400   # JSONL for ingest benches

Rows go straight into the store schema (the same tables ingest and the judges
write), vectorised with numpy and inserted with ``executemany`` in a few big
transactions. ``rollup_hourly`` is computed from ``outputs`` by SQL so the two
agree exactly. About 10% of outputs are sampled and judged (samples, scores,
judge_calls and settled ledger rows with exact costs), 2% have feedback; 12
models (one unpriced), 30 tasks with skewed traffic, prompt-version changes,
an A/B variant, and a planted regression in the last day (``extract_invoice``
on ``gpt-4.1-nano``). Same seed and ``--end`` give the same database.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

from bench.gen_tables import generate
from bench.gen_traffic import WORDS, Gen
from evaltop.store import db as store_db

GEN_VERSION = 2  # bump when the generated data changes shape: cached databases are keyed by it


def write_logs(out_dir: Path, *, megabytes: float, seed: int, end: float, record_bytes: int = 2048,
               file_mb: float = 100) -> tuple[int, int]:
    """Native JSONL logs of about ``megabytes`` in ``out_dir`` (files of ``file_mb``),
    records padded to about ``record_bytes`` with retrieved context, as RAG apps log.
    Returns (records, bytes)."""
    from evaltop.core.demo.traffic import DemoTraffic, constant

    out_dir.mkdir(parents=True, exist_ok=True)
    traffic = DemoTraffic(seed, start=end - 86400, run_id=f"log{seed}")
    words = " ".join(WORDS)
    limit, per_file = int(megabytes * 1e6), int(file_mb * 1e6)
    total = records = part = 0
    fh = None
    while total < limit:
        for rec in traffic.advance(traffic.t + 60, constant(20)):
            if rec.get("type") != "feedback":
                short = record_bytes - len(orjson.dumps(rec))
                if short > 0:
                    ctx = (words * (short // len(words) + 1))[:short]
                    rec["input"].insert(1, {"role": "user", "content": "Context: " + ctx})
            line = orjson.dumps(rec) + b"\n"
            if fh is None or fh.tell() + len(line) > per_file:
                if fh is not None:
                    fh.close()
                part += 1
                fh = open(out_dir / f"app-{part:03d}.jsonl", "wb")
            fh.write(line)
            total += len(line)
            records += 1
            if total >= limit:
                break
    if fh is not None:
        fh.close()
    return records, total



def default_name(seed: int, outputs: int) -> str:
    return f"gen-v{GEN_VERSION}-{seed}-{outputs}.db"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gen", description=__doc__.split("\n")[0])
    ap.add_argument("--outputs", type=int, default=1_000_000)
    ap.add_argument("--days", type=float, default=90)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--end", type=float, default=None,
                    help="epoch seconds of the newest output (default: the current hour, floored)")
    ap.add_argument("--db", type=Path, default=None,
                    help="database to create (default bench/results/gen-vVERSION-SEED-N.db)")
    ap.add_argument("--force", action="store_true", help="replace an existing database")
    ap.add_argument(
        "--logs", type=Path, default=None, help="also write JSONL logs into this folder"
    )
    ap.add_argument("--log-mb", type=float, default=200, help="total size of --logs (MB)")
    ap.add_argument("--record-bytes", type=int, default=2048, help="size of each log record")
    a = ap.parse_args(argv)
    if a.outputs < 1 or a.days <= 0:
        ap.error("--outputs must be >= 1 and --days > 0")
    end = a.end if a.end is not None else float(int(time.time()) // 3600 * 3600)
    if a.logs is not None:
        t0 = time.perf_counter()
        recs, size = write_logs(
            a.logs, megabytes=a.log_mb, seed=a.seed, end=end, record_bytes=a.record_bytes
        )
        print(f"logs: {recs} records, {size / 1e6:.0f} MB in {a.logs} "
              f"({time.perf_counter() - t0:.1f}s)")
    db = a.db or Path("bench/results") / default_name(a.seed, a.outputs)
    build(db, Gen(a.outputs, a.days, a.seed, end), force=a.force)
    return 0


def build(db: Path, g: Gen, *, force: bool = False, log=print) -> dict[str, int]:
    """Create ``db`` atomically (a half-written file never takes its name)."""
    if db.exists() and not force:
        raise SystemExit(f"{db} exists; use --force to replace it")
    tmp = db.with_name(db.name + ".partial")
    for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    log(f"generating {g.outputs} outputs over {g.days:g} days (seed {g.seed}) into {db}")
    conn = store_db.connect(tmp)
    try:
        counts = generate(conn, g, log=log)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    tmp.replace(db)
    log(
        f"done in {time.perf_counter() - t0:.1f}s: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return counts


if __name__ == "__main__":
    sys.exit(main())
