"""`evaltop report`: the state of quality and spend as text, JSON or markdown.

``--fail-on regression,budget`` exits 1 when a named condition holds (the
reasons go to stderr), so CI can gate on it. The JSON schema is a public
contract (README "Report schema"): keys are added, never renamed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from evaltop.core.model.config import ConfigError
from evaltop.core.model.window import analysis_windows
from evaltop.core.ops.database import StoreError, open_db
from evaltop.tui.cli.context import UserError, common_options, get_ctx

FAIL_ON = ("regression", "budget")


def _conditions(text: str) -> set[str]:
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(FAIL_ON))
    if unknown:
        raise UserError(f"--fail-on: unknown condition {unknown[0]!r} "
                        f"(expected a comma list of {', '.join(FAIL_ON)})")
    return names


@click.command("report")
@click.option("--since", default="all", show_default=True, help="Window: 24h, 7d, 30d, ... or all.")
@click.option(
    "--baseline",
    default=None,
    help="Baseline window right before --since (default [analysis] baseline; none for all).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True)
@click.option("--fail-on", "fail_on", default="", metavar="LIST",
              help="Exit 1 when any of these holds: regression, budget.")
@common_options
def report(since: str, baseline: str | None, fmt: str, fail_on: str,
           config: Path | None, db: Path | None) -> None:
    """Print the report for a window; exit 1 on --fail-on conditions."""
    # every area's report section: imported here, not for `evaltop --help`
    from evaltop.core.views.report import build as report_mod
    from evaltop.core.views.report.context import ReportContext

    c = get_ctx(config, db)
    try:
        cfg = c.config
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    conditions = _conditions(fail_on)
    now = time.time()
    try:
        window, base = analysis_windows(cfg.analysis, now, since=since, baseline=baseline)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not c.db_path.exists():
        raise UserError(f"{c.db_path}: no database yet (run `evaltop ingest --once` first)")
    try:
        conn = open_db(c.db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        ctx = ReportContext(cfg=cfg, conn=conn, window=window, baseline=base, now=now)
        rep = report_mod.build(ctx)
    finally:
        conn.close()
    if fmt == "json":
        click.echo(json.dumps(rep, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(report_mod.markdown(rep), nl=False)
    if conditions:
        reasons = report_mod.failures(rep, conditions)
        if reasons:
            for r in reasons:
                click.echo(f"evaltop: fail-on: {r}", err=True)
            raise SystemExit(1)


COMMANDS = [report]
