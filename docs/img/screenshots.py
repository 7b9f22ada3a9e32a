"""Regenerate the README screenshots from a headless demo run.

    .venv/bin/python docs/img/screenshots.py

Runs `evaltop demo --headless` into a temporary folder, then opens the
dashboard on that database with the clock frozen at the last output and saves
SVGs of the overview, the regressions screen and a drill-down into a failing
case of the top regression.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from evaltop.core.demo import build_config
from evaltop.tui.app import EvaltopApp

OUT = Path(__file__).resolve().parent


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()


async def shoot(home: Path, budgets: dict) -> None:
    cfg = build_config(home, **budgets)
    conn = sqlite3.connect(cfg.db_path)
    now = conn.execute("SELECT max(ts) FROM outputs").fetchone()[0] + 1
    conn.close()
    app = EvaltopApp(cfg, cfg.db_path, clock=lambda: now, live=False, bell=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        app.save_screenshot("overview.svg", str(OUT))
        await pilot.press("3")
        await settle(pilot)
        app.save_screenshot("regressions.svg", str(OUT))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.save_screenshot("case-detail.svg", str(OUT))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "demo"
        out = subprocess.run(
            [sys.executable, "-c", "from evaltop.tui.cli import main; main()", "demo", "--headless",
             "--seconds", "30", "--dir", str(home)],
            check=True, capture_output=True, text=True,
        ).stdout
        budgets = {}
        for line in out.splitlines():  # "budgets   judge $0.03/day, inference $0.04/day ..."
            if line.strip().startswith("budgets"):
                parts = line.replace("$", "").replace("/day", "").replace(",", "").split()
                budgets = {
                    "judge_daily_usd": float(parts[2]),
                    "inference_daily_usd": float(parts[4]),
                }
        asyncio.run(shoot(home, budgets))
    print(f"wrote {OUT}/overview.svg, regressions.svg, case-detail.svg")


if __name__ == "__main__":
    main()
