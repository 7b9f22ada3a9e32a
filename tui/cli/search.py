"""`evaltop search-index`: bring the full-text search index in line with
``[store] search`` and fill it to the end, with progress (docs/search.md).

The dashboard does the same in the background (the engine's ``search`` job);
this command is for a big store that should be searchable now, and for
dropping the index after ``search = false``. Ctrl-C stops it after the
current batch: what was indexed stays, the next run goes on from there.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from evaltop.tui.cli.context import common_options, get_ctx, stop_on_signals
from evaltop.tui.cli.ingest import _config, _open_db


@click.command("search-index")
@common_options
def search_index(config: Path | None, db: Path | None) -> None:
    """Create (or, with search off, drop) the full-text index and fill it."""
    from evaltop.core.ops import search_index as index  # deferred: `evaltop --help` stays fast

    c = get_ctx(config, db)
    cfg = _config(c)
    conn = _open_db(c.db_path, must_exist=True)
    stop = threading.Event()
    tty = sys.stderr.isatty()
    shown = [-1]

    def progress(st) -> None:
        if tty:
            click.echo(f"\rindex building: {st.percent}% ({st.done:,} of {st.total:,} outputs)",
                       err=True, nl=False)
        elif st.percent // 10 != shown[0] // 10:
            click.echo(f"index building: {st.percent}% ({st.done:,} of {st.total:,} outputs)",
                       err=True)
        shown[0] = st.percent

    try:
        st = index.sync(cfg, conn)
        if not st.enabled:
            click.echo("full-text search is off ([store] search = false): no index")
            return
        with stop_on_signals(stop):
            st = index.build(conn, stop=stop, progress=progress)
    finally:
        conn.close()
    if tty and shown[0] >= 0:
        click.echo("", err=True)
    if st.finished:
        click.echo(f"search index ready ({st.total:,} existing outputs indexed; "
                   "new ones are indexed as they are stored)")
    else:
        click.echo(f"stopped at {st.percent}%: run `evaltop search-index` again to go on")


COMMANDS = [search_index]
