"""The scheduler: overruns counted, failing jobs recorded while the others
keep running, leader/watcher handover in one process, clean stop."""

from __future__ import annotations

import threading
import time

import pytest
from wait_helpers import until

from evaltop.core.ops.engine import Engine
from evaltop.core.ops.jobs import JobSpec
from evaltop.store import leases


def _stats(engine) -> dict[str, dict]:
    return {row["job"]: row for row in engine.job_stats()}


@pytest.fixture
def cfg(make_config):
    return make_config({"schedule": {"lease_seconds": 0.6}})


class Events:
    def __init__(self):
        self.items: list[tuple[str, dict]] = []
        self.lock = threading.Lock()

    def __call__(self, kind, payload):
        with self.lock:
            self.items.append((kind, payload))

    def kinds(self, kind):
        with self.lock:
            return [p for k, p in self.items if k == kind]


def test_overruns_are_counted_and_the_job_runs_again(cfg, db_path):
    release = threading.Event()
    entered = threading.Event()

    def slow(engine):
        entered.set()
        release.wait(20)
        return {"slow": True}

    engine = Engine(cfg, db_path, jobs=[JobSpec("slow", 0.05, slow)])
    try:
        assert engine.start()
        assert entered.wait(20)
        until(lambda: _stats(engine).get("slow", {}).get("overruns", 0) >= 3, what="overruns")
        assert _stats(engine)["slow"]["runs"] == 0  # still inside its first run
        release.set()
        until(lambda: _stats(engine)["slow"]["runs"] >= 2, what="runs after the overrun")
    finally:
        release.set()
        engine.stop()


def test_a_raising_job_is_recorded_and_others_keep_running(cfg, db_path):
    calls = {"tick": 0}
    events = Events()

    def boom(engine):
        raise RuntimeError("kaboom")

    def tick(engine):
        calls["tick"] += 1
        return {"n": calls["tick"]}

    engine = Engine(cfg, db_path, on_event=events,
                    jobs=[JobSpec("boom", 0.05, boom), JobSpec("tick", 0.05, tick)])
    try:
        assert engine.start()
        until(lambda: _stats(engine).get("boom", {}).get("errors", 0) >= 3, what="boom errors")
        until(lambda: _stats(engine).get("tick", {}).get("runs", 0) >= 3, what="tick runs")
        s = _stats(engine)
        assert s["boom"]["last_error"] == "RuntimeError: kaboom"
        assert s["boom"]["failing"] and not s["tick"]["failing"]
        assert s["tick"]["errors"] == 0 and s["tick"]["interval_s"] == 0.05
        errors = events.kinds("job_error")
        assert errors[0] == {"job": "boom", "error": "RuntimeError: kaboom", "repeat": False}
        assert errors[1]["repeat"] is True
        assert any(p["job"] == "tick" for p in events.kinds("job"))
    finally:
        engine.stop()


def test_run_once_runs_each_job_in_order_and_reports_errors(cfg, db_path):
    order = []
    engine = Engine(cfg, db_path, jobs=[
        JobSpec("a", 60, lambda e: order.append("a") or {"x": 1}),
        JobSpec("b", 60, lambda e: 1 / 0),
    ])
    try:
        result = engine.run_once()
        assert order == ["a"]
        assert result == {"a": {"x": 1}, "b": {"error": "ZeroDivisionError: division by zero",
                                                 "config_error": False}}
        assert {r["job"]: (r["runs"], r["errors"]) for r in engine.job_stats()} == {
            "a": (1, 0),
            "b": (1, 1),
        }
        with pytest.raises(ValueError, match="unknown job"):
            engine.run_once(["nope"])
    finally:
        engine.stop()


def test_watcher_takes_over_when_the_leader_stops(make_config, db_path):
    # a long lease: with 0.6 s a leader stalled half a second on a loaded CI box
    # lost it to the watcher; here the takeover must come from a.stop()'s release
    cfg = make_config({"schedule": {"lease_seconds": 6}})
    ran = {"A": 0, "B": 0}
    ev_b = Events()

    def job(name):
        def f(engine):
            ran[name] += 1
        return f

    a = Engine(cfg, db_path, owner="h:1:a", jobs=[JobSpec("work", 0.05, job("A"))])
    b = Engine(cfg, db_path, owner="h:2:b", on_event=ev_b, jobs=[JobSpec("work", 0.05, job("B"))])
    try:
        assert a.start() is True
        assert b.start() is False and not b.is_leader()
        assert ev_b.kinds("watcher")[0]["holder"] == "h:1:a"
        until(lambda: ran["A"] >= 3, what="leader runs")
        assert ran["B"] == 0  # a watcher runs nothing
        a.stop()
        assert not a.is_leader()
        until(b.is_leader, what="takeover")
        assert ev_b.kinds("leader")[0] == {"owner": "h:2:b", "took_over_from": None}
        until(lambda: ran["B"] >= 2, what="new leader runs")
        assert leases.get(b.connection(), "jobs").owner == "h:2:b"
    finally:
        a.stop()
        b.stop()


def test_a_leader_that_loses_its_lease_stops_running_jobs(cfg, db_path, conn):
    ran = []
    events = Events()
    engine = Engine(cfg, db_path, owner="h:1:a", on_event=events,
                    jobs=[JobSpec("work", 0.05, lambda e: ran.append(1))])
    try:
        assert engine.start()
        until(lambda: len(ran) >= 2, what="runs")
        # Another process took the lease (as if ours had expired while we stalled).
        conn.execute("UPDATE leases SET owner = 'h:9:z', expires_at = expires_at + 3600")
        until(lambda: events.kinds("lease_lost"), what="lease_lost")
        assert events.kinds("lease_lost")[0]["holder"] == "h:9:z"
        assert not engine.is_leader()
        count = len(ran)
        until(lambda: _stats(engine)["work"]["last_finished"] is not None, what="stats")
        assert len(ran) <= count + 1  # at most the run already in flight
    finally:
        engine.stop()
    assert leases.get(conn, "jobs").owner == "h:9:z"  # stop never releases someone else's lease


def test_stop_waits_for_in_flight_work_then_releases(cfg, db_path, conn):
    release = threading.Event()
    entered = threading.Event()
    finished = []

    def slow(engine):
        entered.set()
        release.wait(20)
        finished.append(True)

    engine = Engine(cfg, db_path, owner="h:1:a", jobs=[JobSpec("slow", 60, slow)])
    assert engine.start()
    assert entered.wait(20)
    engine.stop(timeout=0.1)  # the run is still going: the lease is left to expire
    assert leases.get(conn, "jobs").owner == "h:1:a"
    assert not engine.is_leader()
    release.set()
    engine.stop(timeout=20)  # again: waits for the run, then settles and releases
    assert finished == [True]
    assert leases.get(conn, "jobs") is None
    engine.stop()  # a second clean stop is a no-op


def test_default_jobs_follow_the_config(make_config):
    from evaltop.core.ops.jobs import default_jobs

    cfg = make_config({"schedule": {"poll_seconds": 2, "budget_seconds": 7}})
    assert [(j.name, j.interval) for j in default_jobs(cfg)] == [
        ("poll", 2), ("score", 30), ("maintain", 60), ("budget", 7), ("analyse", 60)]
    shadow = make_config(
        {
            "models": {
                "cand": {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m"}
            },
            "shadow": {"enabled": True, "candidate": "cand"},
        }
    )
    assert [j.name for j in default_jobs(shadow)][-1] == "shadow"


def test_budget_and_maintain_jobs_raise_alerts_and_post_them(make_config, db_path, conn):
    from webhook_server import WebhookReceiver

    from evaltop.store.db import write

    now = time.time()
    # $3 today, not in the rollup: an edge-hour read
    with write(conn):
        conn.execute(
            "INSERT INTO outputs (id, ts, model, cost_pusd, ingested_at) "
            "VALUES ('o1', ?, 'm', ?, ?)",
            (now - 1, 3 * 10**12, now),
        )
    events = Events()
    with WebhookReceiver() as hook:
        cfg = make_config({"budgets": {"inference_daily_usd": 2.0, "webhook_url": hook.url}})
        engine = Engine(cfg, db_path, on_event=events)
        try:
            result = engine.run_once(["budget", "maintain"])
        finally:
            engine.stop()
    assert result["budget"] == {"new_alerts": 1, "sent": 1, "failed": 0, "error": None}
    assert set(result["maintain"]) == {"wal_frames", "checkpointed", "busy"}
    [alert] = events.kinds("alert")
    assert alert["level"] == "critical" and alert["dedupe_key"].startswith(
        "budget:inference_daily:1:"
    )
    assert hook.texts() == [f"evaltop critical: {alert['message']}"]


def test_taking_over_an_expired_lease_settles_the_dead_leaders_reservations(
    make_config, db_path, conn
):
    from evaltop.core.scoring import budget

    cfg = make_config({"budgets": {"judge_daily_usd": 10.0}, "schedule": {"lease_seconds": 0.6}})
    now = time.time()
    dead = "h:99:dead"
    sent = budget.try_reserve(
        conn,
        amount_pusd=5 * 10**9,
        ref="o1|q",
        owner=dead,
        cfg=cfg,
        now=now - 5,
        sent=True,
        meta={"judge": "q", "model": "m", "output_id": "o1"},
    )
    unsent = budget.try_reserve(
        conn, amount_pusd=7 * 10**9, ref="o2|q", owner=dead, cfg=cfg, now=now - 5
    )
    assert sent.reservation and unsent.reservation
    leases.acquire(conn, "jobs", dead, ttl=1, now=now - 5)  # expired 4 s ago
    events = Events()
    engine = Engine(cfg, db_path, owner="h:1:new", on_event=events, jobs=[])
    try:
        assert engine.start()
        assert events.kinds("leader")[0]["took_over_from"] == dead
    finally:
        engine.stop()
    states = dict(conn.execute("SELECT ref, state FROM ledger WHERE owner = ?", (dead,)).fetchall())
    assert states == {"o1|q": "settled", "o2|q": "released"}
    lost = conn.execute(
        "SELECT status, cost_known, cost_pusd, unconfirmed_pusd FROM judge_calls").fetchall()
    assert [tuple(r) for r in lost] == [("lost", 0, 0, 5 * 10**9)]
