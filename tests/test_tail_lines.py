"""Line handling through the real pipeline: partial lines, long lines,
invalid UTF-8, blank lines, malformed lines, duplicates."""

from __future__ import annotations

import tracemalloc

from ingest_helpers import count, counter, ids, line, native, source_config, write_lines

from evaltop.core.ingest.pipeline import ingest_once

TOO_LONG = ("line longer than max_line_bytes (1000 bytes; raise it on the source, then "
            "`evaltop rejects --retry`)")


def _rejects(conn):
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT line_no, byte_offset, reason, head FROM rejects ORDER BY rowid"
        )
    ]


def test_partial_last_line_waits_for_its_newline(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    whole = line(native(3))
    write_lines(log, [native(1), native(2), whole[:25]])
    cfg = source_config(make_config, "app.jsonl")
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected) == (2, 0)
    assert ids(conn) == ["o1", "o2"]
    write_lines(log, [whole[25:], native(4)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected, s.duplicates) == (2, 0, 0)
    assert ids(conn) == ["o1", "o2", "o3", "o4"]
    cp = conn.execute("SELECT offset, line_no FROM checkpoints").fetchone()
    assert tuple(cp) == (log.stat().st_size, 4)


def test_long_line_rejected_without_buffering_it(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    long_line = b'{"id": "big", "output": "' + b"x" * (16 << 20) + b'"}\n'
    write_lines(log, [native(1), long_line, native(2)])
    cfg = source_config(make_config, "app.jsonl", max_line_bytes=1000)
    tracemalloc.start()
    try:
        s = ingest_once(cfg, conn)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak} bytes: the 16 MiB line was buffered"
    assert (s.outputs, s.rejected, s.lines) == (2, 1, 3)
    ((line_no, offset, reason, head),) = _rejects(conn)
    assert (line_no, offset) == (2, len(line(native(1))))
    assert reason == TOO_LONG
    assert head == long_line[:200]
    assert ids(conn) == ["o1", "o2"]


def test_long_line_still_being_written_is_not_consumed(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    write_lines(log, [native(1), b'{"id": "big", "output": "' + b"y" * 3000])
    cfg = source_config(make_config, "app.jsonl", max_line_bytes=1000)
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected) == (1, 0)
    write_lines(log, [b'"}\n', native(2)])
    s = ingest_once(cfg, conn)
    assert (s.outputs, s.rejected) == (1, 1)
    assert [r[:3] for r in _rejects(conn)] == [
        (2, len(line(native(1))), TOO_LONG)
    ]


def test_invalid_utf8_blank_lines_and_crlf(tmp_path, make_config, conn):
    log = tmp_path / "app.jsonl"
    bad = b'{"id": "u1", "ts": 1, "output": "caf\xe9"}\n'
    crlf = line(native(2))[:-1] + b"\r\n"
    write_lines(log, [native(1), b"\n", b"   \n", bad, crlf, b"\n"])
    s = ingest_once(source_config(make_config, "app.jsonl"), conn)
    assert (s.outputs, s.rejected, s.lines) == (2, 1, 6)
    ((line_no, offset, reason, head),) = _rejects(conn)
    assert line_no == 4
    assert offset == len(line(native(1))) + 1 + 4
    assert reason == "invalid UTF-8 at byte 36 of the line"
    assert head == bad[:-1]


def test_malformed_corpus_rows_have_exact_lines_and_offsets(tmp_path, make_config, conn):
    corpus = [
        line(native(1)),
        b"not json at all\n",
        b"[1, 2, 3]\n",
        line(native(2)),
        b'{"id": "o9", "ts": "yesterday-ish", "output": "x"}\n',
        b'{"id": "o10", "ts": 1767225600, "usage": {"input_tokens": -5}}\n',
        b'{"id": "o11", "ts": 1767225600, "output": 42}\n',
        b'{"truncated": \n',
        line(native(3)),
    ]
    log = tmp_path / "app.jsonl"
    write_lines(log, corpus)
    s = ingest_once(source_config(make_config, "app.jsonl"), conn)
    assert (s.outputs, s.rejected, s.lines) == (3, 6, 9)
    offsets = [sum(len(x) for x in corpus[:i]) for i in range(len(corpus))]
    rows = _rejects(conn)
    assert [(r[0], r[1]) for r in rows] == [(i + 1, offsets[i]) for i in (1, 2, 4, 5, 6, 7)]
    assert [r[3] for r in rows] == [corpus[i][:-1][:200] for i in (1, 2, 4, 5, 6, 7)]
    reasons = [r[2] for r in rows]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == "expected a JSON object per line, got list"
    assert all(r.startswith("native:") for r in reasons[2:5]), reasons
    assert reasons[5].startswith("invalid JSON")
    src, file = conn.execute("SELECT DISTINCT source, file FROM rejects").fetchone()
    assert (src, file) == ("app", str(log))
    assert counter(conn, "rejected") == 6


def test_duplicates_are_counted_not_stored(tmp_path, make_config, conn):
    (tmp_path / "logs").mkdir()
    write_lines(tmp_path / "logs" / "a.jsonl", [native(1), native(2), native(1)])
    write_lines(tmp_path / "logs" / "b.jsonl", [native(2), native(3)])
    s = ingest_once(source_config(make_config, "logs/*.jsonl"), conn)
    assert (s.outputs, s.duplicates) == (3, 2)
    assert ids(conn) == ["o1", "o2", "o3"]
    assert counter(conn, "duplicates") == 2
    assert counter(conn, "outputs") == 3 == count(conn, "outputs")


def test_feedback_events_stored_and_deduplicated(tmp_path, make_config, conn):
    fb = {
        "type": "feedback",
        "id": "f1",
        "output_id": "o1",
        "ts": 1767225700,
        "name": "thumbs",
        "value": True,
    }
    write_lines(tmp_path / "app.jsonl", [native(1), fb, fb])
    s = ingest_once(source_config(make_config, "app.jsonl"), conn)
    assert (s.outputs, s.feedback, s.duplicates) == (1, 1, 1)
    row = conn.execute(
        "SELECT output_id, name, value_num, value_text, source FROM feedback"
    ).fetchone()
    assert tuple(row) == ("o1", "thumbs", 1.0, None, "app")
