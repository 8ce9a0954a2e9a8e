"""Unit tests for search.rank (the ranking as clauses) and its Python reference.

1. A listing's score is the sum of its parts: text (its words), exact, brand,
   first_party, recent, and popularity, which is the other parts times the factor's
   share (so the parts add up to the score).
2. Each word is worth ``text / n``; within a word, best group + ``breadth`` × the rest.
3. The weights argument is used as given: zero every weight but popularity's
   multiplicand and the order follows the text alone; doubling ``text`` doubles the part.
4. The debug ``explain`` of a card repeats the parts and each word's best field and form.
"""

from __future__ import annotations

import dataclasses

import pytest

from indexer.dictionaries import Dictionaries
from indexer.models import Listing
from search.cards import explain
from search.rank import WEIGHTS, Weights, ranking
from tests.rankkit import Kit, listing, make_kit, scored

QUERIES = ["星巴克", "星巴克 拿铁", "拿铁", "拿铁 外卖", "xingbake", "coff", "starbuks"]


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


@pytest.fixture(scope="module")
def pool() -> list[Listing]:
    return [
        listing("星巴克用户中心", brand_id="starbucks", official=True, mau=10**7),
        listing("星巴克拿铁代下单", keywords=["拿铁", "外卖"], mau=10**5),
        listing("拿铁工坊", category=["咖啡茶饮", "拿铁"], showcase=["冰拿铁"], mau=10**3),
        listing("Coffee Lab", description="精品咖啡与拿铁外卖", mau=10),
    ]


@pytest.mark.parametrize("q", QUERIES)
def test_parts_add_up(kit: Kit, pool: list[Listing], q: str) -> None:
    recent = frozenset({pool[1].appid})
    for item in pool:
        s = scored(kit, q, item, recent)
        assert s.score == pytest.approx(sum(s.parts.values()))
        assert s.parts["text"] == pytest.approx(sum(u.score for u in s.units))
        base = s.score - s.parts["popularity"]
        factor = 1 + WEIGHTS.popularity * (s.parts["popularity"] / base if base else 0.0)
        assert 1.0 <= factor <= 1 + WEIGHTS.popularity


def test_words_share_the_text_weight(kit: Kit) -> None:
    r = ranking(kit.parse("拿铁 外卖 咖啡"), kit.table)
    assert [u.weight for u in r.units] == pytest.approx([WEIGHTS.text / 3] * 3)
    assert r.breadth == WEIGHTS.breadth


def test_weights_argument_is_used(kit: Kit, pool: list[Listing]) -> None:
    text_only = dataclasses.replace(
        Weights(),
        exact=0.0,
        official=0.0,
        main_official=0.0,
        brand_listing=0.0,
        mentioned_official=0.0,
        first_party=0.0,
        recent=0.0,
    )
    for q in QUERIES:
        for item in pool:
            s = scored(kit, q, item, weights=text_only)
            assert s.score - s.parts["popularity"] == pytest.approx(s.parts["text"])
    doubled = dataclasses.replace(WEIGHTS, text=4.0)
    for item in pool:
        single, double = scored(kit, "拿铁", item), scored(kit, "拿铁", item, weights=doubled)
        assert double.parts["text"] == pytest.approx(2 * single.parts["text"])


@pytest.mark.parametrize("q", QUERIES)
def test_explain_repeats_the_parts(kit: Kit, pool: list[Listing], q: str) -> None:
    for item in pool:
        s = scored(kit, q, item)
        shown = explain(s)
        assert shown["parts"] == {k: round(v, 4) for k, v in s.parts.items()}
        assert [(m["unit"], m["field"], m["form"]) for m in shown["matches"]] == [
            (u.text, u.best.field if u.best else None, u.best.form if u.best else None)
            for u in s.units
        ]
