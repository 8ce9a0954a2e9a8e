"""Unit tests for search.query: raw text → units with their match forms → a tantivy query.

1. parse: normalised and compact forms, Latin-only flag, one unit per query word
   (stop words dropped unless the query has nothing else, at most MAX_UNITS),
   only the last unit marked ``last``.
2. Sub-words: dictionary words of 2+ characters inside a Chinese compound
   (小游戏 → 游戏, 查快递 → 快递); none for brand units, Latin words or plain words.
3. Brands: a query naming one brand as a whole is one unit of sense "both";
   adjacent words spelling a brand name or alias merge into one unit of sense
   "brand" carrying the brand's other spellings; read_literally drops them.
4. Synonyms come from dictionaries/synonyms.txt; common words are flagged.
5. Fuzzy distance: Latin letters only, 0 below 4 letters, 1 up to 7, 2 from 8.
6. Compiled queries on a real in-memory index: every word or any, filters (online, host; the
   same listings whether written as "live in" or "not hidden in" the host),
   pinyin only for Latin-only queries, prefix only for the last Latin unit of 3+
   letters, fuzzy for 4+ letters, and brand anchors that retrieve every listing
   of the brand unless the unit is read literally.
"""

from __future__ import annotations

import pytest

from indexer.dictionaries import Dictionaries
from indexer.models import Listing
from search.engine import Engine
from search.query import MAX_UNITS, ParsedQuery, Unit
from search.rank import ranking
from search.rank.compile import Compiled
from tests.rankkit import Kit, listing, make_kit, memory_engine


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def texts(kit: Kit, q: str) -> list[str]:
    return [u.text for u in kit.parse(q).units]


# ------------------------------------------------------------------ 1 units


def test_normalised_forms(kit: Kit) -> None:
    parsed = kit.parse("ＬＶ 包包!!")
    assert (parsed.raw, parsed.normalized, parsed.compact) == ("ＬＶ 包包!!", "lv 包包", "lv包包")
    assert not parsed.latin_only
    assert kit.parse("Coffee  LAB").latin_only
    assert not kit.parse("").latin_only and kit.parse("").units == []


def test_one_unit_per_word(kit: Kit) -> None:
    parsed = kit.parse("拿铁 外卖 coffee")
    assert [(u.text, u.latin, u.last) for u in parsed.units] == [
        ("拿铁", False, False),
        ("外卖", False, False),
        ("coffee", True, True),
    ]
    assert parsed.resolution is None


def test_stop_words(kit: Kit) -> None:
    assert texts(kit, "附近的咖啡") == ["咖啡"]
    assert texts(kit, "我的") == ["我", "的"]  # only stop words: kept


def test_at_most_max_units(kit: Kit) -> None:
    words = ["拿铁", "外卖", "快递", "咖啡", "天气", "机票", "酒店", "停车", "挂号", "红包"]
    units = kit.parse(" ".join(words)).units
    assert [u.text for u in units] == words[:MAX_UNITS]
    assert [u.last for u in units] == [False] * (MAX_UNITS - 1) + [True]


# ------------------------------------------------------------------ 2 sub-words


@pytest.mark.parametrize(
    ("q", "subwords"),
    [
        ("小游戏", ["游戏"]),
        ("查快递", ["快递"]),
        ("生活缴费", ["生活", "缴费"]),
        ("拿铁", []),  # a word with no inner words
        ("coffee", []),  # Latin
        ("星巴克", []),  # a brand unit
    ],
)
def test_subwords(kit: Kit, q: str, subwords: list[str]) -> None:
    (unit,) = kit.parse(q).units
    assert unit.subwords == subwords


def test_subwords_per_unit(kit: Kit) -> None:
    units = kit.parse("查快递 星巴克").units
    assert [(u.text, u.subwords) for u in units] == [("查快递", ["快递"]), ("星巴克", [])]


# ------------------------------------------------------------------ 3 brands


def test_whole_query_brand(kit: Kit) -> None:
    parsed = kit.parse("Louis Vuitton")
    (unit,) = parsed.units
    assert parsed.resolution is not None and parsed.resolution.via == "alias"
    assert (unit.text, unit.latin, unit.sense, unit.brand_ids) == (
        "louisvuitton",
        True,
        "both",
        ("louis-vuitton",),
    )
    assert unit.alias_terms == ["路易威登", "lv", "驴牌"]
    assert parsed.brand_zone_id == "louis-vuitton"


def test_brand_words_merge_in_a_longer_query(kit: Kit) -> None:
    parsed = kit.parse("louis vuitton 包")
    assert parsed.resolution is None and parsed.brand_zone_id is None
    brand, word = parsed.units
    assert (brand.text, brand.sense, brand.brand_ids) == (
        "louisvuitton",
        "brand",
        ("louis-vuitton",),
    )
    assert "louisvuitton" not in brand.alias_terms and "路易威登" in brand.alias_terms
    assert (word.text, word.sense, word.brand_ids) == ("包", "both", ())
    assert word.synonyms == ["包包", "手袋", "箱包"]


def test_merge_takes_the_longest_spelling(kit: Kit) -> None:
    # 德芙巧克力 is an alias of one brand; 德芙 alone names the same brand
    units = kit.parse("德芙巧克力 礼盒").units
    assert (units[0].text, units[0].brand_ids) == ("德芙巧克力", ("dove-chocolate",))


def test_ambiguous_brand_unit(kit: Kit) -> None:
    parsed = kit.parse("dove")
    (unit,) = parsed.units
    assert unit.brand_ids == ("dove-care", "dove-chocolate")
    assert set(unit.alias_terms) == {"多芬", "德芙", "德芙巧克力"}
    assert parsed.brand_zone_id is None


def test_prefix_resolution_opens_no_zone(kit: Kit) -> None:
    parsed = kit.parse("xingba")
    assert parsed.units[0].brand_ids == ("starbucks",)
    assert parsed.brand_zone_id is None


def test_read_literally(kit: Kit) -> None:
    apple = kit.parse("红富士 苹果").units[1]
    assert (apple.sense, apple.brand_ids, apple.common) == ("brand", ("apple",), True)
    assert apple.anchors == ("apple",) and apple.family_terms == ["apple"]
    apple.read_literally()
    assert apple.sense == "literal"
    assert len(apple.brand_ids) == len(apple.anchors) == 0
    assert apple.alias_terms == []


def test_family_terms_of_a_distinctive_name(kit: Kit) -> None:
    unit = kit.parse("星巴克 拿铁").units[0]
    assert not unit.common
    assert unit.family_terms == ["starbucks", "星爸爸", "星巴克"]


# ------------------------------------------------------------------ 4 synonyms


@pytest.mark.parametrize(
    ("q", "synonyms"),
    [
        ("快递", ["物流", "寄件"]),
        ("COFFEE", ["咖啡"]),
        ("小游戏", ["游戏"]),
        ("拿铁", []),
    ],
)
def test_synonyms(kit: Kit, q: str, synonyms: list[str]) -> None:
    assert kit.parse(q).units[0].synonyms == synonyms


# ------------------------------------------------------------------ 5 fuzzy eligibility


@pytest.mark.parametrize(
    ("text", "latin", "distance"),
    [
        ("caf", True, 0),
        ("cafe", True, 1),
        ("latte", True, 1),
        ("starbuc", True, 1),
        ("starbuck", True, 2),
        ("cappuccino", True, 2),
        ("lv2", True, 0),
        ("12306", True, 0),
        ("咖啡店铺", False, 0),
    ],
)
def test_fuzzy_distance(text: str, latin: bool, distance: int) -> None:
    assert Unit(text=text, latin=latin).fuzzy_distance == distance


# ------------------------------------------------------------------ 6 compiled queries


LISTINGS: dict[str, Listing] = {
    "latte": listing("拿铁工坊", keywords=["外卖"]),
    "classic": listing("经典咖啡"),
    "lab": listing("Coffee Lab"),
    "express": listing("快递小助手"),
    "offline": listing("拿铁工坊", key="offline", status="offline", hosts=["jd"]),
    "samsung": listing("拿铁工坊", key="samsung", hosts=["samsung"]),
    "apple": listing("Apple Store", brand_id="apple", official=True),
    "apple-dealer": listing("某店", key="apple-dealer", brand_id="apple"),
    "fruit": listing("水果铺", keywords=["苹果", "红富士"]),
}
BY_APPID = {item.appid: key for key, item in LISTINGS.items()}


@pytest.fixture(scope="module")
def eng(kit: Kit) -> Engine:
    assert len(BY_APPID) == len(LISTINGS)
    return memory_engine(kit, LISTINGS.values())


def found(
    eng: Engine,
    q: str | ParsedQuery,
    every: bool = True,
    host: str = "jd",
    exclude: frozenset[str] = frozenset(),
) -> set[str]:
    """Keys of the listings the compiled query retrieves in ``host``: those matching every
    word (``every``) or any word, or a brand a word of a longer query names."""
    parsed = eng.parse(q) if isinstance(q, str) else q
    compiled = Compiled(eng.compiler, ranking(parsed, eng.table))
    eng.exclude = exclude
    family = eng._family(parsed)
    among = None if every else tuple(range(len(parsed.units)))
    query = compiled.query(eng.filters(host), True, among, also=family if every else None)
    if query is None:
        return set()
    out = set()
    for _, addr in eng.searcher.search(query, limit=50).hits:
        out.add(BY_APPID[eng._stored_listing(eng.searcher.doc(addr))["appid"]])
    return out


def test_every_word_or_any(eng: Engine) -> None:
    assert found(eng, "拿铁 外卖") == {"latte"}
    assert found(eng, "咖啡 外卖") == set()
    assert found(eng, "咖啡 外卖", every=False) == {"latte", "classic", "lab"}


def test_filters_online_and_host(eng: Engine) -> None:
    assert found(eng, "拿铁工坊") == {"latte"}
    assert found(eng, "拿铁工坊", host="samsung") == {"samsung"}
    assert found(eng, "拿铁工坊", host="qqbrowser") == set()


@pytest.mark.parametrize("host", ["jd", "qqbrowser", "samsung"])
@pytest.mark.parametrize("q", ["拿铁工坊", "咖啡", "苹果", "拿铁"])
def test_excluding_hidden_finds_what_requiring_live_finds(eng: Engine, host: str, q: str) -> None:
    """The two ways of writing the host filter select the same listings."""
    required = found(eng, q, host=host)
    assert found(eng, q, host=host, exclude=frozenset([host])) == required


def test_pinyin_only_for_latin_only_queries(eng: Engine) -> None:
    assert found(eng, "jingdian") == {"classic"}
    assert found(eng, "jdkf") == {"classic"}
    # in a query with Chinese the same Latin word is not read as pinyin
    assert found(eng, "jingdian 快递", every=False) == {"express"}


def test_prefix_only_for_the_last_latin_unit(eng: Engine) -> None:
    assert found(eng, "coff") == {"lab"}
    assert found(eng, "快递 coff") == set()
    assert found(eng, "coff 快递", every=False) == {"express"}
    assert found(eng, "co") == set()


def test_fuzzy_from_four_letters(eng: Engine) -> None:
    assert found(eng, "cofee") == {"lab"}
    assert found(eng, "lab") == {"lab"}
    assert found(eng, "lub") == set()  # 3 letters: no fuzzy


def test_subword_retrieves_the_inner_word(eng: Engine) -> None:
    assert found(eng, "查快递") == {"express"}


def test_brand_anchor_retrieves_the_whole_family(kit: Kit, eng: Engine) -> None:
    # the dealer never writes 苹果 or Apple: the brand id retrieves it
    assert found(eng, "苹果") >= {"apple", "apple-dealer", "fruit"}
    # read as the brand (parsed without the engine's context check), a longer query still
    # retrieves every listing of the brand
    assert {"apple", "apple-dealer"} <= found(eng, kit.parse("苹果 红富士"))


def test_literal_unit_does_not_anchor(eng: Engine) -> None:
    parsed = eng.parse("苹果 红富士")
    parsed.units[0].read_literally()
    assert found(eng, parsed) == {"fruit"}  # only the fruit shop holds both words
