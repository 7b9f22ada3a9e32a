"""`evaltop ingest --once`, `spend` and `cases` through the real CLI."""

from __future__ import annotations

from click.testing import CliRunner
from ingest_helpers import native, write_lines

from evaltop.store import db as store_db
from evaltop.tui.cli.main import cli


def _cfg(tmp_path, sources: bool = True) -> str:
    text = f'[store]\npath = "{tmp_path / "evaltop.db"}"\n'
    if sources:
        text += '[[sources]]\nname = "app"\npath = "logs/*.jsonl"\nformat = "native"\n'
    (tmp_path / "evaltop.toml").write_text(text)
    (tmp_path / "logs").mkdir(exist_ok=True)
    return str(tmp_path / "evaltop.toml")


def _run(*args):
    return CliRunner().invoke(cli, list(args))


def test_ingest_once_summary_with_top_reject_reasons(tmp_path):
    cfg = _cfg(tmp_path)
    write_lines(tmp_path / "logs" / "a.jsonl",
                [native(1), b"nope\n", native(2), b"nope again\n", b"[]\n", native(1)])
    res = _run("ingest", "--once", "--config", cfg)
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    assert "1 file(s): 6 lines, 2 outputs, 0 feedback, 1 duplicates, 3 rejected" in first
    assert "top reject reasons:" in res.output
    log = str(tmp_path / "logs" / "a.jsonl")
    assert "2  invalid JSON" in res.output and f"(first at {log}:2)" in res.output
    assert f"(first at {log}:5)" in res.output
    again = _run("ingest", "--once", "--config", cfg)
    assert "0 lines, 0 outputs" in again.output and "top reject" not in again.output


def test_ingest_warns_about_a_source_matching_nothing(tmp_path):
    res = CliRunner().invoke(cli, ["ingest", "--once", "--config", _cfg(tmp_path)])
    assert res.exit_code == 0
    assert f"warning: source 'app': no file matches {tmp_path / 'logs' / '*.jsonl'}" in res.stderr
    assert "0 outputs" in res.stdout


def test_ingest_without_sources_is_a_user_error(tmp_path):
    res = _run("ingest", "--once", "--config", _cfg(tmp_path, sources=False))
    assert res.exit_code == 2
    assert "no [[sources]]" in res.output


def test_ingest_bad_config_names_key(tmp_path):
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text('[[sources]]\nname = "app"\npath = "x"\nmax_line_bytes = -1\n')
    res = _run("ingest", "--once", "--config", str(cfg))
    assert res.exit_code == 2
    assert "sources[0].max_line_bytes" in res.output


def test_spend_unpriced_is_never_zero_and_kind_has_judges(tmp_path):
    cfg = _cfg(tmp_path)
    write_lines(tmp_path / "logs" / "a.jsonl",
                [native(1), native(2, model="house-model-7"), native(3, model="house-model-7")])
    assert _run("ingest", "--once", "--config", cfg).exit_code == 0
    res = _run("spend", "--by", "model", "--config", cfg)
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line.split() for line in res.output.splitlines()[1:]}
    assert rows["house-model-7"][1:] == ["2", "205", "25", "unpriced", "2"]
    assert rows["gpt-4o-mini"][4].startswith("$") and rows["gpt-4o-mini"][5] == "0"
    conn = store_db.connect(tmp_path / "evaltop.db")
    conn.execute(
        "INSERT INTO judge_calls (judge, model, output_id, status, input_tokens, output_tokens, "
        "cost_pusd, ts) VALUES ('j', 'claude', 'o1', 'ok', 40, 9, 1234000000, 1767225601)"
    )
    conn.close()
    kind = _run("spend", "--by", "kind", "--config", cfg).output.splitlines()
    assert kind[1].split()[:2] == ["inference", "3"]
    assert kind[2].split() == ["judge", "1", "calls", "40", "9", "$0.001234", "0"]
    assert "2026-01-01" in _run("spend", "--by", "day", "--config", cfg).output
    bad = _run("spend", "--since", "forever", "--config", cfg)
    assert bad.exit_code == 2 and "--since" in bad.output


def test_cases_latest_first_sanitised_and_failing(tmp_path):
    cfg = _cfg(tmp_path)
    evil = native(3, output="\x1b]0;pwned\x07first line\x1b[2J\nsecond line")
    write_lines(tmp_path / "logs" / "a.jsonl", [native(1), native(2), evil])
    _run("ingest", "--once", "--config", cfg)
    res = _run("cases", "--limit", "2", "--config", cfg)
    lines = res.output.splitlines()
    assert res.exit_code == 0 and len(lines) == 2
    assert "first line" in lines[0] and "second line" not in lines[0]
    assert "\x1b" not in res.output and "\x07" not in res.output
    assert "answer 2" in lines[1]
    assert _run("cases", "--failing", "--config", cfg).output.strip() == "no failing outputs"
    conn = store_db.connect(tmp_path / "evaltop.db")
    conn.execute(
        "INSERT INTO scores (output_id, judge, kind, status, passed, output_ts, created_at) "
        "VALUES ('o1', 'r', 'rule', 'ok', 0, 1, 1), ('o2', 'r', 'rule', 'ok', 1, 1, 1)"
    )
    conn.close()
    failing = _run("cases", "--failing", "--config", cfg).output.splitlines()
    assert len(failing) == 1 and "answer 1" in failing[0]


def test_cases_without_database_exit_2(tmp_path):
    res = _run("cases", "--config", _cfg(tmp_path))
    assert res.exit_code == 2 and "no database" in res.output


def test_bad_price_file_is_a_user_error_before_the_database_exists(tmp_path):
    cfg = _cfg(tmp_path)
    (tmp_path / "prices.json").write_text(
        '{"gpt-4o-mini": {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-6}}'
    )
    with open(cfg, "a") as fh:
        fh.write('[pricing]\nfile = "prices.json"\n')
    write_lines(tmp_path / "logs" / "a.jsonl", [native(1)])
    res = _run("ingest", "--once", "--config", cfg)
    assert res.exit_code == 2
    assert (
        "gpt-4o-mini.input_cost_per_token" in res.output
        and len(res.output.strip().splitlines()) == 1
    )
    assert not (tmp_path / "evaltop.db").exists()
