"""Unit tests for search.rank.official (brand_relation): official beats unofficial.

1. The whole query names brand B (any spelling the resolver accepts): B's official
   listings get ``official``, B's main official listing ``main_official`` more,
   B's other listings (dealers) ``brand_listing``; nothing for other brands and
   brandless listings.
2. One word among several names B: only B's official listings get
   ``mentioned_official`` (no main extra, nothing for dealers).
3. No lift for an ambiguous name (two brands) or a word read literally.
4. In rank(): B's official listing beats far more popular non-official listings
   that carry B's name, and a dealer beats a brandless lookalike only on the lift.
"""

from __future__ import annotations

from typing import Any

import pytest

from indexer.dictionaries import Dictionaries
from indexer.models import Listing
from search.rank import WEIGHTS, rank
from search.rank.candidate import Candidate
from search.rank.official import brand_relation
from tests.rankkit import BY_ID, Kit, cand, listing, make_kit

W = WEIGHTS
STARBUCKS = BY_ID["starbucks"]


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def starbucks(name: str, *, official: bool, slot: int | None = None, **kw: Any) -> Listing:
    """A Starbucks listing; ``slot`` picks its appid from the brand's official_appids."""
    aid = None if slot is None else STARBUCKS.official_appids[slot]
    return listing(name, aid=aid, brand_id="starbucks", official=official, **kw)


@pytest.fixture(scope="module")
def pool(kit: Kit) -> dict[str, Candidate]:
    return {
        "main": cand(kit, starbucks("星巴克用户中心", official=True, slot=0)),
        "second": cand(kit, starbucks("星巴克臻选", official=True, slot=1)),
        "dealer": cand(kit, starbucks("星巴克咖啡", official=False)),
        "lookalike": cand(kit, listing("星巴克优惠券代下单", mau=10**9)),
        "other": cand(kit, listing("麦当劳点餐", brand_id="mcdonalds", official=True)),
    }


def lifts(kit: Kit, pool: dict[str, Candidate], q: str) -> dict[str, float]:
    parsed = kit.parse(q)
    return {k: brand_relation(parsed, c, W) for k, c in pool.items()}


def test_main_flag_comes_from_the_brand_record(pool: dict[str, Candidate]) -> None:
    assert pool["main"].doc["main"] and not pool["second"].doc["main"]
    assert pool["main"].appid == STARBUCKS.official_appids[0]
    assert pool["second"].appid == STARBUCKS.official_appids[1]


@pytest.mark.parametrize(
    "q", ["星巴克", "星爸爸", "Starbucks", "xingbake", "xbk", "stabucks", "xingba", "星巴"]
)
def test_whole_query_names_the_brand(kit: Kit, pool: dict[str, Candidate], q: str) -> None:
    assert lifts(kit, pool, q) == {
        "main": pytest.approx(W.official + W.main_official),
        "second": pytest.approx(W.official),
        "dealer": pytest.approx(W.brand_listing),
        "lookalike": 0.0,
        "other": 0.0,
    }


def test_one_word_among_several_names_the_brand(kit: Kit, pool: dict[str, Candidate]) -> None:
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
def test_queries_not_naming_the_brand(kit: Kit, pool: dict[str, Candidate], q: str) -> None:
    got = lifts(kit, pool, q)
    assert got["main"] == got["second"] == got["dealer"] == got["lookalike"] == 0.0


def test_other_brand_named_in_a_longer_query(kit: Kit, pool: dict[str, Candidate]) -> None:
    assert lifts(kit, pool, "麦当劳 拿铁")["other"] == W.mentioned_official


def test_ambiguous_name_lifts_nobody(kit: Kit) -> None:
    parsed = kit.parse("Dove")
    assert parsed.resolution is not None and parsed.resolution.unique is None
    for brand_id in ("dove-care", "dove-chocolate"):
        c = cand(kit, listing(f"{brand_id} 官方", brand_id=brand_id, official=True))
        assert brand_relation(parsed, c, W) == 0.0


def test_literal_reading_lifts_nobody(kit: Kit) -> None:
    apple = cand(kit, listing("Apple Store", brand_id="apple", official=True))
    parsed = kit.parse("红富士 苹果")
    assert brand_relation(parsed, apple, W) == W.mentioned_official
    parsed.units[-1].read_literally()
    assert brand_relation(parsed, apple, W) == 0.0


def test_lift_order() -> None:
    assert W.official + W.main_official > W.official > W.mentioned_official > W.brand_listing > 0


# ------------------------------------------------------------------ rank()


def test_official_beats_a_more_popular_lookalike(kit: Kit, pool: dict[str, Candidate]) -> None:
    """The lookalike has 10^9 users, the top first-stage score and the brand in its name."""
    official = cand(kit, starbucks("星巴克臻选", official=True, key="quiet", mau=0), 0.1)
    lookalike = cand(kit, listing("星巴克优惠券代下单", key="loud", mau=10**9), bm25=9.0)
    for q in ("星巴克", "xingbake", "stabucks"):
        ranked = rank(kit.parse(q), [lookalike, official])
        assert [r.candidate for r in ranked] == [official, lookalike], q
        assert ranked[1].parts["popularity"] > ranked[0].parts["popularity"]


def test_official_first_in_a_longer_query(kit: Kit) -> None:
    """星巴克 拿铁: the official listing with 拿铁 in its showcase beats a popular lookalike
    with both words in its name."""
    official = cand(kit, starbucks("星巴克用户中心", official=True, showcase=["拿铁"], mau=10), 0.5)
    lookalike = cand(kit, listing("星巴克拿铁代下单", key="dx", mau=10**9), bm25=5.0)
    ranked = rank(kit.parse("星巴克 拿铁"), [lookalike, official])
    assert [r.candidate for r in ranked] == [official, lookalike]


def test_officials_before_dealer_before_lookalike(kit: Kit, pool: dict[str, Candidate]) -> None:
    order = [r.candidate for r in rank(kit.parse("星巴克"), list(pool.values()))]
    keys = {id(c): k for k, c in pool.items()}
    assert [keys[id(c)] for c in order][:4] == ["main", "second", "dealer", "lookalike"]
