"""`evaltop demo`: the whole product on an embedded config, offline.

A :class:`DemoSession` makes a demo folder (database + JSONL log), writes a few
days of synthetic history to the log and runs it through the real pipeline
(tailer -> ingest -> sampling -> rule checks + the offline demo judge, with
budget reservations), then keeps appending live traffic from a background job
while the :class:`~evaltop.core.ops.engine.Engine` polls, samples, scores and
checks budgets. The story (see ``core/demo/traffic.py``): a cheaper candidate
model takes over part of the traffic a few seconds in and breaks one task.

Budgets are set after the backfill, from what it actually spent, so that a
threshold is crossed in the first minute whatever the machine's speed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from evaltop.core.demo import traffic as traffic_mod
from evaltop.core.ingest.pipeline import ingest_once
from evaltop.core.model import config as config_mod
from evaltop.core.model.config import Config
from evaltop.core.model.money import pusd_to_usd
from evaltop.core.ops.engine import Engine
from evaltop.core.ops.inference_budget import inference_budget
from evaltop.core.scoring.budget import judge_budget_state
from evaltop.core.scoring.judges.runner import score_pending
from evaltop.core.scoring.sampling import sample_new
from evaltop.store import counters
from evaltop.store import db as store_db

DB_NAME = "demo.db"
LOG_NAME = "app.jsonl"
MARKER = ".evaltop-demo"
JUDGE_MODEL = "gemini-2.0-flash-lite"  # what the offline demo judge is priced as
# Measured averages of the demo traffic, used only to place the budget caps.
JUDGE_CALL_USD = 0.000045  # one demo-judge call
JUDGED_SHARE = 0.45  # outputs sampled for judging
OUTPUT_USD = 0.000075  # one output's inference cost


class DemoError(Exception):
    """A demo set-up problem the user can fix (one line)."""


def default_home() -> Path:
    """``$EVALTOP_HOME/demo`` if set, else ``~/.local/share/evaltop/demo``."""
    env = os.environ.get("EVALTOP_HOME")
    if env:
        return Path(env).expanduser() / "demo"
    return Path.home() / ".local" / "share" / "evaltop" / "demo"


@dataclass
class DemoOptions:
    home: Path = field(default_factory=default_home)
    seed: int = 7
    keep: bool = False
    history_days: float = 3.0
    history_per_hour: float = 20.0
    live_per_second: float = 4.0
    rollout_after_s: float = 4.0  # the candidate model takes its share this long after start
    canary_days: tuple[float, float] = (2.5, 0.5)  # ... after a canary from/until days ago
    prompt_change_days: float = 1.25  # support-v8 replaced support-v7 this long ago
    candidate_share: float = 0.6
    tick_seconds: float = 0.5  # how often the live writer appends


def config_dict(home: Path, *, judge_daily_usd: float | None = None,
                inference_daily_usd: float | None = None) -> dict[str, Any]:
    """The embedded demo config, TOML-shaped (what `evaltop init` users write)."""
    tasks = traffic_mod.TASK_MIX
    return {
        "store": {"path": str(home / DB_NAME), "search": True},  # Cases `/` (docs/search.md)
        "sources": [
            {"name": "demo-app", "path": str(home / "logs" / LOG_NAME), "format": "native"}
        ],
        "sampling": {
            "base_rate": 0.25,
            "seed": "evaltop-demo",
            "strata": {
                "user_corrected": {"rate": 1.0},
                "low_confidence": {"rate": 0.6, "threshold": 0.5},
                "error": {"rate": 1.0},
                # rollout traffic is tagged by the app; judge all of it
                "edge": {"rate": 1.0, "tags": ["canary", "rollout"]},
                "new_version": {"rate": 1.0, "days": 0.25},
                "long_output": {"rate": 0.5, "min_chars": 600},
            },
        },
        "judges": [
            {
                "name": "json_valid",
                "kind": "rule",
                "rule": "json_valid",
                "applies_to": {"tasks": ["extract_contact"]},
            },
            {
                "name": "contact_fields",
                "kind": "rule",
                "rule": "allowed_fields",
                "fields": list(traffic_mod.ALLOWED_FIELDS),
                "applies_to": {"tasks": ["extract_contact"]},
            },
            {"name": "latency_4s", "kind": "rule", "rule": "max_latency_ms", "max_ms": 4000},
            {
                "name": "no_refusal",
                "kind": "rule",
                "rule": "refusal",
                "applies_to": {"tasks": ["support_answer"]},
            },
            {
                "name": "ticket_label",
                "kind": "rule",
                "rule": "regex",
                "pattern": r"^(billing|bug|feature_request|account|other)$",
                "applies_to": {"tasks": ["classify_ticket"]},
            },
            {
                "name": "sql_select",
                "kind": "rule",
                "rule": "regex",
                "pattern": r"(?i)^\s*(select|with)\b",
                "applies_to": {"tasks": ["sql_generation"]},
            },
            {
                "name": "quality",
                "kind": "demo",
                "model": JUDGE_MODEL,
                "scale": [1, 5],
                "pass_threshold": 3,
                "rubric": "Is the reply correct, complete and in the requested format?",
                "applies_to": {"tasks": list(tasks)},
            },
        ],
        "budgets": {
            "judge_daily_usd": judge_daily_usd,
            "inference_daily_usd": inference_daily_usd,
            "alert_at": [0.5, 0.8, 1.0],
        },
        "schedule": {
            "poll_seconds": 1,
            "score_seconds": 2,
            "maintain_seconds": 30,
            "budget_seconds": 2,
            # the rollout's regression is significant ~20 s in: analyse often
            # enough that the Regressions screen shows it then (docs/demo.md)
            "analysis_seconds": 5,
            "lease_seconds": 15,
            "score_batch": 400,
        },
        "analysis": {"alpha": 0.05, "min_n": 5, "since": "12h", "baseline": "3d"},
        "redaction": {"enabled": True},
        "tui": {"refresh_seconds": 1.0},
    }


def build_config(home: Path, **budgets: float | None) -> Config:
    data = config_dict(home, **budgets)
    # budgets left as None mean "no cap": drop them so the model's defaults apply
    data["budgets"] = {k: v for k, v in data["budgets"].items() if v is not None}
    return config_mod.validate(data, origin="<embedded demo config>", base_dir=home)


class DemoSession:
    """One demo run: prepare (backfill), start (live traffic + engine), stop."""

    def __init__(self, opts: DemoOptions | None = None, *, echo: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.time):
        self.opts = opts or DemoOptions()
        self.echo = echo
        self.clock = clock
        self.home = Path(self.opts.home).expanduser().resolve()
        self.db_path = self.home / DB_NAME
        self.log_path = self.home / "logs" / LOG_NAME
        self.cfg = build_config(self.home)
        self.engine = None
        self.started_at: float | None = None
        self.timings: dict[str, float] = {}
        self.history_records = 0  # lines of history written by prepare() (0 with --keep)
        self._traffic: traffic_mod.DemoTraffic | None = None
        self._writer: BackgroundScheduler | None = None

    # -- set-up -------------------------------------------------------------
    def prepare(self) -> None:
        """Fresh folder (unless ``keep``), history backfilled through the real
        pipeline, budgets calibrated. Returns when the dashboard can open."""
        t0 = time.perf_counter()
        self._reset_files()
        now = self.clock()
        o = self.opts
        run_id = f"r{int(now):x}"
        self._traffic = traffic_mod.DemoTraffic(
            o.seed, start=now - o.history_days * 86400, run_id=run_id,
            rollout_at=now + o.rollout_after_s, candidate_share=o.candidate_share,
            canary_from=now - o.canary_days[0] * 86400, canary_until=now - o.canary_days[1] * 86400,
            prompt_change_at=now - o.prompt_change_days * 86400)
        fresh = not self._has_outputs()
        if fresh:
            history = self._traffic.advance(now, traffic_mod.diurnal(o.history_per_hour))
        else:  # --keep with data: continue live, no second history
            self._traffic.skip_to(now)
            history = []
        self._append(history)
        self.history_records = len(history)
        self.timings["write_history_s"] = time.perf_counter() - t0
        self._pipeline_once(now)
        self.timings["backfill_s"] = time.perf_counter() - t0
        self.cfg = self._calibrated_config(now)
        self.started_at = now
        self.timings["prepare_s"] = time.perf_counter() - t0

    def _reset_files(self) -> None:
        """Empty the demo's own files (never anything else in the folder)."""
        marker = self.home / MARKER
        if not marker.exists() and self._foreign_files():
            raise DemoError(f"{self.home}: folder is not empty and was not made by `evaltop demo` "
                            f"(no {MARKER} file); pick a new or empty folder with --dir")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("made by `evaltop demo`; its files here are replaced on each run\n")
        if self.opts.keep:
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        self.log_path.unlink(missing_ok=True)

    def _foreign_files(self) -> list[Path]:
        """Files in the folder that are not the demo's own."""
        own = {self.home / (DB_NAME + x) for x in ("", "-wal", "-shm", "-journal")}
        own |= {self.log_path.parent, self.log_path, self.home / MARKER}
        found = [*self.home.iterdir()] if self.home.is_dir() else []
        if self.log_path.parent.is_dir():
            found += list(self.log_path.parent.iterdir())
        return [p for p in found if p not in own]

    def _has_outputs(self) -> bool:
        if not self.db_path.exists():
            return False
        conn = store_db.connect(self.db_path)
        try:
            return counters.get(conn, "outputs") > 0
        finally:
            conn.close()

    def _append(self, records: list[dict]) -> None:
        if not records:
            return
        import orjson

        data = b"".join(orjson.dumps(r) + b"\n" for r in records)
        with open(self.log_path, "ab") as fh:
            fh.write(data)

    def _pipeline_once(self, now: float) -> None:
        """Tail the log to its end, sample, judge everything pending."""
        conn = store_db.connect(self.db_path)
        try:
            t = time.perf_counter()
            ingest_once(self.cfg, conn, progress=False)
            self.timings["ingest_s"] = time.perf_counter() - t
            t = time.perf_counter()
            sample_new(self.cfg, conn, now=now)
            self.timings["sample_s"] = time.perf_counter() - t
        finally:
            conn.close()
        t = time.perf_counter()
        score_pending(self.cfg, self.db_path, owner="evaltop-demo-backfill")
        self.timings["score_s"] = time.perf_counter() - t

    def _calibrated_config(self, now: float) -> Config:
        """Caps set from what the backfill spent: the judge cap so the first
        budget check warns (about 74% used) and live judging crosses 80% within
        about a minute; the inference cap so live traffic crosses 50% within
        seconds. Per-item costs are the demo's measured averages."""
        conn = store_db.connect(self.db_path)
        try:
            judge_today = float(judge_budget_state(conn, self.cfg, now)["spent_today_usd"] or 0)
            inf_today = pusd_to_usd(inference_budget(self.cfg, conn, now).spent_today_pusd) or 0.0
        finally:
            conn.close()
        per_min = self.opts.live_per_second * 60
        live_judge = per_min * JUDGED_SHARE * JUDGE_CALL_USD
        judge_cap = (judge_today + live_judge * 0.5) / 0.78
        live_inference = per_min * OUTPUT_USD
        inference_cap = max(inf_today, live_inference) / 0.45
        return build_config(self.home, judge_daily_usd=round(max(judge_cap, 0.001), 6),
                            inference_daily_usd=round(max(inference_cap, 0.001), 4))

    # -- running --------------------------------------------------------------
    def start(self, *, engine: bool = True):
        """Start the live traffic writer and (unless ``engine=False``) the
        engine. Returns the Engine (or None)."""
        if self._traffic is None:
            raise RuntimeError("call prepare() first")
        sched = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        sched.add_job(self._tick, "interval", seconds=self.opts.tick_seconds, id="demo-traffic",
                      name="demo traffic", misfire_grace_time=5)
        sched.start()
        self._writer = sched
        if engine:
            self.engine = Engine(self.cfg, self.db_path, owner=None)
            self.engine.start()
        return self.engine

    def _tick(self) -> None:
        assert self._traffic is not None
        self._append(
            self._traffic.advance(self.clock(), traffic_mod.constant(self.opts.live_per_second))
        )

    def stop_traffic(self) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def stop(self) -> None:
        """Stop writing traffic, then stop the engine (settles reservations,
        releases the lease). Safe to call twice."""
        self.stop_traffic()
        if self.engine is not None:
            self.engine.stop()
            self.engine = None

    def catch_up(self) -> None:
        """One more pass over everything written (used before a summary)."""
        if self.engine is not None:
            self.engine.run_once(["poll", "score", "budget"])
