"""Complete lines from a binary stream, with bounded memory.

The reader consumes only whole lines (ending in ``\\n``): a partial last line
is left for the next poll. A line longer than ``max_line_bytes`` is never
held whole: the reader scans on to its newline keeping only its first bytes,
and reports it as a reject. ``offset`` is always the position of the first
unconsumed byte, which is what a checkpoint stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

CHUNK = 1 << 20
HEAD_BYTES = 200


def too_long_reason(max_line_bytes: int) -> str:
    """The reject reason of a line longer than ``max_line_bytes``."""
    return (f"line longer than max_line_bytes ({max_line_bytes} bytes; raise it on the "
            "source, then `evaltop rejects --retry`)")


@dataclass
class Chunk:
    """What one ``read`` call produced."""

    lines: list[tuple[int, int, bytes]] = field(default_factory=list)  # (line_no, offset, bytes)
    too_long: list[tuple[int, int, bytes]] = field(default_factory=list)  # (line_no, offset, head)
    eof: bool = False
    nbytes: int = 0


class LineReader:
    """Reads lines from ``fh`` (already positioned at ``offset``).

    ``final`` means the stream will never grow (a closed ``.gz``): a last line
    without a newline is then emitted instead of waited for (unless the stream
    reports an ``error``: it was cut short, so its last line is incomplete).
    """

    def __init__(self, fh: BinaryIO, offset: int, line_no: int, *, max_line_bytes: int,
                 final: bool = False, keep_head: int = 0):
        self.fh = fh
        self.offset = offset
        self.line_no = line_no
        self.max_line_bytes = max_line_bytes
        self.final = final
        self._buf = b""  # bytes from self.offset on, already read from fh
        # The raw bytes consumed below file offset ``keep_head``, from the
        # starting offset on: what a fingerprint of the lines read must cover,
        # as they were read (the file may be truncated a moment later).
        self.start = offset
        self.keep_head = keep_head
        self.head = bytearray()

    def read(self, *, max_lines: int = 2000, max_bytes: int = 4 << 20) -> Chunk:
        """Up to ``max_lines`` lines / about ``max_bytes`` bytes; ``eof`` when
        the stream had nothing more (for now)."""
        out = Chunk()
        buf, pos = self._buf, 0
        try:
            while len(out.lines) + len(out.too_long) < max_lines and out.nbytes < max_bytes:
                nl = buf.find(b"\n", pos)
                if nl >= 0:
                    if self.offset < self.keep_head:
                        self.head += buf[pos : min(nl + 1, pos + self.keep_head - self.offset)]
                    self._emit(out, buf[pos:nl], nl + 1 - pos)
                    pos = nl + 1
                    continue
                rest = buf[pos:]
                if len(rest) > self.max_line_bytes:
                    found = self._skip_long_line(out, rest)
                    buf, pos = self._buf, 0
                    if not found:
                        out.eof = True
                        break
                    continue
                data = self.fh.read(CHUNK)
                if not data:
                    if self.final and rest and getattr(self.fh, "error", None) is None:
                        if self.offset < self.keep_head:
                            self.head += rest[: self.keep_head - self.offset]
                        self._emit(out, rest, len(rest))
                        rest = b""
                    buf, pos = rest, 0
                    out.eof = True
                    break
                buf, pos = rest + data, 0
        finally:
            self._buf = buf[pos:]
        return out

    def _emit(self, out: Chunk, line: bytes, span: int) -> None:
        self.line_no += 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if len(line) > self.max_line_bytes:
            out.too_long.append((self.line_no, self.offset, line[:HEAD_BYTES]))
        else:
            out.lines.append((self.line_no, self.offset, line))
        self.offset += span
        out.nbytes += span

    def _skip_long_line(self, out: Chunk, rest: bytes) -> bool:
        """Scan past an over-long line (``rest`` is its start) without
        buffering it. True when its newline was found: the line is reported
        and consumed, ``_buf`` holds what follows. False at end of stream: the
        line stays unconsumed (rescanned next poll) unless the stream is final.
        """
        head, seen = rest[:HEAD_BYTES], len(rest)
        # the line is far longer than keep_head: its start is the whole head
        raw_head = rest[: max(0, self.keep_head - self.offset)]
        self._buf = b""
        while True:
            data = self.fh.read(CHUNK)
            if not data:
                if self.final:
                    self.head += raw_head
                    self._report_long(out, head, seen)
                else:
                    self.fh.seek(self.offset)  # leave the line for the next poll
                return False
            nl = data.find(b"\n")
            if nl >= 0:
                self.head += raw_head
                self._report_long(out, head, seen + nl + 1)
                self._buf = data[nl + 1 :]
                return True
            seen += len(data)

    def _report_long(self, out: Chunk, head: bytes, span: int) -> None:
        self.line_no += 1
        out.too_long.append((self.line_no, self.offset, head))
        self.offset += span
        out.nbytes += span
