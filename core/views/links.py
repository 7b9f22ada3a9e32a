"""Optional pieces the dashboard shows when they are installed.

Analysis, alerts, labels, budgets and the corpus are built by other areas; the
dashboard keeps running (showing "n/a") while one is missing. A module that is
present but broken still raises: that is a bug to see, not to hide.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def optional(name: str) -> ModuleType | None:
    """Module ``name``, or None when it (or its package) is not installed."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise


def function(module: str, attr: str):
    """``module.attr`` if both exist, else None."""
    mod = optional(module)
    return getattr(mod, attr, None) if mod is not None else None
