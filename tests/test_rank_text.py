"""Unit tests for search.rank.text: how well one listing covers the query, word by word.

Hand-made listings (tests/rankkit.py) analysed by the real analyzer; queries parsed by
``search.query.parse``; scored by the Python reference (``search.rank.reference``).
Properties checked:

1. Per word, each field counts with its strongest form, field weight × form weight: the
   own category, the name and keywords, then showcase titles, then descriptions; each
   form (original, alias, synonym, subword, prefix, fuzzy, ngram) carries its weight
   from ``weights.py``. A word that is part of a longer need word of the query (充 of
   哪能充) is looked for inside longer words of categories only.
2. A category match counts fully in the listing's own (last) category and only
   ``category_top`` in the broad top-level one; a word inside a category's word (宠 in
   宠物) counts as the word.
3. Breadth: the best field counts fully and each further field ``breadth`` × its
   weight; more fields never lower a word's score, and however many weaker fields hold
   the word it stays below a name match plus those same fields.
4. A compound's sub-words count by the share of them the field holds.
5. Pinyin and initials count only for Latin-only queries.
6. Prefix only for the last Latin unit of 3+ letters; fuzzy only for Latin words of 4+
   letters.
7. Each word is worth ``text / n``; a literal unit never matches the brand field.
8. Descriptions count only from the engine's second tier on.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from indexer import schema as f
from indexer.dictionaries import Dictionaries
from search.query import ParsedQuery, mark_need_parts
from search.rank.weights import WEIGHTS, Weights
from tests.rankkit import Kit, listing, make_kit, scored

W = WEIGHTS


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def match1(kit: Kit, q: str, **fields: Any) -> tuple[str, str, float] | None:
    """(field, form, weight) of the best group of the single unit of ``q``."""
    s = scored(kit, q, listing(**fields))
    assert len(s.units) == 1, s.units
    u = s.units[0]
    return None if u.best is None else (u.best.field, u.best.form, round(u.best_score, 9))


def word(kit: Kit, q: str, weights: Weights = W, **fields: Any) -> float:
    """The single unit's score, before its share of the text weight."""
    s = scored(kit, q, listing(**fields), weights=weights)
    assert len(s.units) == 1
    return s.units[0].score / weights.text


BROAD = Weights(breadth=0.1)  # breadth on, to see what it does


# ------------------------------------------------------------------ 1 field × form


@pytest.mark.parametrize(
    ("fields", "field", "weight"),
    [
        ({"name": "拿铁工坊"}, f.NAME, 1.0),
        ({"name": "某店", "keywords": ["拿铁"]}, f.KEYWORDS, 1.0),
        ({"name": "某店", "category": ["咖啡茶饮", "拿铁"]}, f.CATEGORY, 1.1),
        ({"name": "某店", "showcase": ["拿铁"]}, f.SHOWCASE, 0.7),
        ({"name": "某店", "description": "现磨拿铁"}, f.DESCRIPTION, 0.4),
    ],
)
def test_field_weights(kit: Kit, fields: dict[str, Any], field: str, weight: float) -> None:
    assert match1(kit, "拿铁", **fields) == (field, "original", weight)
    assert W.field[field] == weight


def test_brand_field(kit: Kit) -> None:
    # 星爸爸 is a Starbucks alias: the listing's brand field holds it as written
    got = match1(kit, "星爸爸", name="咖啡店", brand_id="starbucks")
    assert got == (f.BRAND, "original", W.field[f.BRAND])


def test_name_beats_showcase_beats_description(kit: Kit) -> None:
    order: list[dict[str, Any]] = [
        {"name": "拿铁工坊"},
        {"name": "某店", "showcase": ["拿铁"]},
        {"name": "某店", "description": "现磨拿铁"},
    ]
    values = [word(kit, "拿铁", key=str(i), **fields) for i, fields in enumerate(order)]
    assert values == sorted(values, reverse=True) and len(set(values)) == 3


@pytest.mark.parametrize(
    ("q", "fields", "expected"),
    [
        # alias: the query is a brand spelling, the name holds another one
        ("starbucks", {"name": "星巴克咖啡"}, (f.NAME, "alias", W.form["alias"])),
        # synonym from dictionaries/synonyms.txt (快递, 物流, 寄件)
        ("快递", {"name": "某店", "keywords": ["物流"]}, (f.KEYWORDS, "synonym", 0.8)),
        # prefix of the last Latin unit
        ("coff", {"name": "Coffee Lab"}, (f.NAME, "prefix", W.form["prefix"])),
        # one edit away from a 5-letter Latin word (in the name, brand or keywords)
        ("cofee", {"name": "Coffee Lab"}, (f.LATIN, "fuzzy", W.form["fuzzy"])),
        # a CJK unit that is inside one of the name's words but is not one
        ("克", {"name": "星巴克咖啡"}, (f.NAME, "ngram", W.form["ngram"])),
    ],
)
def test_forms(kit: Kit, q: str, fields: dict[str, Any], expected: tuple[str, str, float]) -> None:
    field, form, weight = expected
    assert match1(kit, q, **fields) == (field, form, pytest.approx(weight))


def test_a_word_of_a_longer_need_word_is_looked_for_inside_categories_only(kit: Kit) -> None:
    """充 of 哪能充 names the charging service inside 充电 (a category's word), and only shares
    a character with a name or keyword holding 充电宝 (the need part scores the need)."""
    marked = kit.parse("充")
    mark_need_parts(marked, ("哪能充",))
    assert marked.units[0].in_need

    def best(q: ParsedQuery, **fields: Any) -> tuple[str, str] | None:
        u = scored(kit, q, listing(**fields)).units[0]
        return None if u.best is None else (u.best.field, u.best.form)

    category = {"name": "某店", "category": ["汽车", "充电"]}
    assert best(marked, **category) == best(kit.parse("充"), **category) == (f.CATEGORY, "inside")
    for fields in ({"name": "充电宝租借"}, {"name": "某店", "keywords": ["充电宝"]}):
        assert best(kit.parse("充"), **fields) is not None
        assert best(marked, **fields) is None
    # the whole need word, or a word it is not part of, is looked for as before
    for needs in (("充",), ("哪能修",)):
        again = kit.parse("充")
        mark_need_parts(again, needs)
        assert not again.units[0].in_need


def test_original_beats_every_other_form() -> None:
    assert W.form["original"] == W.form["inside"] == 1.0
    assert all(v < 1.0 for k, v in W.form.items() if k not in ("original", "inside"))


def test_no_match(kit: Kit) -> None:
    assert match1(kit, "外卖", name="拿铁工坊") is None


# ------------------------------------------------------------------ 2 own vs top-level category


def test_own_category_beats_top_level_category(kit: Kit) -> None:
    own = match1(kit, "咖啡", key="own", name="某店", category=["咖啡茶饮", "精品咖啡"])
    top = match1(kit, "咖啡", key="top", name="某店", category=["咖啡茶饮", "奶茶"])
    assert own == (f.CATEGORY, "original", W.field[f.CATEGORY])
    assert top == (f.CATEGORY_TOP, "original", W.field[f.CATEGORY_TOP])
    assert W.field[f.CATEGORY_TOP] < W.field[f.CATEGORY]


def test_single_level_category_is_the_own_category(kit: Kit) -> None:
    got = match1(kit, "咖啡", name="某店", category=["咖啡茶饮"])
    assert got == (f.CATEGORY, "original", W.field[f.CATEGORY])


def test_a_word_inside_a_category_word_counts_as_the_word(kit: Kit) -> None:
    # 宠 is inside the category word 宠物 (and not one of its words); in a name it is an n-gram
    got = match1(kit, "宠", key="cat", name="某店", category=["生活服务", "宠物医院"])
    assert got == (f.CATEGORY, "inside", W.field[f.CATEGORY] * W.form["inside"])
    in_name = match1(kit, "宠", key="name", name="宠物医院助手")
    assert in_name == (f.NAME, "ngram", W.field[f.NAME] * W.form["ngram"])


def test_own_category_match_wins_the_ranking(kit: Kit) -> None:
    top = scored(kit, "咖啡", listing("某店", key="top", category=["咖啡茶饮", "奶茶"], mau=10**8))
    own = scored(kit, "咖啡", listing("某店", key="own", category=["咖啡茶饮", "精品咖啡"], mau=10))
    assert own.score > top.score


# ------------------------------------------------------------------ 3 breadth


def test_breadth_adds_a_share_of_further_fields(kit: Kit) -> None:
    got = word(kit, "拿铁", BROAD, name="某店", showcase=["拿铁"], description="现磨拿铁")
    assert got == pytest.approx(0.7 + BROAD.breadth * 0.4)
    # with the default breadth (0), only the best field counts
    assert word(kit, "拿铁", name="某店", showcase=["拿铁"], description="现磨拿铁") == (
        pytest.approx(0.7 + W.breadth * 0.4)
    )


def test_breadth_off_keeps_the_best_match(kit: Kit) -> None:
    item = listing("某店", showcase=["拿铁"], description="现磨拿铁")
    s = scored(kit, "拿铁", item, weights=Weights(breadth=0.0))
    assert s.units[0].score == pytest.approx(W.text * 0.7)


def test_own_category_outweighs_the_name() -> None:
    """The own category names the listing's service: a need word there counts most."""
    assert W.field[f.CATEGORY] > W.field[f.NAME] >= W.field[f.KEYWORDS]


OTHER_FIELDS: dict[str, dict[str, Any]] = {
    "showcase": {"showcase": ["咖啡"]},
    "description": {"description": "现磨咖啡"},
    "top_category": {"category": ["咖啡茶饮", "奶茶"]},
    "keywords": {"keywords": ["咖啡", "外带"]},
}


def _with(extra: tuple[str, ...]) -> dict[str, Any]:
    fields: dict[str, Any] = {"category": ["工具"], "description": "一个小程序"}
    for name in extra:
        fields.update(OTHER_FIELDS[name])
    return fields


def test_breadth_is_monotonic_and_bounded(kit: Kit) -> None:
    """Over every set of fields holding the word: at least the best single field, never
    lower than a subset, and below the same listing with the word in its name too."""
    seen: dict[frozenset[str], float] = {}
    for r in range(1, len(OTHER_FIELDS) + 1):
        for combo in itertools.combinations(OTHER_FIELDS, r):
            got = word(kit, "咖啡", BROAD, name="某店", key="+".join(combo), **_with(combo))
            best = max(word(kit, "咖啡", BROAD, name="某店", key=k, **_with((k,))) for k in combo)
            assert got >= best - 1e-9, combo
            for smaller, value in seen.items():
                if smaller < frozenset(combo):
                    assert got >= value - 1e-9, (combo, smaller)
            seen[frozenset(combo)] = got
            named = word(
                kit, "咖啡", BROAD, name="咖啡店", key="n+" + "+".join(combo), **_with(combo)
            )
            assert named > got


def test_breadth_never_lifts_weaker_fields_over_a_whole_name_match(kit: Kit) -> None:
    """Even with the word in every weaker field and far more users, the listing whose whole
    name is the query ranks first."""
    broad = listing(
        "某店",
        key="broad",
        showcase=["拿铁工坊"],
        description="拿铁工坊",
        mau=10**9,
    )
    named = listing("拿铁工坊", key="named", mau=0)
    for weights in (W, BROAD):
        got = scored(kit, "拿铁工坊", broad, weights=weights).score
        assert scored(kit, "拿铁工坊", named, weights=weights).score > got


# ------------------------------------------------------------------ 4 compound sub-words


def test_subword_share(kit: Kit) -> None:
    # 生活缴费 holds 生活 and 缴费; the name holds only 缴费: half the subword weight
    assert kit.parse("生活缴费").units[0].subwords == ["生活", "缴费"]
    got = match1(kit, "生活缴费", name="缴费助手")
    assert got == (f.NAME, "subword", pytest.approx(W.form["subword"] * 0.5))


def test_subword_of_a_compound_query(kit: Kit) -> None:
    # 查快递 finds a listing about 快递 that never writes the compound
    got = match1(kit, "查快递", name="某店", keywords=["快递"])
    assert got == (f.KEYWORDS, "subword", pytest.approx(W.form["subword"]))


# ------------------------------------------------------------------ 5 pinyin and initials


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("jingdian", (f.PINYIN, "pinyin", 0.85 * 0.9)),
        ("jd", (f.INITIALS, "initials", 0.85 * 0.85)),
        ("jingd", (f.PINYIN, "prefix", 0.85 * 0.75)),
        ("jdk", (f.PINYIN, "prefix", 0.85 * 0.75)),
    ],
)
def test_pinyin_forms_of_a_latin_query(kit: Kit, q: str, expected: tuple[str, str, float]) -> None:
    field, form, weight = expected
    assert match1(kit, q, name="经典咖啡") == (field, form, pytest.approx(weight))


def test_pinyin_never_counts_in_a_query_with_chinese(kit: Kit) -> None:
    item = listing("经典咖啡")
    latin = scored(kit, "jingdian", item)
    mixed = scored(kit, "jingdian 咖啡", item)
    assert latin.units[0].best is not None
    assert [u.text for u in mixed.units] == ["jingdian", "咖啡"]
    assert mixed.units[0].best is None
    assert mixed.parts["text"] == pytest.approx(W.text / 2)


def test_chinese_query_matches_through_words_not_pinyin(kit: Kit) -> None:
    """景点 (jingdian) sounds like 经典 (jingdian) but never matches it."""
    s = scored(kit, "景点", listing("经典咖啡"))
    assert s.parts["text"] == 0.0


def test_word_match_beats_pinyin_match(kit: Kit) -> None:
    assert W.field[f.PINYIN] * W.form["pinyin"] < W.field[f.NAME] * W.form["alias"]
    # xingbake names Starbucks: the name holds 星巴克, an alias term, not just its pinyin
    got = match1(kit, "xingbake", name="星巴克咖啡")
    assert got is not None and got[:2] == (f.NAME, "alias")


# ------------------------------------------------------------------ 6 prefix and fuzzy eligibility


def test_prefix_only_for_the_last_unit(kit: Kit) -> None:
    item = listing("Coffee Lab")
    assert scored(kit, "拿铁 coff", item).units[1].best is not None
    assert scored(kit, "coff 拿铁", item).units[0].best is None


def test_prefix_needs_three_letters(kit: Kit) -> None:
    assert match1(kit, "cof", name="Coffee Lab") == (f.NAME, "prefix", 0.75)
    assert match1(kit, "co", name="Coffee Lab") is None


def test_fuzzy_needs_four_letters(kit: Kit) -> None:
    assert match1(kit, "cafr", name="Cafe") == (f.LATIN, "fuzzy", 0.7)
    assert match1(kit, "cfe", name="Cafe") is None


def test_fuzzy_counts_a_transposition_as_one_edit(kit: Kit) -> None:
    assert match1(kit, "cfae", name="Cafe") == (f.LATIN, "fuzzy", 0.7)


# ------------------------------------------------------------------ 7 coverage and literal sense


def test_each_word_is_worth_its_share(kit: Kit) -> None:
    item = listing("拿铁工坊", keywords=["外卖"])
    assert scored(kit, "拿铁", item).parts["text"] == pytest.approx(W.text)
    two = scored(kit, "拿铁 外卖", item)
    assert [u.score for u in two.units] == [pytest.approx(W.text / 2)] * 2
    one = scored(kit, "拿铁 火锅", item)
    assert one.parts["text"] == pytest.approx(W.text / 2)
    assert scored(kit, "!!!", item).parts["text"] == 0.0


def test_full_coverage_beats_one_strong_word(kit: Kit) -> None:
    one = scored(kit, "拿铁 外卖", listing("拿铁工坊", key="one"))
    both = scored(kit, "拿铁 外卖", listing("某店", key="both", keywords=["拿铁", "外卖"]))
    assert both.parts["text"] > one.parts["text"]


def test_literal_unit_skips_the_brand_field(kit: Kit) -> None:
    parsed = kit.parse("红富士苹果")
    item = listing("某店", brand_id="apple")
    brand_hit = scored(kit, parsed, item).units[-1]
    assert brand_hit.best is not None and brand_hit.best.field == f.BRAND
    parsed.units[-1].read_literally()
    assert scored(kit, parsed, item).units[-1].best is None


# ------------------------------------------------------------------ 8 descriptions, a second tier


def test_descriptions_count_only_in_the_second_tier(kit: Kit) -> None:
    item = listing("某店", description="现磨拿铁")
    assert scored(kit, "拿铁", item, second_tier=True).units[0].best is not None
    assert scored(kit, "拿铁", item, second_tier=False).units[0].best is None
