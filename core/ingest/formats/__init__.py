"""Log formats: one decoded JSON line in, normalised records out.

``parse_record(obj, fmt)`` is the only entry point the ingest pipeline needs;
docs/formats.md lists what each format maps to what.
"""

from __future__ import annotations

from typing import Any

from evaltop.core.ingest.formats import anthropic, langfuse, litellm, native, openai, otel
from evaltop.core.ingest.formats.common import FormatError
from evaltop.core.ingest.formats.detect import FORMATS, detect, hint
from evaltop.core.model.records import Feedback, LoggedOutput

__all__ = ["FORMATS", "FormatError", "detect", "parse_record"]

_PARSERS = {
    "native": native.parse,
    "openai": openai.parse,
    "anthropic": anthropic.parse,
    "otel": otel.parse,
    "litellm": litellm.parse,
    "langfuse": langfuse.parse,
}


def parse_record(
    obj: Any, fmt: str = "auto", *, source: str = "", line_hash: str = ""
) -> list[LoggedOutput | Feedback]:
    """Normalise one decoded line; ``[]`` for a valid line with no LLM output.

    ``fmt`` is ``auto`` (detect per line) or a format name. ``line_hash`` is a
    stable hash of the raw line, used as ``h:<hash>`` when a record has no id.
    Raises :class:`FormatError` (its text is the reject reason). A parser
    never turns a line it does not recognise into an empty record: each
    checks the keys that make a line its format, and with a named format the
    reason adds which format the line looks like, when detection names one.
    """
    named = fmt != "auto"
    if not named:
        fmt = detect(obj)
    elif not isinstance(obj, dict):
        detect(obj)  # raises the "not a JSON object" error
    parser = _PARSERS.get(fmt)
    if parser is None:
        raise FormatError(f"unknown format {fmt!r} (expected auto or one of {', '.join(FORMATS)})")
    try:
        return parser(obj, source=source, line_hash=line_hash)
    except FormatError as exc:
        if named and (more := hint(obj, fmt)):  # a source set to the wrong format: say so
            raise FormatError(f"{exc}{more}") from exc
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        # A shape the parser did not foresee: reject the line, never stop ingest.
        why = f"{fmt}: unexpected shape ({type(exc).__name__}: {exc})"[:200]
        raise FormatError(why + (hint(obj, fmt) if named else "")) from exc
