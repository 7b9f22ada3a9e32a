"""Short (CI), medium or long (`make reliability`) form of the reliability suites.

``EVALTOP_RELIABILITY=long`` runs the issue's full sizes; ``medium`` a tenth
of them (what fits in a working session); anything else the short CI form.
"""

from __future__ import annotations

import os

FORM = os.environ.get("EVALTOP_RELIABILITY", "short")
if FORM not in ("long", "medium"):
    FORM = "short"
LONG = FORM == "long"


def size(short: int, long: int) -> int:
    """The size of a suite in the current form."""
    if FORM == "long":
        return long
    if FORM == "medium":
        return max(short, long // 10)
    return short
