"""A regression corpus from real traffic (`evaltop corpus build`, the TUI's `c`).

A corpus file is JSON Lines, one case per line, no header (see docs/corpus.md):
``{"id", "source_output_id", "ts", "task", "model", "prompt_version", "variant",
"input", "baseline_output", "baseline": {latency_ms, input_tokens,
output_tokens, cost_usd, cost_pusd, error}, "scores": {judge: {kind, score, passed,
reason}}, "label", "outcome", "metadata", "tags", "redacted"}``.

Build: outputs of the last N days -> one per normalised input (``input_hash``),
preferring failed, then labelled, then judged, then newest -> near-duplicates
(estimated Jaccard similarity of word 3-shingles >= :data:`NEAR_DUP_JACCARD`,
by MinHash) dropped within a task -> stratified by task x outcome: every failure and every
human-labelled case is kept (up to ``FAIL_CAP_FACTOR x per_segment`` per task),
passes and unscored cases are sampled (deterministic by seed) down to
``per_segment`` -> redacted (when ``[redaction] enabled``); a case whose
redaction fails is dropped, never written.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import re
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from evaltop.core.model.config import Config
from evaltop.core.model.money import pusd_to_usd
from evaltop.core.model.records import input_text
from evaltop.core.text.redact import redact_obj, redact_text

NEAR_DUP_JACCARD = 0.7
FAIL_CAP_FACTOR = 10
# candidates looked at per slot before a segment gives up (bounds near-dup work)
EXAMINE_FACTOR = 20
_MAX_SHINGLES = 2000
_WORD = re.compile(r"\w+", re.UNICODE)
OUTCOMES = ("fail", "labelled", "pass", "unscored")


class CorpusError(ValueError):
    """A corpus file or case a user must fix (names the file and line)."""


@dataclass
class BuildSummary:
    examined: int = 0  # outputs in the window
    distinct_inputs: int = 0
    near_duplicates: int = 0
    written: int = 0
    dropped_redaction: int = 0
    by_segment: dict[str, int] = field(default_factory=dict)
    path: str = ""


def case_id_for(output_id: str) -> str:
    return "c_" + hashlib.blake2b(output_id.encode(), digest_size=8).hexdigest()


_PERMS = 64
_RNG = np.random.default_rng(0x5EED)
_MUL = _RNG.integers(1, 2**62, size=_PERMS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd
_ADD = _RNG.integers(0, 2**62, size=_PERMS, dtype=np.uint64)


def shingles(text: str) -> set[str]:
    """Lower-cased word 3-shingles (the whole text when shorter), at most a few thousand."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))[:_MAX_SHINGLES]}


def minhash(text: str) -> np.ndarray:
    """64-value MinHash signature of the shingle set (multiply-add hashing mod 2**64);
    the fraction of equal values estimates the Jaccard similarity of two texts."""
    sh = shingles(text)
    hs = np.fromiter(
        (int.from_bytes(hashlib.blake2b(x.encode(), digest_size=8).digest(), "big") for x in sh),
        dtype=np.uint64,
        count=len(sh),
    )
    return (hs[:, None] * _MUL[None, :] + _ADD[None, :]).min(axis=0)


class NearDupIndex:
    """Signatures kept so far (one index per task); a new text within
    :data:`NEAR_DUP_JACCARD` of any of them is a near-duplicate."""

    def __init__(self) -> None:
        self._sigs = np.empty((16, _PERMS), dtype=np.uint64)
        self._n = 0

    def is_near(self, sig: np.ndarray, threshold: float = NEAR_DUP_JACCARD) -> bool:
        if self._n == 0:
            return False
        return bool((self._sigs[: self._n] == sig).mean(axis=1).max() >= threshold)

    def add(self, sig: np.ndarray) -> None:
        if self._n == len(self._sigs):
            self._sigs = np.concatenate([self._sigs, np.empty_like(self._sigs)])
        self._sigs[self._n] = sig
        self._n += 1


def _cap(per_segment: int, outcome: str) -> int:
    return per_segment * (FAIL_CAP_FACTOR if outcome in ("fail", "labelled") else 1)


def _neg(rank: bytes) -> bytes:
    """Order-reversing bytes, so heapq's min-heap keeps the smallest ranks."""
    return bytes(255 - b for b in rank)


def _rank(seed: str, output_id: str) -> bytes:
    return hashlib.blake2b(f"{seed}\x00{output_id}".encode(), digest_size=8).digest()


_CANDIDATES_SQL = """
SELECT id, task, input_hash, max(prio * 1e11 + ts) AS k, prio FROM (
  SELECT o.id, o.task, o.input_hash, o.ts,
    (CASE WHEN o.error IS NOT NULL
          OR EXISTS (SELECT 1 FROM scores s WHERE s.output_id = o.id AND s.passed = 0)
          OR EXISTS (SELECT 1 FROM labels l WHERE l.output_id = o.id AND l.label = 'fail')
     THEN 3
     WHEN EXISTS (SELECT 1 FROM labels l WHERE l.output_id = o.id) THEN 2
     WHEN EXISTS (SELECT 1 FROM scores s WHERE s.output_id = o.id AND s.status = 'ok') THEN 1
     ELSE 0 END) AS prio
  FROM outputs o WHERE o.ts >= ? AND o.ts <= ?
) GROUP BY input_hash
"""
_PRIO_OUTCOME = {3: "fail", 2: "labelled", 1: "pass", 0: "unscored"}


def build(cfg: Config, conn: sqlite3.Connection, out: Path, *, days: float = 30,
          per_segment: int = 50, seed: str = "evaltop", now: float | None = None) -> BuildSummary:
    """Write a curated corpus of the last ``days`` of traffic to ``out``."""
    if per_segment < 1:
        raise CorpusError(f"--per-segment must be at least 1, got {per_segment}")
    now = time.time() if now is None else now
    summary = BuildSummary(path=str(out))
    summary.examined = conn.execute(
        "SELECT count(*) FROM outputs WHERE ts >= ? AND ts <= ?", (now - days * 86400, now)
    ).fetchone()[0]
    # Per segment, only the candidates with the smallest seeded ranks are kept
    # (a bounded max-heap), so memory does not grow with the traffic.
    segments: dict[tuple[str, str], list[tuple[bytes, str]]] = defaultdict(list)
    for row in conn.execute(_CANDIDATES_SQL, (now - days * 86400, now)):
        summary.distinct_inputs += 1
        oc = _PRIO_OUTCOME[row["prio"]]
        heap = segments[(row["task"], oc)]
        item = (_neg(_rank(seed, row["id"])), row["id"])
        if len(heap) < _cap(per_segment, oc) * EXAMINE_FACTOR:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)
    kept: dict[str, NearDupIndex] = defaultdict(NearDupIndex)
    cases: list[dict] = []
    for outcome in OUTCOMES:  # failures first: they win a near-duplicate tie
        for (task, oc), members in sorted(segments.items()):
            if oc != outcome:
                continue
            cap = _cap(per_segment, oc)
            taken = 0
            for _neg_rank, output_id in sorted(members, reverse=True):  # smallest rank first
                if taken >= cap:
                    break
                case = case_from_output(conn, output_id)
                sig = minhash(input_text(case["input"]))
                if kept[task].is_near(sig):
                    summary.near_duplicates += 1
                    continue
                case = redact_case(case) if cfg.redaction.enabled else case
                if case is None:
                    summary.dropped_redaction += 1
                    continue
                kept[task].add(sig)
                cases.append(case)
                taken += 1
            summary.by_segment[f"{task or '(none)'}/{oc}"] = taken
    cases.sort(key=lambda c: (c["task"], OUTCOMES.index(c["outcome"]), c["id"]))
    _write_atomic(out, cases)
    summary.written = len(cases)
    return summary


def stored_input(row: Any) -> Any:
    """An outputs row's input: the chat messages when logged as such, else the text."""
    if row["input_json"]:
        try:
            return orjson.loads(row["input_json"])
        except orjson.JSONDecodeError:
            pass
    return row["input_text"]


def case_from_output(conn: sqlite3.Connection, output_id: str) -> dict:
    """The corpus case for a stored output (not redacted)."""
    o = conn.execute("SELECT * FROM outputs WHERE id = ?", (output_id,)).fetchone()
    if o is None:
        raise CorpusError(f"no stored output with id {output_id!r}")
    inp = stored_input(o)
    scores = {
        s["judge"]: {
            "kind": s["kind"],
            "score": s["score"],
            "passed": None if s["passed"] is None else bool(s["passed"]),
            "reason": s["reason"],
        }
        for s in conn.execute(
            "SELECT judge, kind, score, passed, reason FROM scores "
            "WHERE output_id = ? AND status = 'ok' ORDER BY judge",
            (output_id,),
        )
    }
    lab = conn.execute(
        "SELECT label, score, note FROM labels WHERE output_id = ?", (output_id,)
    ).fetchone()
    label = (
        None if lab is None else {"label": lab["label"], "score": lab["score"], "note": lab["note"]}
    )
    failed = o["error"] is not None or any(s["passed"] is False for s in scores.values()) or (
        label is not None and label["label"] == "fail")
    outcome = "fail" if failed else "labelled" if label else "pass" if scores else "unscored"
    return {
        "id": case_id_for(output_id),
        "source_output_id": output_id,
        "ts": o["ts"],
        "task": o["task"],
        "model": o["model"],
        "prompt_version": o["prompt_version"],
        "variant": o["variant"],
        "input": inp,
        "baseline_output": o["output_text"],
        "baseline": {
            "latency_ms": o["latency_ms"],
            "input_tokens": o["input_tokens"],
            "output_tokens": o["output_tokens"],
            "cost_usd": pusd_to_usd(o["cost_pusd"]),
            "cost_pusd": o["cost_pusd"],
            "error": o["error"],
        },
        "scores": scores,
        "label": label,
        "outcome": outcome,
        "metadata": orjson.loads(o["metadata_json"] or "{}"),
        "tags": orjson.loads(o["tags_json"] or "[]"),
        "redacted": False,
    }


_REDACT_KEYS = ("input", "baseline_output", "scores", "label", "metadata", "tags")


def redact_case(case: dict) -> dict | None:
    """The case with every free-text field redacted, or None if redaction failed."""
    try:
        out = dict(case)
        for key in _REDACT_KEYS:
            out[key] = redact_obj(case[key])
        if case["baseline"].get("error"):
            out["baseline"] = dict(case["baseline"], error=redact_text(case["baseline"]["error"]))
        out["redacted"] = True
        return out
    except Exception:
        return None


def _dumps(case: dict) -> bytes:
    return orjson.dumps(case, option=orjson.OPT_SORT_KEYS) + b"\n"


def _write_atomic(path: Path, cases: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        for case in cases:
            fh.write(_dumps(case))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def default_path(cfg: Config) -> Path:
    """Where the TUI's `c` key appends: corpus.jsonl next to the config."""
    return cfg.resolve("corpus.jsonl")


def add_case(
    cfg: Config, conn: sqlite3.Connection, output_id: str, path: Path | None = None
) -> Path:
    """Append one stored output to the corpus file (default :func:`default_path`).

    Idempotent: an output already in the file is not added again. Raises
    CorpusError when the output is unknown or its redaction fails.
    """
    path = Path(path) if path else default_path(cfg)
    cid = case_id_for(output_id)
    if path.exists() and any(c["id"] == cid for c in load(path)):
        return path
    case = case_from_output(conn, output_id)
    if cfg.redaction.enabled:
        case = redact_case(case)
        if case is None:
            raise CorpusError(f"output {output_id!r}: redaction failed; the case was not written")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as fh:
        fh.write(_dumps(case))
    return path


def load(path: Path) -> list[dict]:
    """Read and check a corpus file; errors name the file and line."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read corpus: {exc.strerror}") from None
    cases, seen = [], set()
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{n}: not JSON ({exc})") from None
        if not isinstance(case, dict):
            raise CorpusError(f"{path}:{n}: expected a JSON object (one case per line)")
        cid = case.get("id")
        if not isinstance(cid, str) or not cid:
            raise CorpusError(f"{path}:{n}: `id` must be a non-empty string")
        inp = case.get("input")
        if not (
            isinstance(inp, str)
            or (isinstance(inp, list) and all(isinstance(m, dict) for m in inp))
        ):
            raise CorpusError(
                f"{path}:{n}: `input` must be a string or a list of {{role, content}} messages"
            )
        if cid in seen:
            raise CorpusError(f"{path}:{n}: duplicate case id {cid!r}")
        seen.add(cid)
        case.setdefault("task", "")
        case.setdefault("scores", {})
        cases.append(case)
    return cases
