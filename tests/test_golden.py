"""Golden queries (tests/golden/dev.jsonl) against the sample index.

1. The dev golden set scores at or above the recorded floor (nDCG@10, P@1).
2. No must_not listing is ever returned.
3. Every judged appid that is returned is visible in the query's host (online, live there).
"""

from __future__ import annotations

import pytest

from search.engine import Engine
from search.eval import EvalReport, check_thresholds, evaluate, load_golden
from tests.conftest import GOLDEN

# Floors recorded when the ranking last changed; raise them with every improvement.
MIN_NDCG = 0.93
MIN_P1 = 0.94


@pytest.fixture(scope="module")
def report(engine: Engine) -> EvalReport:
    return evaluate(load_golden(GOLDEN), lambda g: engine.ranked_appids(g.query, g.host))


def test_golden_floor(report: EvalReport) -> None:
    failures = check_thresholds(report, MIN_NDCG, min_p1=MIN_P1)
    assert failures == [], failures


def test_no_must_not_violations(report: EvalReport) -> None:
    assert report.must_not_violations == 0
    assert all(not q.violations for q in report.queries)


def test_returned_listings_are_visible_in_host(report: EvalReport, engine: Engine) -> None:
    for q in report.queries:
        for appid in q.returned:
            listing = engine.listing(appid)
            assert listing["status"] == "online", (q.id, appid)
            assert q.host in listing["hosts"], (q.id, appid)
