"""Unit tests for search.rank.exactness: is the whole query the listing's name or one of its
brand's names and aliases?

1. 1.0 when the query's compact form is the listing's whole name or its brand's
   name or an alias, however it is written (case, width, spaces, punctuation,
   traditional characters).
2. 0.7 when a Latin-only query is the full pinyin or the initials of such a name.
3. 0 otherwise: part of a name, pinyin of part of a name, a typo or half-typed
   prefix of a brand, another brand's name, and any query with Chinese characters
   that is not a whole name.
"""

from __future__ import annotations

import pytest

from indexer import schema as f
from indexer.dictionaries import Dictionaries
from search.query import ParsedQuery
from search.rank.weights import WEIGHTS
from tests.rankkit import Kit, listing, make_kit, scored, terms


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def exact(kit: Kit, q: str | ParsedQuery, name: str, brand_id: str | None = None) -> float:
    """The exactness part of the listing's score, as a share of ``WEIGHTS.exact``."""
    part = scored(kit, q, listing(name, brand_id=brand_id)).parts.get("exact", 0.0)
    return round(part / WEIGHTS.exact, 9)


@pytest.mark.parametrize("q", ["拿铁工坊", " 拿铁 工坊 ", "拿铁工坊!", "拿鐵工坊"])
def test_whole_name(kit: Kit, q: str) -> None:
    assert exact(kit, q, "拿铁工坊") == 1.0


@pytest.mark.parametrize(
    "q", ["星巴克", "星爸爸", "Starbucks", "STARBUCKS", "ｓｔａｒｂｕｃｋｓ", "star bucks"]
)
def test_brand_name_or_alias(kit: Kit, q: str) -> None:
    assert exact(kit, q, "星巴克臻选", "starbucks") == 1.0


@pytest.mark.parametrize("q", ["Louis Vuitton", "louis-vuitton", "L.V.", "lv", "驴牌"])
def test_multiword_and_dotted_aliases(kit: Kit, q: str) -> None:
    assert exact(kit, q, "路易威登精品店", "louis-vuitton") == 1.0


@pytest.mark.parametrize(
    ("q", "name", "brand_id"),
    [
        ("natiegongfang", "拿铁工坊", None),  # full pinyin of the name
        ("ntgf", "拿铁工坊", None),  # initials of the name
        ("xingbake", "星巴克臻选", "starbucks"),  # pinyin of the brand name
        ("xbk", "星巴克臻选", "starbucks"),  # initials of the brand name
        ("xingbaba", "星巴克臻选", "starbucks"),  # pinyin of an alias
        ("maidanglao", "麦当劳点餐", "mcdonalds"),
        ("jgm", "麦当劳点餐", "mcdonalds"),  # initials of the alias 金拱门
    ],
)
def test_latin_query_through_pinyin_or_initials(
    kit: Kit, q: str, name: str, brand_id: str | None
) -> None:
    assert exact(kit, q, name, brand_id) == 0.7


@pytest.mark.parametrize(
    ("q", "name", "brand_id"),
    [
        ("拿铁", "拿铁工坊", None),  # part of the name
        ("拿铁工坊外卖", "拿铁工坊", None),  # more than the name
        ("natie", "拿铁工坊", None),  # pinyin of part of the name
        ("stabucks", "星巴克臻选", "starbucks"),  # a typo resolves the brand, but is not exact
        ("xingba", "星巴克臻选", "starbucks"),  # a half-typed prefix
        ("星巴", "星巴克臻选", "starbucks"),
        ("麦当劳", "星巴克臻选", "starbucks"),  # another brand
        ("星巴克", "星巴克臻选", None),  # the brand's name on a listing outside the brand
        ("星巴克 拿铁", "星巴克臻选", "starbucks"),
    ],
)
def test_not_exact(kit: Kit, q: str, name: str, brand_id: str | None) -> None:
    assert exact(kit, q, name, brand_id) == 0.0


def test_pinyin_only_for_latin_queries(kit: Kit) -> None:
    """A query with Chinese characters is never compared through pinyin."""
    parsed = kit.parse("natiegongfang")
    assert parsed.latin_only and exact(kit, parsed, "拿铁工坊") == 0.7
    # the same compact text flagged as a Chinese query does not match through pinyin
    parsed.latin_only = False
    assert exact(kit, parsed, "拿铁工坊") == 0.0


def test_pinyin_of_a_mixed_name_keeps_its_latin_letters(kit: Kit) -> None:
    assert "quanminkge" in terms(kit, listing("全民K歌")).terms[f.EXACT_SPELLED]
    assert exact(kit, "quanminkge", "全民K歌") == 0.7


@pytest.mark.parametrize("q", ["ji", "j"])
def test_dropped_latin_letters_do_not_make_a_short_query_exact(kit: Kit, q: str) -> None:
    assert exact(kit, q, "麦当劳点餐", "mcdonalds") == 0.0
