"""Budget: 50 judge calls start together against a daily cap, again and again
with a seeded random cap, latency and reply size; a watcher reads the ledger
after every commit it can see. Reserved + settled spend never passes the cap
(``over_cap`` counts the distinct reserved+settled totals seen above it,
across all rounds, and must be 0), and what was settled equals what the loopback server billed."""

from __future__ import annotations

import random

from judge_helpers import cost, llm_judge, rows, score_watching_ledger, seed
from loopback_server import LoopbackLLM
from suite_size import size

from evaltop.core.model.money import usd_to_pusd
from evaltop.store import db as store_db


def _one_round(tmp_path, make_config, rng: random.Random, k: int) -> tuple[int, int, int, int]:
    """(peak reserved+settled seen, cap, calls the server answered, distinct
    totals over the cap among every watched state and the final settled sum)."""
    db_path = tmp_path / f"round{k}.db"
    usage = (rng.randint(50, 400), rng.randint(5, 60))
    worst = cost(usage[0], 100)  # max_output_tokens = 100 is the reserved worst case
    cap_pusd = worst * rng.randint(10, 45) + rng.randint(0, worst)
    cap_usd = str(cap_pusd / 10**12)
    conn = store_db.connect(db_path)
    try:
        with LoopbackLLM(latency_s=rng.uniform(0.02, 0.15), usage=usage) as llm:
            judge = llm_judge(llm.openai_base_url, concurrency=50)
            cfg = make_config({"store": {"path": str(db_path)}, "judges": [judge],
                               "budgets": {"judge_daily_usd": float(cap_usd)}})
            seed(conn, 80, input_text="q" * (usage[0] * 4 - 200 if usage[0] > 60 else 10))
            s, seen = score_watching_ledger(cfg, db_path)
            sent = llm.count()
        cap = usd_to_pusd(float(cap_usd))
        settled = rows(conn, "SELECT COALESCE(SUM(amount_pusd), 0) AS t FROM ledger "
                             "WHERE state = 'settled'")[0]["t"]
        assert seen, f"round {k}: the watcher saw no commit"
        over = len({total for total in [*seen, settled] if total > cap})
        assert settled == s.cost_pusd == sent * cost(*usage), f"round {k}"
        assert s.skipped_budget > 0, f"round {k}: the cap was never reached"
        assert rows(conn, "SELECT COUNT(*) AS n FROM ledger WHERE state = 'reserved'") == [{"n": 0}]
        return max(seen), cap, sent, over
    finally:
        conn.close()


def test_fifty_concurrent_calls_at_the_cap_repeated(tmp_path, make_config, figure):
    rounds = size(3, 100)
    rng = random.Random(5050)
    peak_ratio, calls, over_cap = 0.0, 0, 0
    for k in range(rounds):
        peak, cap, sent, over = _one_round(tmp_path, make_config, rng, k)
        peak_ratio, calls, over_cap = max(peak_ratio, peak / cap), calls + sent, over_cap + over
    figure("budget_cap", rounds=rounds, concurrent=50, calls=calls, over_cap=over_cap,
           peak_of_cap=f"{peak_ratio:.3f}")
    assert over_cap == 0, f"{over_cap} spend totals over the cap (peak {peak_ratio:.3f} of it)"
