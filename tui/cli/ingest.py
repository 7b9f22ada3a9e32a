"""`evaltop ingest`, `evaltop spend` and `evaltop cases`.

- ``ingest [--once]``: tail every configured source into the store; prints a
  summary with the top reject reasons. Without ``--once`` it keeps polling
  every ``schedule.poll_seconds`` until Ctrl-C or SIGTERM, which stop it
  after the current transaction (nothing lost, nothing counted twice).
- ``spend [--by model|day|kind|bucket] [--since] [--json]``: outputs, tokens
  and inference cost; unpriced outputs are shown as such, never as $0; judge
  spend confirmed, with unconfirmed spend (attempts cut off after sending)
  apart; ``--by bucket`` splits spend by billing bucket (core/views/costs.py).
- ``cases [--limit N] [--failing] [--search QUERY]``: the latest outputs, one
  line each, with the judges that failed each one; ``--search`` is a
  full-text search (docs/search.md).
- ``rejects [--since] [--source] [--limit N] [--by line|reason]``: the lines
  ingest rejected, or every reason with its count (the summary shows five).
  ``--retry`` reads the selected lines again with the current config and
  stores those that parse now (tui/cli/rejects.py, core/ingest/retry.py).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from evaltop.core.ingest.pipeline import (
    Ingestor,
    IngestSummary,
    ingest_once,
    reject_reasons,
    unmatched_sources,
)
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.source_state import SourceProblem
from evaltop.core.model.config import Config, ConfigError
from evaltop.core.model.money import format_usd, pusd_to_usd
from evaltop.core.model.window import parse_duration
from evaltop.core.ops.database import StoreError, open_db
from evaltop.core.text.sanitize import one_line
from evaltop.core.views import costs
from evaltop.core.views import rejects as stored_rejects
from evaltop.core.views.cases import search_query, search_status
from evaltop.core.views.report.base import latest_cases, spend_rows
from evaltop.tui.cli import rejects as retry_rejects
from evaltop.tui.cli.context import Ctx, UserError, common_options, get_ctx, stop_on_signals
from evaltop.tui.widgets.safe_text import line, set_redaction


def _config(c: Ctx) -> Config:
    try:
        return c.config
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def _open_db(path: Path, *, must_exist: bool):
    if must_exist and not path.exists():
        raise UserError(f"{path}: no database yet (run `evaltop ingest --once` first)")
    try:
        return open_db(path)
    except StoreError as exc:
        raise UserError(str(exc)) from None





def _say_problems(problems: list[SourceProblem], unread: list[str]) -> None:
    """One stderr line per unreadable path: an error when its source could
    not be read at all, else a warning."""
    for p in problems:
        level = "error" if p.source in unread else "warning"
        click.echo(f"evaltop: {level}: {one_line(p.text(), 400)}", err=True)


def _summary_lines(s: IngestSummary, conn) -> list[str]:
    mb = s.bytes / (1 << 20)
    lines = [
        f"ingested {s.files:,} file(s): {s.lines:,} lines, {s.outputs:,} outputs, "
        f"{s.feedback:,} feedback, {s.duplicates:,} duplicates, {s.rejected:,} rejected "
        f"({mb:.1f} MB in {s.seconds:.1f} s)"
    ]
    if s.rejected:
        lines.append("top reject reasons:")
        for reason, n, file, line_no in reject_reasons(conn, s.first_reject_rowid):
            lines.append(
                f"  {n:>7,}  {one_line(reason, 160)}  (first at {one_line(file, 200)}:{line_no})"
            )
        more = stored_rejects.reason_count(conn, s.first_reject_rowid) - 5
        if more > 0:
            lines.append(f"  and {more:,} more reason(s): `evaltop rejects --by reason` lists "
                         "them, `evaltop rejects` the lines")
        lines.append("fix the config, then `evaltop rejects --retry` re-reads them")
    return lines


@click.command("ingest")
@click.option("--once", is_flag=True, help="Read every source to its current end, then exit.")
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Parsing processes for backfills (default: on 4+ cores, one per core but one for "
    "backlogs of 32 MB or more; 0: none).",
)
@common_options
def ingest(once: bool, workers: int | None, config: Path | None, db: Path | None) -> None:
    """Tail the configured log sources into the store, exactly once."""
    c = get_ctx(config, db)
    cfg = _config(c)
    if not cfg.sources and not c.config_path.exists():
        raise c.no_config()
    if not cfg.sources:
        raise UserError(
            f"{c.config_path}: no [[sources]] configured (add one with a `path` to your logs)"
        )
    try:
        book = PriceBook.from_config(cfg)  # before anything is written
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    for warning in unmatched_sources(cfg):
        click.echo(f"evaltop: warning: {warning}", err=True)
    stop = threading.Event()
    with stop_on_signals(stop):
        if once:
            conn = _open_db(c.db_path, must_exist=False)
            try:
                summary = ingest_once(
                    cfg, conn, progress=None, stop=stop, workers=workers, book=book
                )
                click.echo("\n".join(_summary_lines(summary, conn)))
            finally:
                conn.close()
            _say_problems(summary.problems, summary.unread_sources)
            if summary.unread_sources:
                names = ", ".join(repr(n) for n in summary.unread_sources)
                raise UserError(f"could not read source(s) {names} at all", code=1)
            return
        try:
            ingestor = Ingestor(
                cfg, c.db_path, progress=None, stop=stop, workers=workers, book=book
            )
        except StoreError as exc:
            raise UserError(str(exc)) from None
        total = IngestSummary(first_reject_rowid=ingestor.first_reject_rowid())
        click.echo(
            f"evaltop: polling {len(cfg.sources)} source(s) every {cfg.schedule.poll_seconds:g} s; "
            "Ctrl-C stops",
            err=True,
        )
        try:
            first = True
            while not stop.is_set():
                s = ingestor.poll()
                total.add(s)
                if first:  # the whole state once, then only what changes
                    _say_problems(s.problems, s.unread_sources)
                else:
                    for change in s.changes:
                        click.echo(f"evaltop: {one_line(change, 400)}", err=True)
                first = False
                if s.lines:
                    stamp = datetime.now(UTC).strftime("%H:%M:%S")
                    click.echo(f"{stamp} +{s.outputs:,} outputs, +{s.feedback:,} feedback, "
                               f"+{s.duplicates:,} duplicates, +{s.rejected:,} rejected")
                stop.wait(cfg.schedule.poll_seconds)
            click.echo("\n".join(_summary_lines(total, ingestor.conn)))
        finally:
            ingestor.close()


def _since(text: str) -> float | None:
    try:
        d = parse_duration(text)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    return None if d is None else time.time() - d


@click.command("spend")
@click.option("--by", "by", type=click.Choice(["model", "day", "kind", "bucket"]),
              default="model", show_default=True,
              help="Group rows by model, UTC day, kind (inference vs judge), or billing bucket.")
@click.option("--since", default="all", show_default=True, help="Window: 24h, 7d, 30d, ... or all.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@common_options
def spend(by: str, since: str, as_json: bool, config: Path | None, db: Path | None) -> None:
    """Outputs, tokens and cost; unpriced outputs are listed, never costed $0.
    `--by bucket`: uncached input, cache read, 5-minute and 1-hour cache
    writes, output, reasoning; what cache writes cost and caching saved."""
    c = get_ctx(config, db)
    lo, until = _since(since), time.time() + 1e9  # include clock-skewed future rows
    if by == "bucket":
        _spend_by_bucket(c, since, lo, until, as_json)
        return
    conn = _open_db(c.db_path, must_exist=True)
    try:
        if as_json:
            rows = [dict(r, cost_usd=pusd_to_usd(r.pop("cost_pusd")))
                    for r in spend_rows(conn, by, lo, until)]
            click.echo(json.dumps({"since": since, "by": by, "rows": rows}, indent=2))
            return
        table = Table(box=None, pad_edge=False)
        for col in (by, "outputs", "input tokens", "output tokens", "cost", "unpriced"):
            table.add_column(col, justify="left" if col == by else "right")
        for row in spend_rows(conn, by, lo, until):
            calls = " calls" if row["name"] == "judge" and by == "kind" else ""
            count = f"{row['count']:,}{calls}"
            table.add_row(Text(one_line(row["name"] or "(none)", 60)), count,
                          f"{row['input_tokens']:,}", f"{row['output_tokens']:,}",
                          format_usd(row["cost_pusd"]), f"{row['unpriced']:,}")
        Console(markup=False, highlight=False, soft_wrap=True).print(table)
    finally:
        conn.close()


def _spend_by_bucket(c, since: str, lo: float | None, until: float, as_json: bool) -> None:
    try:
        book = costs.book_for(_config(c))
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    conn = _open_db(c.db_path, must_exist=True)
    try:
        bs = costs.spend_by_bucket(conn, book, lo, until)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps({"since": since, "by": "bucket"} | bs.to_dict(), indent=2))
    else:
        click.echo(f"Spend by bucket, since {since}\n")
        click.echo("\n".join(costs.bucket_lines(bs)))


@click.command("cases")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--failing", is_flag=True, help="Only outputs with a failed score.")
@click.option("--search", "search", default=None, metavar="QUERY",
              help='Full-text search of inputs and outputs, e.g. "refund NOT shipped" '
                   "(needs [store] search = true; docs/search.md).")
@common_options
def cases(limit: int, failing: bool, search: str | None, config: Path | None,
          db: Path | None) -> None:
    """The latest outputs, one line each: time, model, task, the judges that
    failed it, output."""
    c = get_ctx(config, db)
    cfg = _config(c)
    set_redaction(cfg.redaction.enabled)  # logged text as the dashboard shows it
    query = ""
    if search is not None:
        try:
            query = search_query(search)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    conn = _open_db(c.db_path, must_exist=True)
    try:
        if query:
            _searchable(conn, cfg)
        try:
            rows = latest_cases(conn, limit=limit, failing=failing, search=query)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    finally:
        conn.close()
    if not rows:
        what = "failing outputs" if failing else "outputs"
        click.echo(f"no {what} match the search" if query else
                   "no failing outputs" if failing else "no outputs yet")
    for r in rows:
        when = datetime.fromtimestamp(r["ts"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        text = r["output_text"] if not r["error"] else f"[error] {r['error']}"
        judges = f"failed: {line(r['failed_judges'], 40)}  " if r["failed_judges"] else ""
        click.echo(f"{when}  {line(r['model'], 28):<28}  {line(r['task'], 16):<16}  "
                   f"{judges}{line(text, 90)}")


def _searchable(conn, cfg: Config) -> None:
    """A search can run now, or a one-line reason why not."""
    st = search_status(conn)
    if st.ready:
        return
    if st.enabled:
        raise UserError(f"index building: {st.percent}% ({st.done:,} of {st.total:,} outputs); "
                        "`evaltop search-index` finishes it now")
    if cfg.store.search:
        raise UserError("the search index is not created yet: run `evaltop search-index` "
                        "(or open the dashboard, which builds it in the background)")
    raise UserError("full-text search is off: set `search = true` under [store] in the config, "
                    "then run `evaltop search-index`")


@click.command("rejects")
@click.option("--since", default="all", show_default=True, help="Window: 24h, 7d, ... or all.")
@click.option("--source", default=None, help="Only this source's rejects.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--by", "by", type=click.Choice(["line", "reason"]), default="line",
              show_default=True, help="One row per rejected line, or per reason with its count.")
@click.option("--retry", is_flag=True,
              help="Read the rejected lines (of --since/--source) again with the current config "
                   "and store those that parse now; exit 1 if some could not be read.")
@common_options
def rejects(since: str, source: str | None, limit: int, by: str, retry: bool,
            config: Path | None, db: Path | None) -> None:
    """Lines ingest rejected, newest first: time, file:line, reason.
    After fixing the config (format, max_line_bytes, ...), `--retry` stores
    the lines that parse now."""
    c = get_ctx(config, db)
    set_redaction(_config(c).redaction.enabled)  # reasons can quote logged values
    lo = _since(since)
    if retry:
        _only_retry_options()
        retry_rejects.retry(_config(c), c.db_path, since=lo, source=source)
        return
    conn = _open_db(c.db_path, must_exist=True)
    try:
        if by == "reason":
            rows = stored_rejects.reasons(conn, since=lo, source=source, limit=limit)
        else:
            rows = stored_rejects.latest(conn, since=lo, source=source, limit=limit)
    finally:
        conn.close()
    if not rows:
        click.echo("no rejected lines")
    for r in rows:
        where = f"{line(r['file'], 200)}:{r['line_no']}"
        if by == "reason":
            click.echo(f"{r['count']:>8,}  {line(r['reason'], 300)}  (first at {where})")
        else:
            when = datetime.fromtimestamp(r["ts"], UTC).strftime("%Y-%m-%d %H:%M:%S")
            click.echo(f"{when}  {where}  {line(r['reason'], 300)}")


def _only_retry_options() -> None:
    ctx = click.get_current_context()
    for name in ("limit", "by"):
        if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT:
            raise UserError(f"--retry takes --since and --source, not --{name}")


COMMANDS = [ingest, spend, cases, rejects]
