"""File identity that survives rotation.

A tailed file is known by ``dev:ino:fingerprint`` where the fingerprint is
``N:hash`` of its first N bytes (N = up to :data:`FP_BYTES`; fewer while the
file is shorter, re-taken as it grows). For ``.gz`` files the fingerprint is
over the *decompressed* first bytes, so a rotated-then-compressed log has the
same fingerprint as the plain file it came from. Paths are followed through
symlinks: identity is the target's. A path is only ever opened as the inode
it was found to be (:func:`open_as`), so a rotation between looking and
reading cannot swap the file under an offset.
"""

from __future__ import annotations

import errno
import glob
import gzip
import hashlib
import os
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FP_BYTES = 256
GZIP_ERRORS = (EOFError, OSError, zlib.error)


@dataclass
class SeenFile:
    """One file found on a poll (or a held handle to a rotated-away one)."""

    path: str
    dev: int
    ino: int
    size: int | None  # None for .gz (decompressed size unknown until read)
    head: bytes  # first FP_BYTES bytes (decompressed for .gz)
    mtime: float
    gz: bool = False
    fh: BinaryIO | None = None  # a handle we hold (plain files only)
    error: str | None = None  # unreadable (corrupt .gz ...)


def fingerprint(head: bytes) -> str:
    data = head[:FP_BYTES]
    return f"{len(data)}:{hashlib.blake2b(data, digest_size=8).hexdigest()}"


def fp_len(fp: str) -> int:
    try:
        return int(fp.split(":", 1)[0])
    except ValueError:
        return -1


def fp_matches(fp: str, head: bytes) -> bool:
    """Does a file starting with ``head`` have the stored fingerprint ``fp``?"""
    n = fp_len(fp)
    return 0 <= n <= len(head) and fingerprint(head[:n]) == fp


def file_key(dev: int, ino: int, fp: str) -> str:
    return f"{dev}:{ino}:{fp}"


def inode_of(key: str) -> tuple[int, int] | None:
    parts = key.split(":", 2)
    try:
        return int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None


def is_gz(path: str) -> bool:
    return path.endswith(".gz")


def open_as(path: str, dev: int, ino: int) -> BinaryIO | None:
    """Open ``path`` if it still names the file ``dev:ino``, else None: a
    rotation (rename+create, a symlink repointed) between a poll's look at a
    path and its read must not make one file's offset apply to another."""
    try:
        fh = open(path, "rb")
    except OSError:
        return None
    st = os.fstat(fh.fileno())
    if (st.st_dev, st.st_ino) != (dev, ino):
        fh.close()
        return None
    return fh


def open_gz_as(path: str, dev: int, ino: int) -> BinaryIO | None:
    """:func:`open_as` for a ``.gz``: the decompressed stream (closing it closes the file)."""
    raw = open_as(path, dev, ino)
    if raw is None:
        return None
    gz = gzip.GzipFile(fileobj=raw, mode="rb")
    close = gz.close

    def close_both() -> None:
        close()
        raw.close()

    gz.close = close_both  # type: ignore[method-assign]
    return gz  # type: ignore[return-value]


def _gz_head(fh: BinaryIO) -> tuple[bytes, str | None]:
    try:
        return fh.read(FP_BYTES), None
    except EOFError:
        return b"", None  # still being written: try again next poll
    except GZIP_ERRORS as exc:
        return b"", f"cannot read gzip file: {exc}"


def discover(pattern: Path, problems: dict[str, str] | None = None) -> list[SeenFile]:
    """Regular files matching ``pattern`` (a path or glob; ``**`` recurses),
    one per identity: a symlink and its target count once. Identity, size and
    first bytes come from one open handle, so they describe one file even if
    the path is rotated meanwhile.

    ``problems`` gets ``path -> reason`` for each path that is there but
    cannot be read: permission denied, a FIFO or device, the path itself a
    directory, a parent that is not a directory. Directories a glob matches
    (``logs/**``) are not problems; a file that vanished between the glob and
    the open is not one either."""
    found: list[SeenFile] = []
    seen: set[tuple[int, int]] = set()
    text = str(pattern)
    literal = not glob.has_magic(text)
    paths = sorted(glob.glob(text, recursive=True))
    if not paths and literal and problems is not None:
        try:
            os.stat(text)
        except FileNotFoundError:
            pass  # not there yet: the ingest command warns that nothing matches
        except OSError as exc:
            problems[text] = os_reason(exc)
    for path in paths:
        try:
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):  # never open a fifo or device
                if problems is not None and (literal or not stat.S_ISDIR(mode)):
                    problems[path] = _not_regular(mode)
                continue
            with open(path, "rb") as fh:  # follows symlinks
                st = os.fstat(fh.fileno())
                if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                if is_gz(path):
                    with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                        head, error = _gz_head(gz)
                    found.append(SeenFile(path, st.st_dev, st.st_ino, None, head, st.st_mtime, True,
                                          None, error))
                    continue
                head = os.pread(fh.fileno(), FP_BYTES, 0)
        except FileNotFoundError:
            continue  # vanished between glob and open (rotated): the next poll finds it
        except OSError as exc:
            if problems is not None:
                problems[path] = os_reason(exc)
            continue
        found.append(SeenFile(path, st.st_dev, st.st_ino, st.st_size, head, st.st_mtime))
    return found


def os_reason(exc: OSError) -> str:
    """Why a path cannot be read, in a few words (``permission denied``)."""
    if exc.errno == errno.ENOTDIR:
        return "a parent of this path is a file, not a directory"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return (exc.strerror or type(exc).__name__).lower()


def _not_regular(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory (name its files, e.g. DIR/*.jsonl)"
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"not a regular file ({kind})"


def from_handle(path: str, fh: BinaryIO) -> SeenFile | None:
    """A held handle as a SeenFile (its path may have been renamed or deleted)."""
    try:
        st = os.fstat(fh.fileno())
        head = os.pread(fh.fileno(), FP_BYTES, 0)
    except (OSError, ValueError):
        return None
    return SeenFile(path, st.st_dev, st.st_ino, st.st_size, head, st.st_mtime, False, fh)
