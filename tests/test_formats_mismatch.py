"""A line that does not fit the format its source names is rejected, never
turned into an empty output (issue 12, item 1).

Every format is fed every sample line of every other format; each must raise
the ``<format>: <key> ...`` reason docs/formats.md promises. The end-to-end
test runs the real ``evaltop ingest --once`` on a hand-written OpenAI log read
with ``format = "anthropic"``: nothing is stored as an output.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from evaltop.core.ingest.formats import FORMATS, FormatError, detect, parse_record

DATA = Path(__file__).parent / "data" / "formats"
EXE = str(Path(sys.executable).with_name("evaltop"))


def _samples() -> list[tuple[str, int, dict]]:
    out = []
    for fmt in FORMATS:
        for n, raw in enumerate((DATA / f"{fmt}.jsonl").read_bytes().splitlines(), 1):
            if raw.strip():
                out.append((fmt, n, orjson.loads(raw)))
    return out


SAMPLES = _samples()


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_rejects_every_other_formats_lines(fmt):
    accepted = []
    for their, n, obj in SAMPLES:
        if their == fmt or detect(obj) == fmt:
            continue
        try:
            recs = parse_record(obj, fmt)
        except FormatError as exc:
            assert str(exc).startswith(f"{fmt}: "), exc
            continue
        accepted.append(f"{their}.jsonl:{n} -> {len(recs)} record(s)")
    assert accepted == [], f"{fmt} took lines of other formats: {accepted}"


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_still_reads_its_own_lines(fmt):
    for their, n, obj in SAMPLES:
        if their == fmt:
            named = [r.id for r in parse_record(obj, fmt, line_hash="k")]
            assert named == [r.id for r in parse_record(obj, "auto", line_hash="k")], n


OPENAI_PAIR = {
    "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
    "response": {
        "id": "chatcmpl-x1", "object": "chat.completion", "created": 1767225600,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 300},
    },
    "task": "greet",
}


def _ingest(tmp_path: Path, fmt: str) -> tuple[subprocess.CompletedProcess, sqlite3.Connection]:
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = []
    for i in range(3):
        rec = orjson.loads(orjson.dumps(OPENAI_PAIR))
        rec["response"]["id"] = f"chatcmpl-{i}"
        lines.append(orjson.dumps(rec))
    (logs / "app.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "evaltop.toml").write_text(
        f'[store]\npath = "{tmp_path / "e.db"}"\n'
        f'[[sources]]\nname = "app"\npath = "{logs}/*.jsonl"\nformat = "{fmt}"\n'
    )
    proc = subprocess.run([EXE, "ingest", "--once"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    return proc, sqlite3.connect(tmp_path / "e.db")


def test_ingest_rejects_an_openai_log_read_as_anthropic(tmp_path):
    proc, conn = _ingest(tmp_path, "anthropic")
    assert proc.returncode == 0, proc.stderr
    assert conn.execute("SELECT COUNT(*) FROM outputs").fetchone()[0] == 0
    reasons = [r[0] for r in conn.execute("SELECT reason FROM rejects")]
    assert len(reasons) == 3
    assert all(r.startswith("anthropic: response.content missing") for r in reasons), reasons
    assert all("looks like openai" in r for r in reasons), reasons
    assert "3 rejected" in proc.stdout and "anthropic: response.content missing" in proc.stdout


def test_ingest_reads_the_same_log_as_openai_and_auto(tmp_path):
    for fmt in ("openai", "auto"):
        (tmp_path / fmt).mkdir()
        proc, conn = _ingest(tmp_path / fmt, fmt)
        assert proc.returncode == 0, proc.stderr
        rows = conn.execute("SELECT provider, output_text, input_tokens FROM outputs").fetchall()
        assert rows == [("openai", "Hello there", 1200)] * 3
        assert conn.execute("SELECT COUNT(*) FROM rejects").fetchone()[0] == 0
