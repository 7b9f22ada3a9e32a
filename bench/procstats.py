"""CPU time and memory of a process and its children, read from /proc
(the receiver bench samples the receiver and its decode workers)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its child processes so far."""
    total = 0.0
    for p in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def settle(pid: int, timeout: float = 30.0) -> None:
    """Wait until the process tree at ``pid`` is idle (its worker processes
    started and imported), so its start-up is not counted in a phase."""
    deadline = time.monotonic() + timeout
    last = cpu_s(pid)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = cpu_s(pid)
        if now - last < 0.02:
            return
        last = now


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of ``pid`` plus its child processes, in KiB."""
    total = {"VmRSS": 0, "VmHWM": 0}
    for p in [pid, *children(pid)]:
        try:
            text = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, value = line.partition(":")
            if key in total:
                total[key] += int(value.split()[0])
    return total


class RssSampler:
    """The largest sum of VmRSS over ``pid`` and its children, sampled every
    ``every`` seconds while in the ``with`` block: the peak the machine saw at
    once (a sum of per-process VmHWM counts peaks that never coincided)."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak_kb = max(self.peak_kb, memory_kb(self.pid)["VmRSS"])
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except OSError:
            continue
        for kid in map(int, kids):
            out += [kid, *children(kid)]
    return out
