"""Unit tests for search.resolve: does a query (or a run of its words) name exactly one brand?

Tiers, the first that finds brands decides:

1. A name or alias as written (case, width, spaces and punctuation folded).
2. Full pinyin, then initials (3+ letters) — Latin queries only.
3. A half-typed prefix: Latin 4+ letters of a name, alias or pinyin (not
   initials); Chinese 2+ characters of a name or alias.
4. A typo: Latin 4+ letters within edit distance 1 (2 from 8 letters) of a
   name or alias; Chinese 3+ characters with one character replaced by a
   similar-sounding one.

More than one brand in the deciding tier is ambiguous (``unique`` is None); a
brand zone opens only for a unique brand not found by prefix.
``name_or_alias`` is tier 1 alone.
"""

from __future__ import annotations

import pytest

from indexer.analysis import compact
from indexer.brands import BrandTable
from search.resolve import MAX_PREFIX_BRANDS, Resolution, name_or_alias, resolve
from tests.rankkit import BRANDS, brand

TABLE = BrandTable.build(
    [
        *BRANDS,
        brand("starbox", "星盒子"),
        brand("hellobike", "哈啰", "哈罗", "Hello"),
        brand("heytea", "喜茶", "HEYTEA"),
        brand("pingguo-shop", "PingGuo Shop", "pingguo"),
        brand("lattes", "Lattes"),
        brand("latter", "Latter"),
    ]
)


def res(q: str) -> tuple[tuple[str, ...], str, str] | None:
    r = resolve(q, TABLE)
    return None if r is None else (r.brand_ids, r.via, r.matched)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("星巴克", (("starbucks",), "name", "星巴克")),
        ("星爸爸", (("starbucks",), "alias", "星爸爸")),
        ("Starbucks", (("starbucks",), "alias", "Starbucks")),
        ("STAR BUCKS", (("starbucks",), "alias", "Starbucks")),
        ("ｓｔａｒｂｕｃｋｓ", (("starbucks",), "alias", "Starbucks")),
        ("Louis-Vuitton", (("louis-vuitton",), "alias", "Louis Vuitton")),
        ("蘋果", (("apple",), "name", "苹果")),  # traditional folds to the name
        ("麥當勞", (("mcdonalds",), "name", "麦当劳")),
    ],
)
def test_name_or_alias_as_written(q: str, expected: tuple[tuple[str, ...], str, str]) -> None:
    assert res(q) == expected
    found = name_or_alias(compact(q), TABLE)
    assert found is not None and (found.brand_ids, found.via, found.matched) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("xingbake", (("starbucks",), "pinyin", "星巴克")),
        ("xingbaba", (("starbucks",), "pinyin", "星爸爸")),
        ("xbk", (("starbucks",), "initials", "星巴克")),
        ("jgm", (("mcdonalds",), "initials", "金拱门")),
        ("haluo", (("hellobike",), "pinyin", "哈啰")),
    ],
)
def test_pinyin_and_initials(q: str, expected: tuple[tuple[str, ...], str, str]) -> None:
    assert res(q) == expected
    assert name_or_alias(compact(q), TABLE) is None


def test_name_or_alias_tier_wins_over_pinyin() -> None:
    # pingguo is an alias of one brand and the pinyin of 苹果
    assert res("pingguo") == (("pingguo-shop",), "alias", "pingguo")


def test_two_letter_initials_name_nothing() -> None:
    assert res("pg") is None  # 苹果
    assert res("xx") is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("xingba", (("starbucks",), "prefix", "星巴克")),  # pinyin prefix
        ("starb", (("starbucks",), "prefix", "Starbucks")),
        ("hell", (("hellobike",), "prefix", "Hello")),
        ("星巴", (("starbucks",), "prefix", "星巴克")),
        ("xing", (("starbucks", "starbox"), "prefix", "星巴克")),  # xingbake, xinghezi
    ],
)
def test_prefix(q: str, expected: tuple[tuple[str, ...], str, str]) -> None:
    assert res(q) == expected


def test_prefix_of_too_many_brands_names_none() -> None:
    """A prefix starting more than MAX_PREFIX_BRANDS brand names resolves to nothing,
    not even by a later tier (zhon is one letter from the brand Zhou)."""
    words = ["中国", "中信", "中通", "中华", "中百", "中原", "中石", "中铁", "中粮"]
    crowd = [brand(f"crowd-{i}", f"{w}商城") for i, w in enumerate(words, 1)]
    table = BrandTable.build([*BRANDS, *crowd, brand("zhou", "Zhou")])
    assert len(crowd) > MAX_PREFIX_BRANDS
    assert resolve("zhon", table) is None
    assert resolve("zhon", BrandTable.build([*BRANDS, brand("zhou", "Zhou")])) is not None  # typo
    assert resolve("中", table) is None  # too short anyway
    few = BrandTable.build([*BRANDS, *crowd[:MAX_PREFIX_BRANDS]])
    found = resolve("zhon", few)
    assert found is not None and found.via == "prefix"
    assert len(found.brand_ids) == MAX_PREFIX_BRANDS


@pytest.mark.parametrize("q", ["hel", "sta", "星", "dfqk"])
def test_too_short_or_initials_prefix(q: str) -> None:
    # dfqk is a prefix of dfqkl, the initials of 德芙巧克力: initials never resolve by prefix
    assert res(q) is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("stabucks", (("starbucks",), "typo", "Starbucks")),  # one deletion
        ("starbuks", (("starbucks",), "typo", "Starbucks")),
        ("lousvuiton", (("louis-vuitton",), "typo", "Louis Vuitton")),  # 10 letters: distance 2
        ("heyyea", (("heytea",), "typo", "HEYTEA")),
        ("星巴可", (("starbucks",), "typo", "星巴克")),  # 可/克: ke
        ("星八克", (("starbucks",), "typo", "星巴克")),  # 八/巴: ba
        ("麦当牢", (("mcdonalds",), "typo", "麦当劳")),
    ],
)
def test_typo(q: str, expected: tuple[tuple[str, ...], str, str]) -> None:
    assert res(q) == expected


@pytest.mark.parametrize(
    "q",
    [
        "lv2",  # 3 letters: no typo tier
        "stbcks",  # distance 3 from starbucks
        "lousvuitonn",  # distance 3 from louisvuitton
        "星巴鸭",  # 鸭 (ya) does not sound like 克 (ke)
        "巴星克",  # two characters differ
        "喜荼",  # two-character names get no typo tier
        "",
        "!!!",
    ],
)
def test_not_a_brand(q: str) -> None:
    assert res(q) is None


def test_equal_typos_are_ambiguous() -> None:
    # lattez is one edit from both lattes and latter
    r = resolve("lattez", TABLE)
    assert r is not None and r.via == "typo"
    assert set(r.brand_ids) == {"lattes", "latter"} and r.unique is None and not r.zone


def test_closer_typo_wins() -> None:
    r = resolve("lattes", TABLE)  # exact name of one, one edit from the other
    assert r is not None and (r.brand_ids, r.via) == (("lattes",), "name")


def test_ambiguous_alias() -> None:
    r = resolve("Dove", TABLE)
    assert r is not None and r.brand_ids == ("dove-care", "dove-chocolate")
    assert (r.via, r.unique, r.zone) == ("alias", None, False)


@pytest.mark.parametrize(
    ("via", "ids", "zone"),
    [
        ("name", ("a",), True),
        ("alias", ("a",), True),
        ("pinyin", ("a",), True),
        ("initials", ("a",), True),
        ("typo", ("a",), True),
        ("prefix", ("a",), False),
        ("name", ("a", "b"), False),
    ],
)
def test_zone(via: str, ids: tuple[str, ...], zone: bool) -> None:
    r = Resolution(ids, via, "x")  # type: ignore[arg-type]
    assert r.zone is zone
    assert r.unique == (ids[0] if len(ids) == 1 else None)


def test_name_or_alias_is_the_first_tier_only() -> None:
    for q in ("xingbake", "xbk", "xingba", "stabucks", "星巴可", "星巴"):
        assert resolve(q, TABLE) is not None
        assert name_or_alias(compact(q), TABLE) is None
