"""The answers of OTLP/HTTP, in the request's own encoding.

Success is the matching ``Export*ServiceResponse`` (with ``partial_success``
when items were refused); failures carry a ``google.rpc.Status`` (protobuf:
field 1 code, field 2 message, encoded here because the message type lives
outside ``opentelemetry-proto``) or its JSON form.
"""

from __future__ import annotations

import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from evaltop.core.ingest.receiver.body import JSON, PROTOBUF

# google.rpc.Code values for the Status body
INVALID_ARGUMENT, UNAUTHENTICATED, NOT_FOUND, RESOURCE_EXHAUSTED, UNAVAILABLE = 3, 16, 5, 8, 14


def success(kind: str, media: str, rejected: int, message: str) -> bytes:
    if media == JSON:
        if not rejected and not message:
            return b"{}"
        field_name = "rejectedSpans" if kind == "traces" else "rejectedLogRecords"
        return orjson.dumps(
            {"partialSuccess": {field_name: str(rejected), "errorMessage": message}}
        )
    resp = ExportTraceServiceResponse() if kind == "traces" else ExportLogsServiceResponse()
    if rejected or message:
        ps = resp.partial_success
        if kind == "traces":
            ps.rejected_spans = rejected
        else:
            ps.rejected_log_records = rejected
        ps.error_message = message
    return resp.SerializeToString()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def status(media: str | None, code: int, message: str) -> tuple[bytes, str]:
    """(body, content type) of an error answer."""
    if media == PROTOBUF:
        msg = message.encode("utf-8")
        return b"\x08" + _varint(code) + b"\x12" + _varint(len(msg)) + msg, PROTOBUF
    return orjson.dumps({"code": code, "message": message}), JSON
