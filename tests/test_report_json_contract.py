"""The report's regression keys are a public contract (README "Report
schema"): for a fixed database and ``now`` the JSON `evaltop report --format
json` prints for them is byte-for-byte the recorded one. Rewriting how the
analysis holds its results must not change a key, a value or their order."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from evaltop.core.model.window import Window
from evaltop.core.views.report.build import build
from evaltop.core.views.report.context import ReportContext
from tests.analysis_helpers import DAY, NOW, flush, judged_output, new_rows, planted_traffic

GOLDEN = Path(__file__).parent / "data" / "report" / "regressions.json"
KEYS = ("window", "baseline_window", "regressions", "regression_summary", "prompt_regressions")


def _traffic(conn) -> None:
    """A planted drop (rule and LLM judge), a task taken over by a new model
    (task-level rows) and one-sided segments (insufficient)."""
    planted_traffic(conn, seed=1, n_per_side=200, planted=("extract", "claude-haiku"), drop=0.3)
    rng = random.Random(4)
    rows = new_rows()
    for i, (lo, hi, model, rate) in enumerate(((NOW - 8 * DAY, NOW - DAY, "gpt-4o", 0.9),
                                                (NOW - DAY, NOW, "claude-sonnet", 0.6))):
        for k in range(150):
            judged_output(rows, f"t{i}-{k}", rng.uniform(lo, hi), rng.random() < rate,
                          task="translate", model=model, prompt_version=f"p{i}", rng=rng)
    flush(conn, rows)


def report_json(conn, cfg) -> str:
    window = Window.ending_at(NOW, DAY)
    report = build(ReportContext(cfg, conn, window, window.before(7 * DAY), now=NOW))
    shown = {k: report[k] for k in KEYS}
    return json.dumps(shown, indent=2, ensure_ascii=False, default=str) + "\n"


def test_report_regressions_json_is_unchanged(conn, make_config):
    _traffic(conn)
    got = report_json(conn, make_config({"analysis": {"min_n": 30}}))
    if os.environ.get("EVALTOP_RECORD_GOLDEN"):
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8")


def test_the_cached_form_round_trips_every_kind_of_row(conn, make_config):
    """The analysis cache stores rows as :meth:`Regression.to_dict`: reading
    one back gives the same value (task-level, insufficient, untested)."""
    from evaltop.core.analysis.regressions import Regression, find_regressions

    _traffic(conn)
    window = Window.ending_at(NOW, DAY)
    rows = find_regressions(conn, make_config({"analysis": {"min_n": 30}}), window,
                            window.before(7 * DAY))
    assert {r.level for r in rows} == {"segment", "task"} and any(r.insufficient for r in rows)
    assert {r.direction for r in rows} >= {"regressed", "improved", None}
    for r in rows:
        back = Regression.from_dict(json.loads(json.dumps(r.to_dict())))
        assert back == r and back.to_dict() == r.to_dict()
