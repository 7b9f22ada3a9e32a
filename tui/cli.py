"""The `evaltop` command line (click).

Every command takes ``--config`` and ``--db``. Errors a user can fix print one
line naming the file/key/argument and exit 2, with no traceback.
Commands live in ``tui/cmd_*.py``, one module per area, registered below.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from evaltop.core import config as config_mod
from evaltop.core.config import Config, ConfigError


@dataclass
class Ctx:
    config_path: Path
    db_override: Path | None
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = config_mod.load(self.config_path)
        return self._config

    @property
    def db_path(self) -> Path:
        return self.db_override if self.db_override else self.config.db_path


class UserError(click.ClickException):
    """A problem the user can fix: one line, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"evaltop: {self.format_message()}", err=True)


def common_options(f):
    """--config and --db on every command (also accepted after the command name)."""
    f = click.option(
        "--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="SQLite database to use (overrides [store] path).",
    )(f)
    f = click.option(
        "--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
        help="Config file (default ./evaltop.toml).",
    )(f)
    return f


def get_ctx(config: Path | None = None, db: Path | None = None) -> Ctx:
    """The command's context, with sub-command --config/--db taking precedence."""
    root = click.get_current_context().find_root().obj
    if root is None:
        root = Ctx(Path("evaltop.toml"), None)
    return Ctx(config or root.config_path, db or root.db_override)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("evaltop.toml"), show_default=True, help="Config file.")
@click.option("--db", "db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite database to use (overrides [store] path).")
@click.version_option(package_name="evaltop")
@click.pass_context
def cli(ctx: click.Context, config: Path, db: Path | None) -> None:
    """evaltop: `top` for LLM quality and spend.

    Tails the logs your LLM app already writes into SQLite, scores a strategic
    sample (rule checks, an LLM judge, human review) and shows score trends,
    regressions and judge spend beside inference spend. With no command, opens
    the dashboard.
    """
    ctx.obj = Ctx(config, db)
    if ctx.invoked_subcommand is None:
        tui_cmd = cli.get_command(ctx, "tui")
        if tui_cmd is None:
            raise UserError("the dashboard is not installed in this build")
        ctx.invoke(tui_cmd)


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@common_options
def init(force: bool, config: Path | None, db: Path | None) -> None:
    """Write a commented ./evaltop.toml (or --config PATH) to start from."""
    c = get_ctx(config, db)
    if c.config_path.exists() and not force:
        raise UserError(f"{c.config_path} exists; use --force to overwrite")
    c.config_path.write_text(config_mod.example_text(), encoding="utf-8")
    click.echo(f"wrote {c.config_path}; edit [[sources]] to point at your logs, then `evaltop ingest --once`")


def _register() -> None:
    import importlib

    for name in ("cmd_ingest", "cmd_score", "cmd_report", "cmd_corpus", "cmd_demo", "cmd_tui"):
        try:
            mod = importlib.import_module(f"evaltop.tui.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"evaltop.tui.{name}":
                continue  # area not built yet
            raise
        for command in getattr(mod, "COMMANDS", []):
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. Every error a user can fix is one line on stderr naming the
    key or argument, exit 2, no traceback; click's own usage errors included."""
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
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
