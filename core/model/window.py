"""Time windows such as `24h`, `7d`, `30d`, `90m`, `all`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(text: str, *, what: str = "--since") -> float | None:
    """Seconds, or None for `all`. ValueError names the option and the forms."""
    t = (text or "").strip().lower()
    if t == "all":
        return None
    m = _RE.match(t)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{what}: expected a duration such as 90m, 24h, 7d, 4w or `all`, "
                         f"got {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass(frozen=True)
class Window:
    since: float | None  # epoch seconds; None = from the beginning
    until: float  # epoch seconds

    @classmethod
    def ending_at(cls, until: float, duration: float | None) -> Window:
        return cls(None if duration is None else until - duration, until)

    def before(self, duration: float | None) -> Window:
        """The window of `duration` right before this one (the baseline)."""
        if self.since is None:
            raise ValueError("a baseline needs a bounded current window (not --since all)")
        return Window(None if duration is None else self.since - duration, self.since)


class WindowSettings(Protocol):
    """What the window rule reads: ``[analysis] since`` and ``baseline``."""

    since: str
    baseline: str


def baseline_for(current: Window, settings: WindowSettings,
                 baseline: str | None = None) -> Window | None:
    """The baseline of ``current``: ``baseline`` (an override such as
    ``--baseline``, else ``settings.baseline``) right before it. None when
    ``current`` is unbounded (`all`): nothing lies before it. An explicit
    override then is an error (ValueError naming ``--baseline``)."""
    if baseline is None:
        if current.since is None:
            return None
        return current.before(parse_duration(settings.baseline, what="analysis.baseline"))
    duration = parse_duration(baseline, what="--baseline")
    try:
        return current.before(duration)
    except ValueError as exc:
        raise ValueError(f"--baseline: {exc}") from None


def analysis_windows(settings: WindowSettings, now: float, *, since: str | None = None,
                     baseline: str | None = None) -> tuple[Window, Window | None]:
    """(current, baseline): the one rule the dashboard, the analysis job, the
    report and the demo share. Current: ``since`` (an override such as
    ``--since``, else ``settings.since``) ending at ``now``; baseline: see
    :func:`baseline_for` (None when current is `all`)."""
    if since is None:
        current = Window.ending_at(now, parse_duration(settings.since, what="analysis.since"))
    else:
        current = Window.ending_at(now, parse_duration(since, what="--since"))
    return current, baseline_for(current, settings, baseline)
