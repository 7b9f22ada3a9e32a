"""Whether a feedback event's value means "yes" (no heavy imports: sampling uses it)."""

from __future__ import annotations

_TRUE_WORDS = {"true", "yes", "y", "1", "up", "pass", "passed", "ok", "good", "positive",
               "success", "succeeded", "completed", "complete", "done", "+1", "thumbs_up", "👍"}
_FALSE_WORDS = {"false", "no", "n", "0", "down", "fail", "failed", "bad", "negative",
                "failure", "incomplete", "not_completed", "-1", "thumbs_down", "👎", "none",
                "null", ""}


def feedback_truthy(value_num: float | None, value_text: str | None) -> bool:
    """Whether a feedback value says "yes": a number > 0, a yes-like word, any
    other free text (e.g. the corrected answer), or no value at all (the event
    happening is the signal)."""
    if value_num is not None:
        return value_num > 0
    if value_text is not None:
        word = value_text.strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        return True
    return True
