"""Start-up as a user feels it: process start to the overview's first paint.

    python -m bench startup                       # 200,000 outputs, 5 interleaved runs
    python -m bench.startup --outputs 1000000 --runs 9

``bench.dashboard`` times the first paint from the app's creation, after the
imports; this one starts a fresh process and reads, at the moment the
overview shows its data, how long ago the kernel started that process, so
every import counts. The baseline, measured in the same run and interleaved,
is a bare Textual app that paints one line: the ratio is what evaltop adds to
Textual's own start. Also timed: ``evaltop --help`` against ``python -c
pass``. Linux only (``/proc``). JSON goes to bench/results/startup-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def since_process_start() -> float:
    """Seconds since the kernel started this process (clock-tick resolution)."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat") as f:
        started = int(f.read().rsplit(")", 1)[1].split()[19]) / ticks
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - started


def _report(seconds: float) -> None:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"paint_s": round(seconds, 3), "rss_mb": round(rss, 1)}), flush=True)


def child_evaltop(db: Path) -> None:
    """The child: the real dashboard, read-only, on ``db``; prints at first paint."""
    from evaltop.core.model import config as config_mod
    from evaltop.tui.app import EvaltopApp
    from evaltop.tui.screens.overview import OverviewScreen

    cfg = config_mod.validate({
        "store": {"path": str(db)},
        "analysis": {"since": "24h", "baseline": "7d", "min_n": 30},
    }, origin="<bench startup>", base_dir=db.parent)
    painted = asyncio.Event()

    class Timed(OverviewScreen):
        def show(self, o):
            super().show(o)
            self.call_after_refresh(painted.set)

    class App(EvaltopApp):
        MODES = {**EvaltopApp.MODES, "overview": Timed}

    async def run() -> None:
        async with App(cfg, db, readonly=True, live=False).run_test(size=(160, 48)):
            await asyncio.wait_for(painted.wait(), timeout=120)
            _report(since_process_start())

    asyncio.run(run())


def child_bare() -> None:
    """The baseline child: a Textual app that paints one line."""
    from textual.app import App
    from textual.widgets import Static

    painted = asyncio.Event()

    class Bare(App):
        def compose(self):
            yield Static("ready")

        def on_mount(self) -> None:
            self.call_after_refresh(painted.set)

    async def run() -> None:
        async with Bare().run_test(size=(160, 48)):
            await asyncio.wait_for(painted.wait(), timeout=120)
            _report(since_process_start())

    asyncio.run(run())


def _child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bench.startup", *args], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).resolve().parent.parent)
    if proc.returncode != 0:
        raise SystemExit(f"bench.startup child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, timeout=120)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.startup",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--outputs", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child is not None:
        child_evaltop(a.child)
        return 0
    if a.bare:
        child_bare()
        return 0
    from bench.dashboard import ensure_db

    db = ensure_db(a.outputs, a.seed, a.days)
    evaltop_cli = str(Path(sys.executable).with_name("evaltop"))
    runs = []
    for _ in range(a.runs):
        bare, ours = _child(["--bare"]), _child(["--child", str(db)])
        py, helped = _wall([sys.executable, "-c", "pass"]), _wall([evaltop_cli, "--help"])
        runs.append({"bare": bare, "evaltop": ours, "python_s": py, "help_s": helped})

    def med(values: list[float]) -> float:
        return statistics.median(values)

    res = {
        "outputs": a.outputs, "runs": runs, "load": os.getloadavg()[0],
        "paint_s": med([r["evaltop"]["paint_s"] for r in runs]),
        "bare_paint_s": med([r["bare"]["paint_s"] for r in runs]),
        "paint_ratio": med([r["evaltop"]["paint_s"] / r["bare"]["paint_s"] for r in runs]),
        "rss_mb": med([r["evaltop"]["rss_mb"] for r in runs]),
        "help_s": med([r["help_s"] for r in runs]),
        "python_s": med([r["python_s"] for r in runs]),
    }
    print(f"start-up, {a.outputs:,} outputs, median of {a.runs} interleaved runs "
          f"(load average {res['load']:.1f}):")
    print(f"  process start to the overview's first paint {res['paint_s']:.2f} s "
          f"(bare Textual app {res['bare_paint_s']:.2f} s, ratio {res['paint_ratio']:.2f}); "
          f"RSS then {res['rss_mb']:.0f} MB")
    print(f"  evaltop --help {res['help_s']:.2f} s (python -c pass {res['python_s']:.2f} s)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"startup-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    out.write_text(json.dumps(res, indent=1))
    print(f"  wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
