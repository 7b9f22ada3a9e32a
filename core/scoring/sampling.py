"""Strategic, deterministic sampling of logged outputs for judging.

Each output qualifies for ``base`` and any strata from ``[sampling.strata]``
(user_corrected, low_confidence, error, edge, new_version, long_output). Its
inclusion probability ``p`` is the largest rate it qualifies for. The decision
is ``u < p`` with ``u = blake2b(seed, output_id)`` mapped to [0, 1): fixed per
output, so re-runs and concurrent processes agree, and ``1 / p`` is a valid
Horvitz-Thompson weight (see docs/analysis.md).

Late feedback: a user correction that arrives after the output was evaluated
re-evaluates it with the same ``u`` and the new ``p``. The final design is
"sampled iff u < p_final", so an output already sampled at a lower ``p`` also
gets ``p_final`` (its probability under that design); keeping the old ``p``
would give two outputs in the same stratum different weights.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from evaltop.core.analysis.feedback import feedback_truthy
from evaltop.core.model.config import Config
from evaltop.core.scoring.budget import judge_budget_state
from evaltop.store import db
from evaltop.store import samples as store

_TWO_64 = float(2**64)
_ERROR_FINISH = ("refusal", "content_filter")
DAY = 86400.0


def decision_u(seed: str, output_id: str) -> float:
    """The output's fixed uniform draw in [0, 1)."""
    digest = hashlib.blake2b(f"{seed}\x00{output_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _TWO_64


@dataclass
class SampleSummary:
    evaluated: int = 0  # new outputs whose decision was made
    sampled: int = 0  # new sample rows (including late ones)
    late_sampled: int = 0  # pulled in by late user-correction feedback
    raised: int = 0  # existing samples whose probability rose with late feedback
    paused: bool = False
    reason: str | None = None
    by_stratum: dict[str, int] = field(default_factory=dict)


class FirstSeen:
    """Memoised earliest ts per model / prompt_version / variant for one run."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.cache: dict[tuple[str, str], float | None] = {}

    def get(self, column: str, value: str) -> float | None:
        key = (column, value)
        if key not in self.cache:
            self.cache[key] = store.first_seen(self.conn, column, value)
        return self.cache[key]


_FirstSeen = FirstSeen  # the name tests and older callers use


def _loads(text: str | None, default: Any) -> Any:
    try:
        return orjson.loads(text) if text else default
    except orjson.JSONDecodeError:
        return default


def _plain(word: str) -> bool:
    """Stored JSON holds this string verbatim (no escaping can change it)."""
    return word.isascii() and word.isprintable() and not any(c in word for c in '"\\/')


# how ingest writes an embeddings call's metadata (compact JSON)
_EMBEDDINGS = '"operation":"embeddings"'


def is_embeddings(row) -> bool:
    """An embeddings call (an outputs row): no answer to judge, never sampled."""
    return _EMBEDDINGS in (row["metadata_json"] or "")


def _may_contain(text: str | None, words: list[str]) -> bool:
    """Cheap pre-check before parsing JSON: False only when no word can be in it."""
    if not text or len(text) <= 2:
        return False
    return any(not _plain(w) or w in text for w in words)


def _edge_match(cfg: Config, tags_json: str | None, metadata_json: str | None) -> bool:
    edge = cfg.sampling.strata.edge
    if edge.tags and _may_contain(tags_json, edge.tags):
        tags = _loads(tags_json, [])
        if isinstance(tags, list) and any(t in tags for t in edge.tags):
            return True
    if edge.metadata and _may_contain(metadata_json, list(edge.metadata)):
        meta = _loads(metadata_json, {})
        if isinstance(meta, dict):
            for key, want in edge.metadata.items():
                if key not in meta:
                    continue
                got = meta[key]
                if (isinstance(want, list) and got in want) or got == want:
                    return True
    return False


def qualifying_strata(
    cfg: Config, row, *, corrected: bool, first_seen: FirstSeen
) -> dict[str, float]:
    """Stratum name -> rate for every stratum ``row`` (an outputs row) qualifies for."""
    st = cfg.sampling.strata
    out = {"base": cfg.sampling.base_rate}
    if corrected:
        out["user_corrected"] = st.user_corrected.rate
    conf = row["confidence"]
    if conf is not None and conf < st.low_confidence.threshold:
        out["low_confidence"] = st.low_confidence.rate
    if row["error"] or (row["finish_reason"] or "").lower() in _ERROR_FINISH:
        out["error"] = st.error.rate
    if (st.edge.tags or st.edge.metadata) and _edge_match(
        cfg, row["tags_json"], row["metadata_json"]
    ):
        out["edge"] = st.edge.rate
    horizon = st.new_version.days * DAY
    for column in ("model", "prompt_version", "variant"):
        value = row[column]
        if value:
            seen = first_seen.get(column, value)
            if seen is not None and row["ts"] - seen <= horizon:
                out["new_version"] = st.new_version.rate
                break
    if (row["output_chars"] or 0) >= st.long_output.min_chars:
        out["long_output"] = st.long_output.rate
    return out


def inclusion(strata: dict[str, float]) -> tuple[float, str]:
    """(probability, comma list of qualifying strata) from :func:`qualifying_strata`."""
    return max(strata.values()), ",".join(strata)


def corrected_ids(cfg: Config, conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    """Outputs whose latest user-correction event is truthy."""
    latest: dict[str, bool] = {}
    for fb in store.feedback_for(conn, ids, cfg.downstream.user_correction):
        latest[fb["output_id"]] = feedback_truthy(fb["value_num"], fb["value_text"])
    return {oid for oid, yes in latest.items() if yes}


def _budget_pause(cfg: Config, conn: sqlite3.Connection, now: float) -> tuple[bool, str | None]:
    state = judge_budget_state(conn, cfg, now)
    paused = bool(state.get("paused"))
    return paused, (state.get("reason") or None) if paused else None


def sample_new(
    cfg: Config, conn: sqlite3.Connection, *, now: float | None = None, batch: int = 5000
) -> SampleSummary:
    """Decide every output not yet evaluated, then re-check late corrections.

    Each batch's sample rows and the high-water mark commit in one
    transaction, so a crash never skips or double-counts an output; a batch
    another process committed first is dropped and re-read from its mark. When the judge budget
    is exhausted decisions are still recorded (they are free and fixed) but
    the samples stay pending and the summary says paused, with the reason.
    """
    now = time.time() if now is None else now
    summary = SampleSummary()
    summary.paused, summary.reason = _budget_pause(cfg, conn, now)
    seed = cfg.sampling.seed
    first_seen = FirstSeen(conn)
    while True:
        # Decide outside the write lock (ingest and judges keep writing), then
        # commit only if no other process moved the mark meanwhile.
        mark = store.get_mark(conn, store.OUTPUT_MARK)
        rows = store.outputs_after(conn, mark, batch)
        if not rows:
            break
        corrected = corrected_ids(cfg, conn, [r["id"] for r in rows])
        new, counts = [], {}
        for row in rows:
            if is_embeddings(row):
                continue  # an embeddings call has no answer to judge
            strata = qualifying_strata(
                cfg, row, corrected=row["id"] in corrected, first_seen=first_seen
            )
            p, names = inclusion(strata)
            if decision_u(seed, row["id"]) < p:
                new.append((row["id"], names, p, now, row["ts"]))
                for name in strata:
                    counts[name] = counts.get(name, 0) + 1
        with db.write(conn):
            if store.get_mark(conn, store.OUTPUT_MARK) != mark:
                continue  # another process took this batch; read on from its mark
            summary.sampled += store.insert_samples(conn, new)
            store.set_mark(conn, store.OUTPUT_MARK, rows[-1]["rowid"])
        summary.evaluated += len(rows)
        for name, k in counts.items():
            summary.by_stratum[name] = summary.by_stratum.get(name, 0) + k
        if len(rows) < batch:
            break
    _late_feedback(cfg, conn, now, summary, first_seen)
    return summary


def _late_feedback(cfg: Config, conn: sqlite3.Connection, now: float, summary: SampleSummary,
                   first_seen: FirstSeen) -> None:
    """Corrections that arrived after their output was evaluated."""
    names = cfg.downstream.user_correction
    seed = cfg.sampling.seed
    with db.write(conn):
        after = store.get_mark(conn, store.FEEDBACK_MARK)
        through = store.max_feedback_rowid(conn)
        if through <= after:
            return
        out_mark = store.get_mark(conn, store.OUTPUT_MARK)
        ids = sorted(
            {fb["output_id"] for fb in store.feedback_between(conn, after, through, names)}
        )
        corrected = corrected_ids(cfg, conn, ids)
        for row in store.outputs_by_ids(conn, sorted(corrected), out_mark):
            strata = qualifying_strata(cfg, row, corrected=True, first_seen=first_seen)
            p, strata_text = inclusion(strata)
            if decision_u(seed, row["id"]) >= p:
                continue
            if store.get_sample(conn, row["id"]) is None:
                summary.late_sampled += store.insert_samples(
                    conn, [(row["id"], strata_text, p, now, row["ts"])]
                )
            elif store.raise_probability(conn, row["id"], p, strata_text):
                summary.raised += 1
        summary.sampled += summary.late_sampled
        store.set_mark(conn, store.FEEDBACK_MARK, through)


def sampling_state(
    cfg: Config, conn: sqlite3.Connection, now: float | None = None
) -> dict[str, Any]:
    """{"paused", "reason", "pending", "evaluated_through"} for the report and the TUI."""
    now = time.time() if now is None else now
    paused, reason = _budget_pause(cfg, conn, now)
    return {
        "paused": paused,
        "reason": reason,
        "pending": store.count_pending(conn),
        "evaluated_through": store.get_mark(conn, store.OUTPUT_MARK),
    }
