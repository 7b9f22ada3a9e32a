"""What `evaltop score` and `evaltop run -v` print about scoring, and the
progress bar of `score --once`.

Units are kept apart: *outputs* (one logged model answer, one sample) and
*verdicts* (one judge's answer about one output; an output has one per
judge that applies to it), and *judge calls* (paid requests, retries apart).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from evaltop.core.model.money import format_usd
from evaltop.core.text.sanitize import clean


def _n(k: int | None) -> str:
    return f"{k or 0:,}"


def _plural(k: int | None, word: str) -> str:
    return f"{_n(k)} {word}{'' if k == 1 else 's'}"


def sampled_text(s: dict) -> str:
    text = f"sampled {_n(s.get('sampled'))} of {_plural(s.get('evaluated'), 'new output')}"
    if s.get("late_sampled"):
        text += f" ({_n(s['late_sampled'])} after a late user correction)"
    return text


def judged_text(j: dict) -> str:
    """Outputs finished, verdicts recorded, judge calls and spend."""
    verdicts = (j.get("passed") or 0) + (j.get("failed") or 0)
    text = (f"judged {_plural(j.get('done'), 'output')}: {_plural(verdicts, 'verdict')} "
            f"(passed {_n(j.get('passed'))}, failed {_n(j.get('failed'))}), "
            f"{_plural(j.get('errors'), 'judge error')}")
    if j.get("skipped_family"):
        text += f", {_n(j['skipped_family'])} skipped (same model family)"
    text += (f"; {_plural(j.get('calls'), 'judge call')} ({_n(j.get('retries'))} retries), "
             f"spend {format_usd(j.get('cost_pusd'), unpriced='n/a')}")
    if j.get("unconfirmed_calls"):
        # attempts that may have been billed: apart from the confirmed spend
        text += (f" + up to {format_usd(j.get('unconfirmed_pusd'))} unconfirmed "
                 f"({_plural(j['unconfirmed_calls'], 'attempt')} cut off after sending)")
    return text


def left_text(d: dict) -> str:
    left = d.get("pending_after") or 0
    if not left:
        return "nothing left pending"
    why = "; ".join(clean(r) for r in d.get("left_because") or [])
    return f"left pending: {_plural(left, 'output')}" + (f": {why}" if why else "")


def summary_lines(result: dict) -> list[str]:
    """The summary of one `score` pass (or a `score` job of `run`)."""
    if "error" in result:
        return [f"score failed: {clean(result['error'])}"]
    if "skipped" in result:
        return [f"score skipped: {clean(result['skipped'])}"]
    s, j, d = result.get("sampled", {}), result.get("scored", {}), result.get("drained")
    lines = [sampled_text(s), judged_text(j)]
    if d is not None:
        lines.append(left_text(d))
        if s.get("paused") and not d.get("budget_paused"):
            lines.append(f"judge budget paused: {clean(s.get('reason') or '')}")
    else:
        if j.get("skipped_budget"):
            lines.append(f"{_plural(j['skipped_budget'], 'verdict')} left pending "
                         "by the judge budget")
        if s.get("paused"):
            lines.append(f"sampling paused: {clean(s.get('reason') or '')}")
        if result.get("pending") is not None:
            lines.append(f"{_plural(result['pending'], 'output')} pending")
    return lines


def score_line(result: dict) -> str:
    """:func:`summary_lines` on one line (a pass of the `score` loop, `run -v`)."""
    return "; ".join(summary_lines(result))


class Bar:
    """A rich progress bar on stdout, shown from :meth:`start` (when there is
    work) until the ``with`` ends; the counting unit is outputs."""

    def __init__(self, what: str):
        self.what = what
        self.progress: Progress | None = None
        self.task = None

    def start(self, total: int) -> None:
        if total <= 0 or self.progress is not None:
            return
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("outputs"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(file=sys.stdout), transient=True)
        self.progress.start()
        self.task = self.progress.add_task(self.what, total=total)

    def advance(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress.advance(self.task, n)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextlib.contextmanager
def progress_bar(*, enabled: bool = True, what: str = "judging") -> Iterator[Bar | None]:
    """A :class:`Bar` while inside, or None when stdout is not a terminal (a
    pipe or a file gets the summary only) or ``enabled`` is False."""
    if not enabled or not sys.stdout.isatty():
        yield None
        return
    bar = Bar(what)
    try:
        yield bar
    finally:
        bar.stop()


def _when(ts: float | None) -> str:
    return "the beginning" if ts is None else time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def rescore_plan_lines(plan: dict, *, budget: dict | None = None) -> list[str]:
    """What ``--rescore`` did (or, with ``--dry-run``, would do)."""
    dry = not plan.get("applied")
    judges = ", ".join(clean(j) for j in plan.get("judges") or []) or "none configured"
    lines = [
        f"rescore{' (dry run: nothing changed)' if dry else ''}: "
        f"{_plural(plan.get('outputs'), 'output')} since {_when(plan.get('since'))}; "
        f"judges: {judges}",
        f"  sampling: {_n(plan.get('newly_sampled'))} newly sampled, "
        f"{_n(plan.get('raised'))} with a raised probability "
        f"({_plural(plan.get('samples'), 'sampled output')} in the window)",
        f"  {'would judge' if dry else 'to judge'}: {_plural(plan.get('to_judge'), 'output')}: "
        f"{_plural(plan.get('rejudge'), 'verdict')} to redo"
        + (f" (+{_n(plan['already_queued'])} queued before)" if plan.get("already_queued") else "")
        + f", {_n(plan.get('missing'))} without a verdict yet"
        + (f"; {_plural(plan['kept'], 'verdict')} kept (name a judge with --judge to "
           "redo its verdicts)" if plan.get("kept") else ""),
    ]
    if dry:
        paid = plan.get("paid_pairs") or 0
        est = f"about {format_usd(plan.get('estimate_pusd'))}"
        unknown = plan.get("unknown_cost_judges") or []
        if unknown:
            est += (f" (no past calls to go by for {', '.join(clean(j) for j in unknown)}; "
                    "not counted)")
        lines.append(f"  paid judge calls: {_n(paid)}, {est} at each judge's mean past call")
        if budget is not None:
            lines.append("  " + budget_text(budget))
    return lines


def budget_text(state: dict) -> str:
    if state.get("paused"):
        return f"judge budget paused: {clean(state.get('reason') or '')}"
    parts = []
    if state.get("daily_usd") is not None:
        parts.append(f"${state['spent_today_usd']:.4f} of ${state['daily_usd']:.2f} today")
    if state.get("monthly_usd") is not None:
        parts.append(f"${state['spent_month_usd']:.4f} of ${state['monthly_usd']:.2f} this month")
    return ("judge budget: " + ", ".join(parts) if parts else "no judge budget set") + (
        "; judging stops at a cap and the rest stays pending")
