"""Randomised tailer model test (Vector-style): seeded random sequences of
write / partial write / rotate / truncate / delete / restart / poll on real
files, against the real tailer and ingest, checked after every poll against
the LogFarm model: never more than was written (a half line is never stored),
never a complete line skipped, never a line stored twice; and never a line read
twice (the ``duplicates`` counter counts lines skipped as already stored).
Each of those is counted over the run, published, then asserted to be 0."""

from __future__ import annotations

import random

from ingest_helpers import counter
from log_farm import GLOB, ROTATIONS, LogFarm
from suite_size import size

from evaltop.core.ingest.pipeline import Ingestor

STEPS = ("write", "write", "partial", "rotate", "poll", "poll", "restart", "retire")


class Faults:
    """What went wrong over a sequence, by kind; ``first`` says where and what."""

    def __init__(self) -> None:
        self.over_read: set[str] = set()  # stored but never completely written
        self.skipped: set[str] = set()  # complete lines not stored
        self.stored_twice = 0
        self.read_twice = 0
        self.first = ""

    def check(self, ing: Ingestor, farm: LogFarm, where: str) -> set[str]:
        rows = [r[0] for r in ing.conn.execute("SELECT id FROM outputs")]
        stored = set(rows)
        extra, missing = stored - farm.written, farm.required() - stored
        twice, dup = len(rows) - len(stored), counter(ing.conn, "duplicates")
        self.over_read |= extra
        self.skipped |= missing
        self.stored_twice = max(self.stored_twice, twice)
        self.read_twice = max(self.read_twice, dup)
        if not self.first and (extra or missing or twice or dup):
            self.first = (f"{where}: over-read {sorted(extra)[:5]}, skipped {sorted(missing)[:5]}, "
                          f"stored twice {twice}, read twice {dup}")
        return stored

    def counts(self) -> dict:
        return {"over_read": len(self.over_read), "skipped": len(self.skipped),
                "stored_twice": self.stored_twice, "read_twice": self.read_twice}


def run_sequence(tmp_path, make_config, seed: int, steps: int) -> tuple[dict, str]:
    """(counts of this sequence, where its first fault was seen or "")."""
    rng = random.Random(seed)
    faults = Faults()
    folder = tmp_path / f"seq{seed}"
    farm = LogFarm(folder, rng)
    cfg = make_config(
        {
            "store": {"path": str(folder / "evaltop.db")},
            "sources": [{"name": "app", "path": str(folder / GLOB), "format": "native"}],
        }
    )
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
                stored = faults.check(ing, farm, where)
        ing.poll()
        stored = faults.check(ing, farm, f"seed {seed} final")
    finally:
        ing.close()
    counts["lines"] = len(farm.written)
    counts["lost_by_design"] = len(farm.destroyed - stored)
    return {**counts, **faults.counts()}, faults.first


def test_random_sequences_match_the_model(tmp_path, make_config, figure):
    sequences, steps = size(12, 200), size(30, 40)
    total = {"sequences": sequences, "steps": sequences * steps, "polls": 0, "restarts": 0,
             "rotations": 0, "lines": 0, "lost_by_design": 0,
             "over_read": 0, "skipped": 0, "stored_twice": 0, "read_twice": 0}
    first: list[str] = []
    for seed in range(sequences):
        counts, where = run_sequence(tmp_path, make_config, seed, steps)
        for k, v in counts.items():
            total[k] += v
        first += [where] if where else []
    figure("tailer_model", **total)
    assert total["rotations"] > 0 and total["polls"] > sequences
    assert not first, first[:3]
    faults = {k: total[k] for k in ("over_read", "skipped", "stored_twice", "read_twice")}
    assert not any(faults.values()), faults
