"""`evaltop report`: one JSON-shaped dict assembled from per-area sections.

Each section module in ``SECTIONS`` contributes through three functions:

- ``report_section(ctx: ReportContext) -> dict``: keys merged (deeply) into
  the report; areas may share a top-level key such as ``spend``;
- ``markdown(report: dict) -> list[str]``: its part of the markdown/text form;
- ``failures(report: dict, conditions: set[str]) -> list[str]``: why
  ``--fail-on`` should exit 1 (e.g. "regression", "budget").

Key names are a public contract (README "Report schema"): add, never rename.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.views.report import alerts, analysis, base, judges, pricing, shadow
from evaltop.core.views.report.context import ReportContext, deep_merge, iso

SECTIONS = (base, judges, pricing, analysis, alerts, shadow)


def build(ctx: ReportContext) -> dict[str, Any]:
    report: dict[str, Any] = {
        "window": {"since": iso(ctx.window.since), "until": iso(ctx.window.until)},
    }
    if ctx.baseline is not None:
        report["baseline_window"] = {
            "since": iso(ctx.baseline.since),
            "until": iso(ctx.baseline.until),
        }
    for mod in SECTIONS:
        deep_merge(report, mod.report_section(ctx))
    return report


def markdown(report: dict[str, Any]) -> str:
    w = report["window"]
    lines = ["# evaltop report", "", f"Window: {w['since'] or 'beginning'} to {w['until']}", ""]
    for mod in SECTIONS:
        part = mod.markdown(report)
        if part:
            lines += part + [""]
    return "\n".join(lines).rstrip() + "\n"


def failures(report: dict[str, Any], conditions: set[str]) -> list[str]:
    out: list[str] = []
    for mod in SECTIONS:
        out += mod.failures(report, conditions)
    return out
