"""What `evaltop score` prints about unconfirmed judge spend after the merge of
issue 12's drain (summary lines in tui/cli/score_text.py, pages added up in
core/scoring/drain.py) with issue 13's unconfirmed spend."""

from evaltop.core.scoring.drain import _add
from evaltop.core.scoring.judges.runner import ScoreSummary
from evaltop.tui.cli.score_text import score_line, summary_lines


def test_drained_summary_shows_unconfirmed_spend_apart_from_confirmed():
    total = ScoreSummary()
    for cost, est in ((2 * 10**9, 10**9), (10**9, 3 * 10**9)):  # two pages of the backlog
        _add(total, ScoreSummary(done=1, passed=1, calls=2, cost_pusd=cost,
                                 unconfirmed_pusd=est, unconfirmed_calls=1))
    assert (total.unconfirmed_pusd, total.unconfirmed_calls) == (4 * 10**9, 2)
    lines = summary_lines({"sampled": {}, "scored": total.as_dict(),
                           "drained": {"pending_after": 0}})
    judged = lines[1]
    assert ("spend $0.003000 + up to $0.004000 unconfirmed "
            "(2 attempts cut off after sending)") in judged
    assert lines[-1] == "nothing left pending"


def test_no_unconfirmed_words_when_every_call_was_billed():
    line = score_line({"sampled": {}, "scored": ScoreSummary(calls=1, cost_pusd=10**9).as_dict()})
    assert "unconfirmed" not in line and "spend $0.001000" in line
