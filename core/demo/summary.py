"""What `evaltop demo --headless` prints at the end: the demo's numbers, taken
from the same report `evaltop report` builds (no separate arithmetic)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from evaltop.core.model.config import Config
from evaltop.core.model.window import analysis_windows
from evaltop.core.views.report import build as report_mod
from evaltop.store import db as store_db
from evaltop.store.counters import get_many


def demo_report(cfg: Config, db_path: Path, *, now: float | None = None) -> dict[str, Any]:
    """The report over the demo's analysis windows (current vs baseline)."""
    now = time.time() if now is None else now
    current, baseline = analysis_windows(cfg.analysis, now)
    conn = store_db.connect(db_path, readonly=True)
    try:
        return report_mod.build(report_mod.ReportContext(cfg, conn, current, baseline, now=now))
    finally:
        conn.close()


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def _usd(x: float | None) -> str:
    return "unpriced" if x is None else f"${x:,.4f}"


def _segment(seg: dict) -> str:
    parts = [str(seg.get(k)) for k in ("task", "model", "prompt_version", "variant") if seg.get(k)]
    return " / ".join(parts) or "(all)"


def stored_counts(db_path: Path) -> dict[str, int]:
    """Outputs and feedback stored since the database was made."""
    conn = store_db.connect(db_path, readonly=True)
    try:
        return get_many(conn, ["outputs", "feedback", "rejected"])
    finally:
        conn.close()


def format_summary(report: dict[str, Any], counts: dict[str, int], seconds: float) -> str:
    """Plain text for a terminal or a CI log."""
    spend = report.get("spend", {})
    window = report.get("window", {})
    lines = [
        f"evaltop demo: ran {seconds:.0f}s",
        f"  stored         {counts.get('outputs', 0)} outputs, "
        f"{counts.get('feedback', 0)} feedback events, {counts.get('rejected', 0)} rejected lines",
        f"  current window {report.get('outputs', 0)} outputs since {window.get('since')}, "
        f"{report.get('pending_samples', 0)} sampled outputs waiting for a judge",
        f"  spend          inference {_usd(spend.get('inference_usd'))}, "
        f"judge {_usd(spend.get('judge_usd'))} (current window)",
        "  judged (current window, one verdict per judge and output;"
        " pass rate raw / weighted by sampling probability):",
    ]
    for judge, s in sorted((report.get("scores") or {}).items()):
        lines.append(f"    {judge:<16} {_pct(s.get('pass_rate')):>7} / "
                     f"{_pct(s.get('pass_rate_weighted')):>7}  {s.get('judged', 0)} verdicts")
    regs = [r for r in report.get("regressions") or [] if r.get("direction") == "regressed"]
    lines.append(f"  regressions    {len(regs)} significant")
    for r in regs[:8]:
        fmt = _pct if r.get("metric") == "pass_rate" else _num
        lines.append(f"    {r['judge']:<16} {_segment(r['segment'])}: {fmt(r.get('baseline'))} -> "
                     f"{fmt(r.get('current'))} (n {r.get('n_baseline')}/{r.get('n_current')}, "
                     f"q={r.get('q')})")
    alerts = report.get("alerts") or []
    lines.append(f"  alerts         {len(alerts)}")
    for a in alerts[:8]:
        lines.append(f"    [{a['level']}] {a['message']}")
    return "\n".join(lines)
