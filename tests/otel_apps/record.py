"""Re-record the OTLP fixtures in tests/data/otlp/<library>/ from the real apps:

    .venv/bin/python tests/otel_apps/record.py [LIBRARY ...]

(with no LIBRARY also the failed calls of a few, in tests/data/otlp/errors/).
Each library's app runs in its own subprocess against the loopback LLM server
(fixed usage, so token totals are known) and the capture sink. Writes
``traces-<n>.pb`` / ``logs-<n>.pb`` (raw protobuf request bodies),
``traces-<n>.json`` / ``logs-<n>.json`` (readable protobuf-JSON dumps: ids in
base64, enums as names), ``traces-<n>.otlp.json`` / ``logs-<n>.otlp.json`` (the
same request in OTLP/JSON encoding, ready to POST as application/json: hex ids,
enums as integers, int64 as strings) and ``app.json`` (what the app saw: ids,
models, billed usage, text).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from google.protobuf.json_format import MessageToJson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(HERE))

from app import LIBRARIES  # noqa: E402
from capture import CaptureOTLP  # noqa: E402
from loopback_server import LoopbackLLM  # noqa: E402
from otlp_json import otlp_json  # noqa: E402

OUT = TESTS / "data" / "otlp"
USAGE = (21, 7)
CALLS = 2
REPLY = "It is twice the number."


ERROR_LIBRARIES = ("openai-v2-latest", "openllmetry-openai", "openinference-openai",
                   "anthropic-native")


def record(library: str, *, errors: bool = False) -> dict:
    """`errors`: the server answers every call with a 500 (one call, no retry),
    recorded under tests/data/otlp/errors/<library>/."""
    mode = "500" if errors else "good"
    with LoopbackLLM(mode=mode, usage=USAGE, content=REPLY) as llm, CaptureOTLP() as sink:
        env = dict(os.environ, OTEL_EXPORTER_OTLP_ENDPOINT=sink.endpoint,
                   OTEL_SERVICE_NAME=f"fixture-{library}")
        proc = subprocess.run(
            [sys.executable, str(HERE / "app.py"), library, "--base-url", llm.base_url,
             "--calls", str(1 if errors else CALLS)],
            env=env, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise SystemExit(f"{library}: app failed\n{proc.stderr}")
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        folder = OUT / "errors" / library if errors else OUT / library
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for kind, message in (("traces", ExportTraceServiceRequest),
                              ("logs", ExportLogsServiceRequest)):
            for n, body in enumerate(sink.bodies(f"/v1/{kind}")):
                (folder / f"{kind}-{n}.pb").write_bytes(body)
                readable = MessageToJson(message.FromString(body), indent=1)
                (folder / f"{kind}-{n}.json").write_text(readable + "\n")
                otlp = otlp_json(message.FromString(body))
                (folder / f"{kind}-{n}.otlp.json").write_text(json.dumps(otlp, indent=1) + "\n")
        (folder / "app.json").write_text(json.dumps(summary, indent=1) + "\n")
        return {"library": library, "traces": len(sink.bodies("/v1/traces")),
                "logs": len(sink.bodies("/v1/logs"))}


def main(argv: list[str]) -> None:
    for library in argv or LIBRARIES:
        print(json.dumps(record(library)))
    for library in ERROR_LIBRARIES if not argv else ():
        print(json.dumps(record(library, errors=True)))


if __name__ == "__main__":
    main(sys.argv[1:])
