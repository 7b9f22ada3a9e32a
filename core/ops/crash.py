"""Where the full trace of an unexpected error goes.

A user sees one line naming the error and the file holding its trace
(``$EVALTOP_HOME/traces/`` or ``~/.local/share/evaltop/traces/``; the
system's temporary folder when that cannot be written). ``--debug`` sets
:data:`DEBUG`: the trace is then printed (or logged) where it happens instead.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

DEBUG = False


def trace_dir() -> Path:
    home = os.environ.get("EVALTOP_HOME")
    if home:
        return Path(home) / "traces"
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "evaltop" / "traces"


def write_trace(exc: BaseException, what: str = "evaltop") -> Path | None:
    """Write ``exc``'s full trace to a new file; its path, or None if no
    folder could take it (the caller then says the error without a path)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    text = (
        f"{what} failed at {stamp} UTC\nargv: {sys.argv!r}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    for folder in (trace_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"evaltop-trace-{stamp}-{os.getpid()}-{id(exc):x}.txt"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    return None


def where(exc: BaseException, what: str = "evaltop") -> str:
    """`` (full trace in PATH)`` after writing the trace; "" if it could not be."""
    path = write_trace(exc, what)
    return f" (full trace in {path})" if path is not None else ""


def log_exception(log: logging.Logger, msg: str, *args: object) -> None:
    """``log.exception`` as one line: the error and the trace file's path
    (the whole trace with ``--debug``). Call it inside an ``except`` block."""
    exc = sys.exc_info()[1]
    if DEBUG or exc is None:
        log.exception(msg, *args)
        return
    log.error(msg + ": %s%s", *args, f"{type(exc).__name__}: {exc}"[:500], where(exc, msg % args))
