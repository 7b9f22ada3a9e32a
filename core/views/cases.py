"""View models for the cases list and one case: the filter language, keyset
pages, next/previous, the case as JSON, and the human actions (label, add to
corpus) the case screens offer."""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from evaltop.core.analysis.regressions import Segment
from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.model.config import Config
from evaltop.core.model.window import parse_duration
from evaltop.core.rollout.corpus import add_case
from evaltop.core.views.costs import OutputCost, output_cost
from evaltop.store import cases as store_cases
from evaltop.store import db as store_db
from evaltop.store import labels as store_labels
from evaltop.store import scores as store_scores
from evaltop.store import search as store_search
from evaltop.store.cases import SORTS as SORTS  # re-exported: surfaces (tui) import the
from evaltop.store.cases import CaseFilter as CaseFilter  # store's case query from core
from evaltop.store.search import SearchQueryError as SearchQueryError
from evaltop.store.search import SearchStatus as SearchStatus

PAGE = 200
FILTER_KEYS = {
    "model": "model",
    "task": "task",
    "judge": "judge",
    "prompt": "prompt_version",
    "prompt_version": "prompt_version",
    "variant": "variant",
    "since": "since",
    "sort": "sort",
}


def parse_filter(text: str, now: float, *, failing: bool = True) -> CaseFilter:
    """``model:gpt-4o task:"sql gen" since:24h refund`` -> CaseFilter.

    Words without a known ``key:`` are free text matched against input and
    output. Raises ValueError naming the bad token and what was expected.
    """
    try:
        tokens = shlex.split(text or "")
    except ValueError as exc:
        raise ValueError(f"filter: {exc} (close the quote)") from None
    values: dict[str, Any] = {"failing": failing}
    free: list[str] = []
    for tok in tokens:
        key, sep, value = tok.partition(":")
        field_name = FILTER_KEYS.get(key.lower()) if sep else None
        if field_name is None:
            free.append(tok)
            continue
        if not value:
            raise ValueError(f"filter: {key}: needs a value, e.g. {key}:VALUE")
        if field_name == "since":
            seconds = parse_duration(value, what="filter: since")
            values["since"] = None if seconds is None else now - seconds
        elif field_name == "sort":
            if value not in store_cases.SORTS:
                raise ValueError(f"filter: sort: expected one of "
                                 f"{', '.join(store_cases.SORTS)}, got {value!r}")
            values["sort"] = value
        else:
            values[field_name] = value
    values["text"] = " ".join(free)
    if free:
        values["search"] = search_query(_KEY_TOKEN.sub(" ", text))
    return CaseFilter(**values)


# a `key:value` token of the filter (value quoted or not): what is left is searched
_KEY_TOKEN = re.compile(
    r"(?<!\S)(?i:" + "|".join(FILTER_KEYS) + r"):(?:\"[^\"]*\"|'[^']*'|\S)*")


def search_query(text: str) -> str:
    """What a user typed as search words -> the FTS5 query; raises
    :class:`SearchQueryError` (a ValueError) with a one-line reason when it
    cannot be run (an unclosed quote, a bare NOT, an unknown column)."""
    query = store_search.fts_query(text)
    store_search.check_query(query)
    return query


def describe_filter(f: CaseFilter) -> str:
    """The filter as the user would type it back (for the status line)."""
    parts = []
    for key, attr in (("model", "model"), ("task", "task"), ("judge", "judge"),
                      ("prompt", "prompt_version"), ("variant", "variant")):
        value = getattr(f, attr)
        if value is not None:
            parts.append(f"{key}:{shlex.quote(value)}")
    if f.text:
        parts.append(f.text)
    return " ".join(parts)


def segment_filter(segment: Segment, judge: str | None = None, *,
                   failing: bool = True) -> CaseFilter:
    """Cases of one regression segment (task, model, prompt_version, variant)."""
    def val(k: str) -> str | None:
        v = getattr(segment, k)
        return None if v in (None, "*") else str(v)

    return CaseFilter(failing=failing, model=val("model"), task=val("task"), judge=judge,
                      prompt_version=val("prompt_version"), variant=val("variant"))


PAGE_BUDGET = 0.03  # seconds a search page walks matches before it shows what it has


class Page(list):
    """A page of rows and, when the words were not searched as asked, why
    (``note``): the index is building, or search is off (substring match);
    or the page's time ran out (``resume``: where the next page goes on)."""

    note: str | None = None
    resume: tuple | None = None


def next_start(rows: list, limit: int = PAGE) -> tuple | None:
    """The keyset the page after ``rows`` starts from; None on the last page."""
    resume = getattr(rows, "resume", None)
    if resume is not None:
        return resume
    return rows[-1]["key"] if len(rows) >= limit else None


def search_status(conn: sqlite3.Connection) -> SearchStatus:
    return store_search.status(conn)


def searched(conn: sqlite3.Connection, f: CaseFilter) -> tuple[CaseFilter | None, str | None]:
    """The filter the store runs for ``f`` and a note for the user: with the
    index ready, the words are a full-text search (sorted by model or task:
    its newest ``SORT_CAP`` matches, and the note says so when there are
    more); while it builds nothing is
    searched (``None``: no page pretends there are no matches); with search off
    they match as a substring, as before search existed."""
    if not f.search:
        return f, None
    st = store_search.status(conn)
    if st.ready:
        return replace(f, text=""), None
    if st.enabled:
        return None, f"index building: {st.percent}%"
    return (replace(f, search=""),
            "substring match (full-text search is off: [store] search = true)")


def page(conn: sqlite3.Connection, f: CaseFilter, after: tuple | None = None,
         limit: int = PAGE, budget: float | None | Literal["page"] = "page") -> Page:
    """Up to ``limit`` rows after keyset ``after`` (None = the first page).
    A search in stored order stops after ``budget`` seconds (``"page"``:
    :data:`PAGE_BUDGET`; None: no limit) of walking its matches: then
    ``resume`` is set and the note says how far back it looked."""
    if budget == "page":
        budget = PAGE_BUDGET
    run, note = searched(conn, f)
    rows = (store_cases.cases_page(conn, run, after=after, limit=limit, budget=budget)
            if run else [])
    out = Page(rows)
    out.resume = getattr(rows, "resume", None)
    if getattr(rows, "capped", False):
        note = (f"sorted: the newest {store_cases.SORT_CAP:,} matches only "
                "(sort:newest lists all)")
    if out.resume is not None:
        reached = time.strftime("%Y-%m-%d %H:%M", time.localtime(rows.reached_ts))
        note = f"searched back to {reached}: ] searches on"
    if note is None and not f.search:  # the fill's progress, before anyone searches
        st = store_search.status(conn)
        if st.enabled and not st.finished:
            note = f"search index building: {st.percent}%"
    out.note = note
    return out


def page_before(conn: sqlite3.Connection, f: CaseFilter, before: tuple,
                limit: int = PAGE) -> list[dict]:
    """The page ending just before keyset ``before``, in display order."""
    run, _ = searched(conn, f)
    if run is None:
        return []
    return list(reversed(store_cases.cases_page(conn, run, after=before, limit=limit,
                                                reverse=True)))


def neighbour(conn: sqlite3.Connection, f: CaseFilter, key: tuple, step: int) -> dict | None:
    """The next (+1) or previous (-1) row of the list after ``key``."""
    run, _ = searched(conn, f)
    if run is None:
        return None
    rows = store_cases.cases_page(conn, run, after=key, limit=1, reverse=step < 0)
    return rows[0] if rows else None


@dataclass
class CaseDetail:
    output: dict
    messages: list[dict]
    metadata: dict
    tags: list
    scores: list[dict]
    feedback: list[dict]
    label: dict | None
    sample: dict | None
    # verdicts a `score --rescore` replaced, newest first (aggregates use `scores`)
    replaced: list[dict] = field(default_factory=list)
    cost: OutputCost | None = None  # how the cost was made (when a price book was given)

    @property
    def id(self) -> str:
        return self.output["id"]


def _loads(text: str | None, default):
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def _messages(output: dict) -> list[dict]:
    data = _loads(output.get("input_json"), None)
    if isinstance(data, list) and all(isinstance(m, dict) for m in data):
        return [{"role": str(m.get("role", "user")), "content": m.get("content", "")} for m in data]
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return _messages({"input_json": json.dumps(data["messages"])})
    return [{"role": "input", "content": output.get("input_text", "")}]


def detail(conn: sqlite3.Connection, output_id: str,
           book: PriceBook | None = None) -> CaseDetail | None:
    """Everything about one output; with ``book``, its cost explained too."""
    out = store_cases.output_by_id(conn, output_id)
    if out is None:
        return None
    meta = _loads(out.get("metadata_json"), {})
    return CaseDetail(
        output=out,
        messages=_messages(out),
        metadata=meta if isinstance(meta, dict) else {"value": meta},
        tags=_loads(out.get("tags_json"), []),
        scores=store_cases.scores_for(conn, output_id),
        feedback=store_cases.feedback_for(conn, output_id),
        label=store_cases.label_for(conn, output_id),
        sample=store_cases.sample_for(conn, output_id),
        replaced=store_scores.history(conn, output_id),
        cost=None if book is None else output_cost(conn, book, output_id),
    )


def case_json(d: CaseDetail) -> dict:
    """The case as one JSON-ready dict (what `y` copies)."""
    o = d.output
    return {
        "id": o["id"], "ts": o["ts"], "model": o["model"], "provider": o["provider"],
        "task": o["task"], "prompt_version": o["prompt_version"], "variant": o["variant"],
        "input": d.messages, "output": o["output_text"], "error": o["error"],
        "usage": {k: o[k] for k in ("input_tokens", "output_tokens", "cached_input_tokens",
                                    "cache_write_tokens", "reasoning_tokens")}
        | {"estimated": bool(o["usage_estimated"])},
        "cost_usd": None if o["cost_pusd"] is None else str(o["cost_pusd"] / 10**12),
        "latency_ms": o["latency_ms"], "tags": d.tags, "metadata": d.metadata,
        "scores": d.scores, "feedback": d.feedback, "label": d.label,
        "replaced_scores": d.replaced,
    }


def data_home() -> Path:
    """Where evaltop writes user files: $EVALTOP_HOME or ~/.local/share/evaltop."""
    home = os.environ.get("EVALTOP_HOME")
    if home:
        return Path(home)
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "evaltop"


def save_case_json(d: CaseDetail, folder: Path | None = None) -> tuple[Path, str]:
    """Write the case to ``<data home>/cases/<id>.json``; return (path, text)."""
    text = json.dumps(case_json(d), ensure_ascii=False, indent=2, default=str)
    folder = folder or data_home() / "cases"
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", d.id)[:100] or "case"
    path = folder / f"{name}.json"
    path.write_text(text + "\n", encoding="utf-8")
    return path, text


def set_label(db_path: Path, output_id: str, label: str, reviewer: str = "tui") -> None:
    """Record a human pass/fail label."""
    if label not in ("pass", "fail"):
        raise ValueError(f"label must be pass or fail, got {label!r}")
    conn = store_db.connect(db_path)
    try:
        store_labels.set_label(conn, output_id, label, reviewer=reviewer)
    finally:
        conn.close()


def add_to_corpus(cfg: Config, db_path: Path, output_id: str) -> Path:
    """Add the case to the regression corpus; returns the case file."""
    conn = store_db.connect(db_path)
    try:
        return Path(add_case(cfg, conn, output_id))
    finally:
        conn.close()
