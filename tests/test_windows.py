"""The current/baseline window rule (core/model/window.py) that the dashboard,
the analysis job, the report and the demo share.

Before it had one home the four disagreed on ``[analysis] since = "all"``:
the dashboard and the report showed "no baseline", while the analysis's own
``default_windows`` and the demo summary raised ValueError. "No baseline" is
the rule now (nothing lies before an unbounded window), everywhere."""

from __future__ import annotations

import pytest

from evaltop.core.analysis import cache
from evaltop.core.demo.summary import demo_report
from evaltop.core.model.window import Window, analysis_windows, baseline_for
from evaltop.core.views.report.analysis import _baseline
from evaltop.core.views.report.context import ReportContext
from tests.analysis_helpers import DAY, NOW


def test_configured_windows(make_config):
    a = make_config({"analysis": {"since": "24h", "baseline": "7d"}}).analysis
    assert analysis_windows(a, NOW) == (Window(NOW - DAY, NOW), Window(NOW - 8 * DAY, NOW - DAY))
    assert baseline_for(Window(NOW - DAY, NOW), a) == Window(NOW - 8 * DAY, NOW - DAY)


def test_overrides_win_and_name_the_option(make_config):
    a = make_config().analysis
    assert analysis_windows(a, NOW, since="2h", baseline="1h") == (
        Window(NOW - 7200, NOW), Window(NOW - 10800, NOW - 7200))
    assert analysis_windows(a, NOW, since="2h", baseline="all")[1] == Window(None, NOW - 7200)
    with pytest.raises(ValueError, match=r"^--since: expected a duration"):
        analysis_windows(a, NOW, since="soon")
    with pytest.raises(ValueError, match=r"^--baseline: expected a duration"):
        analysis_windows(a, NOW, since="all", baseline="week")


def test_an_unbounded_current_window_has_no_baseline(make_config):
    a = make_config({"analysis": {"since": "all"}}).analysis
    assert analysis_windows(a, NOW) == (Window(None, NOW), None)
    assert analysis_windows(make_config().analysis, NOW, since="all") == (Window(None, NOW), None)
    with pytest.raises(ValueError, match=r"^--baseline: a baseline needs a bounded current window"):
        analysis_windows(a, NOW, baseline="7d")  # asked for explicitly: an error, not ignored


def test_every_user_of_the_rule_agrees(conn, db_path, make_config):
    for since in ("24h", "all"):
        cfg = make_config({"analysis": {"since": since, "baseline": "3d"}})
        current, baseline = analysis_windows(cfg.analysis, NOW)
        assert _baseline(ReportContext(cfg, conn, current, now=NOW)) == baseline
        found = cache.fresh_regressions(conn, cfg, NOW)  # what the dashboard and the job show
        assert found.notes == ([] if baseline else ["regressions: n/a (analysis.since is `all`)"])
        report = demo_report(cfg, db_path, now=NOW)  # raised ValueError for `all` before
        assert (report["window"]["since"] is None) == (current.since is None)
        assert ("baseline_window" in report) == (baseline is not None)
        if baseline is None:
            assert "no baseline" in report["regression_summary"]["note"]
