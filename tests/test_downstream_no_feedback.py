"""Issue 12: "user corrections 0.0% (n=12)" was shown with no feedback events
at all; a rate no event could move says "no feedback" instead."""

from __future__ import annotations

from tui_helpers import NOW, seed, seed_config

from evaltop.core.analysis.arms import compare_arms
from evaltop.core.analysis.downstream import overall
from evaltop.core.model.window import Window
from evaltop.core.views.report.analysis import _downstream_lines
from evaltop.store import db as store_db


def _report_lines(conn, cfg) -> tuple[dict, str]:
    total = overall(conn, cfg, Window(NOW - 86400, NOW))
    return total, "\n".join(_downstream_lines({"all": total}))


def test_no_feedback_events_reads_no_feedback_not_zero_percent(tmp_path, make_config):
    db = seed(tmp_path / "evaltop.db")
    cfg = seed_config(make_config)
    conn = store_db.connect(db)
    total, text = _report_lines(conn, cfg)
    assert total["user_correction"]["events"] > 0  # the seed has user_corrected events
    assert "user corrections " in text and "user corrections: no feedback" not in text
    with store_db.write(conn):
        conn.execute("DELETE FROM feedback")
    total, text = _report_lines(conn, cfg)
    assert total["user_correction"]["events"] == 0 and total["user_correction"]["n"] > 0
    assert "user corrections: no feedback" in text
    assert "user corrections 0.0%" not in text
    assert "task completion: no feedback" in text and "thumbs up: no feedback" in text
    assert "error rate " in text  # call errors count without any feedback event
    for task in compare_arms(conn, cfg, Window(NOW - 86400, NOW)):
        for arm in task["arms"]:
            assert "user_correction" not in arm["vs_reference"]  # 0 vs 0: nothing to compare
    conn.close()
