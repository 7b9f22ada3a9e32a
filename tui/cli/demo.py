"""`evaltop demo`: the live dashboard on synthetic traffic, no config needed."""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path

import click

from evaltop.tui.cli.context import UserError


@click.command("demo")
@click.option("--dir", "home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Demo folder (default $EVALTOP_HOME/demo or ~/.local/share/evaltop/demo).")
@click.option(
    "--keep", is_flag=True, help="Keep the database and log of the last run and continue it."
)
@click.option("--headless", is_flag=True, help="No screen: run, then print a summary.")
@click.option("--seconds", type=click.FloatRange(min=1), default=None,
              help="With --headless: how long to run (default 60).")
@click.option("--seed", type=int, default=7, show_default=True, help="Traffic seed.")
def demo(home: Path | None, keep: bool, headless: bool, seconds: float | None, seed: int) -> None:
    """Run evaltop on live synthetic traffic: no config, no network, no API key.

    Writes a JSONL log of several models and tasks, tails it, samples and
    judges it (rule checks and an offline demo judge), and opens the dashboard.
    Within the first minute a cheaper model rolls out and breaks one task, and
    a budget alert fires. Press ? in the dashboard for keys.
    """
    if seconds is not None and not headless:
        raise UserError(
            "--seconds only applies with --headless (the dashboard runs until you quit)"
        )
    # the demo pulls in every stage: imported here so `evaltop --help` and the
    # other commands do not pay for it
    from evaltop.core.demo.session import DemoError, DemoOptions, DemoSession, default_home

    opts = DemoOptions(home=home or default_home(), seed=seed, keep=keep)
    session = DemoSession(opts, echo=click.echo)
    click.echo(f"evaltop demo: files in {session.home}")
    click.echo(f"  log       {session.log_path}")
    click.echo(f"  database  {session.db_path}")
    try:
        session.prepare()
    except DemoError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(
            f"{session.home}: cannot prepare the demo folder: {exc.strerror or exc}"
        ) from None
    t = session.timings
    b = session.cfg.budgets
    if session.history_records:
        click.echo(
            f"  history   {session.history_records} log lines backfilled in {t['prepare_s']:.1f}s "
            f"(ingest {t.get('ingest_s', 0):.1f}s, sampling {t.get('sample_s', 0):.1f}s, "
            f"judging {t.get('score_s', 0):.1f}s)"
        )
    else:
        click.echo("  history   kept from the last run (--keep); continuing it")
    click.echo(
        f"  budgets   judge ${b.judge_daily_usd:g}/day, inference ${b.inference_daily_usd:g}/day "
        "(set so an alert fires within the first minute)"
    )
    click.echo(f"  rollout   {opts.rollout_after_s:g}s from now, gpt-4.1-nano takes "
               f"{opts.candidate_share:.0%} of traffic")
    if headless:
        _headless(session, seconds or 60.0)
        return
    from evaltop.tui.app import run_dashboard

    engine = session.start()
    try:
        code = run_dashboard(session.cfg, session.db_path, engine=engine)
    finally:
        session.engine = None  # run_dashboard stopped it
        session.stop()
    if code:
        raise SystemExit(code)


def _headless(session, seconds: float) -> None:
    from evaltop.core.demo.summary import demo_report, format_summary, stored_counts

    # the engine counts skipped runs itself (job_stats); APScheduler's own
    # warning per skip would bury the summary
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    done = threading.Event()
    previous = {}

    def _stop(signum, frame):
        done.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, _stop)
    started = time.monotonic()
    session.start()
    try:
        done.wait(seconds)
        session.stop_traffic()
        session.catch_up()
    finally:
        session.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    report = demo_report(session.cfg, session.db_path)
    click.echo(format_summary(report, stored_counts(session.db_path), time.monotonic() - started))


COMMANDS = [demo]
