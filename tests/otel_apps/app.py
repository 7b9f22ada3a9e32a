"""An instrumented LLM app: the real OTel SDK, ONE instrumentation library and
the real ``openai`` or ``anthropic`` client, calling an OpenAI/Anthropic
compatible server (the loopback server in tests/loopback_server.py).

    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \\
        python tests/otel_apps/app.py openai-v2 --base-url http://127.0.0.1:PORT --calls 3

Spans go out through BatchSpanProcessor + OTLPSpanExporter, log records
(GenAI events) through BatchLogRecordProcessor + OTLPLogExporter, both to the
endpoint in OTEL_EXPORTER_OTLP_ENDPOINT (``OTEL_EXPORTER_OTLP_COMPRESSION=gzip``
and ``OTEL_EXPORTER_OTLP_HEADERS`` work as the SDK defines them). Content
capture is switched on unless ``--no-content``. Both providers are flushed and
shut down before exit.

Prints ONE JSON line on stdout: what the client saw of each call (response id,
model, the usage the server billed, prompt and reply text) and the ids of every
span the app ended, so a test can compare the stored outputs with them, and the
result of every export (SUCCESS once the receiver answered 200).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import anthropic
import openai
from opentelemetry import _logs, trace
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# The anthropic SDK (2.x) traces its own calls whenever a global tracer
# provider is set (scope com.anthropic.sdk.python), so with an Anthropic
# instrumentation library each call yields two spans that carry the same
# gen_ai.response.id. That is what users get by default, and what we record.
LIBRARIES = (
    "openai-v2",               # official contrib, v1.30 conventions: content in log events
    "openai-v2-latest",        # official contrib, latest experimental conventions, span+event
    "openllmetry-openai",      # Traceloop, default: content as span attributes
    "openllmetry-openai-events",  # Traceloop with use_attributes=False: content as log events
    "openinference-openai",    # Arize OpenInference: llm.* span attributes
    "openllmetry-anthropic",
    "openinference-anthropic",
    "anthropic-native",        # no library: the anthropic SDK's own tracing (on by default)
)


def _content_env(library: str, on: bool) -> dict[str, str]:
    if library == "openai-v2":
        return {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": str(on).lower()}
    if library == "openai-v2-latest":
        return {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT":
                    "span_and_event" if on else "no_content",
                "OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT": "true"}
    if library == "anthropic-native":
        return {"ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE": "content" if on else ""}
    if library.startswith("openllmetry"):
        return {"TRACELOOP_TRACE_CONTENT": str(on).lower(), "TRACELOOP_METRICS_ENABLED": "false"}
    return {"OPENINFERENCE_HIDE_INPUTS": str(not on).lower(),
            "OPENINFERENCE_HIDE_OUTPUTS": str(not on).lower()}


def _instrument(library: str) -> None:
    """Imports only the chosen library, after its switches are in the environment
    (two of them patch openai; some read their settings when imported)."""
    if library.startswith("openai-v2"):
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
        OpenAIInstrumentor().instrument()
    elif library == "openllmetry-openai":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
        OpenAIInstrumentor().instrument()
    elif library == "openllmetry-openai-events":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
        OpenAIInstrumentor(use_attributes=False).instrument()
    elif library == "openinference-openai":
        from openinference.instrumentation.openai import OpenAIInstrumentor
        OpenAIInstrumentor().instrument()
    elif library == "openllmetry-anthropic":
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
        AnthropicInstrumentor().instrument()
    elif library == "openinference-anthropic":
        from openinference.instrumentation.anthropic import AnthropicInstrumentor
        AnthropicInstrumentor().instrument()
    elif library == "anthropic-native":
        pass  # the SDK traces itself once a tracer provider is global
    else:  # argparse already restricts the choice
        raise SystemExit(f"unknown library {library!r}")


class _Ended(SpanProcessor):
    """Keeps the ids of every span the app ended (so a test knows the trace and
    span ids the exporter sent without decoding the export)."""

    def __init__(self) -> None:
        self.spans: list[dict] = []

    def on_end(self, span: ReadableSpan) -> None:
        ctx, parent, attrs = span.context, span.parent, span.attributes or {}
        self.spans.append({
            "trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x"),
            "parent_span_id": format(parent.span_id, "016x") if parent else None,
            "name": span.name, "scope": span.instrumentation_scope.name,
            "response_id": attrs.get("gen_ai.response.id")})


ENDED = _Ended()
EXPORTS: list[dict] = []


class _SpanExporter(OTLPSpanExporter):
    """The SDK's exporter, noting each batch's result (the SDK only logs a failure)."""

    def export(self, spans):
        result = super().export(spans)
        EXPORTS.append({"signal": "traces", "items": len(spans), "result": result.name})
        return result


class _LogExporter(OTLPLogExporter):
    def export(self, batch):
        result = super().export(batch)
        EXPORTS.append({"signal": "logs", "items": len(batch), "result": result.name})
        return result


def _providers(library: str) -> tuple[TracerProvider, LoggerProvider]:
    os.environ.setdefault("OTEL_SERVICE_NAME", f"evaltop-app-{library}")
    resource = Resource.create({"deployment.environment": "test"})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(ENDED)
    tracer_provider.add_span_processor(BatchSpanProcessor(_SpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(_LogExporter()))
    _logs.set_logger_provider(logger_provider)
    return tracer_provider, logger_provider


def _prompt(i: int) -> tuple[str, str]:
    return "You are a terse assistant.", f"Question {i}: what is {i} plus {i}?"


def _call_openai(base_url: str, model: str, calls: int) -> list[dict]:
    client = openai.OpenAI(base_url=base_url.rstrip("/") + "/v1", api_key="sk-loopback",
                           max_retries=0)
    out = []
    for i in range(calls):
        system, user = _prompt(i)
        try:
            resp = client.chat.completions.create(
                model=model, messages=[{"role": "system", "content": system},
                                       {"role": "user", "content": user}])
        except openai.OpenAIError as exc:
            out.append({"error": type(exc).__name__, "input_text": user, "model": model})
            continue
        usage = resp.usage
        out.append({"id": resp.id, "model": resp.model, "input_text": user,
                    "output_text": resp.choices[0].message.content,
                    "input_tokens": usage.prompt_tokens if usage else None,
                    "output_tokens": usage.completion_tokens if usage else None})
    return out


def _call_anthropic(base_url: str, model: str, calls: int) -> list[dict]:
    client = anthropic.Anthropic(base_url=base_url, api_key="sk-ant-loopback", max_retries=0)
    out = []
    for i in range(calls):
        system, user = _prompt(i)
        try:
            resp = client.messages.create(model=model, max_tokens=64, system=system,
                                          messages=[{"role": "user", "content": user}])
        except anthropic.AnthropicError as exc:
            out.append({"error": type(exc).__name__, "input_text": user, "model": model})
            continue
        usage = resp.usage
        out.append({"id": resp.id, "model": resp.model, "input_text": user,
                    "output_text": "".join(b.text for b in resp.content if b.type == "text"),
                    "input_tokens": usage.input_tokens if usage else None,
                    "output_tokens": usage.output_tokens if usage else None})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("library", choices=LIBRARIES)
    ap.add_argument("--base-url", required=True, help="server root, http://127.0.0.1:PORT")
    ap.add_argument("--calls", type=int, default=3)
    ap.add_argument("--model", default=None)
    ap.add_argument("--no-content", action="store_true", help="leave content capture off")
    args = ap.parse_args(argv)

    # Before the instrumentation is imported: some read their switches at import.
    os.environ.update(_content_env(args.library, not args.no_content))
    tracer_provider, logger_provider = _providers(args.library)
    _instrument(args.library)
    anthropic_client = "anthropic" in args.library
    model = args.model or ("claude-3-5-haiku-20241022" if anthropic_client else "gpt-4o-mini")
    call = _call_anthropic if anthropic_client else _call_openai
    try:
        results = call(args.base_url, model, args.calls)
    finally:
        tracer_provider.force_flush()
        logger_provider.force_flush()
        tracer_provider.shutdown()
        logger_provider.shutdown()
    summary = {"library": args.library, "provider": "anthropic" if anthropic_client else "openai",
               "service": os.environ["OTEL_SERVICE_NAME"], "content": not args.no_content,
               "calls": results, "spans": ENDED.spans,
               "exports": EXPORTS}
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
