"""Judge faults: 30% of judge calls fail in one of nine ways (429 with
Retry-After, 500, 529, read timeout, trickle, garbage body, non-JSON verdict,
schema violation, quota exhausted), drawn by a seeded RNG on the loopback
server. Scoring runs until nothing is pending. Every sampled output must end
scored with exactly the score the deterministic good reply carries, or errored
with a reason; and every call the server billed must be in judge_calls with
its exact cost (or, when the reply never reached evaltop, as an unknown-cost
row)."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict

from judge_helpers import cost, llm_judge, rows, seed
from loopback_server import LoopbackLLM, request_text
from suite_size import size

from evaltop.core.scoring.judges.runner import score_pending

FAULTS = ("429", "500", "529", "timeout", "trickle", "garbage", "not_json", "schema", "quota")
USAGE = (120, 30)
_OID = re.compile(r"OID=(\w+)")


class FaultyLLM(LoopbackLLM):
    """The loopback judge with a seeded 30% fault mix and a billing log."""

    def __init__(self, seed_: int, rate: float = 0.3) -> None:
        super().__init__(mode="good", usage=USAGE)
        self.rng, self.rate = random.Random(seed_), rate
        self.faults = 0
        self.served: Counter[str] = Counter()
        # oid -> [(seen|lost, pusd)]
        self.billed: dict[str, list[tuple[str, int]]] = defaultdict(list)

    def _decide(self, path: str, body: dict):
        oid = _OID.search(request_text(body)).group(1)
        with self._lock:
            fault = "good"
            if self.rng.random() < self.rate:  # which calls fail is random; the kinds take turns
                fault, self.faults = FAULTS[self.faults % len(FAULTS)], self.faults + 1
            self.served[fault] += 1
        status, hdrs, reply, _ = super()._decide(path, body)
        if fault == "429":
            return 429, {"Retry-After": "0"}, {"error": {"message": "slow down", "code": None}}, 0.0
        if fault in ("500", "529"):
            return (
                int(fault),
                {},
                {"error": {"message": "upstream trouble", "type": "api_error"}},
                0.0,
            )
        if fault == "quota":
            return 429, {}, {"error": {"message": "quota", "type": "insufficient_quota",
                                       "code": "insufficient_quota"}}, 0.0
        if fault == "garbage":
            self._bill(oid, "lost")
            return 200, {}, b"\x00<html>Bad Gateway", 0.0
        if fault in ("not_json", "schema"):
            text = "four out of five" if fault == "not_json" else '{"score": 42, "reason": "x"}'
            reply["choices"][0]["message"]["content"] = text
            self._bill(oid, "seen")
            return status, hdrs, reply, 0.0
        if fault == "timeout":
            self._bill(oid, "lost")
            self._closing.wait(30)  # far past the judge's timeout_s: the client has hung up
            return status, hdrs, reply, 0.0
        if fault == "trickle":
            self._bill(oid, "lost")
            return status, hdrs, reply, 0.05  # a byte every 50 ms: only deadline_s stops it
        self._bill(oid, "seen")
        return status, hdrs, reply, 0.0

    def _bill(self, oid: str, how: str) -> None:
        with self._lock:
            self.billed[oid].append((how, cost(*USAGE)))


def test_fault_mix_never_gives_a_false_score_and_every_billed_call_is_recorded(
        make_config, conn, db_path, figure):
    n = size(40, 600)
    planted = {f"o{i}": 1 + i % 5 for i in range(n)}
    outputs = [f"OID=o{i} PLANT_SCORE={planted[f'o{i}']} the answer" for i in range(n)]
    with FaultyLLM(seed_=6) as llm:
        # timeouts long enough that no good reply misses them on a loaded CI
        # box (that would be an unknown-cost row the server did not lose)
        judge = llm_judge(llm.openai_base_url, concurrency=16, timeout_s=2, deadline_s=5,
                          max_retries=4, json_schema_mode=False)
        cfg = make_config({"judges": [judge], "budgets": {"judge_daily_usd": 1000.0}})
        seed(conn, n, output=outputs)
        runs = 0
        while rows(conn, "SELECT COUNT(*) AS n FROM samples WHERE status = 'pending'")[0]["n"]:
            runs += 1
            assert runs <= 8, "samples still pending after 8 scoring runs"
            score_pending(cfg, db_path)
        served, billed = dict(llm.served), {k: list(v) for k, v in llm.billed.items()}
    scores = {r["output_id"]: r for r in rows(conn, "SELECT * FROM scores")}
    assert set(scores) == set(planted), "a sampled output ended neither scored nor errored"
    false = [o for o, r in scores.items() if r["status"] == "ok" and r["score"] != planted[o]]
    errored = [r for r in scores.values() if r["status"] != "ok"]
    with_reason = sum(1 for r in errored
                      if r["error"] and r["score"] is None and r["passed"] is None)
    # spend: exact where every reply reached evaltop; bounded by the reservation otherwise
    calls = defaultdict(lambda: {"known": 0, "unknown": 0, "unknown_rows": 0})
    for c in rows(conn, "SELECT output_id, cost_pusd, cost_known FROM judge_calls"):
        k = calls[c["output_id"]]
        if c["cost_known"]:
            k["known"] += c["cost_pusd"]
        else:
            k["unknown"] += c["cost_pusd"]
            k["unknown_rows"] += 1
    unrecorded: list[str] = []  # outputs whose billed calls the judge_calls rows do not account for
    for oid, bills in billed.items():
        seen = sum(p for how, p in bills if how == "seen")
        lost = sum(1 for how, _ in bills if how == "lost")
        k = calls[oid]
        if k["unknown_rows"] != lost:
            unrecorded.append(
                f"{oid}: {lost} replies lost in flight, {k['unknown_rows']} unknown rows")
        elif lost and not k["known"] <= seen <= k["known"] + k["unknown"]:
            unrecorded.append(
                f"{oid}: billed {seen} pusd, recorded {k['known']} + up to {k['unknown']}")
        elif not lost and k["known"] != seen:
            unrecorded.append(f"{oid}: billed {seen} pusd, recorded {k['known']}")
    faults = sum(v for f, v in served.items() if f != "good")
    figure("judge_faults", outputs=n, requests=sum(served.values()), faults=faults,
           fault_rate=f"{faults / sum(served.values()):.2f}", scored=len(scores) - len(errored),
           errored_with_reason=with_reason, false_scores=len(false),
           unrecorded_billed_calls=len(unrecorded), scoring_runs=runs)
    assert not false, f"false scores: {false[:5]}"
    assert with_reason == len(errored), "an errored score has no error text (or has a score)"
    assert not unrecorded, unrecorded[:5]
    assert rows(conn, "SELECT COUNT(*) AS n FROM ledger WHERE state = 'reserved'") == [{"n": 0}]
    assert all(served.get(f) for f in FAULTS), f"not every fault kind was served: {served}"
