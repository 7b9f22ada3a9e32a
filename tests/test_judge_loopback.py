"""The shared loopback LLM server itself: concurrency, wire formats, hooks."""

from __future__ import annotations

import asyncio
import json
import random
import threading

import httpx
from loopback_server import LoopbackLLM


async def _many(url: str, n: int, body: dict) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(limits=limits, timeout=20) as client:
        return await asyncio.gather(*(client.post(url, json=body) for _ in range(n)))


def test_sixty_concurrent_connections_all_answered():
    # every handler waits until all 60 requests are inside the server at once
    barrier = threading.Barrier(60, timeout=15)

    def responder(req):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return 500, {}, {"error": {"message": "the server never held 60 requests at once"}}
        return 200, {}, {"choices": [{"message": {"content": "{}"}}]}

    with LoopbackLLM(responder=responder) as llm:
        replies = asyncio.run(_many(llm.openai_base_url + "/chat/completions", 60, {"model": "m"}))
        assert [r.status_code for r in replies] == [200] * 60
        assert llm.count() == 60


def test_wire_formats_and_routes():
    with LoopbackLLM(usage=(7, 3)) as llm:
        o = httpx.post(
            f"{llm.base_url}/chat/completions",
            json={"model": "gpt-x", "messages": [{"role": "user", "content": "PLANT_SCORE=2"}]},
        ).json()
        assert json.loads(o["choices"][0]["message"]["content"])["score"] == 2
        assert o["usage"] == {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
        a = httpx.post(
            f"{llm.anthropic_base_url}/v1/messages",
            json={
                "model": "claude-x",
                "system": "s",
                "messages": [{"role": "user", "content": "hi"}],
            },
        ).json()
        assert a["type"] == "message" and a["usage"]["input_tokens"] == 7
        assert json.loads(a["content"][0]["text"])["score"] == 4
        assert httpx.post(f"{llm.base_url}/v1/embeddings", json={}).status_code == 404
        llm.set_mode("insufficient_quota")
        q = httpx.post(f"{llm.openai_base_url}/chat/completions", json={})
        assert q.status_code == 429 and q.json()["error"]["code"] == "insufficient_quota"


def test_responder_hook_with_a_seeded_fault_mix():
    rng, lock = random.Random(7), threading.Lock()

    def responder(req):
        with lock:
            fail = rng.random() < 0.5
        if fail:
            return 503, {"Retry-After": "0"}, {"error": {"message": "busy"}}
        text = req["messages"][0]["content"].upper()
        return 200, {}, {"choices": [{"message": {"content": text}}], "path": req["_path"]}

    with LoopbackLLM(responder=responder) as llm:
        codes = [
            httpx.post(
                f"{llm.openai_base_url}/chat/completions",
                json={"messages": [{"role": "user", "content": "echo"}]},
            )
            for _ in range(20)
        ]
    expected = random.Random(7)
    assert [r.status_code for r in codes] == [
        503 if expected.random() < 0.5 else 200 for _ in range(20)
    ]
    ok = next(r for r in codes if r.status_code == 200).json()
    assert ok["choices"][0]["message"]["content"] == "ECHO" and ok["path"] == "/v1/chat/completions"
