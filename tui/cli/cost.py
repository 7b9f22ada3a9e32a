"""`evaltop cost OUTPUT_ID`: how one output's cost was made, bucket by bucket,
with its judge calls (confirmed and unconfirmed spend apart). It only reads
(the database is migrated first, as for `evaltop report`). The spend split by
bucket is `evaltop spend --by bucket` (tui/cli/ingest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from evaltop.core.model.config import ConfigError
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


COMMANDS = [cost_cmd]
