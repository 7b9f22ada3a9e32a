"""Randomised tailer model test (Vector-style): seeded random sequences of
write / partial write / rotate / truncate / delete / restart / poll on real
files, against the real tailer and ingest, checked after every poll against
the LogFarm model: never more than was written (a half line is never stored),
never a complete line skipped, never a line stored twice; and never a line read
twice (the ``duplicates`` counter counts lines skipped as already stored)."""

from __future__ import annotations

import random

from ingest_helpers import counter
from log_farm import GLOB, ROTATIONS, LogFarm
from suite_size import size

from evaltop.core.ingest.pipeline import Ingestor

STEPS = ("write", "write", "partial", "rotate", "poll", "poll", "restart", "retire")


def _check(ing: Ingestor, farm: LogFarm, where: str) -> set[str]:
    rows = [r[0] for r in ing.conn.execute("SELECT id FROM outputs")]
    stored = set(rows)
    assert len(rows) == len(stored), where
    extra = stored - farm.written
    assert not extra, f"{where}: stored lines never completely written: {sorted(extra)[:5]}"
    missing = farm.required() - stored
    assert not missing, f"{where}: complete lines skipped: {sorted(missing)[:5]}"
    assert counter(ing.conn, "duplicates") == 0, f"{where}: a line was read twice"
    return stored


def run_sequence(tmp_path, make_config, seed: int, steps: int) -> dict:
    rng = random.Random(seed)
    folder = tmp_path / f"seq{seed}"
    farm = LogFarm(folder, rng)
    cfg = make_config({"store": {"path": str(folder / "evaltop.db")},
                       "sources": [{"name": "app", "path": str(folder / GLOB), "format": "native"}]})
    ing = Ingestor(cfg, cfg.db_path)
    counts = {"polls": 0, "restarts": 0, "rotations": 0}
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
    finally:
        ing.close()
    counts["lines"] = len(farm.written)
    counts["lost_by_design"] = len(farm.destroyed - stored)
    return counts


def test_random_sequences_match_the_model(tmp_path, make_config, figure):
    sequences, steps = size(12, 200), size(30, 40)
    total = {"sequences": sequences, "steps": sequences * steps, "polls": 0, "restarts": 0,
             "rotations": 0, "lines": 0, "lost_by_design": 0}
    for seed in range(sequences):
        for k, v in run_sequence(tmp_path, make_config, seed, steps).items():
            total[k] += v
    assert total["rotations"] > 0 and total["polls"] > sequences
    figure("tailer_model", **total, over_read=0, skipped=0, stored_twice=0, read_twice=0)
