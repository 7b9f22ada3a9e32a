"""The report's base section: volumes, tokens and inference spend.

Window rules (README "Report schema"):
- ``outputs``, ``tokens``, ``spend``, ``by_model``: outputs whose own
  timestamp is in ``[since, until)``; exact at any edge (whole hours from the
  rollup, partial hours from ``outputs``);
- ``feedback``: feedback events whose timestamp is in the window;
- ``rejected``: reject rows *ingested* in the window (a malformed line has no
  trustworthy timestamp of its own);
- ``duplicates``: duplicates *ingested* in the window, counted per ingest
  hour, so a bounded window counts every hour it overlaps.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.model.money import format_usd, pusd_to_usd, usd_to_pusd
from evaltop.core.views.report.context import ReportContext
from evaltop.store import counters
from evaltop.store import judge_calls as store_judge_calls
from evaltop.store import outputs as store_out
from evaltop.store.rollups import hourly as rollups


def report_section(ctx: ReportContext) -> dict[str, Any]:
    since, until = ctx.window.since, ctx.window.until
    conn = ctx.conn
    by_model = rollups.window_totals(conn, since, until, by="model")
    total = rollups.Totals()
    for t in by_model:
        for name in ("outputs", "input_tokens", "output_tokens", "cached_input_tokens",
                     "cache_write_tokens", "reasoning_tokens", "estimated_outputs",
                     "unpriced_outputs", "cost_pusd", "errors"):
            setattr(total, name, getattr(total, name) + getattr(t, name))
    if since is None:
        duplicates = counters.get(conn, "duplicates")
    else:
        duplicates = counters.sum_prefixed_range(
            conn, "duplicates@", rollups.hour_of(since), rollups.hour_of(until)
        )
    judge_pusd = store_out.judge_cost_in_window(conn, since, until)[3]
    return {
        "outputs": total.outputs,
        "feedback": store_out.count_in_window(conn, "feedback", since, until),
        "rejected": store_out.count_in_window(conn, "rejects", since, until),
        "duplicates": duplicates,
        "tokens": {
            "input": total.input_tokens,
            "output": total.output_tokens,
            "cached_input": total.cached_input_tokens,
            "cache_write": total.cache_write_tokens,
            "reasoning": total.reasoning_tokens,
            "estimated_outputs": total.estimated_outputs,
        },
        "spend": {
            "inference_usd": pusd_to_usd(total.cost_or_none()),
            "judge_usd": pusd_to_usd(judge_pusd),  # the judges section refines this
            "unpriced_outputs": total.unpriced_outputs,
        },
        "by_model": [
            {
                "model": t.key,
                "outputs": t.outputs,
                "input_tokens": t.input_tokens,
                "output_tokens": t.output_tokens,
                "inference_usd": pusd_to_usd(t.cost_or_none()),
                "unpriced_outputs": t.unpriced_outputs,
            }
            for t in by_model
        ],
    }


def _usd(value: float | None) -> str:
    if value is None:
        return "unpriced"
    return format_usd(usd_to_pusd(value))


def _unconfirmed(spend: dict[str, Any]) -> str:
    n = spend.get("judge_unconfirmed_calls") or 0
    if not n:
        return ""
    return (f" confirmed, plus up to {_usd(spend.get('judge_unconfirmed_usd'))} unconfirmed"
            f" ({n:,} attempts cut off after sending; the budget counts them)")


def _cell(text: str) -> str:
    """Markdown table cell: model names come from logs, keep them inert."""
    return (
        "".join(c for c in text if c.isprintable()).replace("|", "\\|").replace("`", "'")
        or "(none)"
    )


def markdown(report: dict[str, Any]) -> list[str]:
    if "outputs" not in report:
        return []
    tok, spend = report["tokens"], report["spend"]
    n_unpriced = spend["unpriced_outputs"]
    unpriced = f" ({n_unpriced:,} outputs unpriced)" if n_unpriced else ""
    lines = [
        "## Traffic and spend",
        "",
        f"- Outputs: {report['outputs']:,} (feedback events {report['feedback']:,}, "
        f"rejected lines {report['rejected']:,}, duplicates {report['duplicates']:,})",
        f"- Tokens: {tok['input']:,} in ({tok['cached_input']:,} cached, "
        f"{tok['cache_write']:,} cache writes), {tok['output']:,} out "
        f"({tok['reasoning']:,} reasoning); "
        f"{tok['estimated_outputs']:,} outputs with estimated counts",
        f"- Inference spend: {_usd(spend['inference_usd'])}{unpriced}",
        f"- Judge spend: {_usd(spend.get('judge_usd'))}{_unconfirmed(spend)}",
    ]
    if report["by_model"]:
        lines += ["", "| Model | Outputs | Input tokens | Output tokens | Inference |",
                  "|---|---:|---:|---:|---:|"]
        for m in report["by_model"]:
            cost = _usd(m["inference_usd"])
            if m["unpriced_outputs"] and m["inference_usd"] is not None:
                cost += f" (+{m['unpriced_outputs']:,} unpriced)"
            lines.append(
                f"| {_cell(m['model'])} | {m['outputs']:,} | {m['input_tokens']:,} | "
                f"{m['output_tokens']:,} | {cost} |"
            )
    return lines


# -- CLI views (`evaltop spend`, `evaltop cases`) ------------------------------


def spend_rows(conn, by: str, since: float | None, until: float) -> list[dict[str, Any]]:
    """Rows for `evaltop spend --by model|day|kind`: name, outputs (or judge
    calls), input/output tokens, cost_pusd (None = unpriced), unpriced. By
    kind, judge spend is confirmed; a ``judge unconfirmed`` row (attempts cut
    off after sending, one estimate each) follows when there are any."""
    if by not in ("model", "day", "kind"):
        raise ValueError(f"by must be model, day or kind, got {by!r}")
    rows = [
        {
            "name": "inference" if by == "kind" else t.key,
            "count": t.outputs,
            "input_tokens": t.input_tokens,
            "output_tokens": t.output_tokens,
            "cost_pusd": t.cost_or_none(),
            "unpriced": t.unpriced_outputs,
        }
        for t in rollups.window_totals(conn, since, until, by=None if by == "kind" else by)
    ]
    if by == "kind":
        calls, tin, tout, cost = store_out.judge_cost_in_window(conn, since, until)
        rows.append({"name": "judge", "count": calls, "input_tokens": tin, "output_tokens": tout,
                     "cost_pusd": cost, "unpriced": 0})
        _, unconfirmed, attempts = store_judge_calls.unconfirmed(conn, since, until)
        if attempts:  # may have been billed: counted by the budget, apart from judge spend
            rows.append({"name": "judge unconfirmed", "count": attempts, "input_tokens": 0,
                         "output_tokens": 0, "cost_pusd": unconfirmed, "unpriced": 0})
    return rows


def latest_cases(conn, *, limit: int = 20, failing: bool = False,
                 search: str = "") -> list[dict[str, Any]]:
    """Newest outputs first: id, ts, model, task, output_text (head), error,
    failed_judges; ``search`` is an FTS5 query (core/views/cases.search_query)."""
    return [dict(r) for r in store_out.latest(conn, limit=limit, failing=failing, search=search)]


def failures(report: dict[str, Any], conditions: set[str]) -> list[str]:
    """Volumes and spend alone never fail a run: budgets do (report/alerts.py)."""
    return []
