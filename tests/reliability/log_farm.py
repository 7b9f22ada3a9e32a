"""A log writer that knows exactly which lines it has put on disk.

``LogFarm`` appends native JSONL records with unique ids to a live file in a
folder and rotates it every way logrotate (or a careless operator) does, while
keeping a model of which complete lines each file holds. The suites compare
what evaltop stored against that model:

- ``written``: every id whose whole line (newline included) reached a file.
- ``destroyed``: ids whose only copy was truncated or deleted. A reader can only
  have stored them if it read them before they went, so they are allowed to be
  missing ("lost by design"); everything else written must be stored.
- ``on_disk()``: ids of complete lines in files the glob ``app.jsonl*`` still
  matches; a poll that ends after this moment must have stored all of them.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

from ingest_helpers import BASE_TS

LIVE = "app.jsonl"
GLOB = "app.jsonl*"
ROTATIONS = ("rename_create", "copytruncate", "truncate", "delete_recreate", "symlink")


def record(i: int) -> bytes:
    """A ~200-byte native line whose first bytes are unique to ``i``."""
    rec = {"id": f"L{i:07d}", "ts": BASE_TS + i * 0.5, "model": ("gpt-4o-mini", "claude-x")[i % 2],
           "task": f"t{i % 4}", "input": f"question {i} " + "q" * (i % 50), "output": f"answer {i}",
           "usage": {"input_tokens": 20 + i % 9, "output_tokens": 3 + i % 5}}
    return (json.dumps(rec) + "\n").encode()


class LogFarm:
    def __init__(self, folder: Path, rng: random.Random) -> None:
        self.dir = folder
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rng = rng
        self.live = folder / LIVE
        self.files: dict[str, list[str]] = {}  # regular file name -> complete ids in order
        self.links: dict[str, str] = {}  # symlink name -> target name
        self.written: set[str] = set()
        self.destroyed: set[str] = set()
        self.pending: tuple[str, str, bytes] | None = None  # (file, id, unwritten rest)
        self.next_id = 0
        self.k = 0
        self.trail: list[str] = []  # what was done, for failure messages
        self._create_live()

    # -- model -----------------------------------------------------------
    def _real(self, name: str) -> str:
        return self.links.get(name, name)

    def on_disk(self) -> set[str]:
        return {i for ids in self.files.values() for i in ids}

    def required(self) -> set[str]:
        return self.written - self.destroyed

    def _name(self, tag: str) -> str:
        self.k += 1
        return f"{LIVE}.{tag}{self.k}"

    def _create_live(self) -> None:
        self.live.touch()
        self.files[LIVE] = []

    # -- writing ---------------------------------------------------------
    def append(self, n: int, *, partial_last: bool = False) -> None:
        """n complete lines (finishing a pending partial first); optionally
        leave the last one half written."""
        self.finish_partial()
        real = self._real(LIVE)
        with open(self.dir / real, "ab") as fh:
            for j in range(n):
                i = self.next_id
                self.next_id += 1
                data = record(i)
                if partial_last and j == n - 1:
                    cut = self.rng.randrange(1, len(data) - 1)
                    fh.write(data[:cut])
                    self.pending = (real, f"L{i:07d}", data[cut:])
                else:
                    fh.write(data)
                    self.files[real].append(f"L{i:07d}")
                    self.written.add(f"L{i:07d}")

    def finish_partial(self) -> None:
        if self.pending is None:
            return
        real, rid, rest = self.pending
        self.pending = None
        if real not in self.files:
            return  # its file was rotated away by truncation/deletion: the half line is gone
        with open(self.dir / real, "ab") as fh:
            fh.write(rest)
        self.files[real].append(rid)
        self.written.add(rid)

    # -- rotations -------------------------------------------------------
    def rotate(self, how: str) -> None:
        self.trail.append(f"{how}@L{self.next_id:07d}")
        getattr(self, how)()

    def where(self, ids: set[str]) -> dict[str, tuple]:
        """The files that hold ``ids``: (inode, size, byte offset of the first one, first ids)."""
        out = {}
        for name, held in self.files.items():
            lost = [i for i in held if i in ids]
            if lost:
                first = held.index(lost[0])
                offset = sum(len(record(int(i[1:]))) for i in held[:first])
                st = os.stat(self.dir / name)
                out[name] = (st.st_ino, st.st_size, offset, lost[:3])
        return out

    def rename_create(self) -> None:
        self.finish_partial()
        new = self._name("r")
        os.rename(self.live, self.dir / new)
        if LIVE in self.links:
            self.links[new] = self.links.pop(LIVE)
        else:
            self.files[new] = self.files.pop(LIVE)
        self._create_live()

    def copytruncate(self) -> None:
        self.finish_partial()
        real = self._real(LIVE)
        new = self._name("c")
        shutil.copyfile(self.dir / real, self.dir / new)
        self.files[new] = self.files[real]
        with open(self.dir / real, "r+b") as fh:
            fh.truncate(0)
        self.files[real] = []

    def truncate(self) -> None:
        real = self._real(LIVE)
        self.pending = None
        with open(self.dir / real, "r+b") as fh:
            fh.truncate(0)
        self.destroyed.update(self.files[real])
        self.files[real] = []

    def delete_recreate(self) -> None:
        self.pending = None
        os.unlink(self.live)
        if LIVE in self.links:
            self.links.pop(LIVE)  # the target stays, under its own name
        else:
            self.destroyed.update(self.files.pop(LIVE))
        self._create_live()

    def symlink(self) -> None:
        """Point the live name at a fresh target (rotating a regular live file first)."""
        self.finish_partial()
        if LIVE not in self.links:
            self.rename_create()
            os.unlink(self.live)
            self.files.pop(LIVE)
        target = self._name("s")
        (self.dir / target).touch()
        self.files[target] = []
        tmp = self.dir / ".link.tmp"
        os.symlink(target, tmp)
        os.replace(tmp, self.live)
        self.links[LIVE] = target

    def retire(self, stored: set[str]) -> int:
        """Delete rotated files whose every line is stored (keeps the folder small)."""
        keep = {LIVE, self._real(LIVE)}
        gone = 0
        for name, ids in list(self.files.items()):
            if name in keep or not set(ids) <= stored or (self.pending and self.pending[0] == name):
                continue
            for link, target in list(self.links.items()):
                if target == name and link != LIVE:
                    os.unlink(self.dir / link)
                    self.links.pop(link)
            os.unlink(self.dir / name)
            self.files.pop(name)
            gone += 1
        return gone
