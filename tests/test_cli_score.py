"""`evaltop score`, `review` and `run` as a user runs them: real log files,
real processes, piped stdin, SIGTERM, and a loopback judge."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from loopback_server import LoopbackLLM
from wait_helpers import until

from evaltop.core.ingest.pipeline import ingest_once
from evaltop.core.model import config as config_mod
from evaltop.store.db import connect
from evaltop.tui.cli.main import cli

NASTY = "\x1b]0;pwned\x07ok\x1b[2J \x9b31m [@click=app.quit]x"


def _records(n: int) -> list[dict]:
    now = time.time()
    out = []
    for i in range(1, n + 1):
        out.append(
            {
                "id": f"o{i}",
                "ts": now - 600 + i,
                "model": "gpt-4o-mini",
                "task": "extract",
                "input": f"question {i}",
                "output": json.dumps({"answer": i}) if i != 2 else "not json " + NASTY,
                "usage": {"input_tokens": 10, "output_tokens": 5},
            }
        )
    return out


def _setup(tmp_path: Path, n: int = 3, extra: str = "") -> Path:
    log = tmp_path / "app.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in _records(n)), encoding="utf-8")
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(
        f'[store]\npath = "{tmp_path / "evaltop.db"}"\n\n'
        f'[[sources]]\nname = "app"\npath = "{log}"\nformat = "native"\n\n'
        "[sampling]\nbase_rate = 1.0\n\n"
        '[[judges]]\nname = "json"\nkind = "rule"\nrule = "json_valid"\n' + extra,
        encoding="utf-8",
    )
    return cfg


def _evaltop(
    *args: str, stdin: str | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evaltop.tui.cli.main", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, env=env)


def _ingest(cfg_path: Path) -> None:
    cfg = config_mod.load(cfg_path)
    conn = connect(cfg.db_path)
    ingest_once(cfg, conn, progress=False)
    conn.close()


def test_score_once_then_review_from_a_pipe(tmp_path):
    cfg = _setup(tmp_path)
    _ingest(cfg)
    done = _evaltop("score", "--once", "--config", str(cfg))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "sampled 3 of 3 new outputs",
        "judged 3 outputs: 3 verdicts (passed 2, failed 1), 0 judge errors; "
        "0 judge calls (0 retries), spend $0.00",
        "nothing left pending"]

    db = sqlite3.connect(tmp_path / "evaltop.db")
    assert db.execute("SELECT output_id, passed FROM scores ORDER BY output_id").fetchall() == [
        ("o1", 1), ("o2", 0), ("o3", 1)]

    # p = pass o1; "x" is not an answer; f = fail o2; s = skip o3
    done = _evaltop("review", "--config", str(cfg), "--reviewer", "ann", stdin="p\nx\nf\ns\n")
    assert done.returncode == 0, done.stderr
    assert "please answer p, f, s or q" in done.stdout
    assert "labelled 1 pass, 1 fail; skipped 1" in done.stdout
    assert "1 sampled case still without a human label" in done.stdout
    assert "[1/3] o1" in done.stdout and "[3/3] o3" in done.stdout
    assert "json: fail" in done.stdout  # the rule verdict is shown beside the case
    # Logged text arrives without anything a terminal would act on.
    assert "not json ]0;pwnedok[2J 31m [@click=app.quit]x" in done.stdout
    assert not any(ch in done.stdout for ch in ("\x1b", "\x07", "\x9b"))
    assert db.execute(
        "SELECT output_id, label, reviewer FROM labels ORDER BY output_id"
    ).fetchall() == [("o1", "pass", "ann"), ("o2", "fail", "ann")]

    # Only the skipped case is left; end of input quits without labelling it.
    done = _evaltop("review", "--config", str(cfg), stdin="")
    assert done.returncode == 0 and "[1/1] o3" in done.stdout
    assert "labelled 0 pass, 0 fail; skipped 0" in done.stdout
    done = _evaltop("review", "--config", str(cfg), stdin="f\n")
    assert "labelled 0 pass, 1 fail" in done.stdout
    assert "still without a human label" not in done.stdout  # nothing left
    done = _evaltop("review", "--config", str(cfg), stdin="p\n")
    assert "nothing to review" in done.stdout
    db.close()


def test_score_without_pending_work_and_bad_config(tmp_path):
    runner = CliRunner()
    cfg = _setup(tmp_path, n=0)
    result = runner.invoke(cli, ["score", "--once", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert "judged 0 outputs: 0 verdicts" in result.output
    (tmp_path / "nokey").mkdir()
    nokey = _setup(tmp_path / "nokey", n=1, extra=(
        '\n[[judges]]\nname = "q"\nkind = "llm"\nprovider = "openai"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'model = "judge-x"\napi_key_env = "EVALTOP_UNSET_KEY"\n'
        "\n[pricing.models.judge-x]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n"))
    _ingest(nokey)
    result = runner.invoke(cli, ["score", "--once", "--config", str(nokey)])
    assert result.exit_code == 2, result.output  # a config problem: one line, exit 2
    assert "EVALTOP_UNSET_KEY" in result.output and "Traceback" not in result.output
    (tmp_path / "prices").mkdir()
    (tmp_path / "prices" / "p.json").write_text(
        '{"m": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-6}}', encoding="utf-8"
    )
    priced = tmp_path / "prices" / "evaltop.toml"
    priced.write_text(
        f'[store]\npath = "{tmp_path / "prices" / "x.db"}"\n[pricing]\nfile = "p.json"\n'
    )
    for cmd in (["score", "--once"], ["run", "--seconds", "1"]):
        result = runner.invoke(cli, [*cmd, "--config", str(priced)])
        assert result.exit_code == 2 and "input_cost_per_token" in result.output, (
            cmd,
            result.output,
        )
        assert not (tmp_path / "prices" / "x.db").exists()  # stopped before creating the store
    bad = tmp_path / "bad.toml"
    bad.write_text("[schedule]\npoll_seconds = -1\n", encoding="utf-8")
    for cmd in (["score", "--once"], ["run", "--seconds", "1"], ["review"]):
        result = runner.invoke(cli, [*cmd, "--config", str(bad)])
        assert result.exit_code == 2, (cmd, result.output)
        assert "schedule.poll_seconds" in result.output


def _wait_for(db_path: Path, query: str, done, what: str):
    """Poll ``query`` on the database until ``done(rows)``."""
    def rows_if_done():
        if not db_path.exists():
            return None
        try:
            with sqlite3.connect(db_path) as c:
                rows = c.execute(query).fetchall()
        except sqlite3.OperationalError:
            return None  # the schema is still being created
        return rows if done(rows) else None

    return until(rows_if_done, what=what, tick=0.05)


def _signal_after(args: list[str], wait, env: dict | None = None, sig: int = signal.SIGTERM):
    """Start `evaltop ARGS`, call ``wait(proc)``, then send ``sig``; (exit code,
    stdout after the wait, stderr, what ``wait`` returned)."""
    proc = subprocess.Popen([sys.executable, "-m", "evaltop.tui.cli.main", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        seen = wait(proc)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, err, seen


def _run_then_sigterm(cfg: Path, db_path: Path, waits: list, env: dict | None = None,
                      extra_args: list[str] | None = None):
    """`evaltop run` until each (query, done, what) in turn holds, then SIGTERM."""
    def wait(_proc) -> None:
        for query, done, what in waits:
            _wait_for(db_path, query, done, what)

    rc, out, err, _ = _signal_after(["run", "--config", str(cfg), *(extra_args or [])], wait, env)
    return rc, out, err


def test_run_ingests_scores_and_every_job_runs(tmp_path):
    cfg = _setup(tmp_path, extra="\n[schedule]\npoll_seconds = 0.1\nscore_seconds = 0.1\n"
                 "maintain_seconds = 0.2\nbudget_seconds = 0.2\nlease_seconds = 5\n")
    db_path = tmp_path / "evaltop.db"
    rc, out, err = _run_then_sigterm(cfg, db_path, [
        ("SELECT COUNT(*) FROM scores", lambda r: r[0][0] == 3, "3 scores"),
        ("SELECT job FROM job_stats WHERE runs >= 1", lambda r: len(r) == 5, "every job run once")])
    assert rc == 0, err
    assert "evaltop run: leader" in out and "evaltop run: stopped" in out
    db = sqlite3.connect(db_path)
    assert db.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 3
    stats = {r[0]: r[1:] for r in db.execute("SELECT job, runs, errors FROM job_stats")}
    assert set(stats) == {"poll", "score", "maintain", "budget", "analyse"}
    assert all(runs >= 1 and errors == 0 for runs, errors in stats.values()), stats
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0
    db.close()


def test_run_for_seconds_stops_on_its_own_and_exits_0(tmp_path):
    cfg = _setup(tmp_path)
    done = _evaltop("run", "--seconds", "1", "--config", str(cfg))
    assert done.returncode == 0, done.stderr
    assert "evaltop run: leader" in done.stdout and "evaltop run: stopped" in done.stdout
    db = sqlite3.connect(tmp_path / "evaltop.db")
    assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0
    db.close()


def test_run_exits_0_on_sigterm_and_leaves_no_reserved_ledger_rows(tmp_path):
    db_path = tmp_path / "evaltop.db"
    # replies take 4 s so the poll below sees a call in flight even when this
    # process is scheduled late; SIGTERM lands while they are still out
    with LoopbackLLM(latency_s=4.0) as llm:
        judge = (
            '\n[[judges]]\nname = "quality"\nkind = "llm"\nprovider = "openai"\n'
            f'base_url = "{llm.openai_base_url}"\nmodel = "judge-x"\n'
            'api_key_env = "EVALTOP_TEST_KEY"\n'
            'rubric = "Is it right?"\n'
            "\n[pricing.models.judge-x]\ninput_per_mtok = 1.0\noutput_per_mtok = 2.0\n"
            "\n[budgets]\njudge_daily_usd = 5.0\n"
            "\n[schedule]\npoll_seconds = 0.1\nscore_seconds = 0.1\nlease_seconds = 2\n"
        )
        cfg = _setup(tmp_path, n=4, extra=judge)
        rc, out, err = _run_then_sigterm(cfg, db_path, [
            ("SELECT COUNT(*) FROM ledger WHERE state = 'reserved'", lambda r: r[0][0] > 0,
             "a judge call in flight")], env=dict(os.environ, EVALTOP_TEST_KEY="k"))
    assert rc == 0, err
    assert "evaltop run: stopped" in out
    with sqlite3.connect(db_path) as c:
        assert c.execute("SELECT COUNT(*) FROM ledger WHERE state = 'reserved'").fetchone()[0] == 0
        assert (
            c.execute("SELECT COUNT(*) FROM judge_calls WHERE judge = 'quality'").fetchone()[0] >= 1
        )
        assert c.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


def _first_lines(proc: subprocess.Popen, n: int) -> list[str]:
    lines = []
    for (
        line
    ) in proc.stdout:  # blocks until the child prints; the child is bounded by the test's kill
        lines.append(line.rstrip("\n"))
        if len(lines) >= n:
            break
    return lines


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP])
def test_run_stops_cleanly_on_sigint_and_sighup(tmp_path, sig):
    cfg = _setup(tmp_path, n=1, extra="\n[schedule]\nlease_seconds = 30\n")
    rc, out, err, first = _signal_after(
        ["run", "--config", str(cfg)], lambda proc: _first_lines(proc, 1), sig=sig
    )
    assert "evaltop run: leader" in first[0]
    assert rc == 0, err
    assert out.rstrip().endswith("evaltop run: stopped")
    with sqlite3.connect(tmp_path / "evaltop.db") as c:
        # 30 s lease, released at once
        assert c.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0


def test_score_loops_until_sigterm(tmp_path):
    cfg = _setup(tmp_path, n=2, extra="\n[schedule]\nscore_seconds = 0.1\n")
    _ingest(cfg)
    rc, out, err, (first, second) = _signal_after(["score", "--config", str(cfg)],
                                                   lambda proc: _first_lines(proc, 2))
    assert rc == 0, err
    assert first.startswith("sampled 2 of 2 new outputs; judged 2 outputs: 2 verdicts"), first
    assert first.endswith("; nothing left pending"), first
    # nothing new the second time
    assert second.startswith("sampled 0 of 0 new outputs; judged 0 outputs: 0 verdicts"), second


SECRETS = {"email": "maria.lopez@example.com", "key": "sk-proj-Q1w2E3r4T5y6U7i8O9p0AsDfGh",
           "phone": "+44 20 7946 0958"}


@pytest.mark.parametrize("enabled", [True, False])
def test_review_and_cases_print_logged_text_as_the_dashboard_shows_it(tmp_path, enabled):
    """With [redaction] enabled, `review` and `cases` print secrets and PII as
    their placeholders, as judges and the dashboard see them; off, as logged."""
    log = tmp_path / "app.jsonl"
    rec = {
        "id": "s1",
        "ts": time.time() - 60,
        "model": "gpt-4o-mini",
        "task": "support",
        "input": f"I am {SECRETS['email']}, call {SECRETS['phone']}",
        "output": f"{SECRETS['key']} is your key",
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }
    log.write_text(json.dumps(rec) + "\n", encoding="utf-8")
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(
        f'[store]\npath = "{tmp_path / "evaltop.db"}"\n\n'
        f'[[sources]]\nname = "app"\npath = "{log}"\nformat = "native"\n\n'
        "[sampling]\nbase_rate = 1.0\n\n[redaction]\n" + f"enabled = {str(enabled).lower()}\n\n"
        '[[judges]]\nname = "json"\nkind = "rule"\nrule = "json_valid"\n',
        encoding="utf-8",
    )
    _ingest(cfg)
    assert _evaltop("score", "--once", "--config", str(cfg)).returncode == 0
    cases = _evaltop("cases", "--config", str(cfg))
    review = _evaltop("review", "--config", str(cfg), stdin="s\n")
    assert cases.returncode == review.returncode == 0, cases.stderr + review.stderr
    printed = cases.stdout + review.stdout
    assert "[1/1] s1" in review.stdout
    if enabled:
        assert not [v for v in SECRETS.values() if v in printed], printed
        assert "[API_KEY] is your key" in cases.stdout
        assert "[EMAIL]" in review.stdout and "[PHONE]" in review.stdout
    else:
        assert all(v in review.stdout for v in SECRETS.values())
        assert SECRETS["key"] in cases.stdout


def test_summary_counts_outputs_and_verdicts_apart(tmp_path):
    """Two judges on three outputs: 3 outputs judged, 6 verdicts (never "judged 6")."""
    cfg = _setup(tmp_path, extra='\n[[judges]]\nname = "refusal"\nkind = "rule"\n'
                                 'rule = "refusal"\n')
    _ingest(cfg)
    done = _evaltop("score", "--once", "--config", str(cfg))
    assert done.returncode == 0, done.stderr
    assert "sampled 3 of 3 new outputs" in done.stdout
    assert "judged 3 outputs: 6 verdicts (passed 5, failed 1), 0 judge errors" in done.stdout


def test_run_verbose_says_outputs_and_verdicts_apart(tmp_path):
    cfg = _setup(tmp_path, extra='\n[[judges]]\nname = "refusal"\nkind = "rule"\n'
                                 'rule = "refusal"\n\n[schedule]\npoll_seconds = 0.1\n'
                                 'score_seconds = 0.2\n')
    db_path = tmp_path / "evaltop.db"
    rc, out, err = _run_then_sigterm(cfg, db_path, [
        ("SELECT COUNT(*) FROM samples WHERE status = 'done'", lambda r: r[0][0] == 3,
         "3 outputs judged")], extra_args=["-v"])
    assert rc == 0, err
    lines = [ln for ln in out.splitlines() if "judged 3 outputs" in ln]
    assert lines and "judged 3 outputs: 6 verdicts (passed 5, failed 1)" in lines[0], out
    assert lines[0].startswith("evaltop run: score: sampled ")
