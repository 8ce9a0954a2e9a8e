"""Unit tests for the retrieval fallbacks and the brand zone of search.engine, on tiny
in-memory indexes of hand-made listings.

1. Backfill: a plain-word query with fewer than a page of listings matching every
   word also gets listings matching fewer words, ranked after the full matches;
   with a page of full matches, no partial ones. A query stating a need gets the
   listings serving it, and partial matches only within the need's categories.
   Descriptions are searched only when the other fields give fewer than a page, and then
   rank below them.
2. A query naming a brand is not backfilled (a partial match there is another
   brand's product); it is relaxed only when nothing matches all its units.
3. A common-word brand name is read literally when no listing of the brand holds
   another query word (红富士 苹果), and as the brand when one does (苹果 手机).
4. Brand zone: the brand's first listed official listing found in the results,
   removed from them; none for a prefix, an ambiguous name or a brand without an official
   listing in the host.
5. The host filter excludes the hidden listings where fewer are hidden than live, and
   requires live ones elsewhere; both find the same listings. A host the version was not
   built for (added to the settings since) always requires live ones: its listings hold no
   hidden terms for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from indexer.dictionaries import Dictionaries
from indexer.models import Listing
from search.engine import PAGE, Engine, SearchRequest
from tests.rankkit import BY_ID, Kit, listing, make_kit, memory_engine

STARBUCKS = BY_ID["starbucks"]


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def names(eng: Engine, q: str, limit: int = 50, host: str = "jd") -> list[str]:
    resp = eng.search(SearchRequest(q=q, host=host, limit=limit))
    zone = [resp.brand_zone.card.name] if resp.brand_zone else []
    return zone + [c.name for c in resp.results]


# ------------------------------------------------------------------ 1 backfill


COFFEE = ("咖啡茶饮", "咖啡")
DELIVERY = ("生活服务", "外卖")


def test_backfill_adds_partial_matches_after_full_ones(kit: Kit) -> None:
    eng = memory_engine(
        kit,
        [
            listing("拿铁工坊", mau=10**8, category=COFFEE),
            listing("外卖小铺", mau=10**8, category=DELIVERY),
            listing("拿铁外卖", mau=0, category=COFFEE),
            listing("水果铺"),
        ],
    )
    got = names(eng, "拿铁 外卖")
    assert got[0] == "拿铁外卖"
    assert sorted(got[1:]) == ["外卖小铺", "拿铁工坊"]


def test_no_backfill_with_a_page_of_full_matches(kit: Kit) -> None:
    full = [listing("拿铁外卖", key=f"full{i}", category=COFFEE) for i in range(PAGE)]
    # in a sub-category the need names (外卖: 餐饮/快餐), so a partial match it may return
    partial = listing("拿铁工坊", mau=10**8, category=("餐饮", "快餐"))
    eng = memory_engine(kit, [*full, partial])
    got = names(eng, "拿铁 外卖")
    assert got == ["拿铁外卖"] * PAGE
    # one full match fewer: the partial match comes back
    eng = memory_engine(kit, [*full[1:], partial])
    assert names(eng, "拿铁 外卖")[-1] == "拿铁工坊"


def test_partial_matches_of_a_need_stay_in_its_categories(kit: Kit) -> None:
    """A listing sharing a word with a need query but serving something else is no answer:
    宠物医院 (a need of the lexicon, 生活服务/宠物) does not bring people's hospitals, and
    the need brings the listings of its category whose text says nothing of the words."""
    pets = ("生活服务", "宠物")
    eng = memory_engine(
        kit,
        [
            listing("猫咪宠物医院", category=pets),
            listing("猫咪乐园", category=pets),
            listing("爱宠之家", category=pets, keywords=["宠物用品"]),
            listing("人民医院", category=("医疗健康", "医院"), mau=10**8),
            listing("猫咪表情包", category=("工具",), mau=10**8),
        ],
    )
    got = names(eng, "猫咪 宠物医院")
    assert got[0] == "猫咪宠物医院"
    assert sorted(got[1:]) == ["爱宠之家", "猫咪乐园"]


# ------------------------------------------------------------------ 1b descriptions, a second tier


def test_description_matches_only_below_a_page(kit: Kit) -> None:
    described = listing("某店", key="desc", description="现磨拿铁外送", mau=10**8)
    named = [listing("拿铁工坊", key=f"named{i}") for i in range(PAGE)]
    eng = memory_engine(kit, [*named, described])
    resp = eng.search(SearchRequest(q="拿铁", host="jd", limit=50))
    assert resp.total == PAGE and "某店" not in [c.name for c in resp.results]
    # one named listing fewer: descriptions count, and the described listing comes back
    eng = memory_engine(kit, [*named[1:], described])
    resp = eng.search(SearchRequest(q="拿铁", host="jd", limit=50))
    assert resp.total == PAGE and "某店" in [c.name for c in resp.results]
    assert resp.results[-1].name == "某店"  # a description match ranks below name matches


# ------------------------------------------------------------------ 2 brand queries


def test_brand_query_is_not_backfilled(kit: Kit) -> None:
    eng = memory_engine(
        kit,
        [
            listing("星巴克臻选", brand_id="starbucks", official=True, keywords=["拿铁"]),
            listing("拿铁工坊", mau=10**8),
        ],
    )
    assert names(eng, "星巴克 拿铁") == ["星巴克臻选"]


def test_brand_query_is_relaxed_when_nothing_matches(kit: Kit) -> None:
    # no listing of the brand in the index, none with both words
    eng = memory_engine(kit, [listing("拿铁工坊"), listing("水果铺")])
    assert names(eng, "星巴克 拿铁") == ["拿铁工坊"]


# ------------------------------------------------------------------ 3 common-word brand names


def test_common_brand_word_read_by_context(kit: Kit) -> None:
    eng = memory_engine(
        kit,
        [
            listing("Apple Store", brand_id="apple", official=True, keywords=["手机"]),
            listing("水果铺", keywords=["苹果", "红富士"]),
        ],
    )
    assert eng.parse("红富士 苹果").units[1].sense == "literal"
    assert names(eng, "红富士 苹果") == ["水果铺"]
    assert eng.parse("苹果 手机").units[0].sense == "brand"
    assert names(eng, "苹果 手机")[0] == "Apple Store"


# ------------------------------------------------------------------ 4 brand zone


def official(name: str, slot: int, **kw: Any) -> Listing:
    """A Starbucks official listing whose appid is ``official_appids[slot]``."""
    aid = STARBUCKS.official_appids[slot]
    return listing(name, aid=aid, brand_id="starbucks", official=True, **kw)


@pytest.fixture(scope="module")
def zone_engine(kit: Kit) -> Engine:
    assert len(STARBUCKS.official_appids) == 2
    return memory_engine(
        kit,
        [
            official("星巴克臻选", 1),
            official("星巴克用户中心", 0),
            listing("星巴克优惠代下单", mau=10**9),
        ],
    )


@pytest.mark.parametrize("q", ["星巴克", "starbucks", "xingbake", "xbk", "stabucks"])
def test_zone_holds_the_main_official_listing(zone_engine: Engine, q: str) -> None:
    resp = zone_engine.search(SearchRequest(q=q, host="jd"))
    assert resp.brand_zone is not None
    assert resp.brand_zone.brand_id == "starbucks"
    assert resp.brand_zone.card.appid == STARBUCKS.official_appids[0]
    assert [c.name for c in resp.results] == ["星巴克臻选", "星巴克优惠代下单"]
    assert resp.total == 2


def test_no_zone_for_a_prefix(zone_engine: Engine) -> None:
    resp = zone_engine.search(SearchRequest(q="xingba", host="jd"))
    assert resp.brand_zone is None
    assert resp.results[0].appid == STARBUCKS.official_appids[0]
    assert resp.total == 3


def test_no_zone_for_an_ambiguous_name(kit: Kit) -> None:
    eng = memory_engine(kit, [listing("多芬", brand_id="dove-care", official=True)])
    resp = eng.search(SearchRequest(q="Dove", host="jd"))
    assert resp.brand_zone is None and [c.name for c in resp.results] == ["多芬"]


def test_zone_falls_back_to_the_second_official_listing(kit: Kit) -> None:
    eng = memory_engine(
        kit,
        [
            official("星巴克用户中心", 0, hosts=["samsung"]),
            official("星巴克臻选", 1),
        ],
    )
    resp = eng.search(SearchRequest(q="星巴克", host="jd"))
    assert resp.brand_zone is not None
    assert resp.brand_zone.card.appid == STARBUCKS.official_appids[1]
    assert resp.results == []


def test_no_zone_without_a_listed_official_listing(kit: Kit) -> None:
    # official, but not one of the brand record's official_appids
    eng = memory_engine(kit, [listing("星巴克臻选", brand_id="starbucks", official=True)])
    resp = eng.search(SearchRequest(q="星巴克", host="jd"))
    assert resp.brand_zone is None
    assert [c.name for c in resp.results] == ["星巴克臻选"]


# ------------------------------------------------------------------ 5 host filter form


def test_filter_excludes_hidden_where_fewer_are_hidden_than_live(kit: Kit) -> None:
    items = [listing(f"拿铁{i}", key=f"jd{i}", hosts=["jd"]) for i in range(3)]
    items.append(listing("拿铁 三星", key="sam", hosts=["samsung"]))
    eng = memory_engine(kit, items)
    # jd: 3 live, 1 hidden; samsung: 1 live, 3 hidden; qqbrowser: none live, 4 hidden.
    assert eng.exclude == frozenset({"jd"})
    assert len(names(eng, "拿铁")) == 3
    eng.exclude = frozenset({"jd", "samsung", "qqbrowser"})
    assert len(names(eng, "拿铁")) == 3
    assert names(eng, "拿铁", host="samsung") == ["拿铁 三星"]


def test_a_host_added_after_the_build_requires_live_listings(kit: Kit) -> None:
    items = [listing(f"拿铁{i}", key=f"jd{i}", hosts=["jd"]) for i in range(3)]
    eng = memory_engine(kit, items, hosts=("qqbrowser", "samsung"))  # built before jd was
    assert eng.exclude == frozenset()  # jd has 3 live, 0 hidden, but is not the build's
    assert len(names(eng, "拿铁")) == 3
    assert names(eng, "拿铁", host="samsung") == []


def test_card_of_a_showcase_title_that_normalises_to_nothing(kit: Kit) -> None:
    eng = memory_engine(kit, [listing("拿铁工坊", showcase=["!!!", "冰拿铁"])])
    card = eng.search(SearchRequest(q="拿铁", host="jd")).results[0]
    assert [(s.title, s.matched) for s in card.showcase] == [("冰拿铁", True), ("!!!", False)]
