"""What stops a configured source from being read, and telling it once.

Each poll, every source's tailer notes the paths its glob found but could not
read (``Tailer.problems``: a directory named as ``path``, permission denied,
a FIFO, a parent that is a file). :func:`sync` compares them with what the
store holds (``source_status``) and, only when they changed, rewrites the
rows and returns one line per change: a path that became unreadable, or is
readable again, for the caller to say (the ``ingest`` command on stderr, the
engine's poll job in its log). So the word comes once per state change,
whichever process polls, and the dashboard shows the current state to every
watcher.
"""

from __future__ import annotations

from dataclasses import dataclass

from evaltop.store import db as store_db
from evaltop.store import source_status


@dataclass(frozen=True)
class SourceProblem:
    source: str
    path: str
    reason: str
    since: float = 0.0

    def text(self) -> str:
        return f"source {self.source!r}: {self.path}: {self.reason}"


def sync(conn, sources: list[str], problems: dict[tuple[str, str], str], now: float) -> list[str]:
    """Store ``problems`` ((source, path) -> reason) for ``sources`` if they
    changed; the lines describing the change ([] when nothing changed)."""
    names = set(sources)
    stored = {(p["source"], p["path"]): p["reason"]
              for p in source_status.current(conn) if p["source"] in names}
    if stored == problems:
        return []
    changes = [f"source {s!r}: {path}: {reason}"
               for (s, path), reason in sorted(problems.items()) if stored.get((s, path)) != reason]
    changes += [f"source {s!r}: {path}: readable again"
                for (s, path) in sorted(stored) if (s, path) not in problems]
    with store_db.write(conn):
        source_status.replace(conn, sources, problems, now)
    return changes


def current(conn) -> list[SourceProblem]:
    """Every stored problem (for the dashboard), oldest first."""
    return [SourceProblem(p["source"], p["path"], p["reason"], p["since"])
            for p in source_status.current(conn)]
