"""Short (CI) or long (`make reliability`) form of the reliability suites."""

from __future__ import annotations

import os

LONG = os.environ.get("EVALTOP_RELIABILITY") == "long"


def size(short: int, long: int) -> int:
    """The size of a suite in the current form."""
    return long if LONG else short
