"""The need part of the ranking (search.rank.need) and how the engine reads a need query.

1. A lexicon need gives a ``service`` group (its service words, in the fields that say
   what a listing does), ``category`` and ``category_top`` groups (the lexicon's
   categories certain, the model's by probability), a route (service words, confident
   sub-categories) and a scope (their top-level categories).
2. A query naming a brand states no need: the brand is what it asks for.
3. The engine drops fillers, searches a need phrase of single characters as one word,
   and explains what it read with ``debug=true`` only.
4. A need query finds the listings serving it though their text lacks its words, and a
   listing sharing a word with it but serving something else stays out.
5. A listing is indexed with the provinces it serves (or as national); a need query naming
   a place ranks that place's listings and national ones above another region's.
"""

from __future__ import annotations

import orjson
import pytest

from indexer import schema as f
from indexer.categories import CategoryScore
from indexer.content_words import ContentWords
from indexer.document import analyse_fields
from indexer.intent import Intent
from indexer.models import Listing
from indexer.needs import NeedMatch
from search.engine import Engine, SearchRequest
from search.rank.need import NO_NEED, ROUTE_MIN, need_part
from search.rank.weights import WEIGHTS
from tests.conftest import SAMPLE_LISTINGS

RIDE = NeedMatch("打车", 0, 1, ("网约车", "专车"), ("出行/打车",))


def sample_listings() -> list[Listing]:
    return [Listing.model_validate_json(x) for x in SAMPLE_LISTINGS.read_bytes().splitlines()]


def intent(needs: tuple[NeedMatch, ...], categories: tuple[CategoryScore, ...]) -> Intent:
    return Intent(("打车",), needs, ContentWords(("打车",), ()), ("打车",), categories)


# ------------------------------------------------------------------ 1 the part


def test_lexicon_need_part(engine: Engine) -> None:
    guesses = (
        CategoryScore("出行", 0.9),
        CategoryScore("出行/地铁", 0.5),
        CategoryScore("出行/公交", ROUTE_MIN / 2),
        CategoryScore("工具", 0.05),  # too unlikely to say anything
    )
    part = need_part(intent((RIDE,), guesses), engine.analyzer, WEIGHTS)
    groups = {g.name: g for g in part.groups}
    assert set(groups) == {"service", "category", "category_top"}
    service = groups["service"].clauses
    assert {c.match.field for c in service} == {f.NAME, f.KEYWORDS, f.CATEGORY, f.SHOWCASE}
    assert all(c.match.values == ("网约车", "专车") for c in service)
    assert all(c.weight == WEIGHTS.service * WEIGHTS.field[c.field] for c in service)
    sub = {c.match.values[0]: c.weight for c in groups["category"].clauses}
    assert sub == {
        "出行/打车": WEIGHTS.category,  # the lexicon's: certain
        "出行/地铁": WEIGHTS.category * 0.5,
        "出行/公交": WEIGHTS.category * ROUTE_MIN / 2,
    }
    top = {c.match.values[0]: c.weight for c in groups["category_top"].clauses}
    assert top == {"出行": WEIGHTS.category_top * 0.9}
    assert part.service_terms == ("网约车", "专车")
    assert part.route_categories == ("出行/地铁", "出行/打车")  # not 公交: too unsure
    assert part.scope == ("出行",)


def test_no_need_no_part(engine: Engine) -> None:
    part = need_part(intent((), ()), engine.analyzer, WEIGHTS)
    assert part == NO_NEED


# ------------------------------------------------------------------ 2-3 the engine's reading


def test_a_brand_query_states_no_need(engine: Engine) -> None:
    assert engine.understand("星巴克").need == NO_NEED
    assert engine.understand("星巴克 外卖").need == NO_NEED
    assert engine.understand("咖啡 外卖").need != NO_NEED


def test_fillers_dropped_and_a_phrase_of_characters_kept_whole(engine: Engine) -> None:
    understood = engine.understand("帮我叫个车")
    assert [u.text for u in understood.query.units] == ["叫车"]
    dropped = {d.word for d in understood.intent.content.dropped}
    assert {"帮", "我"} <= dropped
    assert "网约车" in understood.need.service_terms


def test_understanding_only_with_debug(engine: Engine) -> None:
    plain = orjson.loads(engine.run(SearchRequest(q="帮我叫个车", host="jd")).json())
    assert "understanding" not in plain
    resp = engine.search(SearchRequest(q="帮我叫个车", host="jd", debug=True))
    u = resp.understanding
    assert u is not None
    assert u.words == ["叫车"]
    assert [n.word for n in u.needs] == ["叫个车"]
    assert "出行/打车" in u.route_categories and "出行" in u.scope
    assert {d.word for d in u.dropped} >= {"帮", "我"}
    assert all(c.explain is not None and "category" in c.explain.parts for c in resp.results)


# ------------------------------------------------------------------ 4 retrieval


@pytest.mark.parametrize("q", ["帮我叫个车", "想打个车"])
def test_need_finds_its_service_without_its_words(engine: Engine, q: str) -> None:
    resp = engine.search(SearchRequest(q=q, host="jd", limit=10))
    names = [c.name for c in resp.results]
    assert "滴滴出行" in names  # its text says 打车 and 网约车, not 叫车
    assert all(c.category[0] == "出行" for c in resp.results), names


def test_partial_matches_stay_in_the_need_categories(engine: Engine) -> None:
    """猫咪 + 宠物医院: people's hospitals share 医院 but serve something else."""
    resp = engine.search(SearchRequest(q="猫咪生病了 附近有宠物医院吗", host="jd", limit=50))
    assert resp.results
    assert all(c.category[:2] != ["医疗健康", "医院"] for c in resp.results)


# ------------------------------------------------------------------ 5 region + need


def test_listing_regions_are_indexed(engine: Engine) -> None:
    def regions(name: str) -> set[str]:
        listing = next(x for x in sample_listings() if x.name == name)
        brand = engine.table.brands.get(listing.brand_id or "")
        fields = analyse_fields(listing, brand, engine.analyzer)
        return {str(v) for k, v in fields if k == f.REGION}

    assert regions("浙里办") == {"浙江"}
    assert regions("i深圳") == {"广东"}  # a city names its province
    assert regions("滴滴出行") == {f.NATIONAL}


def test_a_place_prefers_its_region_then_national_services(engine: Engine) -> None:
    understood = engine.understand("杭州公积金怎么提取")
    assert (understood.query.units[0].text, understood.query.units[0].province) == ("杭州", "浙江")
    got = engine.ranked_appids("杭州公积金怎么提取", "jd", 20)
    names = {a: engine.listing(a)["name"] for a in got}
    rank = {n: i for i, n in enumerate(names.values())}
    assert rank["浙里办"] < rank["鄂汇办"]  # 浙江's own above 湖北's
    assert rank["全国住房公积金"] < rank["鄂汇办"]  # a national service above another region's
