"""Scale data: a realistic evaltop database (and optional logs) of a given size.

    python -m bench.gen --outputs 1000000 --days 90 --seed 1 --db bench/results/gen.db
    python -m bench.gen --outputs 200000 --logs /tmp/logs --log-mb 400   # JSONL for ingest benches

Rows go straight into the store schema (the same tables ingest and the judges
write), vectorised with numpy and inserted with ``executemany`` in a few big
transactions. ``rollup_hourly`` is computed from ``outputs`` by SQL so the two
agree exactly. About 10% of outputs are sampled and judged (samples, scores,
judge_calls and settled ledger rows with exact costs), 2% have feedback; 12
models (one unpriced), 30 tasks with skewed traffic, prompt-version changes,
an A/B variant, and a planted regression in the last day (``extract_invoice``
on ``gpt-4.1-nano``). Same seed and ``--end`` give the same database.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from evaltop.core.model.money import per_mtok_to_pusd_per_token
from evaltop.core.model.records import text_hash
from evaltop.store import db as store_db

# name, provider, traffic weight, quality (pass probability), median latency ms, reasoning share
MODELS = [
    ("gpt-4o-mini", "openai", 22, 0.86, 900, 0.0),
    ("gpt-4o", "openai", 6, 0.91, 1800, 0.0),
    ("gpt-4.1-mini", "openai", 10, 0.89, 1100, 0.0),
    ("gpt-4.1-nano", "openai", 8, 0.82, 500, 0.0),
    ("o4-mini", "openai", 4, 0.92, 4200, 0.6),
    ("claude-haiku-4-5", "anthropic", 14, 0.88, 1300, 0.0),
    ("claude-sonnet-4-5", "anthropic", 6, 0.93, 2600, 0.0),
    ("gemini-2.5-flash", "google", 12, 0.85, 800, 0.0),
    ("gemini-2.5-pro", "google", 3, 0.92, 3000, 0.3),
    ("mistral-small", "mistral", 6, 0.80, 700, 0.0),
    ("mistral-large", "mistral", 3, 0.88, 1900, 0.0),
    ("acme-llama-8b-ft", "self-hosted", 6, 0.78, 400, 0.0),  # no price: shows as unpriced
]
TASKS = [
    "support_answer", "extract_contact", "extract_invoice", "summarize_ticket", "classify_ticket",
    "sql_generation", "translate_de", "translate_fr", "rewrite_tone", "email_draft", "faq_lookup",
    "code_review", "code_explain", "title_suggest", "tag_suggest", "sentiment", "intent_detect",
    "meeting_notes", "release_notes", "product_description", "search_rerank", "query_rewrite",
    "pii_check", "moderation", "address_normalize", "invoice_match", "contract_clause",
    "resume_screen", "chat_smalltalk", "agent_plan",
]
JSON_TASKS = {
    "extract_contact",
    "extract_invoice",
    "intent_detect",
    "address_normalize",
    "agent_plan",
}
AB_TASKS = {"support_answer", "email_draft", "rewrite_tone"}
REGRESSED = ("extract_invoice", "gpt-4.1-nano")
GEN_VERSION = 2  # bump when the generated data changes shape: cached databases are keyed by it
JUDGE_MODEL = "claude-haiku-4-5"
FEEDBACK_NAMES = ("task_completed", "thumbs", "user_corrected", "error")
WORDS = (
    "account invoice refund order shipping customer contract renewal plan seat upgrade login "
    "password export report dashboard latency error timeout webhook payment card address "
    "company email meeting summary ticket priority bug feature request translation tone draft "
    "release notes schema query table join filter total average monthly weekly region team "
    "onboarding policy clause discount quote delivery warehouse tracking status escalation"
).split()
NOT_JSON = "Sure! Here is what I found: the total is 420 EUR."


@dataclass
class Gen:
    outputs: int
    days: float
    seed: int
    end: float
    judged: float = 0.10
    feedback: float = 0.02


def _prices(names) -> dict[str, tuple[int, int, int] | None]:
    """pusd per token (input, cached input, output) per model from the built-in
    price table; None for a model it does not list (unpriced)."""
    from importlib.resources import files

    table = orjson.loads(files("evaltop.core.data").joinpath("prices.json").read_bytes())["models"]
    out: dict[str, tuple[int, int, int] | None] = {}
    for name in names:
        p = table.get(name)
        rates = (
            None
            if p is None
            else (
                p["input_per_mtok"],
                p.get("cached_input_per_mtok", p["input_per_mtok"]),
                p["output_per_mtok"],
            )
        )
        out[name] = (
            None if rates is None else tuple(int(per_mtok_to_pusd_per_token(str(x))) for x in rates)
        )
    return out


def _pool(rng: np.random.Generator, task: str, n: int, lo: int, hi: int) -> list[str]:
    words = np.array(WORDS)
    out = []
    for i in range(n):
        k = int(rng.integers(lo, hi))
        body = " ".join(words[rng.integers(0, len(words), k)])
        out.append(f"[{task}] request {i}: {body}")
    return out


def _choice(rng, n, weights, size):
    w = np.asarray(weights, dtype=float)
    return rng.choice(n, size=size, p=w / w.sum())


def generate(conn, g: Gen, *, log=print) -> dict[str, int]:
    """Fill an empty evaltop database; return row counts per table."""
    rng = np.random.default_rng(g.seed)
    n = g.outputs
    start = g.end - g.days * 86400
    t0 = time.perf_counter()
    ts = np.sort(rng.uniform(start, g.end, n))
    task_w = [1 / (i + 1) ** 0.9 for i in range(len(TASKS))]
    task = _choice(rng, len(TASKS), task_w, n)
    model = _choice(rng, len(MODELS), [m[2] for m in MODELS], n)
    age_days = (g.end - ts) / 86400
    pv_num = np.where(age_days > g.days * 0.6, 1, np.where(age_days > g.days * 0.2, 2, 3))
    ab = np.isin(task, [TASKS.index(t) for t in AB_TASKS])
    variant = np.where(ab, np.where(rng.random(n) < 0.5, 1, 2), 0)
    in_tok = rng.lognormal(5.8, 0.6, n).astype(np.int64) + 20
    out_tok = rng.lognormal(4.8, 0.7, n).astype(np.int64) + 1
    reasoning_share = np.array([m[5] for m in MODELS])[model]
    reasoning = (out_tok * reasoning_share * 3).astype(np.int64)
    out_tok = out_tok + reasoning
    cached = np.where(rng.random(n) < 0.3, (in_tok * 0.6).astype(np.int64), 0)
    provider = np.array([m[1] for m in MODELS])[model]
    estimated = (rng.random(n) < np.where(np.isin(provider, ["google", "self-hosted"]), 0.3, 0.02))
    error = rng.random(n) < 0.01
    median = np.array([m[4] for m in MODELS], dtype=float)[model]
    latency = np.round(median * rng.lognormal(0, 0.4, n) * (1 + out_tok / 1500), 1)
    latency = np.where(error, np.round(rng.uniform(5000, 30000, n), 1), latency)
    conf = np.where(provider == "openai", np.round(rng.beta(8, 1.5, n), 4), np.nan)
    quality = np.array([m[3] for m in MODELS])[model] - 0.004 * task
    regressed = (task == TASKS.index(REGRESSED[0])) & (
        model == [m[0] for m in MODELS].index(REGRESSED[1])
    )
    quality = np.where(regressed & (age_days < 1), quality - 0.35, quality)
    good = rng.random(n) < quality
    prices = _prices(m[0] for m in MODELS)
    price_arr = np.array([prices[m[0]] or (0, 0, 0) for m in MODELS], dtype=np.int64)[model]
    priced = np.array([prices[m[0]] is not None for m in MODELS])[model]
    cost = (
        (in_tok - cached) * price_arr[:, 0] + cached * price_arr[:, 1] + out_tok * price_arr[:, 2]
    )
    log(f"  arrays: {time.perf_counter() - t0:.1f}s")

    inputs = {t: _pool(rng, t, 1500, 15, 60) for t in TASKS}
    hashes = {t: [text_hash(x) for x in inputs[t]] for t in TASKS}
    outs_good = {t: _pool(rng, t + " answer", 400, 8, 40) for t in TASKS}
    for t in JSON_TASKS:
        outs_good[t] = [
            orjson.dumps({"name": f"N{i}", "email": f"n{i}@x.example", "company": "Co"}).decode()
            for i in range(400)
        ]
    outs_bad = {t: _pool(rng, t + " wrong", 200, 5, 30) for t in TASKS}
    for t in JSON_TASKS:
        outs_bad[t] = [NOT_JSON] * 200
    tags = [
        orjson.dumps(x).decode()
        for x in (["prod"], ["prod", "enterprise"], ["prod", "beta"], ["staging"])
    ]
    metas = [
        orjson.dumps({"region": r, "tier": t}).decode()
        for r in ("eu-west-1", "us-east-1", "ap-south-1")
        for t in ("free", "pro", "enterprise")
    ]
    pick_in = rng.integers(0, 1500, n)
    pick_out = rng.integers(0, 400, n)
    pick_tag = _choice(rng, 4, [70, 15, 10, 5], n)
    pick_meta = rng.integers(0, len(metas), n)
    names = [m[0] for m in MODELS]
    variants = ("", "control", "short")
    ingested = ts + 2.0
    rows = []
    cols = (
        ts.tolist(),
        task.tolist(),
        model.tolist(),
        pv_num.tolist(),
        variant.tolist(),
        in_tok.tolist(),
        out_tok.tolist(),
        cached.tolist(),
        reasoning.tolist(),
        estimated.tolist(),
        cost.tolist(),
        priced.tolist(),
        latency.tolist(),
        conf.tolist(),
        error.tolist(),
        good.tolist(),
        pick_in.tolist(),
        pick_out.tolist(),
        pick_tag.tolist(),
        pick_meta.tolist(),
        ingested.tolist(),
    )
    for i, (
        t,
        tk,
        m,
        pv,
        v,
        it,
        ot,
        ca,
        re_,
        est,
        c,
        pr,
        lat,
        cf,
        err,
        ok,
        pi,
        po,
        ptag,
        pm,
        ing,
    ) in enumerate(zip(*cols, strict=True)):
        tname = TASKS[tk]
        text_out = "" if err else (outs_good[tname][po] if ok else outs_bad[tname][po % 200])
        rows.append(
            (
                f"gen{g.seed}-{i:08d}",
                t,
                "gen",
                "native",
                names[m],
                MODELS[m][1],
                tname,
                f"{tname}-v{pv}",
                variants[v],
                inputs[tname][pi],
                None,
                hashes[tname][pi],
                text_out,
                "stop" if not err else None,
                it,
                ot,
                ca,
                0,
                re_,
                int(est),
                c if pr else None,
                "builtin" if pr else None,
                lat,
                None if cf != cf else cf,
                "rate_limit_exceeded" if err else None,
                tags[ptag],
                metas[pm],
                ing,
            )
        )
    log(f"  rows: {time.perf_counter() - t0:.1f}s")
    with store_db.write(conn):
        conn.executemany(
            "INSERT INTO outputs (id, ts, source, format, model, provider, task, prompt_version,"
            " variant, input_text, input_json, input_hash, output_text, finish_reason,"
            " input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,"
            " reasoning_tokens, usage_estimated, cost_pusd, cost_source, latency_ms, confidence,"
            " error, tags_json, metadata_json, ingested_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    del rows
    log(f"  outputs inserted: {time.perf_counter() - t0:.1f}s")
    counts = {"outputs": n}
    counts.update(_judged(conn, g, rng, ts, task, good, error, latency, in_tok, out_tok, estimated))
    counts["feedback"] = _feedback(conn, g, rng, ts, good)
    counts["alerts"] = _alerts(conn, g)
    _rollup_and_counters(conn, counts)
    log(f"  judged, feedback, rollups: {time.perf_counter() - t0:.1f}s")
    return counts


def _judged(
    conn, g, rng, ts, task, good, error, latency, in_tok, out_tok, estimated
) -> dict[str, int]:
    n = len(ts)
    p = np.where(error | estimated, 0.3, g.judged * 0.8)
    sampled = np.flatnonzero(rng.random(n) < p)
    judge_in_price, _, judge_out_price = _prices([JUDGE_MODEL])[JUDGE_MODEL]
    samples, scores, calls, ledger, labels = [], [], [], [], []
    s_ok = rng.random(len(sampled)) > 0.01
    s_score = np.clip(np.round(rng.normal(4.2, 0.6, len(sampled)), 0), 1, 5)
    judge_in = (in_tok[sampled] + out_tok[sampled] + 320).tolist()
    judge_out = rng.integers(30, 90, len(sampled)).tolist()
    call_lat = np.round(rng.lognormal(6.8, 0.3, len(sampled)), 1).tolist()
    for k, i in enumerate(sampled.tolist()):
        oid = f"gen{g.seed}-{i:08d}"
        t = float(ts[i])
        call_ts = t + 60 + (i % 240)
        samples.append(
            (oid, "error" if error[i] else "base", float(p[i]), "done", None, call_ts - 30, t)
        )
        tname = TASKS[task[i]]
        ok = bool(good[i]) and not error[i]
        score = float(s_score[k]) if ok else float(min(s_score[k], 2.0))
        if s_ok[k]:
            scores.append(
                (
                    oid,
                    "quality",
                    "llm",
                    "ok",
                    score,
                    int(score >= 3),
                    "judge reason",
                    None,
                    t,
                    call_ts,
                )
            )
        else:
            scores.append(
                (
                    oid,
                    "quality",
                    "llm",
                    "error",
                    None,
                    None,
                    None,
                    "schema: score missing",
                    t,
                    call_ts,
                )
            )
        scores.append(
            (
                oid,
                "latency_4s",
                "rule",
                "ok",
                float(latency[i] < 4000),
                int(latency[i] < 4000),
                None if latency[i] < 4000 else f"latency {latency[i]:.0f} ms > 4000 ms",
                None,
                t,
                call_ts,
            )
        )
        if tname in JSON_TASKS:
            scores.append((oid, "json_valid", "rule", "ok", float(ok), int(ok),
                           None if ok else "not valid JSON", None, t, call_ts))
        cost = judge_in[k] * judge_in_price + judge_out[k] * judge_out_price
        calls.append(("quality", JUDGE_MODEL, oid, "ok" if s_ok[k] else "error", 1, call_lat[k],
                      judge_in[k], judge_out[k], 0, cost, 1, cost, None, None, call_ts))
        day = time.strftime("%Y-%m-%d", time.gmtime(call_ts))
        ledger.append(("judge", oid, "gen", "settled", cost, day, day[:7], call_ts - 1, call_ts))
        if k % 50 == 0:
            human = ok if (k // 50) % 7 else not ok
            labels.append((oid, "pass" if human else "fail", None, "gen", None, call_ts + 3600))
    with store_db.write(conn):
        conn.executemany(
            "INSERT INTO samples (output_id, strata, probability, status, reason, sampled_at,"
            " output_ts) VALUES (?,?,?,?,?,?,?)",
            samples,
        )
        conn.executemany(
            "INSERT INTO scores (output_id, judge, kind, status, score, passed, reason, error,"
            " output_ts, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            scores,
        )
        conn.executemany(
            "INSERT INTO judge_calls (judge, model, output_id, status, attempts, latency_ms,"
            " input_tokens, output_tokens, usage_estimated, cost_pusd, cost_known, reserved_pusd,"
            " error, run_id, ts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            calls,
        )
        conn.executemany(
            "INSERT INTO ledger (kind, ref, owner, state, amount_pusd, day, month, created_at,"
            " settled_at) VALUES (?,?,?,?,?,?,?,?,?)",
            ledger,
        )
        conn.executemany("INSERT INTO labels (output_id, label, score, reviewer, note, ts)"
                         " VALUES (?,?,?,?,?,?)", labels)
    return {
        "samples": len(samples),
        "scores": len(scores),
        "judge_calls": len(calls),
        "labels": len(labels),
    }


def _feedback(conn, g, rng, ts, good) -> int:
    n = len(ts)
    idx = np.flatnonzero(rng.random(n) < g.feedback)
    which = rng.integers(0, len(FEEDBACK_NAMES), len(idx))
    delay = rng.uniform(5, 600, len(idx))
    rows = []
    for i, w, d in zip(idx.tolist(), which.tolist(), delay.tolist(), strict=True):
        name = FEEDBACK_NAMES[w]
        ok = bool(good[i])
        value = float(ok) if name in ("task_completed", "thumbs") else float(not ok)
        rows.append((f"gen{g.seed}-{i:08d}-{name}", f"gen{g.seed}-{i:08d}", float(ts[i]) + d,
                     name, value, None, "gen", float(ts[i]) + d + 1))
    with store_db.write(conn):
        conn.executemany(
            "INSERT INTO feedback (id, output_id, ts, name, value_num, value_text, source,"
            " ingested_at) VALUES (?,?,?,?,?,?,?,?)",
            rows,
        )
    return len(rows)


def _alerts(conn, g: Gen) -> int:
    """A few budget alerts over the period, as a team with caps would have."""
    rows = []
    for k in range(int(g.days // 7) + 1):
        ts = g.end - k * 7 * 86400 - 5400
        day = time.strftime("%Y-%m-%d", time.gmtime(ts))
        for frac, level in ((0.5, "warning"), (0.8, "warning"), (1.0, "critical")):
            msg = f"judge daily spend is at {frac:.0%} of the $5.00 budget (UTC {day})"
            rows.append(("budget", level, msg, f"budget:judge_daily:{frac}:{day}", ts + frac * 600,
                         int(k > 0), 1))
    with store_db.write(conn):
        conn.executemany(
            "INSERT INTO alerts (kind, level, message, dedupe_key, ts, acknowledged, notified)"
            " VALUES (?,?,?,?,?,?,?)",
            rows,
        )
    return len(rows)


def _rollup_and_counters(conn, counts: dict[str, int]) -> None:
    with store_db.write(conn):
        conn.execute(
            "INSERT INTO rollup_hourly (hour, model, task, prompt_version, variant, outputs,"
            " errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens,"
            " reasoning_tokens, estimated_outputs, unpriced_outputs, cost_pusd, latency_ms_sum)"
            " SELECT CAST(ts / 3600 AS INTEGER), model, task, prompt_version, variant, COUNT(*),"
            " SUM(error IS NOT NULL), SUM(input_tokens), SUM(output_tokens),"
            " SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens),"
            " SUM(usage_estimated), SUM(cost_pusd IS NULL),"
            " COALESCE(SUM(cost_pusd), 0), COALESCE(SUM(latency_ms), 0)"
            " FROM outputs GROUP BY 1, 2, 3, 4, 5"
        )
        for name in ("outputs", "feedback"):
            conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE"
                " SET value = excluded.value",
                (name, counts[name]),
            )
        # everything here is already sampled: an engine pointed at this DB starts after it
        conn.execute(
            "INSERT INTO counters (name, value)"
            " SELECT 'sampling.rowid', MAX(rowid) FROM outputs WHERE true"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value"
        )
    conn.execute("ANALYZE")


def write_logs(out_dir: Path, *, megabytes: float, seed: int, end: float, record_bytes: int = 2048,
               file_mb: float = 100) -> tuple[int, int]:
    """Native JSONL logs of about ``megabytes`` in ``out_dir`` (files of ``file_mb``),
    records padded to about ``record_bytes`` with retrieved context, as RAG apps log.
    Returns (records, bytes)."""
    from evaltop.core.demo.traffic import DemoTraffic, constant

    out_dir.mkdir(parents=True, exist_ok=True)
    traffic = DemoTraffic(seed, start=end - 86400, run_id=f"log{seed}")
    words = " ".join(WORDS)
    limit, per_file = int(megabytes * 1e6), int(file_mb * 1e6)
    total = records = part = 0
    fh = None
    while total < limit:
        for rec in traffic.advance(traffic.t + 60, constant(20)):
            if rec.get("type") != "feedback":
                short = record_bytes - len(orjson.dumps(rec))
                if short > 0:
                    ctx = (words * (short // len(words) + 1))[:short]
                    rec["input"].insert(1, {"role": "user", "content": "Context: " + ctx})
            line = orjson.dumps(rec) + b"\n"
            if fh is None or fh.tell() + len(line) > per_file:
                if fh is not None:
                    fh.close()
                part += 1
                fh = open(out_dir / f"app-{part:03d}.jsonl", "wb")
            fh.write(line)
            total += len(line)
            records += 1
            if total >= limit:
                break
    if fh is not None:
        fh.close()
    return records, total


def default_name(seed: int, outputs: int) -> str:
    return f"gen-v{GEN_VERSION}-{seed}-{outputs}.db"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gen", description=__doc__.split("\n")[0])
    ap.add_argument("--outputs", type=int, default=1_000_000)
    ap.add_argument("--days", type=float, default=90)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--end", type=float, default=None,
                    help="epoch seconds of the newest output (default: the current hour, floored)")
    ap.add_argument("--db", type=Path, default=None,
                    help="database to create (default bench/results/gen-vVERSION-SEED-N.db)")
    ap.add_argument("--force", action="store_true", help="replace an existing database")
    ap.add_argument(
        "--logs", type=Path, default=None, help="also write JSONL logs into this folder"
    )
    ap.add_argument("--log-mb", type=float, default=200, help="total size of --logs (MB)")
    ap.add_argument("--record-bytes", type=int, default=2048, help="size of each log record")
    a = ap.parse_args(argv)
    if a.outputs < 1 or a.days <= 0:
        ap.error("--outputs must be >= 1 and --days > 0")
    end = a.end if a.end is not None else float(int(time.time()) // 3600 * 3600)
    if a.logs is not None:
        t0 = time.perf_counter()
        recs, size = write_logs(
            a.logs, megabytes=a.log_mb, seed=a.seed, end=end, record_bytes=a.record_bytes
        )
        print(f"logs: {recs} records, {size / 1e6:.0f} MB in {a.logs} "
              f"({time.perf_counter() - t0:.1f}s)")
    db = a.db or Path("bench/results") / default_name(a.seed, a.outputs)
    build(db, Gen(a.outputs, a.days, a.seed, end), force=a.force)
    return 0


def build(db: Path, g: Gen, *, force: bool = False, log=print) -> dict[str, int]:
    """Create ``db`` atomically (a half-written file never takes its name)."""
    if db.exists() and not force:
        raise SystemExit(f"{db} exists; use --force to replace it")
    tmp = db.with_name(db.name + ".partial")
    for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    log(f"generating {g.outputs} outputs over {g.days:g} days (seed {g.seed}) into {db}")
    conn = store_db.connect(tmp)
    try:
        counts = generate(conn, g, log=log)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    tmp.replace(db)
    log(
        f"done in {time.perf_counter() - t0:.1f}s: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    return counts


if __name__ == "__main__":
    sys.exit(main())
