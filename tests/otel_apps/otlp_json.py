"""OTLP/JSON encoding of an OTLP protobuf message (the OTLP/HTTP specification's
JSON: protobuf JSON mapping, but trace and span ids as hex, enums as integers;
int64 values stay strings as the mapping makes them)."""

from __future__ import annotations

import base64

from google.protobuf.json_format import MessageToDict

_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(node: object) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids(item)


def otlp_json(message) -> dict:
    data = MessageToDict(message, use_integers_for_enums=True)
    _hex_ids(data)
    return data
