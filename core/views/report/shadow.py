"""The shadow-mode part of `evaltop report`: the live paired comparison under "shadow"."""

from __future__ import annotations

from typing import Any

from evaltop.core.rollout.compare import to_markdown
from evaltop.core.rollout.shadow import shadow_summary
from evaltop.core.views.report.context import ReportContext


def report_section(ctx: ReportContext) -> dict[str, Any]:
    if not ctx.cfg.shadow.candidate:
        return {}
    return {"shadow": shadow_summary(ctx.conn, ctx.cfg)}


def markdown(report: dict[str, Any]) -> list[str]:
    sh = report.get("shadow")
    if not sh or "overall" not in sh:
        return []
    return ["## Shadow mode", "", to_markdown(sh).rstrip()]


def failures(report: dict[str, Any], conditions: set[str]) -> list[str]:
    sh = report.get("shadow")
    if "regression" in conditions and sh and sh.get("regression"):
        return [f"shadow candidate {sh['candidate']} regresses against live outputs "
                f"(paired, alpha {sh['alpha']:g})"]
    return []
