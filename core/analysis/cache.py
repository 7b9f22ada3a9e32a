"""Analysis results materialised for the dashboard (store/analysis_cache.py).

The regressions comparison (thousands of tests at 1M outputs) and judge-human
agreement cost far more than a pane may take. The engine's ``analyse`` job
(core/ops/jobs.py) calls :func:`refresh` every ``[schedule] analysis_seconds``,
which computes them for its ``now`` and stores each as one row (regressions in
their JSON form, :meth:`Regressions.to_json`); a dashboard reads that row and
shows "as of" its time. A result older than :func:`stale_after` (or computed with other settings, or
for a later ``now``) is a miss: the caller computes fresh and, when it may
write, stores what it computed. A stored result is exactly what a fresh
computation with the same ``now`` returns (tests/test_analysis_cache.py);
``evaltop report`` never reads it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaltop.core.analysis import agreement as agreement_mod
from evaltop.core.analysis.regressions import Regression, find_regressions
from evaltop.core.model.config import Config
from evaltop.core.model.window import analysis_windows
from evaltop.store import analysis_cache as store
from evaltop.store import db as store_db

log = logging.getLogger(__name__)

FORMAT = 3  # bump when a cached payload's shape changes: old rows then miss (3: mSPRT rows)


def stale_after(cfg: Config) -> float:
    """Seconds a stored result stays good: three job intervals (a missed run
    or two still reads the cache; a stopped engine does not for long)."""
    return 3 * cfg.schedule.analysis_seconds


def regressions_key(cfg: Config) -> str:
    """What a regressions result depends on besides the data and ``now``."""
    a = cfg.analysis
    spec = f"{FORMAT}|{a.since}|{a.baseline}|{a.min_n}|{a.alpha!r}|{a.detect_drop!r}"
    return "regressions:" + hashlib.sha256(spec.encode()).hexdigest()[:16]


def agreement_key() -> str:
    return f"agreement:{FORMAT}"


@dataclass(frozen=True)
class AsOf:
    """A result and the ``now`` it was computed for (``cached``: read from the store)."""

    value: Any
    as_of: float
    cached: bool


@dataclass(frozen=True)
class Regressions:
    """Every comparison for the configured windows, in the analysis's own order
    (:func:`regressions.find_regressions`: by q), and notes saying why there are
    none. A screen's order is the view's business (:func:`regressions.ranked`)."""

    rows: list[Regression]
    notes: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"rows": [r.to_dict() for r in self.rows], "notes": list(self.notes)}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Regressions:
        return cls([Regression.from_dict(r) for r in payload["rows"]], list(payload["notes"]))


def fresh_regressions(conn: sqlite3.Connection, cfg: Config, now: float) -> Regressions:
    """Regressions for the ``[analysis]`` windows ending at ``now``, computed now."""
    current, baseline = analysis_windows(cfg.analysis, now)
    if baseline is None:
        return Regressions([], ["regressions: n/a (analysis.since is `all`)"])
    try:
        rows = find_regressions(conn, cfg, current, baseline)
    except Exception as exc:  # shown in the pane (and kept): the other panes still load
        return Regressions([], [f"regressions: error: {exc}"])
    return Regressions(rows, [])


def fresh_agreement(conn: sqlite3.Connection) -> dict[str, Any]:
    """{"agreement": per judge, "note": ""}, computed now (the note says why it is empty)."""
    try:
        return {"agreement": dict(agreement_mod.agreement(conn)), "note": ""}
    except Exception as exc:  # shown on the review screen: the queue still loads
        return {"agreement": {}, "note": f"agreement: error: {exc}"}


def _read(conn: sqlite3.Connection, cfg: Config, key: str, now: float) -> store.Cached | None:
    hit = store.get(conn, key)
    if hit is None or not 0 <= now - hit.now <= stale_after(cfg):
        return None
    return hit


def _store(db_path: str | Path | None, key: str, now: float, watermark: int, payload: Any) -> None:
    """Keep a result computed on a miss, when this caller may write. Best
    effort: the result is shown either way, and the next miss tries again."""
    if db_path is None:
        return
    try:
        conn = store_db.connect(db_path)
        try:
            with store_db.write(conn):
                store.put(conn, key, now, time.time(), watermark, payload)
        finally:
            conn.close()
    except (sqlite3.Error, store_db.StoreError) as exc:  # locked past busy timeout, read-only
        log.warning("analysis cache: could not store %s: %s", key, exc)


# The last stored regressions this process parsed, per key: (now, computed_at)
# of the row, and the typed result. A dashboard reads the cache on every
# refresh while the row changes once per analysis run; parsing a thousand
# rows into Regression values costs ~5 ms, recognising the same row ~0.1 ms.
# Readers share what is kept here: they rank into new lists, never mutate it.
_parsed: dict[str, tuple[tuple[float, float], Regressions]] = {}


def forget_parsed() -> None:
    """Drop what this process parsed, so the next read parses the stored row
    again (what the first refresh after each analysis run does)."""
    _parsed.clear()


def _stored_regressions(conn: sqlite3.Connection, cfg: Config, key: str,
                        now: float) -> tuple[Regressions, float] | None:
    """The stored result if it is recent for ``now`` (parsed once per row)."""
    st = store.stamp(conn, key)
    if st is None or not 0 <= now - st[0] <= stale_after(cfg):
        return None
    known = _parsed.get(key)
    if known is not None and known[0] == st:
        return known[1], st[0]
    hit = _read(conn, cfg, key, now)
    if hit is None:
        return None
    value = Regressions.from_json(hit.payload)
    _parsed[key] = ((hit.now, hit.computed_at), value)
    return value, hit.now


def regressions(conn: sqlite3.Connection, cfg: Config, now: float,
                db_path: str | Path | None = None) -> AsOf:
    """Regressions as of a stored recent computation, else computed for ``now``
    (and stored when ``db_path`` is given). ``value`` is :class:`Regressions`."""
    key = regressions_key(cfg)
    stored = _stored_regressions(conn, cfg, key, now)
    if stored is not None:
        return AsOf(stored[0], stored[1], True)
    watermark = store.score_watermark(conn)
    found = fresh_regressions(conn, cfg, now)
    _store(db_path, key, now, watermark, found.to_json())
    return AsOf(found, now, False)


def agreement(conn: sqlite3.Connection, cfg: Config, now: float,
              db_path: str | Path | None = None) -> AsOf:
    """Judge-human agreement as of a stored recent computation, else computed
    (and stored when ``db_path`` is given). ``value`` is {"agreement", "note"}."""
    hit = _read(conn, cfg, agreement_key(), now)
    if hit is not None:
        return AsOf(hit.payload, hit.now, True)
    watermark = store.score_watermark(conn)
    payload = fresh_agreement(conn)
    _store(db_path, agreement_key(), now, watermark, payload)
    return AsOf(payload, now, False)


def refresh(conn: sqlite3.Connection, cfg: Config, now: float) -> dict[str, Any]:
    """Compute every cached result for ``now`` and store them (one write
    transaction, after the reads). Returns a summary for job_stats."""
    t = time.perf_counter()
    watermark = store.score_watermark(conn)
    regs = fresh_regressions(conn, cfg, now)
    agree = fresh_agreement(conn)
    with store_db.write(conn):
        store.put(conn, regressions_key(cfg), now, time.time(), watermark, regs.to_json())
        store.put(conn, agreement_key(), now, time.time(), watermark, agree)
    return {"regressions": len(regs.rows), "agreement_judges": len(agree["agreement"]),
            "watermark": watermark, "ms": round((time.perf_counter() - t) * 1000, 1)}
