"""Frozen schema steps run the same SQL the live step code ran (kept until that code goes)."""
import re
import sqlite3

from evaltop.store.schema import runner, steps


def norm(sql):
    return re.sub(r"\s*;\s*", ";", re.sub(r"\s+", " ", sql)).strip()

def master(conn):
    return sorted((t, n, tb, norm(s or "")) for t, n, tb, s in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"))

def data(conn):
    out = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        out[name] = sorted(map(repr, conn.execute(f"SELECT * FROM {name}").fetchall()))
    return out

def seed(conn):
    conn.execute("INSERT INTO outputs (id, ts, model, task, ingested_at) VALUES ('a', 7200.5, 'm', 't', 0)")
    conn.execute("INSERT INTO samples (output_id, probability, sampled_at, output_ts) VALUES ('a', 0.25, 0, 7200.5)")
    conn.execute("INSERT INTO scores (output_id, judge, kind, status, score, passed, output_ts, created_at) VALUES ('a','j','rule','ok',0.5,1,7200.5,0)")
    conn.execute("INSERT INTO judge_calls (judge, model, output_id, status, cost_pusd, ts) VALUES ('j','m','a','ok',5,86400.5)")
    conn.execute("INSERT INTO ledger (kind, state, amount_pusd, day, month, created_at) VALUES ('judge','settled',5,'d','m',0)")
    conn.execute("INSERT INTO rollup_hourly (hour, model, task, prompt_version, variant, outputs, cost_pusd) VALUES (2,'m','t','','',1,3)")

def test_frozen_equals_old():
    for i in range(1, len(steps.STEPS)):
        a = sqlite3.connect(":memory:", isolation_level=None)
        b = sqlite3.connect(":memory:", isolation_level=None)
        for c in (a, b):
            for st in runner._split_sql(steps.STEPS[0]):
                c.execute(st)
            seed(c)
            for j in range(1, i):
                steps.MIGRATIONS[j](c)
        steps.MIGRATIONS[i](a)
        for st in runner._split_sql(steps.STEPS[i]):
            b.execute(st)
        assert master(a) == master(b), i
        assert data(a) == data(b), i
        # triggers behave the same after the step
        for c in (a, b):
            seed2 = ["INSERT INTO outputs (id, ts, model, task, ingested_at) VALUES ('b', 90000, 'm', 't', 0)",
                     "INSERT INTO samples (output_id, probability, sampled_at, output_ts) VALUES ('b', 0.5, 0, 90000)",
                     "INSERT INTO scores (output_id, judge, kind, status, score, passed, output_ts, created_at) VALUES ('b','j','rule','ok',0.7,0,90000,0)",
                     "UPDATE samples SET probability = 0.1 WHERE output_id = 'a'",
                     "UPDATE scores SET passed = 0 WHERE output_id = 'a'",
                     "INSERT INTO judge_calls (judge, model, output_id, status, cost_pusd, ts) VALUES ('j','m','b','error',7,3)",
                     "UPDATE judge_calls SET cost_pusd = 9",
                     "DELETE FROM scores WHERE output_id = 'b'",
                     "INSERT INTO ledger (kind, state, amount_pusd, day, month, created_at) VALUES ('judge','reserved',8,'d','m',0)",
                     "UPDATE ledger SET state = 'settled'",
                     "INSERT INTO rollup_hourly (hour, model, task, prompt_version, variant, outputs, cost_pusd) VALUES (30,'m','t','','',1,3)",
                     "UPDATE rollup_hourly SET cost_pusd = 4 WHERE hour = 2",
                     ]
            for st in seed2:
                c.execute(st)
        assert data(a) == data(b), i


