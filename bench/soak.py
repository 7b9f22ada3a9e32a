"""Demo soak: `evaltop demo --headless` for a while; RSS growth and CPU.

    python -m bench.soak                 # 600 s, the issue's figure
    python -m bench.soak --seconds 120   # quicker

Samples the demo process once a second from /proc (Linux): resident memory
and CPU time. Reports RSS at the start of the live phase and at the end
(growth), mean CPU over the live phase, and the median of the per-second CPU
samples: the demo's jobs run in short bursts (poll every few seconds, score
every few more), so the median second is a second between ticks and stands
for the idle cost. Results go to bench/results/soak.json.

Not part of a plain `python -m bench` run (10 minutes); `python -m bench soak`
or this module runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / TICK


def _rss_mb(pid: int) -> float:
    resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return resident * PAGE / 2**20


def soak(seconds: int, warmup: int) -> dict:
    exe = Path(sys.executable).with_name("evaltop")
    with tempfile.TemporaryDirectory(prefix="evaltop-soak-") as home:
        env = dict(os.environ, EVALTOP_HOME=home)
        proc = subprocess.Popen(
            [str(exe), "demo", "--headless", "--seconds", str(seconds + warmup)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        samples: list[tuple[float, float, float]] = []  # (t, cpu_s, rss_mb)
        try:
            start = time.monotonic()
            while proc.poll() is None:
                try:
                    samples.append(
                        (time.monotonic() - start, _cpu_seconds(proc.pid), _rss_mb(proc.pid))
                    )
                except (FileNotFoundError, ProcessLookupError, IndexError):
                    break
                time.sleep(1.0)
            out, _ = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
    live = [s for s in samples if s[0] >= warmup]
    if len(live) < 3:
        raise SystemExit(f"soak: the demo ended too early (rc={proc.returncode}):\n{out[-2000:]}")
    per_second = [
        100.0 * (b[1] - a[1]) / (b[0] - a[0])
        for a, b in zip(live, live[1:], strict=False)
        if b[0] > a[0]
    ]
    span = live[-1][0] - live[0][0]
    return {
        "seconds": seconds,
        "warmup_s": warmup,
        "exit_code": proc.returncode,
        "rss_start_mb": round(live[0][2], 1),
        "rss_end_mb": round(live[-1][2], 1),
        "rss_peak_mb": round(max(s[2] for s in samples), 1),
        "rss_growth_mb": round(live[-1][2] - live[0][2], 1),
        "cpu_mean_pct": round(100.0 * (live[-1][1] - live[0][1]) / span, 2),
        "cpu_idle_median_pct": round(statistics.median(per_second), 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_at_end": os.getloadavg()[0]},
        "summary_tail": out.strip().splitlines()[-12:],
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=600, help="live phase length (default 600)")
    ap.add_argument("--warmup", type=int, default=15, help="seconds ignored at start (backfill)")
    args = ap.parse_args(argv)
    r = soak(args.seconds, args.warmup)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(r, indent=2))
    print(f"demo soak {r['seconds']} s: RSS {r['rss_start_mb']} -> {r['rss_end_mb']} MB "
          f"(growth {r['rss_growth_mb']} MB, peak {r['rss_peak_mb']} MB); "
          f"CPU mean {r['cpu_mean_pct']}%, median second (between ticks) "
          f"{r['cpu_idle_median_pct']}% (target < 5%); exit {r['exit_code']}")
    return 0 if r["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
