"""Unit tests for search.rank.official (brand_group): official beats unofficial.

1. The whole query names brand B (any spelling the resolver accepts): B's official
   listings get ``official``, B's main official listing ``main_official`` more,
   B's other listings (dealers) ``brand_listing``; nothing for other brands and
   brandless listings.
2. One word among several names B: only B's official listings get
   ``mentioned_official`` (no main extra, nothing for dealers).
3. No lift for an ambiguous name (two brands) or a word read literally.
4. In the whole score: B's official listing beats far more popular non-official listings
   that carry B's name; officials, then dealers, then lookalikes.
"""

from __future__ import annotations

from typing import Any

import pytest

from indexer import schema as f
from indexer.dictionaries import Dictionaries
from indexer.models import Listing
from search.query import ParsedQuery
from search.rank import WEIGHTS
from tests.rankkit import BY_ID, Kit, listing, make_kit, scored, terms

W = WEIGHTS
STARBUCKS = BY_ID["starbucks"]


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def starbucks(name: str, *, official: bool, slot: int | None = None, **kw: Any) -> Listing:
    """A Starbucks listing; ``slot`` picks its appid from the brand's official_appids."""
    aid = None if slot is None else STARBUCKS.official_appids[slot]
    return listing(name, aid=aid, brand_id="starbucks", official=official, **kw)


Pool = dict[str, Listing]


@pytest.fixture(scope="module")
def pool() -> Pool:
    return {
        "main": starbucks("星巴克用户中心", official=True, slot=0),
        "second": starbucks("星巴克臻选", official=True, slot=1),
        "dealer": starbucks("星巴克咖啡", official=False),
        "lookalike": listing("星巴克优惠券代下单", mau=10**9),
        "other": listing("麦当劳点餐", brand_id="mcdonalds", official=True),
    }


def lift(kit: Kit, q: str | ParsedQuery, item: Listing) -> float:
    return scored(kit, q, item).parts.get("brand", 0.0)


def lifts(kit: Kit, pool: Pool, q: str) -> dict[str, float]:
    parsed = kit.parse(q)
    return {k: lift(kit, parsed, item) for k, item in pool.items()}


def test_official_and_dealer_terms_come_from_the_listing(kit: Kit, pool: Pool) -> None:
    held = {k: terms(kit, item).terms for k, item in pool.items()}
    assert held["main"][f.BRAND_OFFICIAL] == {"starbucks"}
    assert held["second"][f.BRAND_OFFICIAL] == {"starbucks"}
    assert held["dealer"][f.BRAND_DEALER] == {"starbucks"}
    assert f.BRAND_OFFICIAL not in held["dealer"]
    assert f.BRAND_OFFICIAL not in held["lookalike"] and f.BRAND_DEALER not in held["lookalike"]
    assert pool["main"].appid == STARBUCKS.official_appids[0]
    assert pool["second"].appid == STARBUCKS.official_appids[1]


@pytest.mark.parametrize(
    "q", ["星巴克", "星爸爸", "Starbucks", "xingbake", "xbk", "stabucks", "xingba", "星巴"]
)
def test_whole_query_names_the_brand(kit: Kit, pool: Pool, q: str) -> None:
    assert lifts(kit, pool, q) == {
        "main": pytest.approx(W.official + W.main_official),
        "second": pytest.approx(W.official),
        "dealer": pytest.approx(W.brand_listing),
        "lookalike": 0.0,
        "other": 0.0,
    }


def test_one_word_among_several_names_the_brand(kit: Kit, pool: Pool) -> None:
    parsed = kit.parse("星巴克 拿铁")
    assert parsed.resolution is None and parsed.units[0].brand_ids == ("starbucks",)
    assert lifts(kit, pool, "星巴克 拿铁") == {
        "main": W.mentioned_official,
        "second": W.mentioned_official,
        "dealer": 0.0,
        "lookalike": 0.0,
        "other": 0.0,
    }


@pytest.mark.parametrize("q", ["拿铁", "咖啡", "麦当劳 拿铁 星冰乐"])
def test_queries_not_naming_the_brand(kit: Kit, pool: Pool, q: str) -> None:
    got = lifts(kit, pool, q)
    assert got["main"] == got["second"] == got["dealer"] == got["lookalike"] == 0.0


def test_other_brand_named_in_a_longer_query(kit: Kit, pool: Pool) -> None:
    assert lifts(kit, pool, "麦当劳 拿铁")["other"] == W.mentioned_official


def test_ambiguous_name_lifts_nobody(kit: Kit) -> None:
    parsed = kit.parse("Dove")
    assert parsed.resolution is not None and parsed.resolution.unique is None
    for brand_id in ("dove-care", "dove-chocolate"):
        item = listing(f"{brand_id} 官方", brand_id=brand_id, official=True)
        assert lift(kit, parsed, item) == 0.0


def test_literal_reading_lifts_nobody(kit: Kit) -> None:
    apple = listing("Apple Store", brand_id="apple", official=True)
    parsed = kit.parse("红富士 苹果")
    assert lift(kit, parsed, apple) == W.mentioned_official
    parsed.units[-1].read_literally()
    assert lift(kit, parsed, apple) == 0.0


def test_lift_order() -> None:
    assert W.official + W.main_official > W.official > W.mentioned_official > W.brand_listing > 0


# ------------------------------------------------------------------ the whole score


def test_official_beats_a_more_popular_lookalike(kit: Kit) -> None:
    """The lookalike has 10^9 users and the brand in its name."""
    official = starbucks("星巴克臻选", official=True, key="quiet", mau=0)
    lookalike = listing("星巴克优惠券代下单", key="loud", mau=10**9)
    for q in ("星巴克", "xingbake", "stabucks"):
        a, b = scored(kit, q, official), scored(kit, q, lookalike)
        assert a.score > b.score, q
        assert b.parts["popularity"] > a.parts["popularity"]


def test_official_first_in_a_longer_query(kit: Kit) -> None:
    """星巴克 拿铁: the official listing with 拿铁 in its showcase beats a popular lookalike
    with both words in its name."""
    official = starbucks("星巴克用户中心", official=True, showcase=["拿铁"], mau=10)
    lookalike = listing("星巴克拿铁代下单", key="dx", mau=10**9)
    assert scored(kit, "星巴克 拿铁", official).score > scored(kit, "星巴克 拿铁", lookalike).score


def test_officials_before_dealer_before_lookalike(kit: Kit, pool: Pool) -> None:
    parsed = kit.parse("星巴克")
    order = sorted(pool, key=lambda k: -scored(kit, parsed, pool[k]).score)
    assert order[:4] == ["main", "second", "dealer", "lookalike"]
