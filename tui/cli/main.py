"""The `evaltop` command line (click).

Every command takes ``--config`` and ``--db``. Errors a user can fix print one
line naming the file/key/argument and exit 2, with no traceback.
Commands live in ``tui/cli/<area>.py``, one module per area, registered below;
``tui/cli/context.py`` holds what they share.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from evaltop.core.model import config as config_mod
from evaltop.core.model.config import ConfigError
from evaltop.core.ops import crash
from evaltop.tui.cli import (
    corpus,
    cost,
    dashboard,
    demo,
    ingest,
    receive,
    report,
    reprice,
    score,
    search,
)
from evaltop.tui.cli.context import Ctx, UserError, common_options, get_ctx


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("evaltop.toml"), show_default=True, help="Config file.")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite database to use (overrides [store] path).")
@click.option("--debug", is_flag=True,
              help="Print the full trace of an unexpected error instead of writing it to a file.")
@click.version_option(package_name="evaltop")
@click.pass_context
def cli(ctx: click.Context, config: Path, db: Path | None, debug: bool) -> None:
    """evaltop: `top` for LLM quality and spend.

    Tails the logs your LLM app already writes into SQLite, scores a strategic
    sample (rule checks, an LLM judge, human review) and shows score trends,
    regressions and judge spend beside inference spend. With no command, opens
    the dashboard.
    """
    crash.DEBUG = crash.DEBUG or debug
    named = ctx.get_parameter_source("config") != click.core.ParameterSource.DEFAULT
    ctx.obj = Ctx(config, db, config_named=named)
    if ctx.invoked_subcommand is None:
        ctx.invoke(dashboard.tui)


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@common_options
def init(force: bool, config: Path | None, db: Path | None) -> None:
    """Write a commented ./evaltop.toml (or --config PATH) to start from."""
    c = get_ctx(config, db)
    if c.config_path.exists() and not force:
        raise UserError(f"{c.config_path} exists; use --force to overwrite")
    try:
        c.config_path.write_text(config_mod.example_text(), encoding="utf-8")
    except OSError as exc:
        why = (exc.strerror or type(exc).__name__).lower()
        raise UserError(f"{c.config_path}: cannot write: {why}") from None
    click.echo(f"wrote {c.config_path}; edit [[sources]] to point at your logs, "
               "then `evaltop ingest --once`")


for _module in (ingest, receive, score, report, reprice, cost, corpus, demo, dashboard, search):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Every error a user can fix is one line on stderr naming the
    key or argument, exit 2, no traceback; click's own usage errors included.
    An unexpected error is one line too, naming the file that holds its full
    trace (``--debug``: the trace itself), exit 1."""
    args = sys.argv[1:] if argv is None else argv
    crash.DEBUG = "--debug" in args
    try:
        rv = cli.main(args=argv, prog_name="evaltop", standalone_mode=False)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "evaltop"
        message = " ".join(exc.format_message().split())
        click.echo(f"evaltop: {message} (see '{where} --help')", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("evaltop: aborted", err=True)
        sys.exit(1)
    except ConfigError as exc:
        click.echo(f"evaltop: {exc}", err=True)
        sys.exit(2)
    except BrokenPipeError:
        # `evaltop cases | head`: the reader left; say nothing more.
        sys.stderr.close()
        sys.exit(1)
    except Exception as exc:  # a bug, or a failure evaltop did not foresee
        if crash.DEBUG:
            raise
        what = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        click.echo(f"evaltop: unexpected error: {what}{crash.where(exc)} "
                   "(--debug prints the trace)", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
