"""`evaltop cases --search`, `evaltop search-index` and `cases --failing`
naming the judges, run as a user runs them (real processes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tui_helpers import NOW, insert_outputs, insert_score, output_row

from evaltop.store import db as store_db

EXE = str(Path(sys.executable).with_name("evaltop"))
TEXTS = ["refund shipped", "refund pending", "invoice shipped"]


def setup(tmp_path: Path, *, search: bool) -> None:
    (tmp_path / "evaltop.toml").write_text(
        f'[store]\npath = "evaltop.db"\nsearch = {"true" if search else "false"}\n')
    conn = store_db.connect(tmp_path / "evaltop.db")
    insert_outputs(conn, [output_row(i, NOW - (9 - i) * 60, output=f"{TEXTS[i % 3]} n{i}")
                          for i in range(9)])
    with store_db.write(conn):
        insert_score(conn, "out-000001", NOW, "json_valid", 0)
        insert_score(conn, "out-000001", NOW, "tone", 0)
        insert_score(conn, "out-000001", NOW, "length", 1)
        insert_score(conn, "out-000002", NOW, "tone", 0)
    conn.close()


def run(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *argv], capture_output=True, text=True, cwd=tmp_path)


def test_failing_cases_name_the_judges_that_failed(tmp_path):
    setup(tmp_path, search=False)
    proc = run(tmp_path, "cases", "--failing")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    assert "failed: tone " in lines[0] and "invoice shipped n2" in lines[0]
    assert "failed: json_valid, tone " in lines[1] and "length" not in lines[1]


def test_search_after_the_index_is_built(tmp_path):
    setup(tmp_path, search=True)
    proc = run(tmp_path, "cases", "--search", "refund")
    assert proc.returncode == 2 and "evaltop search-index" in proc.stderr
    built = run(tmp_path, "search-index")
    assert built.returncode == 0 and "search index ready" in built.stdout, built.stderr
    proc = run(tmp_path, "cases", "--search", "refund NOT shipped")
    assert proc.returncode == 0, proc.stderr
    assert [ln.split()[-1] for ln in proc.stdout.splitlines()] == ["n7", "n4", "n1"]
    proc = run(tmp_path, "cases", "--failing", "--search", "refund")
    assert [ln.split()[-1] for ln in proc.stdout.splitlines()] == ["n1"]
    proc = run(tmp_path, "cases", "--search", "zebra")
    assert proc.returncode == 0 and proc.stdout.strip() == "no outputs match the search"


def test_a_bad_query_is_one_line_not_a_traceback(tmp_path):
    setup(tmp_path, search=True)
    run(tmp_path, "search-index")
    for query in ('"refund', "NOT shipped", "refund NOT"):
        proc = run(tmp_path, "cases", "--search", query)
        assert proc.returncode == 2 and not proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("evaltop: search: "), proc.stderr


def test_search_off_says_how_to_turn_it_on(tmp_path):
    setup(tmp_path, search=False)
    proc = run(tmp_path, "cases", "--search", "refund")
    assert proc.returncode == 2
    assert "full-text search is off" in proc.stderr and "search = true" in proc.stderr
    proc = run(tmp_path, "search-index")
    assert proc.returncode == 0 and "search is off" in proc.stdout
