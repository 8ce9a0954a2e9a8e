"""The need part of the ranking (search.rank.need) and how the engine reads a need query.

1. A lexicon need gives a ``service`` group (its service words, in the fields that say
   what a listing does), ``category`` and ``category_top`` groups (the lexicon's
   categories certain, the model's by probability), a route (service words, confident
   sub-categories) and a scope (the sub-categories predicted).
2. A query naming a brand states no need: the brand is what it asks for.
3. The engine drops fillers, searches a need phrase of single characters as one word,
   and explains what it read with ``debug=true`` only.
4. A need query finds the listings serving it though their text lacks its words, and a
   listing sharing a word with it but serving something else stays out; a listing holding
   the word of the need requested is found in that need's top-level categories only.
5. A listing is indexed with the provinces it serves (or as national); a need query naming
   a place ranks that place's listings first, then its province's, then national ones, and
   takes no other region's; one naming no place has no region part. A brand named with a
   place prefers the brand's listing for that place.
6. A service word earns the service weight by what the catalog says it says of the need;
   one the analyzer cuts matches by all of its parts.
7. A need word that starts a brand name states the need, and its character inside a brand
   name (饿 of 饿了 in 饿了么) is not the need.
8. Of several needs, the request counts fully and a circumstance, destination or manner
   ``side_need`` of it (its service share; its categories are worth no more, whatever
   the category model predicts): 演唱会散场了叫个车 asks for a car; 想吃水果懒得出门 for
   fruit (懒得出门 its manner). A word of a need query made only of manner words (出门 in
   周末出门要不要带伞) says less of the text than another word as rare.
9. Naming no place, the most used national listing live in the host of each sub-category
   the need retrieves is its leader and earns the leader part (the probability times its
   weight), found once per engine and host; another host's leader may be another listing;
   a regional listing leads nothing; a need naming a place has none.
"""

from __future__ import annotations

import dataclasses

import orjson
import pytest

from indexer import schema as f
from indexer.categories import CategoryScore
from indexer.content_words import ContentWords
from indexer.document import analyse_fields
from indexer.intent import Intent
from indexer.models import Listing
from indexer.needs import NeedMatch
from indexer.priors import NAME_PRIOR, NEED_PRIOR, PLACE_PRIOR
from search.discover import Discovery
from search.engine import Engine, SearchRequest
from search.rank.clauses import EVERY, Match
from search.rank.compile import Clauses
from search.rank.need import (
    NO_NEED,
    ROUTE_MIN,
    SAID_MIN,
    SERVICE_FULL,
    SERVICE_MIN,
    leader_group,
    need_part,
)
from search.rank.weights import WEIGHTS
from tests.conftest import SAMPLE_LISTINGS

RIDE = NeedMatch("打车", 0, 1, ("网约车", "专车"), ("出行/打车",))


def sample_listings() -> list[Listing]:
    return [Listing.model_validate_json(x) for x in SAMPLE_LISTINGS.read_bytes().splitlines()]


def intent(needs: tuple[NeedMatch, ...], categories: tuple[CategoryScore, ...]) -> Intent:
    return Intent(("打车",), needs, ContentWords(("打车",), ()), ("打车",), categories)


# ------------------------------------------------------------------ 1 the part


def test_a_top_level_category_counts_where_none_of_its_sub_categories_is_predicted(
    engine: Engine,
) -> None:
    """The top-level part is for a top-level category predicted alone (a lexicon line
    naming ``二手``, or a model unsure which of its services): each such category is worth
    ``category_top`` times its probability; one a sub-category is predicted of is not."""
    resale = NeedMatch("卖闲置", 0, 1, ("闲置",), ("二手",))
    guesses = (
        CategoryScore("二手", 0.8),
        CategoryScore("工具", 0.4),
        CategoryScore("工具/扫描", 0.3),
    )
    part = need_part(intent((resale,), guesses), engine.analyzer, WEIGHTS)
    groups = {g.name: g for g in part.groups}
    top = {c.match.values[0]: c.weight for c in groups["category_top"].clauses}
    assert top == {"二手": WEIGHTS.category_top}  # the lexicon's: certain
    sub = {c.match.values[0]: c.weight for c in groups["category"].clauses}
    assert sub == {"工具/扫描": WEIGHTS.category * 0.3}
    # End to end: 卖闲置's line names 生活服务/二手交易 and 二手. A 二手 listing earns the
    # top-level part; 闲鱼, in the sub-category, earns the sub-category's and not 生活服务's.
    response = engine.search(SearchRequest(q="卖闲置", host="jd", debug=True))
    by_top: dict[str, float] = {}
    for card in response.results:
        assert card.explain is not None
        by_top[card.category[0]] = card.explain.parts.get("category_top", 0.0)
        if card.category == ["生活服务", "二手交易"]:
            assert card.explain.parts["category"] == WEIGHTS.category
    assert by_top == {"生活服务": 0.0, "二手": WEIGHTS.category_top}


def test_lexicon_need_part(engine: Engine) -> None:
    guesses = (
        CategoryScore("出行", 0.9),
        CategoryScore("出行/地铁", 0.5),
        CategoryScore("出行/公交", ROUTE_MIN / 2),
        CategoryScore("工具", 0.05),  # too unlikely to say anything
    )
    part = need_part(intent((RIDE,), guesses), engine.analyzer, WEIGHTS)
    groups = {g.name: g for g in part.groups}
    # 出行 is predicted with sub-categories of it: they say more, and no clause on the
    # top-level category (held by a large share of the catalog) is paid for.
    assert set(groups) == {"service", "category"}
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
    assert part.service_terms == ("网约车", "专车")
    assert part.route_categories == ("出行/地铁", "出行/打车")  # not 公交: too unsure
    assert set(part.scope) == {"出行/打车", "出行/地铁", "出行/公交"}
    assert (part.named, part.named_tops) == (("打车",), ("出行",))


def test_a_top_level_category_predicted_alone_is_in_the_scope(engine: Engine) -> None:
    """A listing matching some of a need query's words must be in a category the query
    predicts. A top-level category predicted alone (none of its sub-categories), at least
    ``ROUTE_MIN`` likely, is one: the model knows the kind of service, not which. One a
    sub-category is predicted of is not (the sub-category says which), nor one too
    unlikely to route."""
    guesses = (
        CategoryScore("游戏", 0.6),
        CategoryScore("数码家电", ROUTE_MIN),
        CategoryScore("游戏/休闲游戏", 0.35),
        CategoryScore("工具", ROUTE_MIN / 2),
    )
    part = need_part(intent((), guesses), engine.analyzer, WEIGHTS)
    assert part.scope == ("游戏/休闲游戏", "数码家电")
    # Without a sub-category predicted, the top-level ones are the scope, each of them.
    tops = (CategoryScore("游戏", 0.6), CategoryScore("工具", ROUTE_MIN / 2))
    assert need_part(intent((), tops), engine.analyzer, WEIGHTS).scope == ("游戏", "工具")


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
    assert "出行/打车" in u.route_categories and "出行/打车" in u.scope
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


def test_a_listing_naming_the_need_requested_is_retrieved_in_its_top_category(
    engine: Engine,
) -> None:
    """京东健康 says 体检 in its keywords, and 代驾 is a keyword of 滴滴出行: neither's
    sub-category is predicted (医药电商, 打车), and each matches one word of the query only,
    yet holding the need's own word in the need's top-level category, each serves it."""
    for q, host, name in (
        ("体检在哪预约", "qqbrowser", "京东健康"),
        ("喝大了叫个代驾", "qqbrowser", "滴滴出行"),
    ):
        understood = engine.understand(q)
        listing = next(x for x in sample_listings() if x.name == name)
        assert understood.need.named and listing.category[1] not in understood.need.scope
        names = [engine.listing(a)["name"] for a in engine.ranked_appids(q, host, 20)]
        assert name in names, (q, names)


def test_a_named_need_keeps_to_its_top_level_categories(engine: Engine) -> None:
    """挂号 is a hospital appointment: the parcel service whose keywords say 挂号信 is not
    retrieved for it; a circumstance's word retrieves nothing (公交 of 公交停了打个车)."""
    understood = engine.understand("北京挂号哪个平台靠谱")
    assert understood.need.named == ("挂号",) and understood.need.named_tops == ("医疗健康",)
    names = [
        engine.listing(a)["name"]
        for a in engine.ranked_appids("北京挂号哪个平台靠谱", "qqbrowser", 50)
    ]
    assert "中国邮政EMS" not in names
    assert "公交" not in engine.understand("公交停了打个车").need.named
    # a need word that is not one of the query's tokens (去香港: 去 and 香港) names nothing
    assert engine.understand("去香港旅游要办什么证件").need.named == ()


# ------------------------------------------------------------------ 5 region + need


def test_listing_regions_are_indexed(engine: Engine) -> None:
    def regions(name: str) -> set[str]:
        listing = next(x for x in sample_listings() if x.name == name)
        brand = engine.table.brands.get(listing.brand_id or "")
        fields = analyse_fields(listing, brand, engine.analyzer)
        return {str(v) for k, v in fields if k == f.REGION}

    assert regions("浙里办") == {"浙江", "浙江/"}  # the province as a whole
    assert regions("i深圳") == {"广东", "广东/深圳"}  # a city: its province, and itself
    assert regions("滴滴出行") == {f.NATIONAL}


def test_a_place_takes_its_own_and_national_services_only(engine: Engine) -> None:
    understood = engine.understand("杭州公积金怎么提取")
    assert (understood.query.units[0].text, understood.query.units[0].province) == ("杭州", "浙江")
    got = engine.ranked_appids("杭州公积金怎么提取", "jd", 20)
    names = {a: engine.listing(a)["name"] for a in got}
    assert {"浙里办", "全国住房公积金"} <= set(names.values())  # 浙江's own, a national one
    assert "鄂汇办" not in names.values()  # 湖北's: no answer


def test_without_a_place_a_national_service_is_preferred_by_the_prior(engine: Engine) -> None:
    """Naming no place, a need query keeps to no region and has no region part: its
    popularity prior multiplies a national service's score (a place's need has its own
    prior, with no national factor: its region part ranks the places)."""
    part = need_part(intent((RIDE,), ()), engine.analyzer, WEIGHTS)
    assert part.groups and not [g for g in part.groups if g.name == "region"]
    assert part.regions == ()
    assert part.prior == NEED_PRIOR and NEED_PRIOR.national > 1.0
    placed = need_part(intent((RIDE,), ()), engine.analyzer, WEIGHTS, (("广东", "深圳"),))
    assert placed.prior == PLACE_PRIOR and PLACE_PRIOR.national == 1.0
    assert engine.understand("滴滴出行").compiled.ranking.popularity == NAME_PRIOR
    assert engine.understand("帮我叫个车").compiled.ranking.popularity == NEED_PRIOR


# ------------------------------------------------------------------ 6 service words


def test_a_service_word_counts_by_what_it_says_of_the_need(engine: Engine) -> None:
    """A word the catalog ties to other services as much as to the need's earns a share of
    the service weight, too little none; only words that say enough retrieve."""
    shares = {"网约车": 1.0, "专车": SERVICE_FULL * 0.4, "出租车": SERVICE_MIN / 2}
    need = NeedMatch("打车", 0, 1, tuple(shares), ("出行/打车",))
    read = dataclasses.replace(intent((need,), ()), service_shares=shares)
    part = need_part(read, engine.analyzer, WEIGHTS)
    (service,) = [g for g in part.groups if g.name == "service"]
    earned = {(c.match.values, c.field): c.weight for c in service.clauses}
    base = WEIGHTS.service * WEIGHTS.field[f.NAME]
    assert earned[(("网约车",), f.NAME)] == pytest.approx(base)
    assert earned[(("专车",), f.NAME)] == pytest.approx(base * 0.4)
    assert not any("出租车" in values for values, _ in earned)
    assert part.service_terms == ("网约车",)


def test_shares_come_from_the_category_model(engine: Engine) -> None:
    """A service word mostly held by the need's listings says all of it; one spread over
    many services (上门: parcels, medicine, laundry, repairs) says less."""
    shares = engine.reader.read("空调坏了 找人上门维修").service_shares
    assert shares["上门"] < SERVICE_FULL <= shares["维修"]
    assert engine.reader.read("帮我叫个车").service_share("网约车") >= SERVICE_FULL


def test_a_service_word_the_analyzer_cuts_matches_by_all_its_parts(engine: Engine) -> None:
    cut = "同城急送"
    parts = tuple(engine.analyzer.tokens(cut, "query"))
    assert len(parts) > 1
    need = NeedMatch("送文件", 0, 1, (cut,), ("生活服务/同城配送",))
    part = need_part(intent((need,), ()), engine.analyzer, WEIGHTS)
    (service,) = [g for g in part.groups if g.name == "service"]
    assert {c.match for c in service.clauses} == {
        Match("all", fn, parts) for fn in (f.NAME, f.KEYWORDS, f.CATEGORY, f.SHOWCASE)
    }
    assert part.service_phrases == (parts,)


# ------------------------------------------------------------------ 7 need words and brands


def test_a_need_word_starting_a_brand_name_states_the_need(engine: Engine) -> None:
    """饿了 starts 饿了么 but says "I'm hungry": every delivery service answers it, not
    only the brand whose name it starts."""
    understood = engine.understand("饿了")
    assert understood.query.resolution is None
    assert understood.need != NO_NEED
    names = [engine.listing(a)["name"] for a in engine.ranked_appids("饿了", "jd", 10)]
    assert "美团外卖" in names and "饿了么" in names
    assert engine.understand("饿了么").query.resolution is not None


def test_a_need_word_s_character_inside_a_brand_name_is_not_the_need(engine: Engine) -> None:
    """In 饿了, 饿 is part of the need word: 饿了么 shares the character with it and earns
    nothing for it, so the delivery services rank by the need part and popularity (the most
    used first), not by a character of a name."""
    understood = engine.understand("饿了")
    assert [u.in_need for u in understood.query.units] == [True]
    names = [engine.listing(a)["name"] for a in engine.ranked_appids("饿了", "jd", 10)]
    assert names.index("美团外卖") < names.index("饿了么")
    ele = next(x for x in sample_listings() if x.name == "饿了么")
    meituan = next(x for x in sample_listings() if x.name == "美团外卖")
    assert ele.monthly_active_users < meituan.monthly_active_users


def test_a_city_s_need_prefers_the_city_then_its_province_and_drops_other_places(
    engine: Engine,
) -> None:
    """广州 is in 广东 as 深圳 is: 深圳's app is no answer for 广州's medical insurance, the
    province's app is a good one, 广州's own the best."""
    understood = engine.understand("广州医保卡还剩多少钱")
    assert set(understood.need.regions) == {"广东/广州", "广东/", f.NATIONAL}
    (region,) = [g for g in understood.need.groups if g.name == "region"]
    weights = {c.match: c.weight for c in region.clauses}
    assert weights == {
        Match("any", f.REGION, ("广东/广州",)): WEIGHTS.region_own,
        Match("any", f.REGION, ("广东/",)): WEIGHTS.region_province,
        EVERY: WEIGHTS.region,  # every result is the place's, its province's or national
    }
    names = [
        engine.listing(a)["name"] for a in engine.ranked_appids("广州医保卡还剩多少钱", "jd", 20)
    ]
    assert "穗好办" in names and "粤省事" in names
    assert names.index("穗好办") < names.index("粤省事")
    for other in ("i深圳", "浙里办", "随申办市民云"):
        assert other not in names


def test_a_province_s_need_takes_its_cities_and_no_other_place(engine: Engine) -> None:
    understood = engine.understand("广东社保怎么查")
    assert set(understood.need.regions) == {"广东", f.NATIONAL}
    names = [engine.listing(a)["name"] for a in engine.ranked_appids("广东社保怎么查", "jd", 20)]
    assert "广东人社" in names
    assert not {"浙里办", "上海人社", "渝快办"} & set(names)


def test_a_place_without_a_need_filters_nothing(engine: Engine) -> None:
    assert engine.understand("杭州").need.regions == ()


def test_the_words_own_prediction_widens_the_scope(engine: Engine) -> None:
    """A need's lexicon line names 工具/社保 only; the words alone say 政务/社保 strongly,
    so a partial match there may still answer."""
    pension = NeedMatch("社保怎么交", 0, 1, (), ("工具/社保",))
    said = (CategoryScore("政务/社保", SAID_MIN), CategoryScore("政务/医保", SAID_MIN / 2))
    read = dataclasses.replace(intent((pension,), ()), word_categories=said)
    scope = need_part(read, engine.analyzer, WEIGHTS).scope
    assert "工具/社保" in scope and "政务/社保" in scope
    assert "政务/医保" not in scope  # too unsure


def test_a_brand_named_with_a_place_prefers_the_brand_s_listing_there(engine: Engine) -> None:
    """香港 迪士尼 names a brand, so no need: but the place says which of its listings (the
    brand's official one is in 上海); the region part alone counts, keeping to no place."""
    understood = engine.understand("香港迪士尼门票在哪买")
    assert understood.query.resolution is not None or any(
        u.brand_ids for u in understood.query.units
    )
    assert [g.name for g in understood.need.groups] == ["region"]
    assert understood.need.regions == () and understood.need.prior == NAME_PRIOR
    names = [
        engine.listing(a)["name"] for a in engine.ranked_appids("香港迪士尼门票在哪买", "qqbrowser")
    ]
    assert names[0] == "香港迪士尼樂園度假區" and "上海迪士尼度假区" in names


# ------------------------------------------------------------------ 8 the request


SHOW = NeedMatch("演唱会", 0, 1, ("演出",), ("文娱/演出票务",))


def test_the_request_counts_more_than_its_circumstance(engine: Engine) -> None:
    ride = RIDE._replace(start=1, end=2)
    read = dataclasses.replace(intent((SHOW, ride), ()), roles=("circumstance", "request"))
    part = need_part(read, engine.analyzer, WEIGHTS)
    service = [g for g in part.groups if g.name == "service"]
    name_weight = {g.clauses[0].match.values: g.clauses[0].weight for g in service}
    side = WEIGHTS.side_need
    assert name_weight == {
        ("演出",): pytest.approx(WEIGHTS.service * side / (1 + side)),
        ("网约车", "专车"): pytest.approx(WEIGHTS.service / (1 + side)),
    }
    (category,) = [g for g in part.groups if g.name == "category"]
    assert {c.match.values[0]: c.weight for c in category.clauses} == {
        "文娱/演出票务": pytest.approx(WEIGHTS.category * side),
        "出行/打车": WEIGHTS.category,
    }
    # The model's certainty for a side need's category is capped at side_need.
    sure = dataclasses.replace(read, categories=(CategoryScore("文娱/演出票务", 1.0),))
    groups = need_part(sure, engine.analyzer, WEIGHTS).groups
    (category,) = [g for g in groups if g.name == "category"]
    capped = {c.match.values[0]: c.weight for c in category.clauses}
    assert capped["文娱/演出票务"] == pytest.approx(WEIGHTS.category * side)
    # A destination counts as a circumstance does.
    going = dataclasses.replace(read, roles=("destination", "request"))
    assert need_part(going, engine.analyzer, WEIGHTS) == part
    # No roles told: each need is a request and counts fully.
    even = need_part(intent((SHOW, ride), ()), engine.analyzer, WEIGHTS)
    weights = [g.clauses[0].weight for g in even.groups if g.name == "service"]
    assert weights == [pytest.approx(WEIGHTS.service / 2)] * 2


def test_a_sentence_s_request_ranks_above_its_circumstance(engine: Engine) -> None:
    resp = engine.search(SearchRequest(q="演唱会散场了叫个车", host="jd", limit=6, debug=True))
    assert resp.understanding is not None
    assert [(n.word, n.role) for n in resp.understanding.needs] == [
        ("演唱会", "circumstance"),
        ("叫个车", "request"),
    ]
    assert [c.category for c in resp.results] == [["出行", "打车"]] * 6


def test_the_manner_of_a_request_is_not_what_it_asks_for(engine: Engine) -> None:
    """想吃水果懒得出门 asks for fruit, delivered: the fruit shop above the takeaways."""
    resp = engine.search(SearchRequest(q="想吃水果懒得出门", host="jd", limit=5, debug=True))
    assert resp.understanding is not None
    assert [n.role for n in resp.understanding.needs] == ["request", "manner"]
    assert resp.results[0].category == ["零售商超", "生鲜水果"]


def test_a_word_of_manner_is_marked_in_a_need_query_only(engine: Engine) -> None:
    """出门 says how the user goes about it: marked when the query states a need (and shown
    by ``debug=true``), a word like any other when it does not (出门问问 names no need)."""
    need = engine.understand("周末出门要不要带伞")
    assert [n.word for n in need.intent.needs] == ["带伞"]
    assert [(u.text, u.manner) for u in need.query.units] == [("出门", True), ("伞", False)]
    plain = engine.understand("出门问问")
    assert not plain.intent.needs
    assert not any(u.manner for u in plain.query.units)
    shown = engine.search(SearchRequest(q="周末出门要不要带伞", host="jd", debug=True))
    assert shown.understanding is not None and shown.understanding.manner_words == ["出门"]
    none = engine.search(SearchRequest(q="出门问问", host="jd", debug=True))
    assert none.understanding is not None and none.understanding.manner_words == []


def test_a_word_of_manner_says_less_of_the_text(engine: Engine) -> None:
    """Of two words as rare, the one saying only how the user wants to be served says
    ``WEIGHTS.manner`` of what the other says."""
    units = engine.understand("周末出门要不要带伞").query.units
    marked, other = engine.informative([7, 7], units)
    assert marked == pytest.approx(other * WEIGHTS.manner) and WEIGHTS.manner < 1
    unmarked = [dataclasses.replace(u, manner=False) for u in units]
    assert engine.informative([7, 7], unmarked) == [other, other]


def test_a_word_of_manner_in_a_description_decides_nothing(engine: Engine) -> None:
    """周末出门要不要带伞 asks for the weather: 天气预报15天查询, whose description says 出门,
    no longer comes before the most used weather service for it."""
    names = [
        engine.listing(a)["name"] for a in engine.ranked_appids("周末出门要不要带伞", "jd", 10)
    ]
    by_name = {x.name: x for x in sample_listings()}
    moji, forecast = by_name["墨迹天气"], by_name["天气预报15天查询"]
    assert "出门" in forecast.description and "出门" not in moji.description
    assert moji.monthly_active_users > forecast.monthly_active_users
    assert names[0] == "墨迹天气" and "天气预报15天查询" in names


# ------------------------------------------------------------------ 9 the leader


def most_used(engine: Engine, path: str, host: str) -> str | None:
    """The catalog's most used national listing of ``path`` live in ``host``, read from the
    file (national: the indexer reads no region in it, or 全国 besides)."""
    live = [
        x
        for x in sample_listings()
        if x.visible_in(host) and "/".join(x.category) == path and national(engine, x)
    ]
    if not live:
        return None
    top = max(x.monthly_active_users for x in live)
    (best,) = [x.appid for x in live if x.monthly_active_users == top]  # no tie here
    return best


def national(engine: Engine, item: Listing) -> bool:
    brand = engine.table.brands.get(item.brand_id or "")
    return (f.REGION, f.NATIONAL) in analyse_fields(item, brand, engine.analyzer)


@pytest.mark.parametrize("q", ["帮我叫个车", "想买双运动鞋", "中古包哪里买", "医保怎么报销"])
@pytest.mark.parametrize("host", ["jd", "samsung"])
def test_leaders_are_the_most_used_listings_live_in_the_host(
    engine: Engine, q: str, host: str
) -> None:
    understood = engine.understand(q, host=host)
    leads = understood.need.leads
    assert leads and all(ROUTE_MIN <= p <= 1.0 for _, p in leads)
    assert {path for path, _ in leads} == set(understood.need.route_categories)
    expected = [most_used(engine, path, host) for path, _ in leads]
    assert understood.leaders == tuple(a for a in expected if a is not None)
    # Without a host (understanding alone) there are none.
    assert engine.understand(q).leaders == ()


def test_another_host_may_have_another_leader(engine: Engine) -> None:
    """SKECHERS, the most used sports-shoe shop, is not live in samsung: another leads."""
    jd = engine.understand("想买双运动鞋", host="jd").leaders
    samsung = engine.understand("想买双运动鞋", host="samsung").leaders
    assert jd != samsung
    assert most_used(engine, "服饰运动/运动鞋", "jd") in jd
    assert most_used(engine, "服饰运动/运动鞋", "jd") not in samsung


def test_a_regional_listing_leads_nothing(engine: Engine) -> None:
    """粤省事, Guangdong's government app, has more users than the national one: for a need
    naming no place the national platform leads integrated government services."""
    leaders = engine.understand("医保怎么报销", host="jd").leaders
    names = {engine.listing(a)["name"] for a in leaders}
    assert "国家政务服务平台" in names and "粤省事" not in names
    users = {x.name: x.monthly_active_users for x in sample_listings()}
    assert users["粤省事"] > users["国家政务服务平台"]


def test_the_leader_part_is_the_leader_s_alone(engine: Engine) -> None:
    resp = engine.search(SearchRequest(q="帮我叫个车", host="jd", limit=10, debug=True))
    assert resp.understanding is not None
    leaders = set(resp.understanding.leaders)
    probability = dict(engine.understand("帮我叫个车", host="jd").need.leads)
    assert leaders
    shown = 0
    for card in resp.results:
        assert card.explain is not None
        part = card.explain.parts.get("leader", 0.0)
        if card.appid in leaders:
            path = "/".join(card.category)
            assert part == pytest.approx(WEIGHTS.leader * probability[path])
            shown += 1
        else:
            assert part == 0.0
    assert shown
    # The ride-hailing leader is the first answer.
    assert resp.results[0].appid == most_used(engine, "出行/打车", "jd")


@pytest.fixture()
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sub-categories whose most used listing is looked up (``Discovery.most_used``)
    from now on, in order."""
    paths: list[str] = []
    found = Discovery.most_used

    def counted(self: Discovery, path: str, filters: Clauses) -> str | None:
        paths.append(path)
        return found(self, path, filters)

    monkeypatch.setattr(Discovery, "most_used", counted)
    return paths


def test_a_leader_is_found_once_per_engine(engine: Engine, asked: list[str]) -> None:
    """Kept per engine and host: a query of the same sub-categories read again (not kept
    understood: ``read_query``) asks for none; another host's are its own; another engine
    (a commit opens one) finds them again."""
    fresh = engine.refreshed()
    first = fresh.read_query("帮我叫个车", host="jd").leaders
    paths = list(asked)
    assert first and paths == [p for p, _ in fresh.understand("帮我叫个车").need.leads]
    assert fresh.read_query("帮我叫个车", host="jd").leaders == first
    assert asked == paths  # none asked again
    fresh.read_query("帮我叫个车", host="samsung")
    assert asked == paths * 2  # another host's are its own
    again = fresh.refreshed()
    assert again.read_query("帮我叫个车", host="jd").leaders == first
    assert asked == paths * 3


def test_an_opened_engine_has_found_every_leader(engine: Engine, asked: list[str]) -> None:
    """``Engine.open`` finds the leader of every sub-category in every host of the version
    ahead of the queries: reading need queries asks for none, and they are those an engine
    over the same index finds as queries ask."""
    lazy = engine.refreshed()
    for q in ("帮我叫个车", "想买双跑鞋", "饿了想点外卖", "快递到哪了"):
        for host in engine.manifest.hosts:
            leaders = engine.read_query(q, host=host).leaders
            assert not asked, q  # found when the engine opened
            assert leaders and leaders == lazy.read_query(q, host=host).leaders
            assert asked, q  # the other engine looked them up
            asked.clear()
    paths = {path for path, _ in engine.searcher.terms_with_prefix(f.CATEGORY_PATH, "")}
    subs = {p for p in paths if "/" in p}
    assert {(h, p) for h in engine.manifest.hosts for p in subs} <= set(engine._leaders)


def test_a_need_naming_a_place_has_no_leader(engine: Engine) -> None:
    understood = engine.understand("杭州公积金怎么提取", host="jd")
    assert understood.need.prior == PLACE_PRIOR
    assert understood.need.route_categories and understood.need.leads == ()
    assert understood.leaders == ()
    assert engine.understand("滴滴出行", host="jd").leaders == ()  # a name states no need


def test_leader_group() -> None:
    assert leader_group([], WEIGHTS) is None
    assert leader_group([("wx1", 1.0)], dataclasses.replace(WEIGHTS, leader=0.0)) is None
    group = leader_group([("wx1", 1.0), ("wx2", 0.5)], WEIGHTS)
    assert group is not None and group.name == "leader"
    assert [(c.match, c.weight) for c in group.clauses] == [
        (Match("term", f.APPID, ("wx1",)), WEIGHTS.leader),
        (Match("term", f.APPID, ("wx2",)), WEIGHTS.leader * 0.5),
    ]
