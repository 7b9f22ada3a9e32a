"""Judge-human agreement: Cohen's kappa on pass/fail per judge.

Kappa is reported only from ``min_overlap`` (default 20) outputs labelled by
a human and scored by the judge; below that it is None (too few to say).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from evaltop.core.analysis.stats import cohen_kappa
from evaltop.store import analysis_queries as q

MIN_OVERLAP = 20


def agreement(conn: sqlite3.Connection,
              min_overlap: int = MIN_OVERLAP) -> dict[str, dict[str, Any]]:
    """{judge: {"n", "kappa", "observed_agreement", "judge_pass_rate",
    "human_pass_rate", "table": [[both pass, judge pass/human fail],
    [judge fail/human pass, both fail]]}}."""
    out: dict[str, dict[str, Any]] = {}
    for row in q.agreement_tables(conn):
        a, b, c, d = (int(row[k] or 0) for k in (
            "both_pass", "judge_pass_human_fail", "judge_fail_human_pass", "both_fail"))
        n = a + b + c + d
        if n == 0:
            continue
        kappa = cohen_kappa(a, b, c, d) if n >= min_overlap else None
        out[row["judge"]] = {
            "n": n,
            "kappa": None if kappa is None else round(kappa, 4),
            "observed_agreement": round((a + d) / n, 4),
            "judge_pass_rate": round((a + b) / n, 4),
            "human_pass_rate": round((a + c) / n, 4),
            "table": [[a, b], [c, d]],
            "enough": n >= min_overlap,
        }
    return out
