"""`evaltop score`, `evaltop run` and `evaltop review`.

- ``score [--once]``: sample new outputs and judge pending samples (one pass,
  or every ``score_seconds`` until Ctrl-C/SIGTERM). Safe beside a running
  ``evaltop run``: judging is claimed per (output, judge), never paid twice.
- ``run``: the headless daemon. Runs every job while it holds the database
  job lease; otherwise watches and takes over when the holder goes.
  SIGTERM/SIGINT/SIGHUP stop it cleanly (exit 0).
- ``review``: label sampled outputs pass/fail from a terminal or a pipe.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.model.config import Config, ConfigError
from evaltop.core.model.money import format_usd
from evaltop.core.ops.database import StoreError, open_db
from evaltop.core.text.sanitize import clean, clip
from evaltop.tui.cli.context import Ctx, UserError, common_options, get_ctx, stop_on_signals
from evaltop.tui.cli.receive import start_receiver
from evaltop.tui.widgets.safe_text import set_redaction, shown

if TYPE_CHECKING:
    from evaltop.core.ops.engine import Engine




def _load(c: Ctx, *, prices: bool = False) -> Config:
    """The config; with ``prices``, also the price table (a bad [pricing] file
    stops here, before the database is created)."""
    try:
        cfg = c.config
        if prices:
            PriceBook.from_config(cfg)
        return cfg
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def _engine(cfg: Config, c: Ctx, **kw) -> Engine:
    # the engine brings the scheduler and every job's stage: imported by the
    # commands that run one, not by `evaltop --help`
    from evaltop.core.ops.engine import Engine

    try:
        return Engine(cfg, c.db_path, **kw)
    except StoreError as exc:
        raise UserError(str(exc)) from None


def _wait(stop: threading.Event, seconds: float | None) -> bool:
    """``stop.wait(seconds)`` that wakes every 0.2 s: a signal may land on a
    worker thread, and its Python handler only runs once the main thread
    wakes up (it would sleep through it inside one long lock wait)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    while not stop.is_set():
        left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
        if left <= 0:
            break
        stop.wait(left)
    return stop.is_set()


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler warns on every skipped overrun; we count those in job_stats.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def _say(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()


def _score_line(result: dict) -> str:
    if "error" in result:
        return f"score failed: {result['error']}"
    if "skipped" in result:
        return f"score skipped: {result['skipped']}"
    s, j = result.get("sampled", {}), result.get("scored", {})
    line = (
        f"sampled {s.get('sampled', 0)} of {s.get('evaluated', 0)} new outputs; "
        f"judged {j.get('judged', 0)}: passed {j.get('passed', 0)}, failed {j.get('failed', 0)}, "
        f"errors {j.get('errors', 0)}; judge calls {j.get('calls', 0)} "
        f"(retries {j.get('retries', 0)}), spend {format_usd(j.get('cost_pusd'), unpriced='n/a')}"
    )
    paused = s.get("reason") if s.get("paused") else None
    if j.get("unconfirmed_calls"):
        line += (f" + up to {format_usd(j.get('unconfirmed_pusd'))} unconfirmed "
                 f"({j['unconfirmed_calls']} attempts cut off after sending)")
    if j.get("skipped_budget"):
        line += f"; {j['skipped_budget']} left pending by the judge budget"
    return line + (f"; sampling paused: {paused}" if paused else "")


@click.command("score")
@click.option("--once", is_flag=True, help="One pass, print a summary and exit.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Judge at most N pending samples per pass (default [schedule] score_batch).")
@common_options
def score_cmd(once: bool, limit: int | None, config, db) -> None:
    """Sample new outputs and judge pending samples (rule checks, LLM judges).

    Without --once, repeats every [schedule] score_seconds until Ctrl-C.
    Exit 2 on a config problem (unset api_key_env, unpriced judge model);
    exit 1 when a --once pass fails otherwise.
    """
    c = get_ctx(config, db)
    cfg = _load(c, prices=True)
    if limit is not None:
        cfg = cfg.model_copy(
            update={"schedule": cfg.schedule.model_copy(update={"score_batch": limit})}
        )
    from evaltop.core.ops.jobs import JobSpec, score_job

    engine = _engine(cfg, c, jobs=[JobSpec("score", cfg.schedule.score_seconds, score_job)])
    stop = threading.Event()
    failed = False
    try:
        with stop_on_signals(stop):
            while True:
                result = engine.run_once(["score"])["score"]
                failed = "error" in result
                if failed and result.get("config_error"):
                    raise UserError(result["error"].removeprefix("ConfigError: "))
                _say(_score_line(result))
                if once or _wait(stop, cfg.schedule.score_seconds):
                    break
    finally:
        engine.stop()
    if once and failed:
        sys.exit(1)


@click.command("run")
@click.option("--seconds", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Stop after N seconds (default: until SIGTERM/SIGINT/SIGHUP).")
@click.option("-v", "--verbose", is_flag=True, help="Log every job run to stderr.")
@common_options
def run_cmd(seconds: float | None, verbose: bool, config, db) -> None:
    """Headless daemon: poll sources, score, maintain, check budgets on a schedule;
    with [receiver] enabled = true it also receives OTLP/HTTP (see `evaltop receive`).

    Only one process runs the jobs (a lease in the database); a second `run`
    or a dashboard watches and takes over when the first stops or dies.
    """
    c = get_ctx(config, db)
    cfg = _load(c, prices=True)
    _setup_logging(verbose)
    stop = threading.Event()

    def on_event(kind: str, payload: dict) -> None:
        if kind == "leader":
            took = payload.get("took_over_from")
            since = f" (took over from {took})" if took else ""
            _say(f"evaltop run: leader {payload['owner']}{since}")
        elif kind == "watcher":
            _say(f"evaltop run: watching; jobs run by {payload['holder']}")
        elif kind == "lease_lost":
            _say(f"evaltop run: lost the job lease to {payload.get('holder')}; watching")
        elif kind == "alert":
            _say(f"evaltop run: {payload['level']} alert: {payload['message']}")
        elif kind == "job_error" and not payload.get("repeat"):
            _say(f"evaltop run: job {payload['job']} failed: {clean(payload['error'])}")

    engine = _engine(cfg, c, on_event=on_event)
    receiver = None
    with stop_on_signals(stop):
        try:
            if cfg.receiver.enabled:
                receiver = start_receiver(cfg, c.db_path)
                _say(f"evaltop run: receiving OTLP/HTTP; listening on {receiver.url}")
            engine.start()
            _wait(stop, seconds)
        finally:
            _say("evaltop run: stopping")
            if receiver is not None:
                receiver.stop()
            engine.stop()
    if receiver is not None:
        for text in receiver.stats.lines():
            _say(f"  receiver: {text}")
    for row in engine.job_stats():
        last = f"; last error: {clean(row['last_error'])[:200]}" if row["failing"] else ""
        _say(f"  {row['job']}: {row['runs']} runs, {row['errors']} errors, "
             f"{row['overruns']} overruns{last}")
    _say("evaltop run: stopped")


def _when(ts: float | None) -> str:
    return "?" if ts is None else datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _show_case(n: int, total: int, d) -> None:
    """One case as text; logged text redacted as on the dashboard (see
    ``safe_text.set_redaction``), then cleaned of control characters."""
    o = d.output
    strata = (d.sample or {}).get("strata", "")
    extra = f"  strata={clean(shown(strata))}" if strata else ""
    _say(f"\n[{n}/{total}] {clean(o['id'])}  {_when(o.get('ts'))}  "
         f"model={clean(shown(o.get('model')))}  task={clean(shown(o.get('task')))}{extra}")
    _say("--- input ---")
    for m in d.messages:
        _say(f"{clean(m.get('role'))}: {clip(shown(m.get('content')), 4000)}")
    _say("--- output ---")
    _say(clip(shown(o.get("output_text")), 8000) or "(empty)")
    if o.get("error"):
        _say(f"error: {clip(shown(o['error']), 500)}")
    if d.scores:
        _say("--- scores ---")
        for s in d.scores:
            verdict = {1: "pass", 0: "fail"}.get(s.get("passed"), s.get("status", "?"))
            why = s.get("reason") or s.get("error") or ""
            value = s.get("score")
            _say(f"  {clean(s.get('judge'))}: {verdict} {'' if value is None else value}"
                 f"  {clip(shown(why), 500)}")


def _ask() -> str:
    """One answer: a key on a terminal, a line from a pipe; 'q' at end of input."""
    click.echo("(p)ass  (f)ail  (s)kip  (q)uit > ", nl=False)
    if sys.stdin.isatty():
        key = click.getchar()
        click.echo(key)
        return key.strip().lower()[:1]
    line = sys.stdin.readline()
    click.echo(clean(line.strip()))  # echo a piped answer so the transcript reads well
    return line.strip().lower()[:1] if line else "q"


@click.command("review")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="Cases to go through in this session.")
@click.option("--reviewer", default=lambda: os.environ.get("USER", "cli"),
              help="Name stored with each label (default $USER).")
@common_options
def review_cmd(limit: int, reviewer: str, config, db) -> None:
    """Label sampled cases pass/fail: oldest unlabeled first (keys p/f/s/q).

    Reads one key per case on a terminal, one line per case from a pipe.
    """
    from evaltop.core.views.cases import detail, set_label
    from evaltop.core.views.dashboard import review

    c = get_ctx(config, db)
    set_redaction(_load(c).redaction.enabled)
    try:
        conn = open_db(c.db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        queue = review(conn, limit=limit).queue
        if not queue:
            _say("nothing to review: every sampled case has a human label")
            return
        counts = {"pass": 0, "fail": 0, "skip": 0}
        for n, row in enumerate(queue, 1):
            d = detail(conn, row.get("id") or row["output_id"])
            if d is None:
                continue
            _show_case(n, len(queue), d)
            answer = _ask()
            while answer not in ("p", "f", "s", "q"):
                _say("please answer p, f, s or q")
                answer = _ask()
            if answer == "q":
                break
            if answer == "s":
                counts["skip"] += 1
                continue
            label = "pass" if answer == "p" else "fail"
            set_label(c.db_path, d.id, label, reviewer=reviewer)
            counts[label] += 1
        _say(f"labelled {counts['pass']} pass, {counts['fail']} fail; skipped {counts['skip']}")
    finally:
        conn.close()


COMMANDS = [score_cmd, run_cmd, review_cmd]
