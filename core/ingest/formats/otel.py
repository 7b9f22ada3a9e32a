"""OpenTelemetry GenAI spans in OTLP/JSON file-exporter lines (``resourceSpans``).

One line may hold many spans. Decoding (``otlp.from_json``) and the GenAI
mapping (``otlp.genai``) are the receiver's own, so a span read from a file
and the same span received over OTLP/HTTP give identical rows. A line is all
or nothing: one span that breaks the conventions rejects the line, with the
span's path in the reason. ``resourceLogs`` lines give the feedback their
``gen_ai.evaluation.result`` events carry; ``resourceMetrics`` lines nothing.
"""

from __future__ import annotations

from evaltop.core.ingest.formats import genai, genai_logs
from evaltop.core.ingest.formats.common import fail
from evaltop.core.ingest.otlp import from_json
from evaltop.core.ingest.otlp.views import ItemError
from evaltop.core.model.records import Feedback, LoggedOutput

FMT = "otel"


def parse(obj: dict, *, source: str = "", line_hash: str = "") -> list[LoggedOutput | Feedback]:
    if "resourceSpans" in obj:
        items, mapper = from_json.spans, genai.map_span
    elif "resourceLogs" in obj:
        items, mapper = from_json.logs, _evaluations_only
    elif "resourceMetrics" in obj:
        return []  # metrics from the same exporter file: valid, no outputs
    else:
        fail(FMT, "resourceSpans missing (an OTLP/JSON file-exporter line was expected)")
    out: list[LoggedOutput | Feedback] = []
    try:
        for n, view in enumerate(items(obj)):
            if isinstance(view, ItemError):
                fail(FMT, f"{view.path}: {view.reason}")
            out += mapper(view, source=source, seq=n).records
    except from_json.BadItem as exc:
        fail(FMT, str(exc))
    return out


def _evaluations_only(view, *, source: str, seq: int) -> genai.Mapped:
    """Of a file's log records, only evaluation events: content events and
    details records belong to spans the same file already holds."""
    if view.event_name != genai.EVALUATION_EVENT:
        return genai.Mapped(ignored=True)
    return genai_logs.map_log(view, source=source, seq=seq)
