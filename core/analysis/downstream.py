"""Downstream success metrics from feedback events.

``[downstream]`` maps feedback names to four kinds. Per group of outputs in a
window (by model, variant, task, prompt_version):

- task completion rate: outputs whose latest completion event is truthy /
  outputs with a completion event (unreported outputs are unknown, not failures);
- error rate: outputs with a call error or a truthy error event / all outputs;
- user correction rate: outputs with a truthy correction event / all outputs;
- thumbs up rate: outputs whose latest thumbs event is up / outputs with thumbs.

Every rate comes with n and a Wilson 95% interval.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from evaltop.core.analysis.feedback import feedback_truthy
from evaltop.core.analysis.stats import wilson_interval
from evaltop.core.model.config import Config
from evaltop.core.model.window import Window
from evaltop.store import analysis_queries as q

KINDS = ("task_completion", "error", "user_correction", "thumbs")


def _kind_of(cfg: Config) -> dict[str, str]:
    d = cfg.downstream
    mapping: dict[str, str] = {}
    for kind, names in (("task_completion", d.task_completion), ("error", d.error),
                        ("user_correction", d.user_correction), ("thumbs", d.thumbs)):
        for name in names:
            mapping.setdefault(name, kind)
    return mapping


def _rate(x: int, n: int, events: int | None = None) -> dict[str, Any]:
    """``events``: outputs with a feedback event of the kind (the rate's n
    when only they are counted); 0 means no event could have moved the rate."""
    return {"rate": (x / n) if n else None, "count": x, "n": n, "ci95": _ci(x, n),
            "events": n if events is None else events}


def _ci(x: int, n: int) -> list[float] | None:
    ci = wilson_interval(x, n)
    return list(ci) if ci else None


def _metrics(conn: sqlite3.Connection, cfg: Config, windows: list[tuple[float, Window]],
             by: tuple[str, ...], bucket_s: float | None) -> list[dict[str, Any]]:
    """Shared by the flat and the trended form; ``windows`` are (bucket start,
    part of the window). Output counts per part; feedback read once for all."""
    kind_of = _kind_of(cfg)
    groups: dict[tuple, dict[str, Any]] = {}
    for b, part in windows:
        for row in q.output_counts(conn, part.since, part.until, by):
            if row["n"]:
                groups[(b, *(row[d] for d in by))] = row
    whole = Window(windows[0][1].since, windows[-1][1].until)
    latest: dict[tuple[str, str], tuple[tuple, bool, bool]] = {}
    for fb in q.window_feedback(conn, whole.since, whole.until, list(kind_of), by):
        b = windows[0][0] if bucket_s is None else (fb["output_ts"] // bucket_s) * bucket_s
        latest[(fb["output_id"], kind_of[fb["name"]])] = (
            (b, *(fb[d] for d in by)), feedback_truthy(fb["value_num"], fb["value_text"]),
            bool(fb["call_error"]))
    counts: dict[tuple, dict[str, int]] = {}
    for (_oid, kind), (key, yes, call_error) in latest.items():
        c = counts.setdefault(key, {})
        c[kind + "_n"] = c.get(kind + "_n", 0) + 1
        if yes:
            c[kind + "_yes"] = c.get(kind + "_yes", 0) + 1
            if kind == "error" and call_error:
                c["error_overlap"] = c.get("error_overlap", 0) + 1  # counted once below
    out = []
    for key, g in sorted(groups.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        c = counts.get(key, {})
        n = g["n"]
        errors = g["call_errors"] + c.get("error_yes", 0) - c.get("error_overlap", 0)
        out.append({
            "_bucket": key[0],
            **dict(zip(by, key[1:], strict=True)),
            "outputs": n,
            "task_completion": _rate(c.get("task_completion_yes", 0),
                                     c.get("task_completion_n", 0)),
            "error": _rate(errors, n, c.get("error_n", 0)),
            "user_correction": _rate(c.get("user_correction_yes", 0), n,
                                     c.get("user_correction_n", 0)),
            "thumbs_up": _rate(c.get("thumbs_yes", 0), c.get("thumbs_n", 0)),
        })
    return out


def downstream_metrics(conn: sqlite3.Connection, cfg: Config, window: Window,
                       by: Sequence[str] = ("model",)) -> list[dict[str, Any]]:
    """One dict per group: the group's keys, ``outputs``, and per metric
    ``{"rate", "count", "n", "ci95", "events"}`` for task_completion, error,
    user_correction, thumbs_up (``events``: outputs with a feedback event of
    that kind; a user correction rate with none is "no feedback", not 0%)."""
    rows = _metrics(conn, cfg, [(0.0, window)], tuple(by), None)
    for row in rows:
        del row["_bucket"]
    return rows


MAX_BUCKETS = 1000


def downstream_trend(conn: sqlite3.Connection, cfg: Config, window: Window, bucket_s: int,
                     by: str | None = None) -> list[dict[str, Any]]:
    """:func:`downstream_metrics` per time bucket (by output ts), each row with
    ``"ts"`` (bucket start) and ``"key"`` (the ``by`` value, or None): the
    downstream metrics trended per model, variant, task or overall."""
    if bucket_s <= 0:
        raise ValueError(f"bucket_s must be a positive number of seconds, got {bucket_s}")
    since = window.since
    if since is None:
        since = q.first_output_ts(conn)
        if since is None:
            return []
    start = (since // bucket_s) * bucket_s
    if (window.until - start) / bucket_s > MAX_BUCKETS:
        raise ValueError(f"{(window.until - start) / bucket_s:.0f} buckets of {bucket_s}s: "
                         f"choose a larger bucket (at most {MAX_BUCKETS})")
    parts, b = [], start
    while b < window.until:
        parts.append((float(b), Window(max(b, since), min(b + bucket_s, window.until))))
        b += bucket_s
    dims = (by,) if by else ()
    rows = _metrics(conn, cfg, parts, dims, float(bucket_s))
    return [{"ts": row.pop("_bucket"), "key": row[by] if by else None, **row} for row in rows]


def overall(conn: sqlite3.Connection, cfg: Config, window: Window) -> dict[str, Any]:
    """The same metrics over the whole window (the report's ``downstream.all``)."""
    rows = downstream_metrics(conn, cfg, window, by=())
    return rows[0] if rows else {}
