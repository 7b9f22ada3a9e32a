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

from evaltop.core.ingest.formats import FormatError, parse_record
from evaltop.core.ingest.formats.native import fast_record, fast_values
from evaltop.core.ingest.pricing import PriceBook, Priced, price_output
from evaltop.core.ingest.tail.jsonl_tail import Batch
from evaltop.core.ingest.tokens import UsageCounts
from evaltop.core.model.records import Feedback, LoggedOutput, Usage

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
    """``records.text_hash`` computed faster, same result (tested). On ASCII
    NFKC is a no-op and ``casefold() == lower()``; ``str.split`` splits on
    exactly the ten ASCII characters ``str.isspace`` accepts (tab, newline,
    vertical tab, form feed, carriage return, the separators
    ``\\x1c``-``\\x1f`` and the blank). One ``bytes.translate`` lower-cases
    the text and turns those ten into blanks; text without a run of blanks
    or an outer blank (every input of single-spaced messages) is then
    already collapsed, anything else is split and joined as bytes."""
    if text.isascii():
        norm = text.encode().translate(_LOWER_BLANK_SPACES)
        if b"  " in norm or norm[:1] == b" " or norm[-1:] == b" ":
            norm = b" ".join(norm.split())  # only blanks are left to split on
    else:
        norm = " ".join(unicodedata.normalize("NFKC", text).split()).casefold().encode()
    return hashlib.blake2b(norm, digest_size=12).hexdigest()


_ASCII_SPACES = frozenset(b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f ")
_LOWER_BLANK_SPACES = bytes(
    32 if b in _ASCII_SPACES else b + 32 if 65 <= b <= 90 else b for b in range(256)
)
UNBILLED = "unbilled-error"
_UNBILLED = Priced(0, UNBILLED, None, None)


def unbilled_error(rec: LoggedOutput) -> bool:
    """A failed call providers do not bill: an error, no output and no usage
    in the log (API errors, errored or expired batch lines). docs/pricing.md
    "Failed calls"."""
    return rec.usage is None and bool(rec.error) and not rec.output


def _output_row(
    rec: LoggedOutput, book: PriceBook, source: str, now: float, unbilled: bool
) -> tuple:
    u = rec.usage
    assert u is not None  # counted by start_counting/finish
    if unbilled and rec.reported_cost_usd is None:
        p = _UNBILLED
    else:
        p = price_output(rec, u, book)
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
        u.cache_write_tokens, u.reasoning_tokens, int(u.estimated), p.cost_pusd, p.cost_source,
        rec.latency_ms, rec.effective_confidence(), rec.error,
        orjson.dumps(rec.tags).decode() if rec.tags else "[]",
        orjson.dumps(meta, default=str, option=_JSON_OPTS).decode() if meta else "{}",
        now, u.cache_write_1h_tokens, int(rec.batch), rec.service_tier, p.price_entry,
        p.price_fallback,
    )


def native_row(obj: dict, book: PriceBook, source: str, now: float) -> tuple | None:
    """The row :func:`_output_row` lays out for ``native.fast_output(obj)``,
    for a native output line that reports its usage (nothing to count),
    built straight from the checked values: no record in between, and
    whole-picodollar prices summed as integers. None: not such a line.
    Proved equal to the record's row in tests/test_ingest_fastpath.py."""
    v = fast_values(obj)
    return None if v is None or v.get("usage") is None else values_row(v, book, source, now)


def values_row(v: dict, book: PriceBook, source: str, now: float, estimated: int = 0,
               unbilled: bool = False, fmt: str = "native") -> tuple:
    """The row of checked values: ``native.fast_values``' (a native line) or
    ``genai_fast.row_values``' (an OTLP span, ``fmt="otel"``)."""
    u = v["usage"]
    model = v.get("model", "")
    batch, tier, w1h = v.get("batch", False), v.get("service_tier"), u.get("cache_write_1h_tokens")
    ts = v["ts"].timestamp()
    if unbilled:  # fast_values lines report no cost
        p = _UNBILLED
    else:
        p = book.quote(model, ts, u["input_tokens"], u["output_tokens"],
                       u["cached_input_tokens"], u["cache_write_tokens"], w1h,
                       u["reasoning_tokens"], batch, tier)
    inp = v["input"]
    if type(inp) is list:  # (role, content) pairs
        text = "\n".join([f"{role}: {content}" for role, content in inp])
        input_json = orjson.dumps(
            [{"role": role, "content": content} for role, content in inp]
        ).decode()
    else:
        text, input_json = inp or "", None
    meta, tags = v["metadata"], v.get("tags")
    return (
        v["id"],
        ts,
        source,
        fmt,
        model,
        v["provider"],
        v.get("task", ""),
        v.get("prompt_version", ""),
        v.get("variant", ""),
        text,
        input_json,
        input_hash(text),
        v["output"],
        v.get("finish_reason"),
        u["input_tokens"],
        u["output_tokens"],
        u["cached_input_tokens"],
        u["cache_write_tokens"],
        u["reasoning_tokens"],
        estimated,
        p.cost_pusd,
        p.cost_source,
        v.get("latency_ms"),
        v.get("confidence"),
        v["error"],
        orjson.dumps(tags).decode() if tags else "[]",
        orjson.dumps(meta, default=str, option=_JSON_OPTS).decode() if meta else "{}",
        now,
        w1h,
        int(batch),
        tier,
        p.price_entry,
        p.price_fallback,
    )


def _feedback_row(fb: Feedback, source: str, now: float) -> tuple:
    v = fb.value
    num = float(v) if isinstance(v, bool | int | float) else None
    txt = v if isinstance(v, str) else None
    return (fb.id, fb.output_id, fb.ts.timestamp(), fb.name, num, txt, fb.source or source, now)


@dataclass
class Parsed:
    batch: Batch | None  # None: records that came another way (the OTLP receiver)
    now: float
    rejects: list[tuple] = field(default_factory=list)
    # in line order: records, rows already laid out (native lines with
    # usage), or checked native values whose usage is still to count (dict)
    outputs: list[LoggedOutput | tuple | dict] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    unbilled: list[bool] | None = None  # per output, set by start_counting
    counting: list[Future] = field(default_factory=list)  # chunks still being counted
    counts: UsageCounts | None = None  # set by start_counting
    source: str = ""  # the batch's, when there is one
    lines: int = 0  # lines consumed (the batch's), for the summary

    def __post_init__(self) -> None:
        if self.batch is not None:
            self.source = self.batch.source
            self.lines = len(self.batch.lines) + len(self.batch.rejects)


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
            rejects.append(
                (src, path, line_no, offset, _json_reason(line, exc), line[:HEAD_BYTES], now)
            )
            continue
        if not isinstance(obj, dict):
            reason = f"expected a JSON object per line, got {type(obj).__name__}"
            rejects.append((src, path, line_no, offset, reason, line[:HEAD_BYTES], now))
            continue
        if fast:
            v = fast_values(obj)
            if v is not None:  # the common case: no line hash needed
                if book is not None:  # a row now, or once its usage is counted
                    recs_out.append(v if v.get("usage") is None else values_row(v, book, src, now))
                else:
                    recs_out.append(fast_record(v, src))
                continue
        try:
            recs = parse_record(
                obj, fmt, source=src, line_hash=hashlib.blake2b(line, digest_size=16).hexdigest()
            )
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


def _unbilled(rec: LoggedOutput | tuple | dict) -> bool:
    if type(rec) is tuple:
        return False
    if type(rec) is dict:  # fast_values never has a reported cost
        return rec.get("usage") is None and bool(rec["error"]) and not rec["output"]
    return unbilled_error(rec)


def start_counting(parsed: Parsed, pool: Executor | None = None) -> Parsed:
    """Mark unbilled failed calls (zero usage), then count the missing usage:
    on ``pool``'s threads in the background when there is enough of it
    (``finish`` waits for it), else here and now."""
    parsed.unbilled = unbilled = [_unbilled(r) for r in parsed.outputs]
    counts = parsed.counts = UsageCounts()
    for i, (rec, zero) in enumerate(zip(parsed.outputs, unbilled, strict=True)):
        if zero:
            if type(rec) is not dict:
                rec.usage = Usage()  # counted, not estimated: the provider billed nothing
        elif type(rec) is dict:
            counts.add(i, rec.get("model", ""), rec["input"], rec["output"])
        elif type(rec) is not tuple and rec.usage is None:
            counts.add(i, rec.model, rec.input, rec.output)
    parsed.counting = counts.start(pool) if counts else []
    return parsed


_ZERO = {"input_tokens": 0, "output_tokens": 0, "cached_input_tokens": 0, "cache_write_tokens": 0,
         "reasoning_tokens": 0}


def finish(parsed: Parsed, book: PriceBook, pool: Executor | None = None) -> Prepared:
    """Count missing usage (unless :func:`start_counting` began it already,
    on ``pool``'s threads when given), price, and lay out rows (ids
    de-duplicated)."""
    if parsed.unbilled is None:
        start_counting(parsed, pool)
    now, src = parsed.now, parsed.source
    outputs = parsed.outputs
    if parsed.counts:
        for i, inp, out in parsed.counts.results():  # waits for the counting
            rec = outputs[i]
            if type(rec) is dict:
                rec["usage"] = {**_ZERO, "input_tokens": inp, "output_tokens": out}
                outputs[i] = values_row(rec, book, src, now, estimated=1)
            else:
                rec.usage = Usage(input_tokens=inp, output_tokens=out, estimated=True)
    parsed.counting, parsed.counts = [], None
    dup = 0
    outs: dict[str, tuple] = {}
    for rec, zero in zip(outputs, parsed.unbilled, strict=True):
        if type(rec) is dict:  # unbilled: nothing was counted
            rec["usage"] = _ZERO
            rec = values_row(rec, book, src, now, unbilled=True)
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
    return Prepared(outs, fbs, parsed.rejects, dup, parsed.lines)


def prepare(batch: Batch, fmt: str, book: PriceBook, now: float) -> Prepared:
    """Both stages in one go (live polls, tests)."""
    return finish(parse_lines(batch, fmt, now, book), book)
