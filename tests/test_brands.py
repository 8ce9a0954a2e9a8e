"""Unit tests for indexer.brands: the brand lookup table built at index time.

Properties checked:

1. The brand name is a ``name`` key and each alias an ``alias`` key, in compact
   normalised form ("Louis Vuitton" → louisvuitton, "L.V." → lv, 麥當勞 → 麦当劳),
   remembering the form as published.
2. All-CJK names and aliases also get a ``pinyin`` key and, when 3 letters or
   longer, an ``initials`` key; two-letter initials are not added.
3. Forms with Latin letters or digits get no pinyin or initials key.
4. Forms that compact to the same key add one entry per (brand, kind).
5. An alias shared by two brands maps to both.
6. Forms that normalise to nothing add no key.
7. ``words()`` returns every name and alias as published; the table survives a
   JSON round trip (it is stored as brands.json in each version).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from indexer.analysis import compact
from indexer.brands import MIN_INITIALS, BrandKey, BrandTable
from indexer.models import Brand

SAMPLE_BRANDS = Path(__file__).parent / "data" / "catalog" / "brands.jsonl"


def _brand(brand_id: str, name: str, *aliases: str) -> Brand:
    appid = "wx" + hashlib.sha256(brand_id.encode()).hexdigest()[:16]
    return Brand(
        brand_id=brand_id,
        name=name,
        aliases=aliases,
        category="奢侈品",
        official_appids=(appid,),
    )


LV = _brand("louis-vuitton", "路易威登", "Louis Vuitton", "L.V.", "LV", "驴牌", "路易·威登")
MCD = _brand("mcdonalds", "麥當勞", "McDonald's", "金拱门", "M记")
STARBUCKS = _brand("starbucks", "星巴克", "Starbucks", "星爸爸")


def _entries(table: BrandTable, key: str) -> list[tuple[str, str, str]]:
    return [(e.brand_id, e.kind, e.form) for e in table.keys.get(key, [])]


# ------------------------------------------------------------------ 1 names and aliases


def test_name_and_alias_keys() -> None:
    table = BrandTable.build([LV, MCD])
    assert _entries(table, "路易威登") == [
        ("louis-vuitton", "name", "路易威登"),
        ("louis-vuitton", "alias", "路易·威登"),
    ]
    assert _entries(table, "louisvuitton") == [("louis-vuitton", "alias", "Louis Vuitton")]
    assert _entries(table, "驴牌") == [("louis-vuitton", "alias", "驴牌")]
    assert _entries(table, "麦当劳") == [("mcdonalds", "name", "麥當勞")]
    assert _entries(table, "mcdonalds") == [("mcdonalds", "alias", "McDonald's")]
    assert _entries(table, "m记") == [("mcdonalds", "alias", "M记")]
    assert "Louis Vuitton" not in table.keys and "louis vuitton" not in table.keys


def test_dotted_and_plain_alias_share_one_key() -> None:
    table = BrandTable.build([LV])
    # "L.V." and "LV" both compact to lv; the first form listed is remembered
    assert _entries(table, "lv") == [("louis-vuitton", "alias", "L.V.")]


# ------------------------------------------------------------------ 2-3 pinyin and initials


def test_pinyin_and_initials_of_cjk_forms() -> None:
    table = BrandTable.build([LV, MCD, STARBUCKS])
    assert _entries(table, "luyiweideng") == [("louis-vuitton", "pinyin", "路易威登")]
    assert _entries(table, "lywd") == [("louis-vuitton", "initials", "路易威登")]
    assert _entries(table, "lvpai") == [("louis-vuitton", "pinyin", "驴牌")]
    assert _entries(table, "xingbake") == [("starbucks", "pinyin", "星巴克")]
    assert _entries(table, "xbk") == [("starbucks", "initials", "星巴克")]
    assert _entries(table, "xingbaba") == [("starbucks", "pinyin", "星爸爸")]
    assert _entries(table, "xbb") == [("starbucks", "initials", "星爸爸")]
    # the pinyin of a traditional name is that of its simplified form
    assert _entries(table, "maidanglao") == [("mcdonalds", "pinyin", "麥當勞")]
    assert _entries(table, "jingongmen") == [("mcdonalds", "pinyin", "金拱门")]
    assert _entries(table, "jgm") == [("mcdonalds", "initials", "金拱门")]


def test_short_initials_not_added() -> None:
    assert MIN_INITIALS == 3
    table = BrandTable.build([LV, _brand("apple", "苹果", "Apple", "蘋果")])
    assert _entries(table, "pingguo") == [("apple", "pinyin", "苹果")]
    assert "pg" not in table.keys  # 苹果
    assert "lp" not in table.keys  # 驴牌
    assert all(e.kind != "initials" or len(k) >= 3 for k, v in table.keys.items() for e in v)


def test_mixed_forms_get_no_pinyin() -> None:
    table = BrandTable.build([MCD, _brand("sk-ii", "SK-II", "神仙水", "SK2")])
    kinds = {e.kind for entries in table.keys.values() for e in entries if e.form == "M记"}
    assert kinds == {"alias"}
    assert _entries(table, "skii") == [("sk-ii", "name", "SK-II")]
    assert _entries(table, "sk2") == [("sk-ii", "alias", "SK2")]
    assert _entries(table, "shenxianshui") == [("sk-ii", "pinyin", "神仙水")]
    assert "ji" not in table.keys and "mji" not in table.keys


# ------------------------------------------------------------------ 4-6 collisions and empties


def test_one_entry_per_brand_and_kind() -> None:
    hello = _brand("hellobike", "哈啰", "哈罗", "哈啰出行")
    table = BrandTable.build([hello])
    # 哈啰 and 哈罗 have the same pinyin: one pinyin entry, the first form
    assert _entries(table, "haluo") == [("hellobike", "pinyin", "哈啰")]
    # a name and an alias with the same key keep both kinds
    lv = BrandTable.build([LV])
    assert [e.kind for e in lv.keys["路易威登"]] == ["name", "alias"]


def test_shared_alias_maps_to_two_brands() -> None:
    apple = _brand("apple", "苹果", "Apple", "iPhone")
    daily = _brand("apple-daily", "苹果日报", "Apple Daily", "苹果")
    table = BrandTable.build([apple, daily])
    assert table.keys["苹果"] == [
        BrandKey(brand_id="apple", kind="name", form="苹果"),
        BrandKey(brand_id="apple-daily", kind="alias", form="苹果"),
    ]
    assert {e.brand_id for e in table.keys["pingguo"]} == {"apple", "apple-daily"}
    assert _entries(table, "apple") == [("apple", "alias", "Apple")]
    assert _entries(table, "appledaily") == [("apple-daily", "alias", "Apple Daily")]
    assert _entries(table, "pgrb") == [("apple-daily", "initials", "苹果日报")]


def test_alias_normalising_to_nothing_adds_no_key() -> None:
    table = BrandTable.build([_brand("bang", "Bang", "!!!")])
    assert "" not in table.keys
    assert sorted(table.keys) == ["bang"]


# ------------------------------------------------------------------ 7 words and round trip


def test_words() -> None:
    table = BrandTable.build([LV, STARBUCKS])
    assert table.words() == {
        "路易威登",
        "Louis Vuitton",
        "L.V.",
        "LV",
        "驴牌",
        "路易·威登",
        "星巴克",
        "Starbucks",
        "星爸爸",
    }


def test_sample_brands_round_trip() -> None:
    brands = [
        Brand.model_validate(orjson.loads(line)) for line in SAMPLE_BRANDS.read_bytes().splitlines()
    ]
    table = BrandTable.build(brands)
    assert len(table.brands) == 159
    for brand in brands:
        entry = BrandKey(brand_id=brand.brand_id, kind="name", form=brand.name)
        assert entry in table.keys[compact(brand.name)]
    again = BrandTable.model_validate(orjson.loads(table.model_dump_json()))
    assert again == table
