"""Bad config and bad CLI input, for every command: a one-line error naming
the key or argument, exit code 2, no traceback, nothing written (no database
created, an existing one byte-for-byte unchanged, no new files)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from configs import config_text
from ingest_helpers import native, write_lines

from evaltop.tui.cli.main import main

GOOD = config_text("{db}", "logs/*.jsonl", """
[[judges]]
name = "is_json"
kind = "rule"
rule = "json_valid"

[models.cand]
provider = "openai"
base_url = "http://127.0.0.1:9/v1"
model = "gpt-4o-mini"
""")

BAD_CONFIGS = {
    "unknown key": ('[store]\npath = "{db}"\nbogus_key = 1\n', "store.bogus_key"),
    "wrong type": (GOOD + '\n[schedule]\npoll_seconds = "fast"\n', "schedule.poll_seconds"),
    "out of range": (GOOD + "\n[sampling]\nbase_rate = 1.5\n", "sampling.base_rate"),
    "bad TOML": ('[store\npath = "{db}"\n', "invalid TOML"),
    "bad enum": (GOOD.replace('format = "native"', 'format = "xml"'), "sources[0].format"),
    "judge missing fields": (GOOD + '\n[[judges]]\nname = "q"\nkind = "llm"\n', "judges[1]"),
}
# a bad price file ([pricing].file) is only read by the commands that price
BAD_PRICES = '{"gpt-4o-mini": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-6}}'
PRICING_COMMANDS = ["ingest", "score", "run", "replay"]

# commands that read the config (corpus export reads it only for --candidate)
CONFIG_COMMANDS = {
    "ingest": ["ingest", "--once"],
    "score": ["score", "--once"],
    "run": ["run", "--seconds", "0.1"],
    "report": ["report"],
    "spend": ["spend"],
    "cases": ["cases"],
    "review": ["review"],
    "corpus build": ["corpus", "build", "--out", "c.jsonl"],
    "corpus add": ["corpus", "add", "o1"],
    "corpus export": ["corpus", "export", "corpus.jsonl", "--candidate", "cand"],
    "replay": ["replay", "corpus.jsonl", "--candidate", "cand", "--run", "r1"],
    "compare": ["compare", "r1", "r2"],
}

BAD_ARGS = [
    (["report", "--since", "yesterday"], "--since"),
    (["report", "--baseline", "soon"], "--baseline"),
    (["report", "--format", "xml"], "--format"),
    (["report", "--fail-on", "panic"], "--fail-on"),
    (["spend", "--by", "weekday"], "--by"),
    (["spend", "--since", "3 fortnights"], "--since"),
    (["cases", "--limit", "0"], "--limit"),
    (["score", "--once", "--limit", "0"], "--limit"),
    (["run", "--seconds", "-1"], "--seconds"),
    (["ingest", "--once", "--workers", "-1"], "--workers"),
    (["review", "--limit", "0"], "--limit"),
    (["corpus", "build", "--days", "-1"], "--days"),
    (["corpus", "export", "missing.jsonl"], "missing.jsonl"),
    (["corpus", "export", "corpus.jsonl", "--format", "csv"], "--format"),
    (["corpus", "add", "no-such-output"], "no-such-output"),
    (["replay", "missing.jsonl", "--candidate", "cand", "--run", "r"], "missing.jsonl"),
    (["replay", "corpus.jsonl", "--candidate", "nope", "--run", "r"], "nope"),
    (["compare", "no-run-a", "no-run-b"], "no run named"),
    (["compare", "corpus", "no-run-b", "--corpus", "missing.jsonl"], "missing.jsonl"),
    (["compare", "r1", "r2", "--format", "csv"], "--format"),
    (["no-such-command"], "no-such-command"),
]


# click prints its usage line and a --help hint above a usage error's one line
CLICK_HINT = ("Usage: evaltop", "Try 'evaltop")


def tree(root: Path) -> dict[str, tuple]:
    """Every file under root with its size and content hash."""
    return {str(p.relative_to(root)): (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


def invoke(argv: list[str], capfd) -> tuple[int, str, str]:
    capfd.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capfd.readouterr()
    return code, out, err


def check(code: int, out: str, err: str, needle: str, where: str) -> list[str]:
    """What is wrong with this error (empty when it is right)."""
    problems = []
    if code != 2:
        problems.append(f"exit {code}")
    if "Traceback" in err + out:
        problems.append("traceback")
    lines = [line for line in err.strip().splitlines() if line.strip()]
    hint = [line for line in lines if line.startswith(CLICK_HINT)]
    if len(lines) - len(hint) != 1:
        problems.append(f"{len(lines) - len(hint)} error lines on stderr")
    if needle.lower() not in err.lower():
        problems.append(f"does not name {needle!r}")
    return [f"{where}: {p} ({err.strip()[-300:]!r})" for p in problems]


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"id": "c1", "input": "hi", "task": "t"}\n')
    (tmp_path / "prices.json").write_text(BAD_PRICES)
    return tmp_path


def test_bad_configs_fail_cleanly_for_every_command(home, capfd, figure):
    db = home / "evaltop.db"
    write_lines(home / "logs" / "app.jsonl", [native(i) for i in range(3)])
    failures, runs, clean, written = [], 0, 0, 0
    cases = [
        (case, text, needle, list(CONFIG_COMMANDS)) for case, (text, needle) in BAD_CONFIGS.items()
    ]
    for case, text, needle, names in cases:
        (home / "evaltop.toml").write_text(text.format(db=db))
        before = tree(home)
        for name in names:
            argv = CONFIG_COMMANDS[name]
            code, out, err = invoke(["--config", "evaltop.toml", *argv], capfd)
            runs += 1
            problems = check(code, out, err, needle, f"{case} / {name}")
            clean += not problems
            failures += problems
            if tree(home) != before:
                written += 1
                failures.append(f"{case} / {name}: wrote files")
                db.unlink(missing_ok=True)
                for extra in set(tree(home)) - set(before):
                    (home / extra).unlink()
    # the dashboard too, in its own process (a bug there would open a screen here)
    (home / "evaltop.toml").write_text(BAD_CONFIGS["wrong type"][0].format(db=db))
    proc = subprocess.run(
        [sys.executable, "-m", "evaltop.tui.cli.main", "--config", "evaltop.toml", "tui"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    runs += 1
    problems = check(proc.returncode, proc.stdout, proc.stderr, "schedule.poll_seconds",
                     "wrong type / tui")
    clean += not problems
    failures += problems
    written += db.exists()
    figure("bad_config", configs=len(cases), commands=len(CONFIG_COMMANDS) + 1, runs=runs,
           clean_errors=clean, written=written)
    assert not db.exists()
    assert not failures and clean == runs and written == 0, "\n".join(failures)


def test_bad_arguments_fail_cleanly_for_every_command(home, capfd, figure):
    db = home / "evaltop.db"
    (home / "evaltop.toml").write_text(GOOD.format(db=db))
    write_lines(home / "logs" / "app.jsonl", [native(i) for i in range(3)])
    assert invoke(["ingest", "--once"], capfd)[0] == 0
    before = tree(home)
    failures, clean, written = [], 0, 0
    for argv, needle in BAD_ARGS:
        code, out, err = invoke(argv, capfd)
        problems = check(code, out, err, needle, " ".join(argv))
        clean += not problems
        failures += problems
        if tree(home) != before:
            written += 1
            failures.append(f"{' '.join(argv)}: wrote or changed files")
    figure("bad_cli_args", cases=len(BAD_ARGS), clean_errors=clean, written=written)
    assert not failures and clean == len(BAD_ARGS) and written == 0, "\n".join(failures)


@pytest.mark.parametrize("name", PRICING_COMMANDS)
def test_bad_price_file_fails_cleanly(home, capfd, name):
    db = home / "evaltop.db"
    write_lines(home / "logs" / "app.jsonl", [native(i) for i in range(3)])
    (home / "evaltop.toml").write_text(GOOD.format(db=db) + '\n[pricing]\nfile = "prices.json"\n')
    before = tree(home)
    code, out, err = invoke(["--config", "evaltop.toml", *CONFIG_COMMANDS[name]], capfd)
    problems = check(code, out, err, "gpt-4o-mini.input_cost_per_token", f"bad price file / {name}")
    if tree(home) != before:
        problems.append(f"bad price file / {name}: wrote files")
    assert not problems, "\n".join(problems)
