"""Randomised tailer model test (Vector-style): seeded random sequences of
write / partial write / rotate / truncate / delete / restart / poll on real
files, against the real tailer and ingest, checked after every poll against
the LogFarm model: never more than was written (a half line is never stored),
never a complete line skipped, never a line stored twice; and never a line read
twice (the ``duplicates`` counter counts lines skipped as already stored)."""

from __future__ import annotations

import random

import pytest
from ingest_helpers import counter
from log_farm import GLOB, ROTATIONS, LogFarm
from suite_size import size

from evaltop.core.ingest import Ingestor

STEPS = ("write", "write", "partial", "rotate", "poll", "poll", "restart", "retire")


def _check(ing: Ingestor, farm: LogFarm, where: str) -> set[str]:
    rows = [r[0] for r in ing.conn.execute("SELECT id FROM outputs")]
    stored = set(rows)
    assert len(rows) == len(stored), where
    extra = stored - farm.written
    assert not extra, f"{where}: stored lines never completely written: {sorted(extra)[:5]}"
    missing = farm.required() - stored
    assert not missing, f"{where}: complete lines skipped: {sorted(missing)[:5]}"
    return stored


def run_sequence(tmp_path, make_config, seed: int, steps: int) -> dict:
    rng = random.Random(seed)
    folder = tmp_path / f"seq{seed}"
    farm = LogFarm(folder, rng)
    cfg = make_config({"store": {"path": str(folder / "evaltop.db")},
                       "sources": [{"name": "app", "path": str(folder / GLOB), "format": "native"}]})
    ing = Ingestor(cfg, cfg.db_path)
    counts = {"polls": 0, "restarts": 0, "rotations": 0, "reread": 0}
    stored: set[str] = set()
    trail: list[str] = []
    try:
        for n in range(steps):
            step = rng.choice(STEPS)
            if step == "rotate":
                step = rng.choice(ROTATIONS)
            trail.append(step)
            where = f"seed {seed} step {n} ({' '.join(trail[-6:])})"
            if step == "write":
                farm.append(rng.randint(1, 30))
            elif step == "partial":
                farm.append(rng.randint(1, 5), partial_last=True)
            elif step in ROTATIONS:
                farm.rotate(step)
                counts["rotations"] += 1
            elif step == "restart":
                ing.close()
                ing = Ingestor(cfg, cfg.db_path)
                counts["restarts"] += 1
            elif step == "retire":
                farm.retire(stored)
            if step in ("poll", "restart") or n == steps - 1:
                ing.poll()
                counts["polls"] += 1
                stored = _check(ing, farm, where)
        ing.poll()
        stored = _check(ing, farm, f"seed {seed} final")
        counts["reread"] = counter(ing.conn, "duplicates")
        if counts["reread"]:
            REREAD_AT.append(f"seed {seed}: {' '.join(trail)}")
    finally:
        ing.close()
    counts["lines"] = len(farm.written)
    counts["lost_by_design"] = len(farm.destroyed - stored)
    return counts


REREAD_AT: list[str] = []


@pytest.fixture(scope="module")
def model_run(tmp_path_factory) -> dict:
    """All sequences, run once for the tests below (stored-rows checks run inside)."""
    from evaltop.core import config as config_mod

    tmp = tmp_path_factory.mktemp("tailer-model")

    def make_config(data):
        return config_mod.validate(data, origin=str(tmp / "evaltop.toml"), base_dir=tmp)

    sequences, steps = size(12, 200), size(30, 40)
    total = {"sequences": sequences, "steps": sequences * steps, "polls": 0, "restarts": 0,
             "rotations": 0, "reread": 0, "lines": 0, "lost_by_design": 0}
    for seed in range(sequences):
        for k, v in run_sequence(tmp, make_config, seed, steps).items():
            total[k] += v
    return total


def test_random_sequences_store_every_line_once_and_never_more(model_run, figure):
    assert model_run["rotations"] > 0 and model_run["polls"] > model_run["sequences"]
    figure("tailer_model", **model_run, over_read=0, skipped=0, stored_twice=0)


@pytest.mark.xfail(strict=True, reason=(
    "known tailer bug (core/sources/jsonl_tail.py Tailer.plan): after copytruncate under a "
    "RUNNING Ingestor, the truncated original is planned first as a new file and drops the old "
    "checkpoint as stale before the copy claims it (rule 2); the copy's batch then conflicts and "
    "the next poll re-reads the copy from 0. Rows stay exact (ids dedupe) but every line of the "
    "copy is read twice and counted in `duplicates`."))
def test_random_sequences_never_read_a_line_twice(model_run):
    assert model_run["reread"] == 0, REREAD_AT[:3]
