"""The receiver bench's ceilings: the same request bodies decoded with the
protobuf library (binary, or its JSON parser for OTLP/JSON) and the very
rows evaltop stored for their spans inserted with one ``executemany`` per
request. No HTTP, no mapping, no pricing, no dedupe (bench/receiver.py)."""

from __future__ import annotations

import base64
import gzip
import sqlite3
import time
from pathlib import Path

import orjson
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from evaltop.core.ingest.receiver.writer import SYNCHRONOUS, WAL_AUTOCHECKPOINT
from evaltop.store import db as store_db


def stored_rows(db: Path) -> tuple[list[str], dict[str, tuple]]:
    """Every column of ``outputs`` but the rowid, and the rows by output id."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(outputs)") if r[1] != "rowid"]
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM outputs").fetchall()
    finally:
        conn.close()
    at = cols.index("id")
    return cols, {row[at]: tuple(row) for row in rows}


def _connect(db: Path):
    """A connection set up as the receiver's writer sets up its own (the WAL
    checkpointed every 10,000 pages, every COMMIT synced to disk), so the
    ceiling does the same storage work: not slower for a setting the
    receiver has and it lacks, nor faster for one it lacks."""
    conn = store_db.connect(db)
    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
    return conn


def ceiling(bodies: list[bytes], cols: list[str], rows: dict[str, tuple],
            db: Path) -> dict[str, float]:
    """Seconds (wall, process CPU, and the gunzip part of the wall) to gunzip
    + ParseFromString each body and insert the stored rows of its spans with
    one executemany per request, into a fresh database of evaltop's schema."""
    conn = _connect(db)
    sql = f"INSERT INTO outputs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    n, unzip = 0, 0.0
    started, cpu0 = time.perf_counter(), time.process_time()
    for body in bodies:
        t0 = time.perf_counter()
        raw = gzip.decompress(body)
        unzip += time.perf_counter() - t0
        req = ExportTraceServiceRequest()
        req.ParseFromString(raw)
        n += _insert_rows_of(conn, sql, req, rows)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu0
    conn.close()
    if n != len(rows):
        raise SystemExit(f"bench.receiver: the ceiling matched {n} of {len(rows)} stored rows "
                         "to spans (output ids are not <traceId>:<spanId>?)")
    return {"wall_s": took, "cpu_s": cpu, "gunzip_s": unzip}


def _insert_rows_of(conn, sql: str, req, rows: dict[str, tuple]) -> int:
    """Insert, in one transaction, the stored rows of ``req``'s spans."""
    batch = [row for rs in req.resource_spans for ss in rs.scope_spans for span in ss.spans
             if (row := rows.get(f"{span.trace_id.hex()}:{span.span_id.hex()}"))]
    with store_db.write(conn):
        conn.executemany(sql, batch)
    return len(batch)


_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _b64_ids(obj) -> None:
    """OTLP/JSON hex ids to the base64 the protobuf JSON parser reads."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in _ID_KEYS and isinstance(v, str):
                obj[k] = base64.b64encode(bytes.fromhex(v)).decode()
            elif isinstance(v, dict | list):
                _b64_ids(v)
    elif isinstance(obj, list):
        for x in obj:
            _b64_ids(x)


def ceiling_json(bodies: list[bytes], cols: list[str], rows: dict[str, tuple],
                 db: Path) -> dict[str, float]:
    """:func:`ceiling` for the OTLP/JSON bodies: gunzip, ``orjson.loads``,
    ids to base64, ``json_format.ParseDict``, one executemany per request."""
    conn = _connect(db)
    sql = f"INSERT INTO outputs ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    n = 0
    started, cpu0 = time.perf_counter(), time.process_time()
    for body in bodies:
        obj = orjson.loads(gzip.decompress(body))
        _b64_ids(obj)
        req = json_format.ParseDict(obj, ExportTraceServiceRequest())
        n += _insert_rows_of(conn, sql, req, rows)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu0
    conn.close()
    if n != len(rows):
        raise SystemExit(f"bench.receiver: the JSON ceiling matched {n} of {len(rows)} rows")
    return {"wall_s": took, "cpu_s": cpu, "gunzip_s": 0.0}
