"""`evaltop reprice`: recompute stored inference costs after a price change
(a new built-in table, `[pricing].file` or `[pricing.models]`), printing the
totals before and after. One transaction per batch keeps the rollups (and so
every total and the inference budget) equal to the outputs throughout."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from evaltop.core.model.config import ConfigError
from evaltop.core.model.money import format_usd, pusd_to_usd
from evaltop.core.model.window import parse_duration
from evaltop.core.ops.database import StoreError, open_db
from evaltop.core.text.sanitize import one_line
from evaltop.tui.cli.context import UserError, common_options, get_ctx


@click.command()
@click.option("--since", default="30d", show_default=True,
              help="Outputs logged in this window: 24h, 7d, 30d, ... or all.")
@click.option("--model", "model", default=None, metavar="M",
              help="Only outputs of this model (or of names that resolve to its price entry).")
@click.option("--dry-run", is_flag=True, help="Compute and print the totals; change nothing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@common_options
def reprice(since: str, model: str | None, dry_run: bool, fmt: str,
            config: Path | None, db: Path | None) -> None:
    """Recompute stored costs with the current prices; print before/after totals."""
    from evaltop.core.ingest.pricing import PriceBook
    from evaltop.core.ingest.reprice import reprice as run

    c = get_ctx(config, db)
    try:
        duration = parse_duration(since)
        cfg = c.config
        book = PriceBook.from_config(cfg)
    except (ValueError, ConfigError) as exc:
        raise UserError(str(exc)) from None
    if not c.db_path.exists():
        raise UserError(f"{c.db_path}: no database yet (run `evaltop ingest --once` first)")
    now = time.time()
    try:
        conn = open_db(c.db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        res = run(conn, book, since=None if duration is None else now - duration, until=now,
                  model=model, dry_run=dry_run)
    finally:
        conn.close()
    if fmt == "json":
        click.echo(json.dumps({
            "since": since, "model": model, "dry_run": dry_run, "outputs": res.rows,
            "changed": res.changed, "batches": res.batches,
            "before_usd": pusd_to_usd(res.before_pusd), "after_usd": pusd_to_usd(res.after_pusd),
            "before_pusd": res.before_pusd, "after_pusd": res.after_pusd,
            "unpriced_before": res.unpriced_before, "unpriced_after": res.unpriced_after,
            "by_model": {m: {"before_pusd": b, "after_pusd": a, "unpriced_before": ub,
                             "unpriced_after": ua}
                         for m, (b, a, ub, ua, _n) in sorted(res.by_model.items())},
        }, indent=2))
        return
    verb = "would change" if dry_run else "changed"
    click.echo(f"outputs since {since}{f' of {model}' if model else ''}: {res.rows:,}; "
               f"{verb} {res.changed:,}")
    click.echo(f"before: {format_usd(res.before_pusd)} ({res.unpriced_before:,} unpriced)")
    click.echo(f"after:  {format_usd(res.after_pusd)} ({res.unpriced_after:,} unpriced)")
    for m, (b, a, ub, ua, n) in sorted(res.by_model.items()):
        if (a, ua) != (b, ub):
            click.echo(f"  {one_line(m, 60) or '(no model)'}: {_cost(b, ub, n)} -> "
                       f"{_cost(a, ua, n)}")


def _cost(pusd: int, unpriced: int, outputs: int) -> str:
    """A model's cost: never $0 for outputs that have no price."""
    if unpriced == outputs:
        return "unpriced"
    return format_usd(pusd) + (f" + {unpriced:,} unpriced" if unpriced else "")


COMMANDS = [reprice]
