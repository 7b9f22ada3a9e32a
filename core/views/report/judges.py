"""The judges' part of ``evaltop report`` (see core/views/report/build.py for the contract).

Keys: ``spend.judge_usd`` (confirmed judge spend in the window: what billed
replies cost; never mixed into inference spend), ``spend.judge_unconfirmed_usd``
and ``spend.judge_unconfirmed_calls`` (attempts that may have been billed with
no reply to say so, one reserved estimate each: counted by the budget, apart
from ``judge_usd``), ``judges.<name>`` (calls, errors, retries, input_tokens,
output_tokens, cost_usd (confirmed), unconfirmed_usd, unconfirmed_calls,
same_family_outputs, unknown_cost_calls, refused_budget) and
``budgets.judge`` (daily_usd, spent_today_usd, monthly_usd, spent_month_usd,
paused, reserved_usd, reason). ``failures(report, {"budget"})`` fires when
judge spend is at or over a cap.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.model.money import format_usd, pusd_to_usd, usd_to_pusd
from evaltop.core.scoring.budget import judge_budget_state
from evaltop.core.views.report.context import ReportContext
from evaltop.store import judge_calls, scores


def report_section(ctx: ReportContext) -> dict[str, Any]:
    since, until = ctx.window.since, ctx.window.until
    conn = ctx.conn
    fam = scores.same_family_by_judge(conn, since, until)
    judges: dict[str, dict[str, Any]] = {}
    for j in ctx.cfg.judges:
        if j.kind != "rule":
            judges[j.name] = _empty()
    for r in judge_calls.totals_by_judge(conn, since, until):
        judges[r["judge"]] = {
            "calls": r["calls"] or 0, "errors": r["errors"] or 0, "retries": r["retries"] or 0,
            "input_tokens": r["input_tokens"] or 0, "output_tokens": r["output_tokens"] or 0,
            "cost_usd": pusd_to_usd(r["cost_pusd"] or 0),
            "same_family_outputs": 0, "unknown_cost_calls": r["unknown_cost_calls"] or 0,
            "refused_budget": r["refused_budget"] or 0,
            "unconfirmed_usd": pusd_to_usd(r["unconfirmed_pusd"] or 0),
            "unconfirmed_calls": r["unconfirmed_attempts"] or 0,
        }
    for name, n in fam.items():
        judges.setdefault(name, _empty())["same_family_outputs"] = n
    state = judge_budget_state(conn, ctx.cfg, ctx.now)
    confirmed, unconfirmed, unconfirmed_calls = judge_calls.unconfirmed(conn, since, until)
    return {
        "spend": {"judge_usd": pusd_to_usd(confirmed),
                  "judge_unconfirmed_usd": pusd_to_usd(unconfirmed),
                  "judge_unconfirmed_calls": unconfirmed_calls},
        "judges": judges,
        "budgets": {"judge": state},
    }


def _empty() -> dict[str, Any]:
    return {"calls": 0, "errors": 0, "retries": 0, "input_tokens": 0, "output_tokens": 0,
            "cost_usd": 0.0, "same_family_outputs": 0, "unknown_cost_calls": 0, "refused_budget": 0,
            "unconfirmed_usd": 0.0, "unconfirmed_calls": 0}


def _usd(x: float | None) -> str:
    return "no cap" if x is None else format_usd(usd_to_pusd(x))


def markdown(report: dict[str, Any]) -> list[str]:
    judges = report.get("judges") or {}
    state = (report.get("budgets") or {}).get("judge")
    if not judges and not state:
        return []
    lines = ["## Judges", ""]
    if judges:
        lines += [
            "| judge | calls | errors | retries | tokens in | tokens out | cost "
            "| unconfirmed | same-family outputs |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, j in sorted(judges.items()):
            n = j.get("unconfirmed_calls") or 0
            unconfirmed = f"{_usd(j.get('unconfirmed_usd') or 0.0)} ({n} attempts)" if n else "-"
            lines.append(
                f"| {_cell(name)} | {j['calls']} | {j['errors']} | {j['retries']} "
                f"| {j['input_tokens']} | {j['output_tokens']} | {_usd(j['cost_usd'])} "
                f"| {unconfirmed} | {j['same_family_outputs']} |"
            )
        lines.append("")
    if state:
        lines.append(
            f"Judge spend today {_usd(state['spent_today_usd'])} of {_usd(state['daily_usd'])}; "
            f"this month {_usd(state['spent_month_usd'])} of {_usd(state['monthly_usd'])}."
        )
        if state.get("paused"):
            lines.append(f"Judging is PAUSED: {state.get('reason', '')}")
    if any(j.get("same_family_outputs") for j in judges.values()):
        lines.append(
            "Warning: some outputs were judged by a model of the same family as the generator."
        )
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def failures(report: dict[str, Any], conditions: set[str]) -> list[str]:
    if "budget" not in conditions:
        return []
    state = (report.get("budgets") or {}).get("judge") or {}
    out = []
    for cap_key, spent_key, label in (("daily_usd", "spent_today_usd", "daily"),
                                      ("monthly_usd", "spent_month_usd", "monthly")):
        cap, spent = state.get(cap_key), state.get(spent_key) or 0.0
        if cap is not None and usd_to_pusd(spent) >= usd_to_pusd(cap):
            out.append(
                f"budget: judge {label} spend {_usd(spent)} is at or over its cap {_usd(cap)}"
            )
    if not out and state.get("paused"):
        out.append(f"budget: {state.get('reason') or 'judge budget exhausted'}")
    return out
