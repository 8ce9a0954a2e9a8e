"""Unit tests for search.rank.text: how well one candidate covers the query, word by word.

Hand-made listings (tests/rankkit.py) analysed by the real analyzer; queries parsed
by ``search.query.parse``. Properties checked:

1. Per unit, the weight is field weight × form weight of the best match: a name
   match beats a keyword match, which beats showcase and description matches;
   each form (original, alias, synonym, subword, prefix, fuzzy, ngram) carries
   its weight from ``weights.py``.
2. A category match counts fully in the listing's own (last) category and only
   ``top_category`` in the broad top-level one.
3. Breadth: matches in further fields close part of the gap to 1, never past it,
   never lowering the best match, and never lift a keyword match above a name match.
4. A compound's sub-words count by the share of them the field holds.
5. Pinyin and initials count only for Latin-only queries.
6. Prefix only for the last Latin unit of 3+ letters; fuzzy only for Latin words
   of 4+ letters.
7. text_match is the mean over units; a literal unit never matches the brand field.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest

from indexer import schema as f
from indexer.dictionaries import Dictionaries
from search.rank import rank
from search.rank.candidate import Candidate
from search.rank.text import text_match, unit_match, unit_matches
from search.rank.weights import WEIGHTS, Weights
from tests.rankkit import Kit, cand, listing, make_kit

W = WEIGHTS


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def hit(field: str, form: str, weight: float) -> tuple[str, str, float]:
    """A match as ``match1`` reports it (weight rounded off float noise)."""
    return field, form, round(weight, 9)


def match1(kit: Kit, q: str, **fields: Any) -> tuple[str, str, float] | None:
    """(field, form, weight) of the single unit of ``q`` against a listing of ``fields``."""
    parsed = kit.parse(q)
    assert len(parsed.units) == 1, parsed.units
    m = unit_match(parsed, parsed.units[0], cand(kit, listing(**fields)), W)
    return None if m is None else hit(m.field, m.form, m.weight)


# ------------------------------------------------------------------ 1 field × form


@pytest.mark.parametrize(
    ("fields", "field", "weight"),
    [
        ({"name": "拿铁工坊"}, f.NAME, 1.0),
        ({"name": "某店", "keywords": ["拿铁"]}, f.KEYWORDS, 0.9),
        ({"name": "某店", "category": ["咖啡茶饮", "拿铁"]}, f.CATEGORY, 1.0),
        ({"name": "某店", "showcase": ["拿铁"]}, f.SHOWCASE, 0.7),
        ({"name": "某店", "description": "现磨拿铁"}, f.DESCRIPTION, 0.4),
    ],
)
def test_field_weights(kit: Kit, fields: dict[str, Any], field: str, weight: float) -> None:
    assert match1(kit, "拿铁", **fields) == hit(field, "original", weight)
    assert W.field[field] == weight


def test_brand_field(kit: Kit) -> None:
    # 星爸爸 is a Starbucks alias: the listing's brand field holds it as written
    got = match1(kit, "星爸爸", name="咖啡店", brand_id="starbucks")
    assert got == hit(f.BRAND, "original", W.field[f.BRAND])


def test_name_beats_keyword_beats_showcase_beats_description(kit: Kit) -> None:
    order: list[dict[str, Any]] = [
        {"name": "拿铁工坊"},
        {"name": "某店", "keywords": ["拿铁"]},
        {"name": "某店", "showcase": ["拿铁"]},
        {"name": "某店", "description": "现磨拿铁"},
    ]
    weights = [match1(kit, "拿铁", key=str(i), **fields) for i, fields in enumerate(order)]
    values = [m[2] for m in weights if m is not None]
    assert len(values) == 4
    assert values == sorted(values, reverse=True) and len(set(values)) == 4


@pytest.mark.parametrize(
    ("q", "fields", "expected"),
    [
        # alias: the query is a brand spelling, the name holds another one
        ("starbucks", {"name": "星巴克咖啡"}, (f.NAME, "alias", W.form["alias"])),
        # synonym from dictionaries/synonyms.txt (快递, 物流, 寄件)
        ("快递", {"name": "某店", "keywords": ["物流"]}, (f.KEYWORDS, "synonym", 0.9 * 0.8)),
        # prefix of the last Latin unit
        ("coff", {"name": "Coffee Lab"}, (f.NAME, "prefix", W.form["prefix"])),
        # one edit away from a 5-letter Latin word
        ("cofee", {"name": "Coffee Lab"}, (f.NAME, "fuzzy", W.form["fuzzy"])),
        # a CJK unit that is a substring of the name but not one of its words
        ("克", {"name": "星巴克咖啡"}, (f.NAME, "ngram", W.form["ngram"])),
    ],
)
def test_forms(kit: Kit, q: str, fields: dict[str, Any], expected: tuple[str, str, float]) -> None:
    field, form, weight = expected
    assert match1(kit, q, **fields) == hit(field, form, weight)


def test_original_beats_every_other_form() -> None:
    assert W.form["original"] == 1.0
    assert all(v < 1.0 for k, v in W.form.items() if k != "original")


def test_no_match(kit: Kit) -> None:
    assert match1(kit, "外卖", name="拿铁工坊") is None


# ------------------------------------------------------------------ 2 own vs top-level category


def test_own_category_beats_top_level_category(kit: Kit) -> None:
    own = match1(kit, "咖啡", key="own", name="某店", category=["咖啡茶饮", "精品咖啡"])
    top = match1(kit, "咖啡", key="top", name="某店", category=["咖啡茶饮", "奶茶"])
    assert own == hit(f.CATEGORY, "original", W.field[f.CATEGORY])
    assert top == hit(f.CATEGORY, "original", W.top_category)
    assert W.top_category < W.field[f.CATEGORY]


def test_single_level_category_is_the_own_category(kit: Kit) -> None:
    got = match1(kit, "咖啡", name="某店", category=["咖啡茶饮"])
    assert got == hit(f.CATEGORY, "original", W.field[f.CATEGORY])


def test_own_category_match_wins_the_ranking(kit: Kit) -> None:
    q = kit.parse("咖啡")
    top = cand(kit, listing("某店", key="top", category=["咖啡茶饮", "奶茶"], mau=10**8))
    own = cand(kit, listing("某店", key="own", category=["咖啡茶饮", "精品咖啡"], mau=10))
    assert [r.candidate for r in rank(q, [top, own])] == [own, top]


def test_category_level_and_form_come_from_the_same_category(kit: Kit) -> None:
    # 咖啡 is in the top-level 咖啡茶饮; only its synonym coffee is in the own category
    got = match1(kit, "咖啡", name="某店", category=["咖啡茶饮", "Coffee精品"])
    assert got is not None
    assert got[2] == pytest.approx(max(W.top_category, W.field[f.CATEGORY] * W.form["synonym"]))


# ------------------------------------------------------------------ 3 breadth


def test_breadth_closes_part_of_the_gap(kit: Kit) -> None:
    got = match1(kit, "拿铁", name="某店", keywords=["拿铁"], description="现磨拿铁")
    # keywords 0.9 is the best; description 0.4 closes 0.4 of the remaining 0.1
    assert got == hit(f.KEYWORDS, "original", 0.9 + 0.1 * 0.4)


def test_breadth_off_keeps_the_best_match(kit: Kit) -> None:
    parsed = kit.parse("拿铁")
    c = cand(kit, listing("某店", keywords=["拿铁"], description="现磨拿铁"))
    m = unit_match(parsed, parsed.units[0], c, Weights(breadth=0.0))
    assert m is not None and m.weight == pytest.approx(0.9)


OTHER_FIELDS: dict[str, dict[str, Any]] = {
    "showcase": {"showcase": ["咖啡"]},
    "description": {"description": "现磨咖啡"},
    "top_category": {"category": ["咖啡茶饮", "奶茶"]},
    "keywords": {"keywords": ["咖啡", "外带"]},
}


def _with(extra: Sequence[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {"category": ["工具"], "description": "一个小程序"}
    for name in extra:
        fields.update(OTHER_FIELDS[name])
    return fields


def test_breadth_is_bounded_and_monotonic(kit: Kit) -> None:
    """Over every set of fields holding the word: best single ≤ weight ≤ 1, and adding a
    field never lowers it; with the word in the name the weight is exactly 1."""
    parsed = kit.parse("咖啡")
    unit = parsed.units[0]
    seen: dict[frozenset[str], float] = {}
    for r in range(1, len(OTHER_FIELDS) + 1):
        for combo in itertools.combinations(OTHER_FIELDS, r):
            c = cand(kit, listing("某店", key="+".join(combo), **_with(combo)))
            m = unit_match(parsed, unit, c, W)
            assert m is not None
            singles = [
                unit_match(parsed, unit, cand(kit, listing("某店", key=k, **_with([k]))), W)
                for k in combo
            ]
            best = max(s.weight for s in singles if s is not None)
            assert best - 1e-9 <= m.weight <= 1.0, combo
            for smaller, weight in seen.items():
                if smaller < frozenset(combo):
                    assert m.weight >= weight - 1e-9, (combo, smaller)
            seen[frozenset(combo)] = m.weight
            named = cand(kit, listing("咖啡店", key="n+" + "+".join(combo), **_with(combo)))
            n = unit_match(parsed, unit, named, W)
            assert n is not None and n.weight == pytest.approx(1.0)
            # breadth never lifts a keyword (or weaker) match above a name match
            assert m.weight <= n.weight + 1e-9


def test_breadth_never_lifts_a_keyword_match_over_a_whole_name_match(kit: Kit) -> None:
    """Even with the word in every other field and far more users, the listing whose
    whole name is the query ranks first."""
    q = kit.parse("拿铁工坊")
    broad = cand(
        kit,
        listing(
            "某店",
            key="broad",
            keywords=["拿铁工坊"],
            category=["咖啡茶饮", "拿铁工坊"],
            showcase=["拿铁工坊"],
            description="拿铁工坊",
            mau=10**9,
        ),
        bm25=10.0,
    )
    named = cand(kit, listing("拿铁工坊", key="named", mau=0), bm25=1.0)
    ranked = rank(q, [broad, named])
    assert ranked[0].candidate is named
    assert ranked[1].parts["text"] <= ranked[0].parts["text"]


# ------------------------------------------------------------------ 4 compound sub-words


def test_subword_share(kit: Kit) -> None:
    # 生活缴费 holds 生活 and 缴费; the name holds only 缴费: half the subword weight
    assert kit.parse("生活缴费").units[0].subwords == ["生活", "缴费"]
    got = match1(kit, "生活缴费", name="缴费助手")
    assert got == hit(f.NAME, "subword", W.form["subword"] * 0.5)


def test_subword_of_a_compound_query(kit: Kit) -> None:
    # 查快递 finds a listing about 快递 that never writes the compound
    got = match1(kit, "查快递", name="某店", keywords=["快递"])
    assert got == hit(f.KEYWORDS, "subword", 0.9 * W.form["subword"])


# ------------------------------------------------------------------ 5 pinyin and initials


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("jingdian", (f.PINYIN, "pinyin", 0.85 * 0.9)),
        ("jd", (f.INITIALS, "initials", 0.85 * 0.85)),
        ("jingd", (f.PINYIN, "prefix", 0.85 * 0.75)),
        ("jdk", (f.INITIALS, "prefix", 0.85 * 0.75)),
    ],
)
def test_pinyin_forms_of_a_latin_query(kit: Kit, q: str, expected: tuple[str, str, float]) -> None:
    field, form, weight = expected
    assert match1(kit, q, name="经典咖啡") == hit(field, form, weight)


def test_pinyin_never_counts_in_a_query_with_chinese(kit: Kit) -> None:
    c = cand(kit, listing("经典咖啡"))
    latin = kit.parse("jingdian")
    mixed = kit.parse("jingdian 咖啡")
    assert latin.latin_only and not mixed.latin_only
    assert unit_match(latin, latin.units[0], c, W) is not None
    assert [u.text for u in mixed.units] == ["jingdian", "咖啡"]
    assert unit_match(mixed, mixed.units[0], c, W) is None
    assert text_match(mixed, c, W) == pytest.approx(0.5)


def test_chinese_query_matches_through_words_not_pinyin(kit: Kit) -> None:
    """景点 (jingdian) sounds like 经典 (jingdian) but never matches it."""
    c = cand(kit, listing("经典咖啡"))
    q = kit.parse("景点")
    assert "jingdian" in c.pinyin
    assert text_match(q, c, W) == 0.0


def test_word_match_beats_pinyin_match(kit: Kit) -> None:
    assert W.field[f.PINYIN] * W.form["pinyin"] < W.field[f.NAME] * W.form["alias"]
    # xingbake names Starbucks: the name holds 星巴克, an alias term, not just its pinyin
    got = match1(kit, "xingbake", name="星巴克咖啡")
    assert got is not None and got[:2] == (f.NAME, "alias")


# ------------------------------------------------------------------ 6 prefix and fuzzy eligibility


def test_prefix_only_for_the_last_unit(kit: Kit) -> None:
    c = cand(kit, listing("Coffee Lab"))
    last = kit.parse("拿铁 coff")
    first = kit.parse("coff 拿铁")
    assert unit_matches(last, c, W)[1] is not None
    assert unit_matches(first, c, W)[0] is None


def test_prefix_needs_three_letters(kit: Kit) -> None:
    assert match1(kit, "cof", name="Coffee Lab") == hit(f.NAME, "prefix", 0.75)
    assert match1(kit, "co", name="Coffee Lab") is None


def test_fuzzy_needs_four_letters(kit: Kit) -> None:
    assert match1(kit, "cafr", name="Cafe") == hit(f.NAME, "fuzzy", 0.7)
    assert match1(kit, "cfe", name="Cafe") is None


# ------------------------------------------------------------------ 7 coverage and literal sense


def test_text_match_is_the_mean_over_units(kit: Kit) -> None:
    c = cand(kit, listing("拿铁工坊", keywords=["外卖"]))
    assert text_match(kit.parse("拿铁"), c, W) == pytest.approx(1.0)
    assert text_match(kit.parse("拿铁 外卖"), c, W) == pytest.approx((1.0 + 0.9) / 2)
    assert text_match(kit.parse("拿铁 火锅"), c, W) == pytest.approx(0.5)
    assert text_match(kit.parse("!!!"), c, W) == 0.0


def test_full_coverage_beats_one_strong_word(kit: Kit) -> None:
    q = kit.parse("拿铁 外卖")
    one = cand(kit, listing("拿铁工坊", key="one"))
    both = cand(kit, listing("某店", key="both", keywords=["拿铁", "外卖"]))
    assert text_match(q, both, W) > text_match(q, one, W)


def test_literal_unit_skips_the_brand_field(kit: Kit) -> None:
    parsed = kit.parse("红富士苹果")
    unit = parsed.units[-1]
    c: Candidate = cand(kit, listing("某店", brand_id="apple"))
    brand_hit = unit_match(parsed, unit, c, W)
    assert brand_hit is not None and brand_hit.field == f.BRAND
    unit.read_literally()
    assert unit_match(parsed, unit, c, W) is None
