"""``evaltop rejects --retry [--since DUR] [--source NAME]``: read the rejected
lines again with the current config (core/ingest/retry.py).

Prints one line: ``retried N lines: S stored (O outputs, F feedback, D
duplicates), K still rejected, U could not be re-read`` with each cause and
its count. Exit 0 when every selected line was read again (whether it was
stored or still fails: ``evaltop rejects`` lists those); exit 1 when some
could not be read (file gone or changed, source no longer configured, not
from a file), so a script sees lines it cannot get back this way.
"""

from __future__ import annotations

import threading
from pathlib import Path

import click

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.retry import RetrySummary, retry_rejects
from evaltop.core.model.config import Config, ConfigError
from evaltop.core.ops.database import StoreError, open_db
from evaltop.core.text.sanitize import one_line
from evaltop.tui.cli.context import UserError, stop_on_signals


def summary_line(s: RetrySummary) -> str:
    text = (f"retried {s.lines:,} lines: {s.stored:,} stored ({s.outputs:,} outputs, "
            f"{s.feedback:,} feedback, {s.duplicates:,} duplicates), {s.still:,} still rejected, "
            f"{s.unread_total:,} could not be re-read")
    if s.unread:
        most = sorted(s.unread.items(), key=lambda kv: (-kv[1], kv[0]))
        causes = ", ".join(f"{one_line(cause, 120)}: {n:,}" for cause, n in most)
        text += f" ({causes})"
    return text


def retry(cfg: Config, db_path: Path, *, since: float | None, source: str | None) -> None:
    """Run the retry, print its summary; exit 1 when lines could not be read."""
    if not db_path.exists():
        raise UserError(f"{db_path}: no database yet (run `evaltop ingest --once` first)")
    try:
        book = PriceBook.from_config(cfg)  # before anything is written
        conn = open_db(db_path)
    except (ConfigError, StoreError) as exc:
        raise UserError(str(exc)) from None
    stop = threading.Event()
    try:
        with stop_on_signals(stop):
            s = retry_rejects(cfg, conn, book, since=since, source=source, stop=stop)
    finally:
        conn.close()
    click.echo(summary_line(s))
    if s.still:
        click.echo("still rejected: `evaltop rejects` shows why")
    if stop.is_set():
        raise UserError("stopped; run it again to retry the rest", code=1)
    if s.unread:
        raise UserError(f"{s.unread_total:,} line(s) could not be read again; "
                        "their rejects are kept", code=1)
