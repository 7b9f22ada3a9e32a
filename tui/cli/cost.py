"""`evaltop cost OUTPUT_ID`: how one output's cost was made, bucket by bucket,
with its judge calls (confirmed and unconfirmed spend apart); `evaltop spend
--by bucket`: spend in a window split by billing bucket, with what cache
writes cost and what caching saved. Both only read (the database is migrated
first, as for `evaltop report`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from evaltop.core.model.config import ConfigError
from evaltop.core.model.window import parse_duration
from evaltop.core.ops.database import StoreError, open_db
from evaltop.tui.cli.context import UserError, common_options, get_ctx


def _open(config: Path | None, db: Path | None):
    c = get_ctx(config, db)
    try:
        cfg = c.config
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if not c.db_path.exists():
        raise UserError(f"{c.db_path}: no database yet (run `evaltop ingest --once` first)")
    try:
        return cfg, open_db(c.db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None


@click.command("cost")
@click.argument("output_id")
@click.option("--json", "as_json", is_flag=True, help="Print the breakdown as JSON.")
@common_options
def cost_cmd(output_id: str, as_json: bool, config: Path | None, db: Path | None) -> None:
    """Explain OUTPUT_ID's cost: each bucket's tokens, rate and amount, the
    rules and price source, and its judge calls."""
    from evaltop.core.views import costs

    cfg, conn = _open(config, db)
    try:
        try:
            book = costs.book_for(cfg)
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        oc = costs.output_cost(conn, book, output_id)
    finally:
        conn.close()
    if oc is None:
        raise UserError(f"OUTPUT_ID: no output with id {output_id!r} in the database")
    if as_json:
        click.echo(json.dumps(oc.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(costs.text_lines(oc)))


@click.command("spend")
@click.option("--since", default="30d", show_default=True,
              help="Window: 24h, 7d, 30d, ... or all.")
@click.option("--by", "by", type=click.Choice(["bucket", "model", "day", "kind"]),
              default="kind", show_default=True,
              help="Split by billing bucket, model, UTC day or kind (inference/judge).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common_options
def spend_cmd(since: str, by: str, as_json: bool, config: Path | None, db: Path | None) -> None:
    """Inference and judge spend in a window, by kind, model or day; `--by
    bucket` splits it into uncached input, cache read, 5-minute and 1-hour
    cache writes, output and reasoning, with what cache writes cost and what
    caching saved. Unconfirmed judge spend is shown apart."""
    from evaltop.core.views import costs, spend_table

    try:
        seconds = parse_duration(since)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    now = time.time()
    cfg, conn = _open(config, db)
    try:
        try:
            book = costs.book_for(cfg)
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        start = None if seconds is None else now - seconds
        if by != "bucket":
            rows = spend_table.spend_rows(conn, by, start, now + 1)
        else:
            bs = costs.spend_by_bucket(conn, book, start, now + 1)
    finally:
        conn.close()
    if by != "bucket":
        if as_json:
            click.echo(json.dumps({"since": since, "by": by,
                                   "rows": spend_table.to_json(rows)}, indent=2))
        else:
            click.echo("\n".join(spend_table.text_lines(by, rows)))
        return
    if as_json:
        click.echo(json.dumps({"since": since, "by": by} | bs.to_dict(), indent=2))
    else:
        click.echo(f"Spend by bucket, since {since}\n")
        click.echo("\n".join(costs.bucket_lines(bs)))


COMMANDS = [cost_cmd, spend_cmd]
