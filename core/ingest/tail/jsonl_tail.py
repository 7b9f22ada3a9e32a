"""Exactly-once tailing of a source's JSONL files.

Each poll matches the files found by the source's glob (plus handles we still
hold to files rotated away or deleted since the last poll) to stored
checkpoints, then yields :class:`Batch` es of complete lines. The caller
stores each batch's rows and ``batch.checkpoint`` in ONE transaction before
asking for the next batch, so a crash at any point resumes at the last
committed offset. The rules (docs/reliability.md "Ingest"):

0. A checkpoint's fingerprint covers every byte it has read (up to 256):
   it is re-taken when reading passes it (a file found empty, or half a
   line long, and written before it was read), over the bytes as they were
   read (copytruncate may empty the file a moment later). A stored row whose
   fingerprint is shorter than that (written before this rule) is not
   trusted: its file is read again from 0 (duplicates are skipped by id).
1. Same inode and same fingerprint, with an offset past 0: the same file;
   continue at its offset, or from 0 if it shrank below the offset
   (copytruncate, truncation). A same-inode row at offset 0 knows nothing of
   position; its empty or partial fingerprint may belong to a deleted file
   whose inode was handed out again, so content (rule 2) decides first.
2. Otherwise, a checkpoint not claimed by step 1 whose fingerprint (all 256
   bytes, or exactly the whole lines already read) matches the file's first
   bytes: the same content under a new inode (copied by copytruncate, or
   compressed to ``.gz``); continue at that offset. A file whose first bytes
   match only a file still being read (a copy or ``.gz`` made before the
   original was truncated or removed) is skipped until the original goes.
3. Otherwise a new file: read from 0 (rows of other content at the same
   inode are dropped: that content is gone).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from evaltop.core.ingest.tail.fileid import (
    FP_BYTES,
    GZIP_ERRORS,
    SeenFile,
    discover,
    file_key,
    fingerprint,
    fp_len,
    fp_matches,
    from_handle,
    inode_of,
    open_as,
    open_gz_as,
)
from evaltop.core.ingest.tail.lines import LineReader, too_long_reason
from evaltop.store import checkpoints as store_cp
from evaltop.store.checkpoints import Checkpoint


@dataclass
class Batch:
    """Complete lines read from one file, and where the file stands after them."""

    source: str
    path: str
    lines: list[tuple[int, int, bytes]]  # (line_no, byte_offset, line without newline)
    rejects: list[tuple[int, int, str, bytes]]  # (line_no, byte_offset, reason, head)
    checkpoint: Checkpoint
    drop: tuple[str, ...] = ()  # checkpoint keys to delete with this one (older keys)
    nbytes: int = 0
    start_offset: int = 0
    size: int | None = None  # file size (None for .gz), for progress
    # The checkpoint row (key, offset) the store must still hold for this batch
    # to apply; None: no row yet. A mismatch means another process got there
    # first, and the batch is not stored (see ingest.commit).
    expect: tuple[str, int] | None = None


@dataclass
class _Plan:
    file: SeenFile
    cp: Checkpoint  # where reading starts, keyed by the file's current identity
    drop: tuple[str, ...] = ()
    dirty: bool = False  # the checkpoint row must be written even with no lines
    expect: tuple[str, int] | None = None  # the stored row this plan starts from


@dataclass
class Tailer:
    """Tails one configured source. Not thread-safe; one per ingest process."""

    source: str
    pattern: Path
    max_line_bytes: int = 1 << 20
    _held: dict[tuple[int, int], tuple[str, BinaryIO]] = field(default_factory=dict)
    # the last poll: paths found but unreadable (path -> reason), files read
    problems: dict[str, str] = field(default_factory=dict)
    found: int = 0

    # -- matching ------------------------------------------------------------

    def _files(self) -> list[SeenFile]:
        problems: dict[str, str] = {}
        files = discover(self.pattern, problems)
        self.problems, self.found = problems, len(files)
        present = {(f.dev, f.ino) for f in files}
        for ident, (path, fh) in list(self._held.items()):
            if ident in present:
                continue
            orphan = from_handle(path, fh)  # rotated away or deleted: drain it
            if orphan is None or (orphan.dev, orphan.ino) != ident:
                self._drop(ident)
            else:
                files.append(orphan)
        return files

    def plan(self, conn) -> list[_Plan]:
        """Match the files of this poll to checkpoints (see module doc)."""
        cps = store_cp.load(conn, self.source)
        by_inode: dict[tuple[int, int] | None, list[Checkpoint]] = {}
        for cp in cps:
            by_inode.setdefault(inode_of(cp.file_key), []).append(cp)
        files = sorted(self._files(), key=lambda f: (f.fh is None, f.mtime, f.path))
        claimed: set[str] = set()
        chosen: dict[int, Checkpoint | None] = {}
        weak: dict[int, Checkpoint] = {}
        for i, f in enumerate(files):  # rule 1: same inode, same first bytes
            same = [c for c in by_inode.get((f.dev, f.ino), [])
                    if _trusted(c) and fp_matches(c.fingerprint, f.head)]
            if same:
                best = max(same, key=lambda c: (fp_len(c.fingerprint), c.updated_at))
                if best.offset == 0:
                    weak[i] = best  # no position to keep: content (rule 2) decides first
                    continue
                claimed.add(best.file_key)
                chosen[i] = best
        skipped: set[int] = set()
        for i, f in enumerate(files):  # rule 2: same content, other inode
            if i in chosen or f.error:
                continue
            # Content identifies a file across inodes only through a full
            # fingerprint, or one over exactly the whole lines already read:
            # the first bytes of a line (`{"id": "`) are the same in every log.
            content = [
                c for c in cps
                if (fp_len(c.fingerprint) == FP_BYTES or 0 < fp_len(c.fingerprint) == c.offset)
                and fp_matches(c.fingerprint, f.head) and (f.size is None or f.size >= c.offset)
            ]
            free = [c for c in content if c.file_key not in claimed]
            if free:
                chosen[i] = max(free, key=lambda c: (fp_len(c.fingerprint), c.updated_at))
                claimed.add(chosen[i].file_key)
            elif content:
                skipped.add(i)  # a copy of a file still being read: wait for the original to go
            elif i in weak and weak[i].file_key not in claimed:
                chosen[i] = weak[i]  # rule 1 after all: the file grew from empty or half a line
                claimed.add(weak[i].file_key)
        plans: list[_Plan] = []
        for i, f in enumerate(files):
            if f.error:
                key = file_key(f.dev, f.ino, "error")
                if not any(c.file_key == key for c in cps):
                    plans.append(self._unreadable(f, key))
                continue
            if i in skipped:
                continue
            plan = self._start(f, chosen.get(i))
            # decided after every rule-2 claim: rows of this inode nobody claimed
            # name content it no longer holds (or a weak row content beat)
            stale = [c for c in by_inode.get((f.dev, f.ino), []) if c.file_key not in claimed]
            plan.drop = tuple(dict.fromkeys((*plan.drop, *(c.file_key for c in stale))))
            if plan.expect is None:
                # a stale row under the very key this new file takes (an
                # untrusted short fingerprint, say, of an empty file): it is
                # replaced, not a sign of another ingester (which would
                # stall this source on every poll)
                for c in stale:
                    if c.file_key == plan.cp.file_key:
                        plan.expect = (c.file_key, c.offset)
            plans.append(plan)
        return plans

    def _start(self, f: SeenFile, cp: Checkpoint | None) -> _Plan:
        fp = fingerprint(f.head)
        key = file_key(f.dev, f.ino, fp)
        now = time.time()
        if cp is None:  # rule 3: a new file
            new = Checkpoint(self.source, key, f.path, 0, 0, f.size or 0, fp, False, now)
            return _Plan(f, new, (), dirty=True)
        start = replace(cp, file_key=key, path=f.path, fingerprint=fp, updated_at=now)
        expect = (cp.file_key, cp.offset)
        dirty = key != cp.file_key or f.path != cp.path
        if f.size is not None and f.size < cp.offset:  # truncated: start over
            start.offset, start.line_no, start.finished, dirty = 0, 0, False, True
        if f.size is not None:
            start.size = f.size
        return _Plan(f, start, (cp.file_key,) if key != cp.file_key else (), dirty, expect)

    def _unreadable(self, f: SeenFile, key: str) -> _Plan:
        cp = Checkpoint(self.source, key, f.path, 0, 0, 0, "error", True, time.time())
        return _Plan(f, cp, None, dirty=True)

    # -- reading -------------------------------------------------------------

    def batches(self, conn, *, max_lines: int = 2000, max_bytes: int = 4 << 20) -> Iterator[Batch]:
        """Batches for every file of this poll, oldest file first. Commit each
        batch (rows + checkpoint) before pulling the next one."""
        for plan in self.plan(conn):
            yield from self._read(plan, max_lines, max_bytes)

    def _read(self, plan: _Plan, max_lines: int, max_bytes: int) -> Iterator[Batch]:
        f, cp = plan.file, plan.cp
        if f.error:
            if plan.dirty:
                yield Batch(self.source, f.path, [], [(0, 0, f.error, b"")], cp)
            return
        if cp.finished:
            if plan.dirty:
                yield Batch(self.source, f.path, [], [], cp, plan.drop, expect=plan.expect)
            return
        fh = self._open(f, cp.offset)
        if fh is None:
            return
        reader = LineReader(fh, cp.offset, cp.line_no, max_line_bytes=self.max_line_bytes,
                            final=f.gz, keep_head=FP_BYTES)
        drop, dirty, moved, expect = plan.drop, plan.dirty, False, plan.expect
        try:
            while True:
                start = reader.offset
                chunk = reader.read(max_lines=max_lines, max_bytes=max_bytes)
                if not f.gz and not _same_content(fh, cp.fingerprint):
                    break  # truncated and rewritten since planned: those bytes are not this file's
                too_long = too_long_reason(self.max_line_bytes)
                rejects = [(n, off, too_long, head) for n, off, head in chunk.too_long]
                finished = False
                if f.gz and chunk.eof:
                    err = getattr(fh, "error", None)
                    if err is None:
                        finished = True
                    elif not isinstance(err, EOFError):  # corrupt: report once, stop
                        rejects.append(
                            (reader.line_no, reader.offset, f"gzip stream unreadable: {err}", b"")
                        )
                        finished = True
                new_cp = replace(cp, offset=reader.offset, line_no=reader.line_no,
                                 finished=finished, updated_at=time.time())
                if fp_len(cp.fingerprint) < min(FP_BYTES, reader.offset):
                    # read past the fingerprint taken at discovery (the file grew
                    # since): re-take it over the bytes read, or the row would
                    # name a position in content it does not identify (rule 0)
                    cp = replace(cp, **self._fingerprint_read(f, fh, reader, cp.fingerprint))
                    new_cp = replace(new_cp, file_key=cp.file_key, fingerprint=cp.fingerprint)
                    if expect is not None and expect[0] != cp.file_key:
                        drop = (*drop, expect[0])
                if f.gz:
                    new_cp.size = reader.offset
                if chunk.nbytes or rejects or dirty or finished:
                    yield Batch(self.source, f.path, chunk.lines, rejects, new_cp, drop,
                                chunk.nbytes, start, f.size, expect)
                    moved = moved or bool(chunk.nbytes)
                    drop, dirty, expect = (), False, (new_cp.file_key, new_cp.offset)
                if chunk.eof:
                    break
        finally:
            if f.gz:
                fh.close()
            elif f.fh is not None and not moved:
                self._drop((f.dev, f.ino))  # rotated away and stopped growing: let go

    def _fingerprint_read(self, f: SeenFile, fh, reader: LineReader, old_fp: str) -> dict[str, str]:
        """Fingerprint and key over the first ``min(FP_BYTES, reader.offset)``
        bytes, as they were read: the head the poll planned with (``f.head``:
        the bytes before the reader's start, which the caller has just
        checked the file still starts with), then the reader's own copy of
        what it consumed. Reading any of it back from the file is not
        enough: copytruncate may empty the file between that check or our
        read and that look, and the copy would then not be recognised
        (tests/test_tail_copytruncate_race.py)."""
        n = min(FP_BYTES, reader.offset)
        k = min(FP_BYTES, reader.start)  # bytes of the head read before this reader started
        before = f.head[:k]
        head = before + bytes(reader.head) if len(before) == k == reader.start else before
        if len(head) < n or not fp_matches(old_fp, head):
            head = self._head_now(f, fh, n)  # changed under us: what is there now (rule 0)
        fp = fingerprint(head[:n])
        return {"fingerprint": fp, "file_key": file_key(f.dev, f.ino, fp)}

    def _head_now(self, f: SeenFile, fh, n: int) -> bytes:
        """The first ``n`` bytes now, through the handle being read (the path
        may name another file by now)."""
        try:
            if f.gz:
                gz = open_gz_as(f.path, f.dev, f.ino)
                if gz is None:
                    raise FileNotFoundError(f.path)
                with gz:
                    return gz.read(n)
            return os.pread(fh.fileno(), n, 0)
        except (OSError, *GZIP_ERRORS):
            return b""  # gone or unreadable: a short fingerprint, not trusted again (rule 0)

    def _open(self, f: SeenFile, offset: int) -> BinaryIO | None:
        """A handle on the file this poll found (None when its path names
        another file by now: the next poll finds each where it went)."""
        try:
            if f.gz:
                gz = open_gz_as(f.path, f.dev, f.ino)
                if gz is None:
                    return None
                fh = _SafeGzip(gz)
                if offset:
                    fh.seek(offset)
                return fh  # type: ignore[return-value]
            held = self._held.get((f.dev, f.ino))
            fh = held[1] if held else (f.fh or open_as(f.path, f.dev, f.ino))
            if fh is None:
                return None
            self._held[(f.dev, f.ino)] = (f.path, fh)
            fh.seek(offset)
            return fh
        except OSError:
            return None

    def _drop(self, ident: tuple[int, int]) -> None:
        held = self._held.pop(ident, None)
        if held is not None:
            try:
                held[1].close()
            except OSError:
                pass

    def close(self) -> None:
        for ident in list(self._held):
            self._drop(ident)


def _same_content(fh: BinaryIO, fp: str) -> bool:
    """Does the file still start with the bytes ``fp`` was taken over?"""
    try:
        return fp_matches(fp, os.pread(fh.fileno(), FP_BYTES, 0))
    except (OSError, ValueError):
        return False


def _trusted(cp: Checkpoint) -> bool:
    """Rule 0: the row's fingerprint covers every byte it read (up to FP_BYTES)."""
    return fp_len(cp.fingerprint) >= min(FP_BYTES, cp.offset)


class _SafeGzip:
    """A gzip reader that turns a truncated or corrupt stream into end of
    data, remembering why (``error``), so lines before the damage still count."""

    def __init__(self, fh):
        self._fh = fh
        self.error: BaseException | None = None

    def read(self, n: int) -> bytes:
        if self.error is not None:
            return b""
        try:
            return self._fh.read(n)
        except GZIP_ERRORS as exc:
            self.error = exc
            return b""

    def seek(self, offset: int) -> None:
        try:
            self._fh.seek(offset)
        except GZIP_ERRORS as exc:
            self.error = exc

    def close(self) -> None:
        self._fh.close()
