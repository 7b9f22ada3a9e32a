"""`evaltop tui` (also plain `evaltop`): the live dashboard."""

from __future__ import annotations

from pathlib import Path

import click

from evaltop.core.ops.database import StoreError
from evaltop.tui.cli.context import UserError, common_options, get_ctx


@click.command("tui")
@click.option(
    "--watch", is_flag=True, help="Only watch: do not run the jobs even if no one else does."
)
@click.option(
    "--readonly", is_flag=True, help="Open the database read-only (no labels); implies --watch."
)
@common_options
def tui(watch: bool, readonly: bool, config: Path | None, db: Path | None) -> None:
    """Open the dashboard. Runs the jobs (poll, score, budgets) unless another
    process holds the job lease, in which case it watches. Keys: 1-5 screens,
    ? help, ctrl+p every action, q quit."""
    from evaltop.tui.app import run_dashboard

    c = get_ctx(config, db)
    cfg = c.config
    c.need_config()  # an empty dashboard and a new evaltop.db would help no one
    if readonly and not c.db_path.exists():
        raise UserError(f"{c.db_path}: database does not exist (drop --readonly to create it)")
    try:
        code = run_dashboard(
            cfg, c.db_path, start_engine=not (watch or readonly), readonly=readonly
        )
    except StoreError as exc:
        raise UserError(str(exc)) from None
    raise SystemExit(code)


COMMANDS = [tui]
