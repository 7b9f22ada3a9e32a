"""Seed a dashboard database directly in the schema: fixed timestamps and a
seeded RNG so snapshots are reproducible. Used by the TUI and dashboard tests.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from types import SimpleNamespace

from evaltop.store import db as store_db

SETTLE_TIMEOUT = 60.0  # seconds: generous, CI runs this beside crash loops


def record_notifications(app) -> list[SimpleNamespace]:
    """Keep every ``notify()`` (message, title, severity): textual drops a toast
    from ``app._notifications`` once its timeout has passed, which a loaded
    CI box can reach before the test looks. The toasts still show."""
    sent: list[SimpleNamespace] = []
    shown = app.notify

    def notify(message, *, title="", severity="information", timeout=None, markup=True):
        sent.append(SimpleNamespace(message=message, title=title, severity=severity))
        shown(message, title=title, severity=severity, timeout=timeout, markup=markup)

    app.notify = notify
    return sent


def _tables_pending(screen) -> bool:
    """A DataTable sizes its columns and rows on idle: until then a screenshot
    shows stale widths (textual's private flags; no public way to ask)."""
    from textual.widgets import DataTable

    return any(t._require_update_dimensions or t._new_rows or t._updated_cells
               for t in screen.query(DataTable))


async def settle(pilot, timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until the app is idle and the current screen shows its newest load.

    Workers, then the message that carries their result, then the screen's own
    record of what it has shown, then the tables' idle-time sizing: a fixed
    number of pauses is not enough on a loaded machine (CI once caught the
    Cases screen in a state no idle machine shows).
    """
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = pilot.app.screen
        if getattr(screen, "settled", True) and not _tables_pending(screen):
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{type(screen).__name__} did not show its data within {timeout:g} s"
            )
        await pilot.pause(0.02)


NOW = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC: the frozen "now" of every TUI test
HOUR = 3600.0
MODELS = [("gpt-4o-mini", "openai"), ("claude-3-5-haiku", "anthropic"), ("llama-3.1-8b", "local")]
TASKS = ["summarize", "sql", "support"]

OUTPUT_COLS = (
    "id", "ts", "source", "format", "model", "provider", "task", "prompt_version", "variant",
    "input_text", "input_json", "input_hash", "output_text", "input_tokens", "output_tokens",
    "usage_estimated", "cost_pusd", "latency_ms", "error", "tags_json", "metadata_json",
    "ingested_at",
)


def output_row(i: int, ts: float, *, model="gpt-4o-mini", provider="openai", task="sql",
               prompt_version="v1", variant="", user="List the users", output="SELECT 1",
               cost_pusd: int | None = 1_500_000_000, error=None, estimated=0,
               metadata: dict | None = None) -> tuple:
    messages = [{"role": "system", "content": "You write SQL."}, {"role": "user", "content": user}]
    return (
        f"out-{i:06d}", ts, "app", "native", model, provider, task, prompt_version, variant,
        f"system: You write SQL.\nuser: {user}", json.dumps(messages), f"h{i % 50}", output,
        120, 40, estimated, cost_pusd, 350.0 + i % 200, error, json.dumps(["prod"]),
        json.dumps(metadata or {"customer": f"c{i % 7}"}), ts,
    )


def insert_outputs(conn, rows: list[tuple]) -> None:
    marks = ",".join("?" * len(OUTPUT_COLS))
    with store_db.write(conn):
        conn.executemany(f"INSERT INTO outputs ({','.join(OUTPUT_COLS)}) VALUES ({marks})", rows)


def insert_score(conn, output_id: str, ts: float, judge: str, passed: int | None, *,
                 kind="rule", score=None, reason="", status="ok") -> None:
    conn.execute(
        """INSERT INTO scores (output_id, judge, kind, status, score, passed, reason, output_ts,
           created_at) VALUES (?,?,?,?,?,?,?,?,?)""",
        (output_id, judge, kind, status, score if score is not None else passed, passed, reason,
         ts, ts + 60),
    )


def rebuild_rollup(conn) -> None:
    """What ingest maintains incrementally, rebuilt in one statement."""
    with store_db.write(conn):
        conn.execute("DELETE FROM rollup_hourly")
        conn.execute(
            "INSERT INTO rollup_hourly (hour, model, task, prompt_version, variant, outputs, "
            "errors,\n                 "
            "input_tokens, output_tokens, estimated_outputs, unpriced_outputs, cost_pusd,\n"
            "                 latency_ms_sum)\n"
            "               SELECT CAST(ts / 3600 AS INTEGER), model, task, prompt_version, "
            "variant, count(*),\n                 "
            "sum(error IS NOT NULL), sum(input_tokens), sum(output_tokens), sum(usage_estimated),\n"
            "                 sum(cost_pusd IS NULL), coalesce(sum(cost_pusd), 0), "
            "coalesce(sum(latency_ms), 0)\n"
            "               FROM outputs GROUP BY 1, 2, 3, 4, 5"
        )


def seed(
    db_path: Path, *, n: int = 900, now: float = NOW, days: float = 8, rng_seed: int = 7
) -> Path:
    """A small realistic DB: three models, three tasks, a regression of claude on sql
    in the last day, judge calls with cost, feedback, labels, alerts."""
    rng = random.Random(rng_seed)
    conn = store_db.connect(db_path)
    rows, verdicts, calls = [], [], []
    for i in range(n):
        half = n // 2  # first half spread over the older days, second half in the last 24 h
        ts = (now - 86400 - (half - i) * ((days - 1) * 86400 / half) if i < half
              else now - (n - i) * (86400 / (n - half)))
        model, provider = MODELS[i % 3]
        task = TASKS[(i // 3) % 3]
        recent = ts > now - 86400
        pv = "v2" if recent and i % 2 else "v1"
        user = f"Question {i}: how many orders did customer c{i % 7} place last week?"
        out = (
            f'{{"sql": "SELECT count(*) FROM orders WHERE customer = \'c{i % 7}\'"}}'
            if task == "sql"
            else f"Summary {i}: the customer asked about order status.\nSecond line."
        )
        cost = None if model == "llama-3.1-8b" else 1_000_000_000 + i * 1_000_000
        rows.append(output_row(i, ts, model=model, provider=provider, task=task, prompt_version=pv,
                               user=user, output=out, cost_pusd=cost, estimated=int(cost is None),
                               error="timeout" if i % 97 == 0 else None))
        if i % 2 == 0:
            p_fail = 0.6 if (recent and model == "claude-3-5-haiku" and task == "sql") else 0.12
            ok = int(rng.random() >= p_fail)
            verdicts.append((f"out-{i:06d}", ts, "json_valid", ok, "rule", None,
                             "" if ok else "output is not valid JSON: Expecting value at 1:1"))
            llm_score = rng.choice([2, 3, 4, 5]) if ok else rng.choice([1, 2])
            verdicts.append(
                (
                    f"out-{i:06d}",
                    ts,
                    "helpfulness",
                    int(llm_score >= 3),
                    "llm",
                    llm_score,
                    f"The answer {'addresses' if llm_score >= 3 else 'misses'} the question.",
                )
            )
            calls.append(("helpfulness", "judge-mini", f"out-{i:06d}", "ok", 300, 40,
                          200_000_000 + (i % 5) * 10_000_000, ts + 60))
    insert_outputs(conn, rows)
    with store_db.write(conn):
        for v in verdicts:
            insert_score(conn, v[0], v[1], v[2], v[3], kind=v[4], score=v[5], reason=v[6])
        conn.executemany(
            "INSERT INTO judge_calls (judge, model, output_id, status, input_tokens, "
            "output_tokens,\n               cost_pusd, ts) VALUES (?,?,?,?,?,?,?,?)",
            calls,
        )
        conn.executemany(
            "INSERT INTO ledger (kind, ref, state, amount_pusd, day, month, created_at, "
            "settled_at)\n               VALUES ('judge', ?, 'settled', ?, "
            "strftime('%Y-%m-%d', ?, 'unixepoch'),\n                       "
            "strftime('%Y-%m', ?, 'unixepoch'), ?, ?)",
            [(c[2], c[6], c[7], c[7], c[7], c[7]) for c in calls],
        )
        conn.executemany(
            """INSERT INTO samples (output_id, strata, probability, status, sampled_at, output_ts)
               VALUES (?, 'base', 0.5, 'done', ?, ?)""",
            [(f"out-{i:06d}", rows[i][1] + 30, rows[i][1]) for i in range(0, n, 2)])
        conn.executemany(
            "INSERT INTO labels (output_id, label, reviewer, ts) VALUES (?,?,?,?)",
            [
                (f"out-{i:06d}", "pass" if i % 3 else "fail", "ana", now - 100)
                for i in range(0, n // 2, 10)
            ],
        )
        conn.executemany(
            """INSERT INTO feedback (id, output_id, ts, name, value_num, source, ingested_at)
               VALUES (?,?,?,?,?,?,?)""",
            [(f"fb-{i}", f"out-{i:06d}", rows[i][1] + 5, "user_corrected", 1, "app", rows[i][1] + 5)
             for i in range(0, n, 25)])
        conn.executemany(
            "INSERT INTO alerts (kind, level, message, dedupe_key, ts) VALUES (?,?,?,?,?)",
            [
                (
                    "budget",
                    "warning",
                    "judge daily spend at 80% of $5.00",
                    "budget:judge:0.8:day",
                    now - 3000,
                ),
                (
                    "budget",
                    "critical",
                    "inference monthly spend over budget ($120.00)",
                    "budget:inference:1.0:month",
                    now - 600,
                ),
            ],
        )
    rebuild_rollup(conn)
    conn.close()
    return db_path


def seed_config(make_config, **over):
    """The config the seeded DB is meant for (budgets set so bars show)."""
    data = {
        "budgets": {"judge_daily_usd": 5.0, "judge_monthly_usd": 100.0,
                    "inference_daily_usd": 20.0, "inference_monthly_usd": 120.0},
        "judges": [
            {"name": "json_valid", "kind": "rule", "rule": "json_valid"},
            {"name": "helpfulness", "kind": "demo"},
        ],
        "tui": {"bell": False},
        "analysis": {"min_n": 10},
    }
    data.update(over)
    return make_config(data)
