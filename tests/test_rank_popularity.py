"""Unit tests for search.rank.popularity: a log-scaled, dampened tie-breaker.

1. popularity = log10(1 + MAU) / 8, clipped to [0, 1]; a negative count is 0.
2. Monotonic in MAU, and log-dampened: every tenfold more users adds the same
   1/8, so 10^8 and 10^9 users score alike.
3. In rank() its part is at most ``weights.popularity``; between equal text
   matches it decides the order, but it never lifts a one-word match over a
   full-coverage match in the name, brand, keyword or category fields, however
   many users the one-word match has.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from indexer.dictionaries import Dictionaries
from indexer.document import StoredDoc
from search.rank import WEIGHTS, rank
from search.rank.candidate import Candidate
from search.rank.popularity import MAX_LOG_MAU, popularity
from tests.rankkit import Kit, cand, listing, make_kit


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def bare(mau: int) -> Candidate:
    """A candidate that carries only its user count (popularity reads nothing else)."""
    doc = StoredDoc(
        appid="wx0000000000000000",
        brand_id=None,
        official=False,
        mau=mau,
        where={},
        roman=[],
        norm={},
        py=[],
        pi=[],
        exact=[],
        spell=[],
        main=False,
    )
    return Candidate(doc, 0.0, b"{}")


def pop(mau: int) -> float:
    return popularity(bare(mau))


@pytest.mark.parametrize(
    ("mau", "expected"),
    [
        (0, 0.0),
        (9, 1 / 8),
        (99, 2 / 8),
        (9_999, 4 / 8),
        (10**8 - 1, 1.0),
        (10**8, 1.0),
        (10**12, 1.0),
        (-5, 0.0),
    ],
)
def test_values(mau: int, expected: float) -> None:
    assert pop(mau) == pytest.approx(expected)


def test_formula() -> None:
    assert MAX_LOG_MAU == 8.0
    for mau in (1, 2, 37, 1000, 123_456, 5_000_000):
        assert pop(mau) == pytest.approx(math.log10(1 + mau) / 8)


def test_monotonic_and_clipped() -> None:
    counts = [0, 1, 2, 5, 10, 99, 100, 1000, 10**5, 10**7, 10**8, 10**9, 10**15]
    values = [pop(m) for m in counts]
    assert values == sorted(values)
    assert all(0.0 <= v <= 1.0 for v in values)


def test_log_dampened() -> None:
    """Every tenfold adds 1/8: a thousand times more users is worth 3/8 of the weight."""
    for mau in (10, 1000, 10**5):
        assert pop(mau * 10 - 1) - pop(mau - 1) == pytest.approx(1 / 8)
    assert pop(10**6 - 1) - pop(10**3 - 1) == pytest.approx(3 / 8)


# ------------------------------------------------------------------ in rank()


def test_part_is_bounded_by_the_weight(kit: Kit) -> None:
    q = kit.parse("拿铁")
    ranked = rank(
        q, [cand(kit, listing("拿铁工坊", key=str(m), mau=m)) for m in (0, 9_999, 10**10)]
    )
    parts = sorted(r.parts["popularity"] for r in ranked)
    assert parts == pytest.approx([0.0, WEIGHTS.popularity * 4 / 8, WEIGHTS.popularity])


def test_breaks_ties_between_equal_matches(kit: Kit) -> None:
    q = kit.parse("拿铁")
    few = cand(kit, listing("拿铁工坊", key="few", mau=10))
    many = cand(kit, listing("拿铁工坊", key="many", mau=10**6))
    assert [r.candidate for r in rank(q, [few, many])] == [many, few]


FULL_COVERAGE: dict[str, dict[str, Any]] = {
    "name": {"name": "拿铁外卖"},
    "keywords": {"keywords": ["拿铁", "外卖"]},
    "category": {"category": ["餐饮", "拿铁外卖"]},
    "brand": {"name": "咖啡店", "brand_id": "starbucks"},
}


@pytest.mark.parametrize("where", FULL_COVERAGE)
def test_never_lifts_one_word_over_full_coverage(kit: Kit, where: str) -> None:
    """A one-word whole-name match with 10^9 users and the top first-stage score stays
    below a full-coverage match with no users at all."""
    fields = {"name": "某店", **FULL_COVERAGE[where]}
    q = kit.parse("星巴克 咖啡" if where == "brand" else "拿铁 外卖")
    full = cand(kit, listing(key="full", mau=0, **fields), bm25=0.0)
    one_word = "星巴克门店" if where == "brand" else "拿铁工坊"
    one = cand(kit, listing(one_word, key="one", mau=10**9), bm25=1.0)
    ranked = rank(q, [one, full])
    assert ranked[0].candidate is full, [(r.candidate.listing["name"], r.parts) for r in ranked]
    assert ranked[1].parts["popularity"] == WEIGHTS.popularity


def test_never_lifts_one_word_over_full_coverage_in_showcase(kit: Kit) -> None:
    q = kit.parse("拿铁 外卖")
    full = cand(kit, listing("某店", key="full", showcase=["拿铁", "外卖"], mau=0), bm25=1.0)
    one = cand(kit, listing("拿铁工坊", key="one", mau=10**9), bm25=1.0)
    assert rank(q, [one, full])[0].candidate is full
