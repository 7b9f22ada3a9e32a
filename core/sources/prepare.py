"""Lines to store rows: the CPU side of ingest, outside any transaction.

Two stages so a backfill can overlap them (core/ingest.py): ``parse_lines``
(orjson + ``formats.parse_record``; Python-bound) and ``finish`` (token
counting where usage is missing, which releases the GIL, then pricing and row
tuples in ``store.outputs`` column order).
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from concurrent.futures import Executor
from dataclasses import dataclass, field

import orjson

from evaltop.core.formats import FormatError, parse_record
from evaltop.core.formats.native import fast_output
from evaltop.core.pricing import PriceBook, price_record
from evaltop.core.records import Feedback, LoggedOutput, Usage
from evaltop.core.tokens import BATCH_THRESHOLD, fill_missing_usage

from .jsonl_tail import Batch

HEAD_BYTES = 200
_BOM = b"\xef\xbb\xbf"
_JSON_OPTS = orjson.OPT_NON_STR_KEYS


@dataclass
class Prepared:
    outputs: dict[str, tuple]
    feedback: dict[str, tuple]
    rejects: list[tuple]
    dup_in_batch: int
    lines: int


def _json_reason(line: bytes, exc: Exception) -> str:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as uexc:
        return f"invalid UTF-8 at byte {uexc.start} of the line"
    return f"invalid JSON: {exc}"


def input_hash(text: str) -> str:
    """``records.text_hash`` computed faster, same result (tested): NFKC is a
    no-op on ASCII; ``split``/``join`` collapses whitespace exactly as the
    ``\\s+`` regex does (both use ``str.isspace``); and printable ASCII (no
    tab, newline or other control character) with single inner blanks needs
    no collapsing at all (checked on the bytes: ``bytes.translate`` deleting
    control characters is several times faster than ``str.isprintable``)."""
    if text.isascii():
        raw = text.encode()
        if (b"  " in raw or raw[:1] == b" " or raw[-1:] == b" "
                or len(raw.translate(None, _ASCII_CONTROL)) != len(raw)):
            raw = " ".join(text.split()).encode()
        norm = raw.lower()  # casefold() == lower() on ASCII
    else:
        norm = " ".join(unicodedata.normalize("NFKC", text).split()).casefold().encode()
    return hashlib.blake2b(norm, digest_size=12).hexdigest()


_ASCII_CONTROL = bytes([*range(32), 127])
UNBILLED = "unbilled-error"


def unbilled_error(rec: LoggedOutput) -> bool:
    """A failed call providers do not bill: an error, no output and no usage
    in the log (API errors, errored or expired batch lines). docs/pricing.md
    "Failed calls"."""
    return rec.usage is None and bool(rec.error) and not rec.output


def _output_row(rec: LoggedOutput, book: PriceBook, source: str, now: float, unbilled: bool) -> tuple:
    u = rec.usage
    assert u is not None  # fill_missing_usage ran
    if unbilled and rec.reported_cost_usd is None:
        cost, cost_source = 0, UNBILLED
    else:
        cost, cost_source = price_record(rec, u, book)
    inp = rec.input
    if isinstance(inp, list):
        text = "\n".join([f"{m.role}: {m.content}" for m in inp])  # == rec.input_text
        input_json = orjson.dumps([{"role": m.role, "content": m.content} for m in inp]).decode()
    else:
        text, input_json = inp or "", None
    meta = rec.metadata
    return (
        rec.id, rec.ts.timestamp(), rec.source or source, rec.format, rec.model, rec.provider,
        rec.task, rec.prompt_version, rec.variant, text, input_json, input_hash(text),
        rec.output, rec.finish_reason, u.input_tokens, u.output_tokens, u.cached_input_tokens,
        u.cache_write_tokens, u.reasoning_tokens, int(u.estimated), cost, cost_source,
        rec.latency_ms, rec.effective_confidence(), rec.error,
        orjson.dumps(rec.tags).decode() if rec.tags else "[]",
        orjson.dumps(meta, default=str, option=_JSON_OPTS).decode() if meta else "{}",
        now,
    )


def _feedback_row(fb: Feedback, source: str, now: float) -> tuple:
    v = fb.value
    num = float(v) if isinstance(v, bool | int | float) else None
    txt = v if isinstance(v, str) else None
    return (fb.id, fb.output_id, fb.ts.timestamp(), fb.name, num, txt, fb.source or source, now)


@dataclass
class Parsed:
    batch: Batch
    now: float
    rejects: list[tuple] = field(default_factory=list)
    outputs: list[LoggedOutput] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)


GATE_EVERY = 64  # lines or rows between looks at the gate


def _pause(gate: threading.Lock | None, i: int) -> None:
    """Wait while the committing thread holds ``gate`` (see Preparer.gate)."""
    if gate is not None and i % GATE_EVERY == 0:
        with gate:
            pass


def parse_lines(batch: Batch, fmt: str, now: float, gate: threading.Lock | None = None) -> Parsed:
    """Decode and normalise a batch's lines; bad lines become reject rows.
    ``gate``: pause while another thread holds it."""
    src, path = batch.source, batch.path
    rejects = [(src, path, n, off, reason, head, now) for n, off, reason, head in batch.rejects]
    recs_out: list[LoggedOutput] = []
    recs_fb: list[Feedback] = []
    fast = fmt == "native"
    for i, (line_no, offset, line) in enumerate(batch.lines):
        _pause(gate, i)
        if line.startswith(_BOM):
            line = line[3:]
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            rejects.append((src, path, line_no, offset, _json_reason(line, exc), line[:HEAD_BYTES], now))
            continue
        if not isinstance(obj, dict):
            reason = f"expected a JSON object per line, got {type(obj).__name__}"
            rejects.append((src, path, line_no, offset, reason, line[:HEAD_BYTES], now))
            continue
        if fast:
            rec = fast_output(obj, src)
            if rec is not None:  # the common case: no line hash needed
                recs_out.append(rec)
                continue
        try:
            recs = parse_record(obj, fmt, source=src, line_hash=hashlib.blake2b(line, digest_size=16).hexdigest())
        except FormatError as exc:
            rejects.append((src, path, line_no, offset, str(exc), line[:HEAD_BYTES], now))
            continue
        except Exception as exc:  # a parser bug must not wedge the tailer on this line
            reason = f"could not parse ({type(exc).__name__}: {exc})"
            rejects.append((src, path, line_no, offset, reason, line[:HEAD_BYTES], now))
            continue
        for rec in recs:
            (recs_fb if isinstance(rec, Feedback) else recs_out).append(rec)
    return Parsed(batch, now, rejects, recs_out, recs_fb)


# Records per counting task: their texts (input and output: 2 per record for
# text input) stay under tokens.BATCH_THRESHOLD, so each task encodes its
# texts one after another on its thread.
COUNT_CHUNK = max(1, (BATCH_THRESHOLD - 1) // 2)


def count_missing_usage(records: list[LoggedOutput], pool: Executor | None = None) -> None:
    """``tokens.fill_missing_usage``, spread over ``pool``'s threads in chunks.

    tiktoken's ``encode_ordinary_batch`` makes one future per text; for
    prompts of a few KB that bookkeeping (under the GIL) costs more CPU than
    the encoding, and measured 2x slower than the same texts encoded in a
    few chunks, one chunk per thread (docs/benchmarks.md "Ingest"). The
    counts are the same either way."""
    todo = [r for r in records if r.usage is None]
    if pool is None or len(todo) <= COUNT_CHUNK:
        fill_missing_usage(todo)
        return
    chunks = [todo[i : i + COUNT_CHUNK] for i in range(0, len(todo), COUNT_CHUNK)]
    list(pool.map(fill_missing_usage, chunks))  # re-raises a chunk's error here


def finish(parsed: Parsed, book: PriceBook, pool: Executor | None = None,
           gate: threading.Lock | None = None) -> Prepared:
    """Count missing usage (on ``pool``'s threads when given), price, and lay
    out rows (ids de-duplicated); ``gate`` as for :func:`parse_lines`."""
    batch, now, src = parsed.batch, parsed.now, parsed.batch.source
    recs_out, recs_fb = parsed.outputs, parsed.feedback
    unbilled = [unbilled_error(r) for r in recs_out]
    for rec, zero in zip(recs_out, unbilled, strict=True):
        if zero:  # counted, not estimated: the provider billed nothing
            rec.usage = Usage()
    count_missing_usage(recs_out, pool)
    dup = 0
    outs: dict[str, tuple] = {}
    for i, (rec, zero) in enumerate(zip(recs_out, unbilled, strict=True)):
        _pause(gate, i)
        if rec.id in outs:
            dup += 1
        else:
            outs[rec.id] = _output_row(rec, book, src, now, zero)
    fbs: dict[str, tuple] = {}
    for fb in recs_fb:
        if fb.id in fbs:
            dup += 1
        else:
            fbs[fb.id] = _feedback_row(fb, src, now)
    return Prepared(outs, fbs, parsed.rejects, dup, len(batch.lines) + len(batch.rejects))


def prepare(batch: Batch, fmt: str, book: PriceBook, now: float) -> Prepared:
    """Both stages in one go (live polls, tests)."""
    return finish(parse_lines(batch, fmt, now), book)
