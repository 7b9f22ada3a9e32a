"""Request bodies within their limits: content types, gzip inflation that
stops at the limit (a gzip bomb is refused after inflating at most the limit
plus one chunk, never held whole), and the answers' encodings."""

from __future__ import annotations

import zlib

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
CHUNK = 64 << 10


class TooLarge(ValueError):
    """The (decompressed) body is over the limit."""


class BadEncoding(ValueError):
    """A Content-Encoding we do not speak, or a gzip stream that is broken."""


def media_type(header: str | None) -> str | None:
    """``application/x-protobuf`` or ``application/json`` (parameters such as
    ``charset`` ignored), else None."""
    if not header:
        return None
    kind = header.split(";", 1)[0].strip().lower()
    if kind in (PROTOBUF, "application/protobuf"):
        return PROTOBUF
    if kind == JSON:
        return JSON
    return None


class Inflater:
    """Feed the raw body chunk by chunk; :meth:`finish` returns the
    decompressed body. Raises :class:`TooLarge` as soon as the output passes
    ``limit`` bytes and :class:`BadEncoding` for a broken stream."""

    def __init__(self, encoding: str | None, limit: int) -> None:
        enc = (encoding or "identity").strip().lower()
        if enc not in ("identity", "gzip", ""):
            raise BadEncoding(f"Content-Encoding {enc!r} is not supported (gzip or none)")
        self.limit = limit
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS) if enc == "gzip" else None
        self._parts: list[bytes] = []
        self._size = 0

    def _keep(self, data: bytes) -> None:
        self._size += len(data)
        if self._size > self.limit:
            raise TooLarge(f"body over {self.limit:,} bytes")
        if data:
            self._parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._keep(chunk)
            return
        data = chunk
        try:
            while data:
                # never inflate more than what is left under the limit (+1 to notice)
                out = self._z.decompress(data, self.limit - self._size + 1)
                self._keep(out)
                data = self._z.unconsumed_tail
                if self._z.eof:
                    break
        except zlib.error as exc:
            raise BadEncoding(f"broken gzip stream ({exc})") from None

    def finish(self) -> bytes:
        if self._z is not None:
            try:
                self._keep(self._z.flush())
            except zlib.error as exc:
                raise BadEncoding(f"broken gzip stream ({exc})") from None
            if not self._z.eof:
                raise BadEncoding("gzip stream cut short")
        return b"".join(self._parts)
