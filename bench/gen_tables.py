"""The rows bench/gen.py writes into an empty store: outputs, then the
samples, scores, judge calls, ledger rows, labels, feedback and alerts derived
from them, and the rollups and counters computed from those by SQL."""

from __future__ import annotations

import time

import numpy as np
import orjson

from bench.gen_traffic import (
    AB_TASKS,
    FEEDBACK_NAMES,
    JSON_TASKS,
    JUDGE_MODEL,
    MODELS,
    NOT_JSON,
    REGRESSED,
    TASKS,
    Gen,
    model_prices,
    text_pool,
    weighted_choice,
)
from evaltop.core.model.records import text_hash
from evaltop.store import db as store_db


def generate(conn, g: Gen, *, log=print) -> dict[str, int]:
    """Fill an empty evaltop database; return row counts per table."""
    rng = np.random.default_rng(g.seed)
    n = g.outputs
    start = g.end - g.days * 86400
    t0 = time.perf_counter()
    ts = np.sort(rng.uniform(start, g.end, n))
    task_w = [1 / (i + 1) ** 0.9 for i in range(len(TASKS))]
    task = weighted_choice(rng, len(TASKS), task_w, n)
    model = weighted_choice(rng, len(MODELS), [m[2] for m in MODELS], n)
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
    prices = model_prices(m[0] for m in MODELS)
    price_arr = np.array([prices[m[0]] or (0, 0, 0) for m in MODELS], dtype=np.int64)[model]
    priced = np.array([prices[m[0]] is not None for m in MODELS])[model]
    cost = (
        (in_tok - cached) * price_arr[:, 0] + cached * price_arr[:, 1] + out_tok * price_arr[:, 2]
    )
    log(f"  arrays: {time.perf_counter() - t0:.1f}s")

    inputs = {t: text_pool(rng, t, 1500, 15, 60) for t in TASKS}
    hashes = {t: [text_hash(x) for x in inputs[t]] for t in TASKS}
    outs_good = {t: text_pool(rng, t + " answer", 400, 8, 40) for t in TASKS}
    for t in JSON_TASKS:
        outs_good[t] = [
            orjson.dumps({"name": f"N{i}", "email": f"n{i}@x.example", "company": "Co"}).decode()
            for i in range(400)
        ]
    outs_bad = {t: text_pool(rng, t + " wrong", 200, 5, 30) for t in TASKS}
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
    pick_tag = weighted_choice(rng, 4, [70, 15, 10, 5], n)
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
    judge_in_price, _, judge_out_price = model_prices([JUDGE_MODEL])[JUDGE_MODEL]
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

