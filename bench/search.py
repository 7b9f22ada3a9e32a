"""Full-text search at 1M outputs: the background fill of the index on an
existing store, then search pages as the Cases screen and `cases --search`
read them (target: a page in < 50 ms).

    python -m bench.search                      # 1M outputs (bench/gen.py, cached)
    python -m bench.search --outputs 200000 --reps 10

The generated database (the one bench/dashboard.py uses) is copied to
bench/results/search-*.db, search is turned on there and the index filled in
batches of 5,000 as `evaltop search-index` fills it (the fill is timed, with
the longest batch: how long one batch holds the write lock). Each query then
runs ``--reps`` times on a warm read-only connection; p50/p95 are reported.
A page a search walks for more than its budget (core/views/cases.py
PAGE_BUDGET) ends early and says so ("out of time"); for those the whole page,
without a budget, is timed too (not counted against the target).
Results: a table on stdout and JSON in bench/results/search-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from bench.dashboard import RESULTS, ensure_db, timed
from evaltop.core.model import config as config_mod
from evaltop.core.ops import search_index
from evaltop.core.views import cases as dc
from evaltop.core.views.report.base import latest_cases
from evaltop.store import db as store_db

TARGET_MS = 50.0
# Words of bench/gen_traffic.py's vocabulary, common to rare, and operators.
QUERIES = {
    "one common word": "invoice",
    "two words (AND)": "invoice total",
    "word NOT word": "refund NOT shipping",
    "phrase": '"order status"',
    "prefix": "summar*",
    "rare phrase": '"request 7"',
    "no match": "zzyzx",
}


def build_index(src: Path, outputs: int, seed: int) -> tuple[Path, dict]:
    db = RESULTS / f"search-{seed}-{outputs}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, db)
    cfg = config_mod.validate({"store": {"path": str(db), "search": True}},
                              origin="<bench>", base_dir=db.parent)
    conn = store_db.connect(db)
    longest = [0.0]
    last = [time.perf_counter()]

    def progress(st) -> None:
        now = time.perf_counter()
        longest[0] = max(longest[0], now - last[0])
        last[0] = now
        if st.finished or st.done % 100_000 < search_index.BATCH:
            print(f"  fill {st.percent:3d}% ({st.done:,} of {st.total:,})", flush=True)

    t = time.perf_counter()
    search_index.sync(cfg, conn)
    enable_s = time.perf_counter() - t
    last[0] = time.perf_counter()
    search_index.build(conn, progress=progress)
    fill_s = time.perf_counter() - t
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db, {"enable_s": round(enable_s, 3), "fill_s": round(fill_s, 1),
                "longest_batch_s": round(longest[0], 3),
                "db_mb_before": round(src.stat().st_size / 1e6),
                "db_mb_after": round(db.stat().st_size / 1e6)}


def pages(db: Path, reps: int, now: float) -> dict[str, dict]:
    conn = store_db.connect(db, readonly=True)
    out: dict[str, dict] = {}
    try:
        for name, text in QUERIES.items():
            for label, f in (
                ("all outputs", dc.parse_filter(text, now, failing=False)),
                ("failing verdicts", dc.parse_filter(text, now, failing=True)),
                ("all, model filter", dc.parse_filter(f"model:gpt-4o-mini {text}", now,
                                                      failing=False)),
                ("all, task + 7d", dc.parse_filter(f"task:support_answer since:7d {text}", now,
                                                   failing=False)),
                ("all, sort:model", dc.parse_filter(f"sort:model {text}", now, failing=False)),
            ):
                key = f"{label}: {name}"
                rows = dc.page(conn, f)
                out[key] = timed(lambda f=f: dc.page(conn, f), reps) | {
                    "rows": len(rows), "out_of_time": rows.resume is not None, "note": rows.note}
                _print(key, out[key])
                after = dc.next_start(rows)
                if after is not None:  # the second page, from where the first one ended
                    p2 = dc.page(conn, f, after)
                    out[key + " (page 2)"] = timed(
                        lambda f=f, a=after: dc.page(conn, f, a), reps) | {
                        "rows": len(p2), "out_of_time": p2.resume is not None}
                    _print(key + " (page 2)", out[key + " (page 2)"])
                if rows.resume is not None:  # what the whole page costs without a budget
                    whole = dc.page(conn, f, budget=None)
                    out[key + " (whole page)"] = timed(
                        lambda f=f: dc.page(conn, f, budget=None), reps) | {"rows": len(whole)}
                    _print(key + " (whole page)", out[key + " (whole page)"])
            q = dc.search_query(text)
            key = f"cases --search, 20 rows: {name}"
            out[key] = timed(lambda q=q: latest_cases(conn, limit=20, search=q), reps)
            _print(key, out[key])
    finally:
        conn.close()
    return out


def _print(key: str, v: dict) -> None:
    rows = f"  {v['rows']:3d} rows" if "rows" in v else ""
    cut = "  (out of time: ] goes on)" if v.get("out_of_time") else ""
    print(f"  {key:<56} p50 {v['p50_ms']:8.2f} ms  p95 {v['p95_ms']:8.2f} ms{rows}{cut}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    ap.add_argument("--outputs", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=float, default=90)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--reuse", action="store_true",
                    help="query the indexed copy of a previous run (skip the fill)")
    a = ap.parse_args(argv)
    src = ensure_db(a.outputs, a.seed, a.days)
    print(f"search bench: {a.outputs:,} outputs from {src}", flush=True)
    db = RESULTS / f"search-{a.seed}-{a.outputs}.db"
    if a.reuse and db.exists() and db.stat().st_mtime > src.stat().st_mtime:
        build = {"reused": str(db)}
        print(f"  reusing the index in {db}")
    else:
        db, build = build_index(src, a.outputs, a.seed)
    if "reused" not in build:
        print(f"  index: created in {build['enable_s']} s, filled in {build['fill_s']} s "
              f"(longest batch {build['longest_batch_s']} s); {build['db_mb_before']} MB -> "
              f"{build['db_mb_after']} MB", flush=True)
    now = time.time()
    res = {"bench": "search", "outputs": a.outputs, "seed": a.seed,
           "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "load_average": os.getloadavg()[0], "build": build,
           "pages": pages(db, a.reps, now), "target_ms": TARGET_MS}
    worst = max(v["p95_ms"] for k, v in res["pages"].items() if not k.endswith("(whole page)"))
    res["meets_target"] = worst < TARGET_MS
    print(f"  worst p95 {worst:.1f} ms: target < {TARGET_MS:g} ms "
          f"{'ok' if res['meets_target'] else 'MISSED'}")
    out = RESULTS / f"search-{a.seed}-{a.outputs}-{int(now)}.json"
    out.write_text(json.dumps(res, indent=2))
    print(f"  wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
