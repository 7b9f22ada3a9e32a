"""Optional pieces the dashboard shows when they are installed.

Analysis, alerts, labels, budgets and the corpus are built by other areas; the
dashboard must keep running (showing "n/a") while one is missing or broken.
Each helper here returns the module, or None with the reason kept for display.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_missing: dict[str, str] = {}


def optional(name: str) -> ModuleType | None:
    """``evaltop.core...``/``evaltop.store...`` module ``name``, or None if absent."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name) or exc.name == name:
            _missing[name] = "not installed"
            return None
        raise


def function(module: str, attr: str):
    """``module.attr`` if both exist, else None."""
    mod = optional(module)
    return getattr(mod, attr, None) if mod is not None else None


def missing() -> dict[str, str]:
    return dict(_missing)
