"""File identity that survives rotation.

A tailed file is known by ``dev:ino:fingerprint`` where the fingerprint is
``N:hash`` of its first N bytes (N = up to :data:`FP_BYTES`; fewer while the
file is shorter, re-taken as it grows). For ``.gz`` files the fingerprint is
over the *decompressed* first bytes, so a rotated-then-compressed log has the
same fingerprint as the plain file it came from. Paths are followed through
symlinks: identity is the target's.
"""

from __future__ import annotations

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


def open_gz(path: str) -> BinaryIO:
    return gzip.open(path, "rb")  # type: ignore[return-value]


def _gz_head(path: str) -> tuple[bytes, str | None]:
    try:
        with open_gz(path) as fh:
            return fh.read(FP_BYTES), None
    except EOFError:
        return b"", None  # still being written: try again next poll
    except GZIP_ERRORS as exc:
        return b"", f"cannot read gzip file: {exc}"


def discover(pattern: Path) -> list[SeenFile]:
    """Regular files matching ``pattern`` (a path or glob; ``**`` recurses),
    one per identity: a symlink and its target count once."""
    found: list[SeenFile] = []
    seen: set[tuple[int, int]] = set()
    for path in sorted(glob.glob(str(pattern), recursive=True)):
        try:
            st = os.stat(path)  # follows symlinks
        except OSError:
            continue  # vanished between glob and stat
        if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        if is_gz(path):
            head, error = _gz_head(path)
            found.append(SeenFile(path, st.st_dev, st.st_ino, None, head, st.st_mtime, True, None, error))
            continue
        try:
            with open(path, "rb") as fh:
                head = fh.read(FP_BYTES)
        except OSError:
            continue
        found.append(SeenFile(path, st.st_dev, st.st_ino, st.st_size, head, st.st_mtime))
    return found


def from_handle(path: str, fh: BinaryIO) -> SeenFile | None:
    """A held handle as a SeenFile (its path may have been renamed or deleted)."""
    try:
        st = os.fstat(fh.fileno())
        head = os.pread(fh.fileno(), FP_BYTES, 0)
    except (OSError, ValueError):
        return None
    return SeenFile(path, st.st_dev, st.st_ino, st.st_size, head, st.st_mtime, False, fh)
