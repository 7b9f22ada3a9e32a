"""Backfill progress: plain lines per 10% off a terminal, a rich bar on one,
nothing for small catch-ups or when turned off."""

from __future__ import annotations

import io

from evaltop.core.ingest.progress import MIN_BYTES, BackfillProgress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _feed(p: BackfillProgress, size: int, steps: int = 20) -> None:
    for k in range(1, steps + 1):
        p.update("app", "logs/[bold]app.jsonl", 0, size * k // steps, size)
    p.finish()


def test_plain_lines_every_ten_percent():
    out = io.StringIO()
    _feed(BackfillProgress(None, stream=out), 10 * MIN_BYTES)
    lines = out.getvalue().splitlines()
    assert [ln.split(": ")[-1].split("%")[0] for ln in lines] == [
        str(p) for p in range(10, 101, 10)
    ]
    assert all("logs/[bold]app.jsonl" in ln for ln in lines)


def test_small_files_and_disabled_print_nothing():
    out = io.StringIO()
    _feed(BackfillProgress(None, stream=out), MIN_BYTES - 1)
    _feed(BackfillProgress(False, stream=out), 10 * MIN_BYTES)
    assert out.getvalue() == ""


def test_rich_bar_on_a_terminal_keeps_path_literal():
    out = _Tty()
    _feed(BackfillProgress(None, stream=out), 10 * MIN_BYTES)
    text = out.getvalue()
    assert "logs/[bold]app.jsonl" in text  # markup in a path is shown, not applied
    assert "━" in text and "41.9/41.9 MB" in text  # the bar reached the file's size
    assert "evaltop: backfill" not in text
