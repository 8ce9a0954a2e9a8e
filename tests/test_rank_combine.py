"""Unit tests for search.rank.rank: the weighted sum of the signals.

1. Each candidate's parts are the named signals times their weights (text,
   exact, brand, first_party, popularity, recent, bm25), and its score is their sum.
2. Results are sorted best first; equal scores keep the first-stage order.
3. bm25 is relative to the best candidate (the best gets exactly ``weights.bm25``;
   all-zero scores give 0, not an error); no candidates give no results.
4. Weights are taken from the ``weights`` argument: zeroing all but one signal
   orders by that signal alone.
5. The debug ``explain`` of a card repeats the parts and per-unit matches.
"""

from __future__ import annotations

import dataclasses

import pytest

from indexer.dictionaries import Dictionaries
from search.cards import render
from search.rank import WEIGHTS, Weights, rank
from search.rank.candidate import Candidate
from search.rank.exactness import exactness
from search.rank.official import brand_relation
from search.rank.popularity import popularity
from search.rank.text import text_match, unit_matches
from tests.rankkit import Kit, cand, listing, make_kit

PARTS = ("text", "exact", "brand", "first_party", "popularity", "recent", "bm25")
QUERIES = ("星巴克", "拿铁", "星巴克 拿铁", "xingbake", "咖啡 外卖")


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


@pytest.fixture(scope="module")
def pool(kit: Kit) -> list[Candidate]:
    return [
        cand(kit, listing("星巴克拿铁代下单", mau=10**7), bm25=7.5),
        cand(kit, listing("星巴克臻选", brand_id="starbucks", official=True, mau=10**4), 3.0),
        cand(kit, listing("咖啡店", brand_id="starbucks", keywords=["拿铁", "外卖"]), 4.0),
        cand(kit, listing("拿铁工坊", category=["咖啡茶饮", "咖啡"], mau=0), bm25=0.5),
        cand(kit, listing("某店", description="咖啡 外卖", mau=50), bm25=1.0),
    ]


@pytest.mark.parametrize("q", QUERIES)
def test_parts_are_the_weighted_signals(kit: Kit, pool: list[Candidate], q: str) -> None:
    parsed = kit.parse(q)
    recent = frozenset({pool[3].appid})
    w = WEIGHTS
    ranked = rank(parsed, pool, recent)
    assert sorted(id(r.candidate) for r in ranked) == sorted(id(c) for c in pool)
    for r in ranked:
        c = r.candidate
        assert tuple(r.parts) == PARTS
        assert r.parts == pytest.approx(
            {
                "text": w.text * text_match(parsed, c, w),
                "exact": w.exact * exactness(parsed, c),
                "brand": brand_relation(parsed, c, w),
                "first_party": w.first_party if c.listing["official"] else 0.0,
                "popularity": w.popularity * popularity(c),
                "recent": w.recent if c.appid in recent else 0.0,
                "bm25": w.bm25 * c.bm25 / 7.5,
            }
        )
        assert r.score == pytest.approx(sum(r.parts.values()))


@pytest.mark.parametrize("q", QUERIES)
def test_sorted_best_first(kit: Kit, pool: list[Candidate], q: str) -> None:
    scores = [r.score for r in rank(kit.parse(q), pool)]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) > 1


def test_ties_keep_first_stage_order(kit: Kit) -> None:
    q = kit.parse("拿铁")
    twins = [cand(kit, listing("拿铁工坊", key=f"twin{i}"), bm25=1.0) for i in range(5)]
    ranked = rank(q, twins)
    assert len({r.score for r in ranked}) == 1
    assert [r.candidate for r in ranked] == twins
    assert [r.candidate for r in rank(q, twins[::-1])] == twins[::-1]
    # a better candidate placed last still moves ahead of the tied ones
    better = cand(kit, listing("拿铁工坊", key="better", mau=10**6), bm25=1.0)
    assert [r.candidate for r in rank(q, [*twins, better])] == [better, *twins]


def test_bm25_relative_to_the_best(kit: Kit) -> None:
    q = kit.parse("拿铁")
    a, b = (cand(kit, listing("拿铁工坊", key=k), bm25=s) for k, s in (("a", 12.0), ("b", 3.0)))
    parts = {r.candidate.appid: r.parts["bm25"] for r in rank(q, [a, b])}
    assert parts == pytest.approx({a.appid: WEIGHTS.bm25, b.appid: WEIGHTS.bm25 / 4})


def test_zero_bm25_and_no_candidates(kit: Kit) -> None:
    q = kit.parse("拿铁")
    zero = [cand(kit, listing("拿铁工坊", key=k), bm25=0.0) for k in ("x", "y")]
    assert [r.parts["bm25"] for r in rank(q, zero)] == [0.0, 0.0]
    assert rank(q, []) == []


def test_weights_argument_is_used(kit: Kit, pool: list[Candidate]) -> None:
    only_pop = Weights(text=0.0, exact=0.0, first_party=0.0, recent=0.0, bm25=0.0)
    only_pop = dataclasses.replace(
        only_pop, official=0.0, main_official=0.0, brand_listing=0.0, mentioned_official=0.0
    )
    ranked = rank(kit.parse("星巴克 拿铁"), pool, frozenset({pool[0].appid}), only_pop)
    users = [r.candidate.listing["monthly_active_users"] for r in ranked]
    assert users == sorted(users, reverse=True)
    assert all(r.score == r.parts["popularity"] for r in ranked)
    doubled = rank(kit.parse("拿铁"), pool, weights=dataclasses.replace(WEIGHTS, text=4.0))
    single = {r.candidate.appid: r for r in rank(kit.parse("拿铁"), pool)}
    for r in doubled:
        assert r.parts["text"] == pytest.approx(2 * single[r.candidate.appid].parts["text"])


@pytest.mark.parametrize("q", QUERIES)
def test_explain_repeats_the_parts(kit: Kit, pool: list[Candidate], q: str) -> None:
    parsed = kit.parse(q)
    recent = frozenset({pool[1].appid})
    for r in rank(parsed, pool, recent):
        card = render(parsed, r, recent, debug=True)
        assert card.explain is not None
        assert card.score == round(r.score, 4)
        assert card.explain.parts == {k: round(v, 4) for k, v in r.parts.items()}
        assert card.explain.bm25 == round(r.candidate.bm25, 4)
        matches = unit_matches(parsed, r.candidate, WEIGHTS)
        assert [(m.unit, m.field, m.form) for m in card.explain.matches] == [
            (u.text, m.field if m else None, m.form if m else None)
            for u, m in zip(parsed.units, matches, strict=True)
        ]
        # the text part is the mean of the per-unit weights, times the text weight
        mean = sum(m.weight for m in matches if m) / len(parsed.units)
        assert r.parts["text"] == pytest.approx(WEIGHTS.text * mean)
        assert card.recently_used == (r.candidate.appid in recent)
    assert render(parsed, rank(parsed, pool)[0], recent).explain is None
