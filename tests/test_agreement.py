"""Human labels, the review queue and judge-human agreement (kappa)."""

from __future__ import annotations

import pytest

from evaltop.core.analysis.agreement import agreement
from evaltop.core.analysis.trends import score_trend
from evaltop.core.model.window import Window
from evaltop.store import labels
from tests.analysis_helpers import NOW, add_outputs, add_samples, add_scores


def labelled(
    conn, table: tuple[int, int, int, int], judge: str = "quality", start: int = 0
) -> None:
    """Outputs whose (judge verdict, human label) follow the 2x2 ``table``:
    both pass, judge pass/human fail, judge fail/human pass, both fail."""
    cells = (
        [(1, "pass")] * table[0]
        + [(1, "fail")] * table[1]
        + [(0, "pass")] * table[2]
        + [(0, "fail")] * table[3]
    )
    ids = [f"{judge}-{start + i}" for i in range(len(cells))]
    add_outputs(conn, [{"id": oid, "ts": NOW - 100} for oid in ids])
    add_scores(
        conn,
        [
            {
                "output_id": oid,
                "judge": judge,
                "kind": "llm",
                "passed": passed,
                "score": 4.0 * passed,
                "output_ts": NOW - 100,
            }
            for oid, (passed, _h) in zip(ids, cells, strict=True)
        ],
    )
    for oid, (_p, human) in zip(ids, cells, strict=True):
        labels.set_label(conn, oid, human, reviewer="ana")


def test_kappa_on_a_hand_computed_table(conn):
    labelled(conn, (20, 5, 10, 15))
    a = agreement(conn)["quality"]
    assert a["n"] == 50 and a["kappa"] == pytest.approx(0.4)
    assert a["observed_agreement"] == pytest.approx(0.7)
    assert a["judge_pass_rate"] == pytest.approx(0.5) and a["human_pass_rate"] == pytest.approx(0.6)
    assert a["table"] == [[20, 5], [10, 15]]


def test_kappa_is_none_below_twenty_overlaps(conn):
    labelled(conn, (10, 1, 1, 7))  # 19 overlapping labels
    a = agreement(conn)["quality"]
    assert a["n"] == 19 and a["kappa"] is None and a["enough"] is False
    labelled(conn, (1, 0, 0, 0), start=100)  # the 20th
    # table (11, 1, 1, 7): po = 0.9, pe = 0.6*0.6 + 0.4*0.4 = 0.52
    assert agreement(conn)["quality"]["kappa"] == pytest.approx((0.9 - 0.52) / 0.48, abs=1e-4)


def test_error_scores_and_unlabelled_outputs_do_not_count(conn):
    labelled(conn, (12, 0, 0, 12))
    add_outputs(conn, [{"id": "err", "ts": NOW}, {"id": "nolabel", "ts": NOW}])
    add_scores(conn, [{"output_id": "err", "judge": "quality", "status": "error", "output_ts": NOW},
                      {"output_id": "nolabel", "judge": "quality", "passed": 1, "output_ts": NOW}])
    labels.set_label(conn, "err", "fail")
    assert agreement(conn)["quality"]["n"] == 24
    assert agreement(conn)["quality"]["kappa"] == pytest.approx(1.0)


def test_labels_replace_and_validate(conn):
    add_outputs(conn, [{"id": "o1", "ts": NOW}])
    labels.set_label(conn, "o1", "fail", score=2, reviewer="bo", note="wrong date", now=NOW)
    labels.set_label(conn, "o1", "pass", reviewer="ana", now=NOW + 1)
    row = labels.get_label(conn, "o1")
    assert (row["label"], row["reviewer"], row["score"], row["note"], row["ts"]) == (
        "pass", "ana", None, None, NOW + 1)
    with pytest.raises(ValueError, match="'pass' or 'fail'"):
        labels.set_label(conn, "o1", "maybe")
    assert labels.count_labels(conn) == {"pass": 1}
    assert labels.delete_label(conn, "o1") and labels.get_label(conn, "o1") is None


def test_review_queue_is_oldest_first_keyset_paged_and_skips_labelled(conn):
    add_outputs(
        conn,
        [
            {"id": f"o{i}", "ts": NOW - 1000 + (i % 7), "output_text": f"text {i}"}
            for i in range(25)
        ],
    )
    add_samples(conn, [(f"o{i}", 0.1, NOW - 1000 + (i % 7)) for i in range(25)])
    labels.set_label(conn, "o3", "pass")
    seen, after = [], None
    while True:
        page = labels.review_queue(conn, after=after, limit=4)
        if not page:
            break
        seen += [(r["output_ts"], r["output_id"]) for r in page]
        after = (page[-1]["output_ts"], page[-1]["output_id"])
    assert len(seen) == 24 and "o3" not in {oid for _ts, oid in seen}
    assert seen == sorted(seen)
    assert labels.count_unlabeled(conn) == 24



def test_review_queue_keeps_samples_whatever_their_judging_status(conn):
    """Every sampled output is reviewable, judged or not: a sample the judges
    never graded ('pending', or 'skipped' as the schema's status allows) needs
    a human verdict most, and leaving it out would bias the labelled sample and
    disagree with count_unlabeled (the queue's total)."""
    from evaltop.store import db as store_db

    add_outputs(conn, [{"id": oid, "ts": NOW - 10} for oid in ("p", "d", "s")])
    add_samples(conn, [(oid, 0.5, NOW - 10) for oid in ("p", "d", "s")])
    with store_db.write(conn):
        conn.execute("UPDATE samples SET status = 'pending' WHERE output_id = 'p'")
        conn.execute("UPDATE samples SET status = 'done' WHERE output_id = 'd'")
        conn.execute("UPDATE samples SET status = 'skipped' WHERE output_id = 's'")
    queue = {r["output_id"]: r["status"] for r in labels.review_queue(conn)}
    assert queue == {"p": "pending", "d": "done", "s": "skipped"}
    assert labels.count_unlabeled(conn) == len(queue)

def test_score_trend_buckets(conn):
    add_outputs(
        conn,
        [
            {"id": f"o{i}", "ts": NOW - 7200 + i * 100, "model": "a" if i % 2 else "b"}
            for i in range(72)
        ],
    )
    add_samples(conn, [(f"o{i}", 0.5 if i < 36 else 1.0, NOW - 7200 + i * 100) for i in range(72)])
    add_scores(
        conn,
        [
            {
                "output_id": f"o{i}",
                "judge": "q",
                "kind": "llm",
                "passed": int(i % 3 != 0),
                "score": float(i % 5),
                "output_ts": NOW - 7200 + i * 100,
            }
            for i in range(72)
        ],
    )
    points = score_trend(conn, "q", Window(NOW - 7200, NOW), 3600)
    assert [p["ts"] for p in points] == [NOW - 7200, NOW - 3600]
    assert [p["n"] for p in points] == [36, 36]
    assert points[0]["pass_rate"] == pytest.approx(24 / 36)
    by_model = score_trend(conn, "q", Window(NOW - 7200, NOW), 3600, by="model")
    assert {p["key"] for p in by_model} == {"a", "b"} and sum(p["n"] for p in by_model) == 72
    assert score_trend(conn, "other", Window(NOW - 7200, NOW), 3600) == []
    with pytest.raises(ValueError):
        score_trend(conn, "q", Window(NOW - 7200, NOW), 3600, by="input_text")
