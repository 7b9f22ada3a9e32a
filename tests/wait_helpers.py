"""Waiting on a condition in tests: poll with a bound, never a bare sleep.

The deadline is generous because CI runs the suite on two cores beside crash
loops; a test that passes waits only as long as the condition takes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(predicate: Callable[[], T], timeout: float = 60.0, what: str = "condition",
          tick: float = 0.02) -> T:
    """``predicate()``'s first truthy value; AssertionError naming ``what``
    if none comes within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what} (last: {value!r})"
            )
        time.sleep(tick)  # a bounded poll on a condition, not a wait for work
