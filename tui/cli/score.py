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
from evaltop.core.model.window import parse_duration
from evaltop.core.ops.database import StoreError, open_db
from evaltop.core.text.sanitize import clean, clip
from evaltop.tui.cli.context import Ctx, UserError, common_options, get_ctx, stop_on_signals
from evaltop.tui.cli.receive import start_receiver
from evaltop.tui.cli.score_text import (
    progress_bar,
    rescore_plan_lines,
    score_line,
    summary_lines,
)
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


def _since(text: str | None, rescore: bool) -> float | None:
    if not rescore:
        if text is not None:
            raise UserError("--since goes with --rescore (which outputs to judge again)")
        return None
    if text is None:
        raise UserError("--rescore needs --since (e.g. --since 7d, or --since all)")
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _judges(cfg: Config, c: Ctx, names: tuple[str, ...]) -> list[str] | None:
    known = [j.name for j in cfg.judges]
    for name in names:
        if name not in known:
            raise UserError(f"--judge {name!r}: no such judge in {c.config_path}; "
                            f"configured: {', '.join(known) or 'none'}")
    return list(names) or None


def _rescore_step(cfg: Config, since: float | None, judges: list[str] | None):
    """``before`` step of the score job: re-decide sampling and queue verdicts."""
    from evaltop.core.scoring.rescore import rescore

    def step(engine) -> object:
        return rescore(engine.cfg, engine.connection(), within=since, judges=judges,
                       now=engine.clock())

    return step


def _dry_run(cfg: Config, c: Ctx, since: float | None, judges: list[str] | None) -> None:
    from evaltop.core.scoring.budget import judge_budget_state
    from evaltop.core.scoring.rescore import rescore

    try:
        conn = open_db(c.db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        plan = rescore(cfg, conn, within=since, judges=judges, apply=False)
        state = judge_budget_state(conn, cfg)
    finally:
        conn.close()
    for line in rescore_plan_lines(plan.as_dict(), budget=state):
        _say(line)


@click.command("score")
@click.option("--once", is_flag=True,
              help="Judge the whole pending backlog (within budgets and --limit), say what is "
                   "left and why, and exit.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Judge at most N pending samples in this run (each pass without --once).")
@click.option("--rescore", is_flag=True,
              help="Score the outputs of --since again with the current [sampling] and "
                   "judges (after changing base_rate, a stratum, a rubric or a judge); "
                   "implies --once.")
@click.option("--since", "since_text", default=None, metavar="DURATION",
              help="With --rescore: outputs logged in the last DURATION (90m, 24h, 7d, all).")
@click.option("--judge", "judge_names", multiple=True, metavar="NAME",
              help="With --rescore: judge again this judge's verdicts (its rubric, model or "
                   "scale changed); repeatable. Without it, only missing verdicts are judged.")
@click.option("--dry-run", is_flag=True,
              help="With --rescore: count what would be sampled and judged, with a cost "
                   "estimate; change nothing.")
@common_options
def score_cmd(once: bool, limit: int | None, rescore: bool, since_text: str | None,
              judge_names: tuple[str, ...], dry_run: bool, config, db) -> None:
    """Sample new outputs and judge pending samples (rule checks, LLM judges).

    --once judges the whole backlog, page by page ([schedule] score_batch),
    never past a judge budget; a progress bar shows on a terminal. Without
    --once, repeats every [schedule] score_seconds until Ctrl-C.
    Exit 2 on a config problem (unset api_key_env, unpriced judge model);
    exit 1 when a --once pass fails otherwise.
    """
    c = get_ctx(config, db)
    cfg = _load(c, prices=True)
    c.need_config()
    since = _since(since_text, rescore)
    if (judge_names or dry_run) and not rescore:
        raise UserError("--judge and --dry-run go with --rescore")
    judges = _judges(cfg, c, judge_names)
    if dry_run:
        _dry_run(cfg, c, since, judges)
        return
    once = once or rescore
    from evaltop.core.ops.jobs import JobSpec, drain_job

    stop = threading.Event()
    bar: list = [None]  # the progress bar of the current pass (None: not a terminal)
    job = drain_job(limit=limit, stop=stop.is_set,
                    start=lambda total: bar[0] and bar[0].start(total),
                    progress=lambda n: bar[0] and bar[0].advance(n),
                    before=_rescore_step(cfg, since, judges) if rescore else None)
    engine = _engine(cfg, c, jobs=[JobSpec("score", cfg.schedule.score_seconds, job)])
    failed = False
    try:
        with stop_on_signals(stop):
            while True:
                with progress_bar(enabled=once) as bar[0]:
                    result = engine.run_once(["score"])["score"]
                failed = "error" in result
                if failed and result.get("config_error"):
                    raise UserError(result["error"].removeprefix("ConfigError: "))
                if "before" in result:
                    for line in rescore_plan_lines(result["before"]):
                        _say(line)
                if once:
                    for line in summary_lines(result):
                        _say(line)
                    break
                _say(score_line(result))
                if _wait(stop, cfg.schedule.score_seconds):
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
    c.need_config()
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
        elif kind == "job" and verbose and payload.get("job") == "score":
            _say(f"evaltop run: score: {score_line(payload.get('result') or {})}")
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
    for s in d.replaced:  # verdicts `score --rescore` replaced (history, not counted)
        verdict = {1: "pass", 0: "fail"}.get(s.get("passed"), s.get("status", "?"))
        _say(f"  replaced {_when(s.get('replaced_at'))}: {clean(s.get('judge'))}: {verdict}"
             f"  {clip(shown(s.get('reason') or s.get('error') or ''), 200)}")


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
        got = review(conn, limit=limit)
        queue = got.queue
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
        left = (got.total or 0) - counts["pass"] - counts["fail"]
        if left > 0:  # a session stops at --limit: say what is still there
            _say(f"{left:,} sampled case{'' if left == 1 else 's'} still without a human label; "
                 "run `evaltop review` again")
    finally:
        conn.close()


COMMANDS = [score_cmd, run_cmd, review_cmd]
