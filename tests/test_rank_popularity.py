"""Unit tests for search.rank.popularity (indexer.priors): a log-scaled, dampened factor.

1. popularity = log10(1 + MAU) / 8, clipped to [0, 1]; a negative count is 0.
2. Monotonic in MAU, and log-dampened: every tenfold more users adds the same 1/8, so
   10^8 and 10^9 users score alike.
3. The stored prior is what tantivy's ``weight_by_field`` turns into the factor:
   log2(2 + prior) = (1 + weight × popularity) × national, for each prior the index
   stores (a name's, a need's, a need naming a place's); only a need naming no place
   multiplies a national service's score besides.
4. In the whole score it multiplies the other parts: it adds at most ``weight`` of them;
   between equal matches it decides the order, but it never lifts a one-word match
   over a full-coverage match in the name, brand, keyword or category fields, however
   many users the one-word match has.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from indexer.dictionaries import Dictionaries
from indexer.priors import (
    MAX_LOG_MAU,
    NAME_PRIOR,
    NEED_PRIOR,
    PLACE_PRIOR,
    POPULARITY_WEIGHT,
    PRIORS,
    Prior,
    mau_popularity,
    popularity_factor,
    prior_value,
)
from search.rank import WEIGHTS
from tests.rankkit import Kit, listing, make_kit, scored

pop = mau_popularity


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


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


@pytest.mark.parametrize("mau", [0, 1, 9_999, 10**6, 10**9])
def test_stored_prior_gives_the_factor(mau: int) -> None:
    assert math.log2(2 + prior_value(mau)) == pytest.approx(popularity_factor(mau))
    assert popularity_factor(mau) == pytest.approx(1 + POPULARITY_WEIGHT * pop(mau))
    assert WEIGHTS.popularity == POPULARITY_WEIGHT


@pytest.mark.parametrize("national", [False, True])
@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("mau", [0, 9_999, 10**9])
def test_each_stored_prior_gives_its_factor(mau: int, prior: Prior, national: bool) -> None:
    factor = (1 + prior.weight * pop(mau)) * (prior.national if national else 1.0)
    assert math.log2(2 + prior_value(mau, prior, national)) == pytest.approx(factor)
    assert popularity_factor(mau, prior, national) == pytest.approx(factor)


def test_a_need_s_prior_weighs_popularity_more_and_only_it_prefers_national() -> None:
    assert NAME_PRIOR.weight == POPULARITY_WEIGHT < NEED_PRIOR.weight == PLACE_PRIOR.weight
    assert NEED_PRIOR.national > 1.0 == NAME_PRIOR.national == PLACE_PRIOR.national
    assert len({p.field for p in PRIORS}) == len(PRIORS)


# ------------------------------------------------------------------ in the whole score


def test_part_is_bounded_by_the_weight(kit: Kit) -> None:
    for mau in (0, 9_999, 10**10):
        s = scored(kit, "拿铁", listing("拿铁工坊", key=str(mau), mau=mau))
        base = s.score - s.parts["popularity"]
        assert s.parts["popularity"] == pytest.approx(base * WEIGHTS.popularity * pop(mau))
        assert s.parts["popularity"] <= base * WEIGHTS.popularity + 1e-9


def test_breaks_ties_between_equal_matches(kit: Kit) -> None:
    few = scored(kit, "拿铁", listing("拿铁工坊", key="few", mau=10))
    many = scored(kit, "拿铁", listing("拿铁工坊", key="many", mau=10**6))
    assert many.score > few.score
    assert many.score - many.parts["popularity"] == pytest.approx(
        few.score - few.parts["popularity"]
    )


FULL_COVERAGE: dict[str, dict[str, Any]] = {
    "name": {"name": "拿铁外卖"},
    "keywords": {"keywords": ["拿铁", "外卖"]},
    "category": {"category": ["餐饮", "拿铁外卖"]},
    "brand": {"name": "咖啡店", "brand_id": "starbucks"},
}


@pytest.mark.parametrize("where", FULL_COVERAGE)
def test_never_lifts_one_word_over_full_coverage(kit: Kit, where: str) -> None:
    """A one-word whole-name match with 10^9 users stays below a full-coverage match with
    no users at all."""
    fields = {"name": "某店", **FULL_COVERAGE[where]}
    q = "星巴克 咖啡" if where == "brand" else "拿铁 外卖"
    full = scored(kit, q, listing(key="full", mau=0, **fields))
    one_word = "星巴克门店" if where == "brand" else "拿铁工坊"
    one = scored(kit, q, listing(one_word, key="one", mau=10**9))
    assert full.score > one.score, (full.parts, one.parts)


def test_never_lifts_one_word_over_full_coverage_in_showcase(kit: Kit) -> None:
    """Showcase titles weigh 0.7 of a name, so full coverage there is 1.4 times a one-word
    name match: it stays above one with 10^9 users (popularity lifts at most 1.35)."""
    full = scored(kit, "拿铁 外卖", listing("某店", key="full", showcase=["拿铁", "外卖"], mau=0))
    one = scored(kit, "拿铁 外卖", listing("拿铁工坊", key="one", mau=10**9))
    assert full.score > one.score
