"""OTLP/HTTP over ASGI (served by uvicorn): routes, authentication, limits,
back-pressure and the answers. The CPU work of a request (inflating, decoding,
mapping, pricing) runs on worker processes (``work``) so the event loop only
moves bytes; the answer waits for the request's COMMIT (see ``writer``).

Answers (OTLP/HTTP): 200 after COMMIT, with ``partial_success`` when items
were refused; 400 undecodable (not retryable); 401 missing or wrong bearer
token; 404 unknown path and ``/v1/metrics`` (evaltop takes traces and
logs); 405 not POST; 413 over ``max_body_bytes`` decompressed; 415 neither
protobuf nor JSON; 503 + ``Retry-After`` when the store is behind or
failed (retryable: nothing of that request was stored).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import traceback
from typing import Any

from evaltop.core.ingest.receiver import responses
from evaltop.core.ingest.receiver.body import JSON, BadEncoding, TooLarge, media_type
from evaltop.core.ingest.receiver.decode import LOGS, TRACES, Undecodable
from evaltop.core.ingest.receiver.writer import Job, WriterClosed

log = logging.getLogger(__name__)

ROUTES = {"/v1/traces": TRACES, "/v1/logs": LOGS}
RETRY_AFTER = "1"  # seconds, when the store is behind
CLIENT_LEFT = 499  # not sent: the client went away before its body arrived
# seconds a request waits for its COMMIT before a 503: under the 30 s default
# timeout of the SDK and Collector exporters, so they see an answer, not a timeout
COMMIT_WAIT = 20.0


def _headers(scope: dict) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class OtlpApp:
    """The ASGI application; ``receiver`` is the running
    :class:`~evaltop.core.ingest.receiver.service.Receiver`."""

    def __init__(self, receiver: Any) -> None:
        self.r = receiver
        expected = f"Bearer {receiver.token}" if receiver.token else None
        self._auth = expected.encode() if expected else None

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            return
        try:
            status, body, ctype, extra = await self._handle(scope, receive)
        except Exception as exc:  # never a 500: exporters drop data on a 500, retry a 503
            # the type and the frames, never the message: it may quote content
            log.error("OTLP request failed (%s):\n%s", type(exc).__name__,
                      "".join(traceback.format_tb(exc.__traceback__)))
            status, body, ctype, extra = self._busy(
                media_type(_headers(scope).get("content-type")),
                f"the receiver failed on this request ({type(exc).__name__})")
        if status == CLIENT_LEFT:
            return
        self.r.answered(status)
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        headers += [(k.encode(), v.encode()) for k, v in extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope: dict, receive) -> tuple[int, bytes, str, list]:
        headers = _headers(scope)
        media = media_type(headers.get("content-type"))
        path = scope["path"].rstrip("/") or "/"
        if path in ("/", "/health"):
            if scope["method"] in ("GET", "HEAD"):
                return 200, b'{"status":"ok"}', JSON, []
        kind = ROUTES.get(path)
        if kind is None:
            what = ("evaltop receives traces and logs, not metrics"
                    if path == "/v1/metrics" else f"no such path {path!r}")
            return self._error(404, media, responses.NOT_FOUND,
                               f"{what} (POST /v1/traces or /v1/logs)")
        if scope["method"] != "POST":
            return self._error(405, media, responses.INVALID_ARGUMENT, "use POST",
                               [("allow", "POST")])
        if self._auth is not None:
            got = headers.get("authorization", "").encode("latin-1")
            if not hmac.compare_digest(got, self._auth):
                return self._error(401, media, responses.UNAUTHENTICATED,
                                   "missing or wrong bearer token",
                                   [("www-authenticate", "Bearer")])
        if media is None:
            return self._error(415, None, responses.INVALID_ARGUMENT,
                               "Content-Type must be application/x-protobuf or application/json")
        if self.r.inflight >= self.r.max_inflight:
            return self._busy(media, "the store is behind")
        encoding = (headers.get("content-encoding") or "identity").strip().lower()
        if encoding not in ("identity", "gzip"):
            return self._error(415, media, responses.INVALID_ARGUMENT,
                               f"Content-Encoding {encoding!r} is not supported (gzip or none)")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.r.max_body:
            return self._error(413, media, responses.INVALID_ARGUMENT,
                               f"body over {self.r.max_body:,} bytes")
        counted = 0  # bytes of this request in the receiver's in-flight total
        try:
            parts: list[bytes] = []
            size = 0
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return CLIENT_LEFT, b"", JSON, []
                chunk = msg.get("body", b"")
                parts.append(chunk)
                size += len(chunk)
                counted += len(chunk)
                self.r.inflight += len(chunk)
                if size > self.r.max_body:
                    return self._error(413, media, responses.INVALID_ARGUMENT,
                                       f"body over {self.r.max_body:,} bytes")
                if self.r.inflight > self.r.max_inflight:
                    # bodies waiting for the store are capped while read, not after
                    return self._busy(media, "the store is behind")
                if not msg.get("more_body"):
                    break
            raw = b"".join(parts)
            del parts
            # inflated (within max_body) and decoded by a worker, then stored
            try:
                decoded = await asyncio.wrap_future(
                    self.r.pool.submit(kind, raw, encoding, media == JSON))
            except TooLarge as exc:
                return self._error(413, media, responses.INVALID_ARGUMENT,
                                   f"{exc} (decompressed); [receiver] max_body_bytes")
            except (BadEncoding, Undecodable) as exc:
                return self._error(400, media, responses.INVALID_ARGUMENT, str(exc))
            except Exception as exc:
                if self.r.pool.broken(exc):
                    return self._busy(media, "a decoding process died")
                raise
            del raw
            # what waits for the writer now is the decoded request, not the body
            grown = decoded.size - counted
            counted += grown
            self.r.inflight += grown
            return await self._store(kind, decoded, media)
        finally:
            self.r.inflight -= counted

    async def _store(self, kind: str, decoded, media: str) -> tuple[int, bytes, str, list]:
        """Queue a decoded request for the writer; answer after its COMMIT."""
        self.r.note_decoded(decoded)
        try:
            fut = self.r.writer.submit(Job(decoded))
            await asyncio.wait_for(asyncio.wrap_future(fut), COMMIT_WAIT)
        except WriterClosed:
            return self._busy(media, "the receiver is stopping")
        except TimeoutError:
            return self._busy(media, "the store is behind")
        except Exception as exc:  # the transaction failed: nothing of it was stored
            log.warning("could not store an OTLP request: %s", exc)
            return self._busy(media, f"could not store the request ({type(exc).__name__})")
        message = ""
        if decoded.rejects:
            first = "; ".join(f"{p}: {r}" for p, r in decoded.rejects[:3])
            more = len(decoded.rejects) - 3
            message = first + (f"; and {more} more" if more > 0 else "")
        out = responses.success(kind, media, decoded.rejected, message)
        return 200, out, media, []

    def _busy(self, media: str | None, why: str) -> tuple[int, bytes, str, list]:
        return self._error(503, media, responses.UNAVAILABLE, f"{why}; retry later",
                           [("retry-after", RETRY_AFTER)])

    @staticmethod
    def _error(status: int, media: str | None, code: int, message: str,
               extra: list | None = None) -> tuple[int, bytes, str, list]:
        body, ctype = responses.status(media, code, message)
        return status, body, ctype, extra or []
