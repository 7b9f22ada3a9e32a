"""The pricing part of `evaltop report`: which price entry priced each
model's outputs (and from which layer), and every fallback rule used
(``price_fallback``), so a cost that rests on a fallback is never silent."""

from __future__ import annotations

from typing import Any

from evaltop.core.ingest.pricing import builtin_table
from evaltop.core.views.report.context import ReportContext
from evaltop.store import outputs as store_out


def report_section(ctx: ReportContext) -> dict[str, Any]:
    rows = store_out.pricing_in_window(ctx.conn, ctx.window.since, ctx.window.until)
    entries: dict[tuple, int] = {}
    fallbacks: dict[str, dict[str, int]] = {}
    n_fallback = 0
    for r in rows:
        key = (r["model"], r["price_entry"], r["cost_source"])
        entries[key] = entries.get(key, 0) + r["outputs"]
        if r["price_fallback"]:
            n_fallback += r["outputs"]
            for rule in r["price_fallback"].split("; "):
                f = fallbacks.setdefault(rule, {"outputs": 0, "unpriced": 0})
                f["outputs"] += r["outputs"]
                f["unpriced"] += r["unpriced"]
    return {"pricing": {
        "builtin_as_of": builtin_table().get("as_of", ""),
        "price_fallback_outputs": n_fallback,
        "fallbacks": [{"rule": rule, **v} for rule, v in sorted(fallbacks.items())],
        "entries": [{"model": m, "entry": e, "source": s, "outputs": n}
                    for (m, e, s), n in sorted(entries.items(), key=lambda kv: str(kv[0]))],
    }}


def markdown(report: dict[str, Any]) -> list[str]:
    p = report.get("pricing")
    if not p or not p["entries"]:
        return []
    lines = ["## Pricing", "", f"- Built-in prices as of {p['builtin_as_of']}"]
    renamed = [e for e in p["entries"] if e["entry"] and e["entry"] != e["model"]]
    for e in renamed:
        lines.append(f"- {_inert(e['model'])} priced by entry {_inert(e['entry'])} "
                     f"({e['source']}, {e['outputs']:,} outputs)")
    if p["fallbacks"]:
        lines.append(f"- {p['price_fallback_outputs']:,} outputs priced with a fallback rule:")
        for f in p["fallbacks"]:
            unpriced = f" ({f['unpriced']:,} left unpriced)" if f["unpriced"] else ""
            lines.append(f"  - {_inert(f['rule'])}: {f['outputs']:,}{unpriced}")
    return lines


def _inert(text: Any) -> str:
    """Model names come from logs: printable characters only, no markdown code."""
    return "".join(c for c in str(text) if c.isprintable()).replace("`", "'")


def failures(report: dict[str, Any], conditions: set[str]) -> list[str]:
    return []
