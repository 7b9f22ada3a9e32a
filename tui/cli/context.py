"""What every command shares: the --config/--db options, the lazily loaded
config, and UserError (one line on stderr, exit 2)."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import click

from evaltop.core.model import config as config_mod
from evaltop.core.model.config import Config


@dataclass
class Ctx:
    config_path: Path
    db_override: Path | None
    _config: Config | None = field(default=None, repr=False)
    config_named: bool = False  # --config given: the file must exist

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = config_mod.load(self.config_path, required=self.config_named)
        return self._config

    def need_config(self) -> None:
        """For a command that would only create an empty database without a
        config: refuse when there is none (an existing ``--db`` will do)."""
        if not self.config_path.exists() and not (self.db_override and self.db_override.exists()):
            raise self.no_config()

    def no_config(self) -> UserError:
        """The error for a command that needs a config when there is none."""
        return UserError(
            f"no {self.config_path} here: `evaltop init` writes one to point at your logs, "
            "`evaltop demo` shows evaltop on generated traffic"
        )

    @property
    def db_path(self) -> Path:
        return self.db_override if self.db_override else self.config.db_path


class UserError(click.ClickException):
    """A problem the user can fix: one line, exit 2 (or ``code``: 1 when the
    command ran but could not do its work, e.g. a source it could not read)."""

    exit_code = 2

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = code

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
    return Ctx(config or root.config_path, db or root.db_override,
               config_named=config is not None or root.config_named)


STOP_SIGNALS = tuple(
    getattr(signal, n) for n in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, n)
)


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Turn SIGTERM/SIGINT/SIGHUP into ``stop.set()`` while inside.

    The handler sets the event from a new thread: a handler runs on the main
    thread between bytecodes, possibly while that thread holds the event's
    own (non-reentrant) lock inside ``stop.wait()``, and would deadlock there.
    """
    def handler(signum, frame) -> None:
        threading.Thread(target=stop.set, name="evaltop-signal", daemon=True).start()

    previous = {}
    for sig in STOP_SIGNALS:
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
