"""Rejected lines read again with the current config: ``evaltop rejects --retry``.

A reject row says where its line is (file, byte offset, line number) and
what it began with (``head``, its first 200 bytes). A retry reads the line
at that offset the way the tailer does (core/ingest/tail/lines.py, with the
source's current ``max_line_bytes``), checks that it still begins with the
stored head, and parses and prices it like ingest (core/ingest/prepare.py,
with the source's current format and prices):

- a line that parses now becomes its rows; in ONE transaction per page of
  rejects the rows, rollup increments and counters are stored and the reject
  rows deleted, so a kill leaves each line either still a reject or stored,
  never both. Ids already stored count as duplicates (a line without an id
  has ``h:<hash of the line>``, the same hash ingest gave it), so a second
  retry, or a concurrent ingest reading the same lines, stores nothing twice;
- a line that still fails keeps its row, with the reason it fails with now;
- a line that cannot be read again is kept and counted by cause (file gone,
  changed, source no longer configured, not from a file).

Only rejects that exist when the retry starts are read, and each transaction
first checks which of its rows are still there (a second retry running at the
same time may have taken them).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO

from evaltop.core.ingest.pipeline import store_new
from evaltop.core.ingest.prepare import Prepared, finish, parse_lines
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.tail.fileid import GZIP_ERRORS, is_gz
from evaltop.core.ingest.tail.jsonl_tail import Batch
from evaltop.core.ingest.tail.lines import HEAD_BYTES, LineReader, too_long_reason
from evaltop.core.model.config import Config, SourceConfig
from evaltop.store import counters
from evaltop.store import db as store_db
from evaltop.store import outputs as store_out
from evaltop.store.rollups import hourly as rollups

PAGE = 500  # rejects per transaction
_BOM = b"\xef\xbb\xbf"

# why a line could not be read again (the summary counts each)
GONE = "file gone (deleted, moved or rotated)"
CHANGED = "file changed since (rewritten, truncated or rotated)"
UNCONFIGURED = "source no longer configured"
NOT_A_FILE = "not from a file (OTLP receiver)"
NO_HEAD = "no stored head to check the line against"


@dataclass
class RetrySummary:
    lines: int = 0  # reject rows retried
    stored: int = 0  # lines that parse now (their reject rows are gone)
    outputs: int = 0
    feedback: int = 0
    duplicates: int = 0  # records whose id was already stored
    still: int = 0  # lines that still fail (rows kept, reason updated)
    unread: Counter = field(default_factory=Counter)  # cause -> lines kept

    @property
    def unread_total(self) -> int:
        return sum(self.unread.values())

    def add(self, other: RetrySummary) -> None:
        for name in ("lines", "stored", "outputs", "feedback", "duplicates", "still"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.unread.update(other.unread)


@dataclass
class _Line:
    """One reject row, read again: rows to store, a reason, or a cause."""

    rowid: int
    reason: str  # stored
    prep: Prepared | None = None
    now_reason: str | None = None
    cause: str | None = None


class _Forward:
    """A file read at increasing offsets: keeps the last chunk read, so
    reading the next line of a ``.gz`` never rewinds the stream when that
    line starts inside it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.buf, self.start, self.pos = raw, b"", 0, 0

    def seek(self, offset: int) -> None:
        if self.start <= offset <= self.start + len(self.buf):
            self.pos = offset
            return
        self.raw.seek(offset)
        self.buf, self.start, self.pos = b"", offset, offset

    def read(self, n: int) -> bytes:
        end = self.start + len(self.buf)
        if self.pos < end:
            data = self.buf[self.pos - self.start : self.pos - self.start + n]
        else:
            data = self.raw.read(n)
            self.buf, self.start = data, self.pos
        self.pos += len(data)
        return data

    def close(self) -> None:
        self.raw.close()


class _Files:
    """The file being read (rejects are read grouped by file)."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.fh: _Forward | str | None = None

    def get(self, path: str) -> _Forward | str:
        """The open file, or why it cannot be opened."""
        if path != self.path:
            self.close()
            self.path = path
            try:
                self.fh = _Forward(gzip.open(path, "rb") if is_gz(path) else open(path, "rb"))
            except FileNotFoundError:
                self.fh = GONE
            except OSError as exc:
                self.fh = f"file unreadable ({(exc.strerror or type(exc).__name__).lower()})"
        assert self.fh is not None
        return self.fh

    def close(self) -> None:
        if isinstance(self.fh, _Forward):
            self.fh.close()
        self.path, self.fh = None, None


def _same_line(head: bytes, line: bytes) -> bool:
    """Does ``line`` (or the line without a BOM, as parsing saw it) begin
    with the stored ``head``, and is it as long as a head that is shorter
    than HEAD_BYTES says the line was?"""
    for cand in (line, line[3:]) if line.startswith(_BOM) else (line,):
        if cand.startswith(head) and len(head) == min(len(cand), HEAD_BYTES):
            return True
    return False


def _read_line(row: tuple, src: SourceConfig, files: _Files, book: PriceBook,
               now: float) -> _Line:
    rowid, source, path, line_no, offset, reason, head = row
    out = _Line(rowid, reason)
    fh = files.get(path)
    if isinstance(fh, str):
        out.cause = fh
        return out
    gz = is_gz(path)
    try:
        fh.seek(offset)
        reader = LineReader(fh, offset, line_no - 1,  # type: ignore[arg-type]
                            max_line_bytes=src.max_line_bytes, final=gz)
        chunk = reader.read(max_lines=1)
    except GZIP_ERRORS as exc:
        out.cause = f"file unreadable ({type(exc).__name__})"
        return out
    head = head.encode() if isinstance(head, str) else head
    if chunk.too_long:
        _, _, text = chunk.too_long[0]
    elif chunk.lines:
        _, _, text = chunk.lines[0]
    else:
        out.cause = CHANGED  # nothing there any more, or no newline
        return out
    if head is None:
        out.cause = NO_HEAD
    elif not _same_line(head, text):
        out.cause = CHANGED
    elif chunk.too_long:
        out.now_reason = too_long_reason(src.max_line_bytes)
    else:
        batch = Batch(source, path, [(line_no, offset, text)], [], None)  # type: ignore[arg-type]
        prep = finish(parse_lines(batch, src.format, now, book), book)
        if prep.rejects:
            out.now_reason = prep.rejects[0][4]
        else:
            out.prep = prep
    return out


def _reread(row: tuple, sources: dict[str, SourceConfig], files: _Files, book: PriceBook,
            now: float) -> _Line:
    rowid, source, _, line_no, _, reason, _ = row
    if line_no < 1:  # the OTLP receiver's rejects have line 0 and an endpoint for a file
        return _Line(rowid, reason, cause=NOT_A_FILE)
    src = sources.get(source)
    if src is None:
        return _Line(rowid, reason, cause=UNCONFIGURED)
    return _read_line(row, src, files, book, now)


def _store(conn, lines: list[_Line], now: float) -> RetrySummary:
    """One transaction: rows of the lines that parse now, their reject rows
    deleted, new reasons for the lines that still fail. Rows another retry
    has taken meanwhile are left alone."""
    s = RetrySummary()
    with store_db.write(conn):
        live = store_out.live_rejects(conn, [ln.rowid for ln in lines])
        outs: dict[str, tuple] = {}
        fbs: dict[str, tuple] = {}
        dups, done, reasons = 0, [], []
        for ln in lines:
            if ln.rowid not in live:
                continue
            s.lines += 1
            if ln.cause is not None:
                s.unread[ln.cause] += 1
            elif ln.prep is None:
                s.still += 1
                if ln.now_reason is not None and ln.now_reason != ln.reason:
                    reasons.append((ln.now_reason, ln.rowid))
            else:
                done.append(ln.rowid)
                dups += ln.prep.dup_in_batch
                for into, rows in ((outs, ln.prep.outputs), (fbs, ln.prep.feedback)):
                    for key, row in rows.items():
                        if key in into:
                            dups += 1
                        else:
                            into[key] = row
        n_out, n_fb, stored = store_new(conn, outs, fbs)
        dups += stored
        store_out.delete_rejects(conn, done)
        store_out.set_reject_reasons(conn, reasons)
        counters.add(conn, {
            "outputs": n_out, "feedback": n_fb, "duplicates": dups,
            f"duplicates@{rollups.hour_of(now)}": dups, "rejects_retried": len(done),
        })
    s.stored, s.outputs, s.feedback, s.duplicates = len(done), n_out, n_fb, dups
    return s


def retry_rejects(cfg: Config, conn, book: PriceBook, *, since: float | None = None,
                  source: str | None = None,
                  stop: threading.Event | None = None) -> RetrySummary:
    """Read the rejects stored now (``since``: rejected at or after; ``source``:
    only its rejects) again with ``cfg``, a page per transaction; ``stop``
    set: return after the current transaction."""
    total = RetrySummary()
    sources = {s.name: s for s in cfg.sources}
    top, after = store_out.max_reject_rowid(conn), 0
    files = _Files()
    try:
        while stop is None or not stop.is_set():
            rows = store_out.reject_page(conn, since=since, source=source, after_rowid=after,
                                         max_rowid=top, limit=PAGE)
            if not rows:
                break
            after = rows[-1][0]
            now = time.time()
            rows.sort(key=lambda r: (r[2], r[4]))  # each file once, front to back
            total.add(_store(conn, [_reread(r, sources, files, book, now) for r in rows], now))
    finally:
        files.close()
    return total
