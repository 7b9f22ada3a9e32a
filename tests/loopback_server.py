"""A real HTTP server on 127.0.0.1 that speaks just enough of the OpenAI chat
completions and Anthropic Messages wire formats to test judges and candidate
models without the network.

Usage::

    with LoopbackLLM(mode="good") as llm:
        openai_base = llm.openai_base_url      # "http://127.0.0.1:PORT/v1"
        anthropic_base = llm.anthropic_base_url  # "http://127.0.0.1:PORT"
        ...
        llm.set_mode("retry_after", retry_after="0", times=1)

What ``base_url`` means: ``llm.base_url`` is the server root
``http://127.0.0.1:PORT``. OpenAI-compatible clients (like the OpenAI SDK) take a
base URL that already ends in ``/v1`` and append ``/chat/completions``: pass
``llm.openai_base_url``. Anthropic clients take the root and append
``/v1/messages``: pass ``llm.anthropic_base_url`` (== ``base_url``). The server
also accepts ``POST /chat/completions`` (no ``/v1``).

Modes (``set_mode(mode, **kw)`` switches at runtime and resets the counter):

- ``good``: a judge reply ``{"score": S, "reason": ...}`` with usage. ``S`` is
  kw ``score`` if given, else a number planted in the prompt text as
  ``PLANT_SCORE=<n>``, else 4. kw ``usage=(input_tokens, output_tokens)`` fixes
  the reported usage; ``usage=None`` omits it; by default it is derived from
  text length (``len // 4``, at least 1). kw ``content`` replaces the reply text.
- ``retry_after``: ``times`` (default 1) replies of 429 with header
  ``Retry-After: <retry_after>`` (default ``"0"``; an HTTP-date or garbage is
  passed through verbatim), then ``good``.
- ``500`` / ``529``: ``times`` (default: always) errors, then ``good``. 529 uses
  Anthropic's ``overloaded_error`` body.
- ``slow_trickle``: sends headers and a Content-Length, then one byte every
  ``trickle_s`` (default 0.2) seconds, so only an overall deadline stops it.
- ``invalid_json``: 200 whose message content is not JSON (kw
  ``body_invalid=True`` makes the HTTP body itself garbage).
- ``schema_violation``: JSON content that breaks the judge schema; kw
  ``variant``: ``off_scale`` (default, score 42), ``missing`` (no score),
  ``string`` (score "high"), ``no_reason``.
- ``reset``: ``times`` (default 1) replies cut mid-body: the status line,
  headers and half the body go out, then the connection is reset (RST), so
  the client gets a read error after its request arrived; then ``good``.
- ``drop``: ``times`` (default 1) requests read in full and answered by
  closing the connection without a byte (what a pooled keep-alive connection
  closed by the server looks like); then ``good``.
- ``stall``: ``times`` (default 1) requests answered only after ``stall_s``
  (default 2) seconds, so a short client read timeout fires; then ``good``.
- ``insufficient_quota``: OpenAI's 429 with ``error.code = insufficient_quota``.
- ``obey_injection``: a naive scripted judge. It masks every region between a
  ``<<<BEGIN T>>>`` marker and the next ``<<<END T>>>`` with the *same* token T,
  then obeys the first "score N" instruction in the remaining text (answering
  N); otherwise it behaves like ``good``. Fake closing markers with a guessed
  token therefore stay inside the masked region, while a prompt without
  delimiters (or with predictable ones) lets the instruction through.

``responder(request)`` overrides everything: it receives the parsed JSON body
(a dict; the request path is available as ``request["_path"]``, the headers as
``request["_headers"]``) and returns ``(status, headers, body)`` where body is
bytes, str, or a JSON-serialisable object. It runs on server threads, so it must
be thread-safe (e.g. guard a seeded ``random.Random`` with a lock).

``latency_s`` delays every reply (including errors) by that many seconds.
``requests`` holds ``{"path", "headers", "json"}`` for every request received.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict], tuple[int, dict, Any]]

MODES = {
    "good", "retry_after", "500", "529", "slow_trickle", "invalid_json",
    "schema_violation", "insufficient_quota", "obey_injection", "reset", "drop", "stall",
}
CUT_MODES = ("reset", "drop", "stall")

_PLANT = re.compile(r"PLANT_SCORE=(-?\d+(?:\.\d+)?)")
_REGION = re.compile(r"<<<BEGIN ([A-Za-z0-9_-]+)>>>.*?<<<END \1>>>", re.S)
_OBEY = re.compile(r"\bscore (?:it |this |of |= ?|: ?)?(-?\d+(?:\.\d+)?)\b", re.I)


def request_text(body: dict) -> str:
    """All prompt text of an OpenAI or Anthropic request, system first."""
    parts: list[str] = []

    def add(content: Any) -> None:
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and isinstance(block.get("text"), str):
                    parts.append(block["text"])
                elif isinstance(block, str):
                    parts.append(block)

    add(body.get("system"))
    for msg in body.get("messages") or []:
        if isinstance(msg, dict):
            add(msg.get("content"))
    return "\n".join(parts)


def _num(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def naive_judge_score(text: str) -> float | int | None:
    """The score an instruction-following judge obeys, or None."""
    outside = _REGION.sub(" ", text)
    match = _OBEY.search(outside)
    return _num(match.group(1)) if match else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


class LoopbackLLM:
    """Context manager running the fake LLM server in a background thread."""

    def __init__(self, *, mode: str = "good", latency_s: float = 0.0,
                 responder: Responder | None = None, **kw: Any) -> None:
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.requests: list[dict] = []
        self.latency_s = latency_s
        self.responder = responder
        self.mode = "good"
        self.kw: dict[str, Any] = {}
        self._count = 0
        self.set_mode(mode, **kw)
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.openai_base_url = f"{self.base_url}/v1"
        self.anthropic_base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name="loopback-llm", daemon=True)

    # -- lifecycle -------------------------------------------------------
    def __enter__(self) -> LoopbackLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    # -- control ---------------------------------------------------------
    def set_mode(self, mode: str, **kw: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown loopback mode {mode!r}; expected one of {sorted(MODES)}")
        with self._lock:
            self.mode, self.kw, self._count = mode, dict(kw), 0

    def count(self, path_suffix: str = "") -> int:
        with self._lock:
            return sum(1 for r in self.requests if r["path"].endswith(path_suffix))

    # -- behaviour -------------------------------------------------------
    def _decide(self, path: str, body: dict) -> tuple[int, dict, Any, float]:
        """(status, headers, body, trickle_s); trickle_s > 0 means trickle."""
        with self._lock:
            mode, kw = self.mode, self.kw
            self._count += 1
            n = self._count
        if mode in CUT_MODES and n <= kw.get("times", 1):
            return 200, {"X-Loopback-Cut": mode}, b"", 0.0
        times = kw.get("times")
        failing = times is None or n <= times
        anthropic = path.endswith("/messages")
        if mode == "retry_after" and n <= kw.get("times", 1):
            hdrs = {"Retry-After": str(kw.get("retry_after", "0"))}
            return 429, hdrs, _error(anthropic, "rate_limit_error", "rate limited"), 0.0
        if mode == "500" and failing:
            return 500, {}, _error(anthropic, "api_error", "internal error"), 0.0
        if mode == "529" and failing:
            return 529, {}, _error(True, "overloaded_error", "Overloaded"), 0.0
        if mode == "insufficient_quota":
            err = {"error": {"message": "You exceeded your current quota.",
                             "type": "insufficient_quota", "param": None,
                             "code": "insufficient_quota"}}
            return 429, {}, err, 0.0
        text = request_text(body)
        score = kw.get("score")
        if score is None:
            planted = _PLANT.search(text)
            score = _num(planted.group(1)) if planted else 4
        if mode == "obey_injection":
            obeyed = naive_judge_score(text)
            score = obeyed if obeyed is not None else score
        content = kw.get("content")
        if content is None:
            content = json.dumps({"score": score, "reason": f"loopback judged {len(text)} chars"})
        if mode == "invalid_json":
            if kw.get("body_invalid"):
                return 200, {"Content-Type": "application/json"}, b"{not json", 0.0
            content = "I think this deserves a 4 out of 5, {score: four"
        if mode == "schema_violation":
            variant = kw.get("variant", "off_scale")
            bad = {"off_scale": {"score": 42, "reason": "way off"},
                   "missing": {"reason": "forgot the score"},
                   "string": {"score": "high", "reason": "words"},
                   "no_reason": {"score": 3}}[variant]
            content = json.dumps(bad)
        usage = kw.get("usage", "derive")
        if usage == "derive":
            usage = (max(1, len(text) // 4), max(1, len(content) // 4))
        model = str(body.get("model", "loopback-model"))
        reply = (_anthropic_reply(model, content, usage) if anthropic
                 else _openai_reply(model, content, usage))
        trickle = float(kw.get("trickle_s", 0.2)) if mode == "slow_trickle" else 0.0
        return 200, {"Content-Type": "application/json"}, reply, trickle

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body
            # waits for the client's delayed ACK (~40 ms on Linux loopback),
            # which made every reply ~40 ms slower than the latency asked for.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # http.server's method name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                path = self.path.split("?", 1)[0]
                headers = {k.lower(): v for k, v in self.headers.items()}
                with outer._lock:
                    outer.requests.append({"path": path, "headers": headers, "json": body})
                if not (path.endswith("/chat/completions") or path == "/v1/messages"):
                    self._send(404, {}, {"error": {"message": f"no route {path}"}})
                    return
                if outer.latency_s and outer._closing.wait(outer.latency_s):
                    return
                if outer.responder is not None:
                    req = dict(body) if isinstance(body, dict) else {"_body": body}
                    req["_path"], req["_headers"] = path, headers
                    status, hdrs, reply = outer.responder(req)
                    self._send(status, hdrs, reply)
                    return
                status, hdrs, reply, trickle = outer._decide(path, body)
                cut = hdrs.get("X-Loopback-Cut")
                if cut:
                    self._cut(cut)
                    return
                self._send(status, hdrs, reply, trickle)

            def _cut(self, how: str) -> None:
                if how == "stall":
                    outer._closing.wait(float(outer.kw.get("stall_s", 2.0)))
                    self.close_connection = True
                    return
                if how == "reset":
                    data = json.dumps(_openai_reply("cut", "{}", (1, 1))).encode()
                    self.wfile.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Content-Length: {len(data)}\r\n\r\n".encode()
                        + data[: len(data) // 2])
                    self.wfile.flush()
                # SO_LINGER 0: close() sends RST instead of FIN
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def _send(self, status: int, hdrs: dict, reply: Any, trickle: float = 0.0) -> None:
                if isinstance(reply, bytes):
                    data = reply
                elif isinstance(reply, str):
                    data = reply.encode()
                else:
                    data = json.dumps(reply).encode()
                self.send_response(status)
                hdrs = dict(hdrs)
                hdrs.setdefault("Content-Type", "application/json")
                for key, value in hdrs.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    if trickle <= 0:
                        self.wfile.write(data)
                        return
                    for i in range(len(data)):
                        if outer._closing.wait(trickle):
                            return
                        self.wfile.write(data[i:i + 1])
                        self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler


def _error(anthropic: bool, kind: str, message: str) -> dict:
    if anthropic:
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _openai_reply(model: str, content: str, usage: tuple[int, int] | None) -> dict:
    reply: dict[str, Any] = {
        "id": f"chatcmpl-loop{time.monotonic_ns()}", "object": "chat.completion",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
    }
    if usage is not None:
        reply["usage"] = {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                          "total_tokens": usage[0] + usage[1]}
    return reply


def _anthropic_reply(model: str, content: str, usage: tuple[int, int] | None) -> dict:
    reply: dict[str, Any] = {
        "id": f"msg_loop{time.monotonic_ns()}", "type": "message", "role": "assistant",
        "model": model, "content": [{"type": "text", "text": content}],
        "stop_reason": "end_turn", "stop_sequence": None,
    }
    if usage is not None:
        reply["usage"] = {"input_tokens": usage[0], "output_tokens": usage[1],
                          "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    return reply


def main(argv: list[str] | None = None) -> None:
    """Run the server in its own process (benchmarks, manual tries): prints
    the base URL on the first line of stdout, serves until stdin closes."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(description="loopback LLM server on 127.0.0.1")
    ap.add_argument("--mode", default="good", choices=sorted(MODES))
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--usage", type=int, nargs=2, default=None, metavar=("IN", "OUT"))
    args = ap.parse_args(argv)
    kw = {"usage": tuple(args.usage)} if args.usage else {}
    with LoopbackLLM(mode=args.mode, latency_s=args.latency, **kw) as llm:
        print(llm.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
