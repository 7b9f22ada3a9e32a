"""Lines to store rows: the CPU side of ingest, outside any transaction.

Stages, so ingest can overlap them (core/ingest.py): ``parse_lines`` (orjson
+ ``formats.parse_record``; Python-bound), ``start_counting`` (token counting
where usage is missing, on a thread pool: tiktoken frees the GIL) and
``finish`` (pricing and row tuples in ``store.outputs`` column order).
"""

from __future__ import annotations

import hashlib
import unicodedata
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

import orjson

from evaltop.core.formats import FormatError, parse_record
from evaltop.core.formats.native import fast_record, fast_values
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
    no collapsing at all. One ``bytes.translate`` lower-cases the ASCII
    (``casefold() == lower()`` there) and turns every control character
    into NUL, so one ``memchr`` finds them: several times faster than
    ``str.isprintable``."""
    if text.isascii():
        norm = text.encode().translate(_LOWER_FLAG_CONTROL)
        if b"\0" in norm or b"  " in norm or norm[:1] == b" " or norm[-1:] == b" ":
            norm = " ".join(text.split()).encode().lower()
    else:
        norm = " ".join(unicodedata.normalize("NFKC", text).split()).casefold().encode()
    return hashlib.blake2b(norm, digest_size=12).hexdigest()


_LOWER_FLAG_CONTROL = bytes(
    0 if b < 32 or b == 127 else b + 32 if 65 <= b <= 90 else b for b in range(256)
)
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


def native_row(obj: dict, book: PriceBook, source: str, now: float) -> tuple | None:
    """The row :func:`_output_row` lays out for ``native.fast_output(obj)``,
    for a native output line that reports its usage (nothing to count),
    built straight from the checked values: no record in between, and
    whole-picodollar prices summed as integers. None: not such a line.
    Proved equal to the record's row in tests/test_ingest_fastpath.py."""
    v = fast_values(obj)
    return None if v is None or v.get("usage") is None else _values_row(v, book, source, now)


def _values_row(v: dict, book: PriceBook, source: str, now: float) -> tuple:
    u = v["usage"]
    model = v.get("model", "")
    price = book.lookup(model) if model else None
    if price is None:
        cost, cost_source = None, None
    else:
        cost = price.cost_of(u["input_tokens"], u["output_tokens"], u["cached_input_tokens"],
                             u["cache_write_tokens"], u["reasoning_tokens"])
        cost_source = price.source
    inp = v["input"]
    if type(inp) is list:  # (role, content) pairs
        text = "\n".join([f"{role}: {content}" for role, content in inp])
        input_json = orjson.dumps([{"role": role, "content": content} for role, content in inp]).decode()
    else:
        text, input_json = inp or "", None
    meta, tags = v["metadata"], v.get("tags")
    return (
        v["id"], v["ts"].timestamp(), source, "native", model, v["provider"],
        v.get("task", ""), v.get("prompt_version", ""), v.get("variant", ""), text, input_json,
        input_hash(text), v["output"], v.get("finish_reason"), u["input_tokens"], u["output_tokens"],
        u["cached_input_tokens"], u["cache_write_tokens"], u["reasoning_tokens"], 0, cost, cost_source,
        v.get("latency_ms"), v.get("confidence"), v["error"],
        orjson.dumps(tags).decode() if tags else "[]",
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
    # in line order: records, or rows already laid out (native lines with usage)
    outputs: list[LoggedOutput | tuple] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    unbilled: list[bool] | None = None  # per output, set by start_counting
    counting: list[Future] = field(default_factory=list)  # chunks still being counted


def parse_lines(batch: Batch, fmt: str, now: float, book: PriceBook | None = None) -> Parsed:
    """Decode and normalise a batch's lines; bad lines become reject rows.
    With ``book``, native lines that report usage become rows at once."""
    src, path = batch.source, batch.path
    rejects = [(src, path, n, off, reason, head, now) for n, off, reason, head in batch.rejects]
    recs_out: list[LoggedOutput | tuple] = []
    recs_fb: list[Feedback] = []
    fast = fmt == "native"
    for line_no, offset, line in batch.lines:
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
            v = fast_values(obj)
            if v is not None:  # the common case: no line hash needed
                if book is not None and v.get("usage") is not None:
                    recs_out.append(_values_row(v, book, src, now))
                else:
                    recs_out.append(fast_record(v, src))
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


def _chunks(todo: list[LoggedOutput]) -> list[list[LoggedOutput]]:
    return [todo[i : i + COUNT_CHUNK] for i in range(0, len(todo), COUNT_CHUNK)]


def count_missing_usage(records: list[LoggedOutput], pool: Executor | None = None) -> None:
    """``tokens.fill_missing_usage``, spread over ``pool``'s threads in chunks.

    tiktoken's ``encode_ordinary_batch`` makes one future per text; for
    prompts of a few KB that bookkeeping (under the GIL) costs more CPU than
    the encoding, and measured 2x slower than the same texts encoded in a
    few chunks, one chunk per thread (docs/benchmarks.md "Ingest"). The
    counts are the same either way."""
    for fut in _submit_counting([r for r in records if r.usage is None], pool):
        fut.result()  # re-raises a chunk's error here


def _submit_counting(todo: list[LoggedOutput], pool: Executor | None) -> list[Future]:
    if pool is None or len(todo) <= COUNT_CHUNK:
        fill_missing_usage(todo)
        return []
    return [pool.submit(fill_missing_usage, chunk) for chunk in _chunks(todo)]


def start_counting(parsed: Parsed, pool: Executor | None = None) -> Parsed:
    """Give unbilled failed calls zero usage, then count the missing usage:
    on ``pool``'s threads in the background when there is enough of it
    (``finish`` waits for them), else here and now."""
    recs = [r for r in parsed.outputs if type(r) is not tuple]
    parsed.unbilled = unbilled = [type(r) is not tuple and unbilled_error(r) for r in parsed.outputs]
    for rec, zero in zip(parsed.outputs, unbilled, strict=True):
        if zero:  # counted, not estimated: the provider billed nothing
            rec.usage = Usage()
    parsed.counting = _submit_counting([r for r in recs if r.usage is None], pool)
    return parsed


def finish(parsed: Parsed, book: PriceBook, pool: Executor | None = None) -> Prepared:
    """Count missing usage (unless :func:`start_counting` began it already,
    on ``pool``'s threads when given), price, and lay out rows (ids
    de-duplicated)."""
    if parsed.unbilled is None:
        start_counting(parsed, pool)
    for fut in parsed.counting:
        fut.result()  # re-raises a chunk's error here
    parsed.counting = []
    batch, now, src = parsed.batch, parsed.now, parsed.batch.source
    dup = 0
    outs: dict[str, tuple] = {}
    for rec, zero in zip(parsed.outputs, parsed.unbilled, strict=True):
        if type(rec) is tuple:  # a row already
            if rec[0] in outs:
                dup += 1
            else:
                outs[rec[0]] = rec
        elif rec.id in outs:
            dup += 1
        else:
            outs[rec.id] = _output_row(rec, book, src, now, zero)
    fbs: dict[str, tuple] = {}
    for fb in parsed.feedback:
        if fb.id in fbs:
            dup += 1
        else:
            fbs[fb.id] = _feedback_row(fb, src, now)
    return Prepared(outs, fbs, parsed.rejects, dup, len(batch.lines) + len(batch.rejects))


def prepare(batch: Batch, fmt: str, book: PriceBook, now: float) -> Prepared:
    """Both stages in one go (live polls, tests)."""
    return finish(parse_lines(batch, fmt, now, book), book)
