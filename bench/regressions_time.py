"""Time ``find_regressions`` (what the analyse job and a dashboard miss pay)
on the 1M-output bench database: a 24 h window against the 7 days before.

    python -m bench.regressions_time --reps 10

Before/after another checkout: make a directory holding an ``evaltop``
package whose ``core``, ``store`` and ``tui`` are symlinks to that
checkout's folders (plus an empty ``__init__.py``), and run the same
command with ``PYTHONPATH`` set to it, alternating with a plain run; the
first line says which code was imported. docs/benchmarks.md has a pair.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import evaltop.core.analysis.regressions as reg
from bench.dashboard import bench_config, ensure_db
from evaltop.core.model.window import analysis_windows
from evaltop.store import db as store_db


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.regressions_time",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--outputs", type=int, default=1_000_000)
    a = ap.parse_args(argv)
    print(f"code: {reg.__file__}", file=sys.stderr)
    db = ensure_db(a.outputs, 1, 90)
    cfg = bench_config(db)
    conn = store_db.connect(db, readonly=True)
    try:
        now = conn.execute("SELECT MAX(ts) FROM outputs").fetchone()[0] + 1
        cur, base = analysis_windows(cfg.analysis, now)
        rows = reg.find_regressions(conn, cfg, cur, base)  # warm: imports, page cache
        took = []
        for _ in range(a.reps):
            t = time.perf_counter()
            rows = reg.find_regressions(conn, cfg, cur, base)
            took.append(time.perf_counter() - t)
    finally:
        conn.close()
    print(f"find_regressions median {statistics.median(took) * 1000:.1f} ms over {a.reps} reps; "
          f"{len(rows)} rows, {sum(r.significant for r in rows)} significant")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
