"""OpenTelemetry (OTLP) data decoded into neutral views.

``views`` is the shape of a span and a log record; ``from_json`` reads
OTLP/JSON (the Collector file exporter's lines and OTLP/HTTP JSON bodies),
``from_proto`` the protobuf messages of OTLP/HTTP. The GenAI mapping of views
to evaltop records is ``formats.genai``, shared by the file format ``otel``
and the receiver, so the wire and the file give identical rows for one span.
"""
