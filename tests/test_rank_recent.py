"""Unit tests for search.rank.recent: a small lift for recently used mini-programs.

1. recent_use is 1 for an appid in ``recent``, else 0 (empty set: 0).
2. In rank() it adds exactly ``weights.recent`` to the score and changes no other
   part; a custom weight is used as given.
3. The lift reorders only candidates closer than ``weights.recent``.
"""

from __future__ import annotations

import pytest

from indexer.dictionaries import Dictionaries
from search.rank import WEIGHTS, Weights, rank
from search.rank.recent import recent_use
from tests.rankkit import Kit, cand, listing, make_kit


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def test_recent_use(kit: Kit) -> None:
    c = cand(kit, listing("拿铁工坊"))
    assert recent_use(c, frozenset({c.appid})) == 1.0
    assert recent_use(c, frozenset({c.appid, "wx0000000000000000"})) == 1.0
    assert recent_use(c, frozenset({"wx0000000000000000"})) == 0.0
    assert recent_use(c, frozenset()) == 0.0


@pytest.mark.parametrize("weights", [WEIGHTS, Weights(recent=0.5)])
def test_adds_exactly_the_weight(kit: Kit, weights: Weights) -> None:
    q = kit.parse("拿铁 外卖")
    pool = [
        cand(kit, listing("拿铁工坊", mau=123), bm25=3.0),
        cand(kit, listing("某店", keywords=["外卖"], official=False), bm25=1.5),
        cand(kit, listing("拿铁外卖", mau=10**6), bm25=2.0),
    ]
    base = {r.candidate.appid: r for r in rank(q, pool, weights=weights)}
    for c in pool:
        lifted = {r.candidate.appid: r for r in rank(q, pool, frozenset({c.appid}), weights)}
        for appid, before in base.items():
            after = lifted[appid]
            expected = weights.recent if appid == c.appid else 0.0
            assert after.parts["recent"] == expected
            assert after.score == pytest.approx(before.score + expected)
            assert {k: v for k, v in after.parts.items() if k != "recent"} == {
                k: v for k, v in before.parts.items() if k != "recent"
            }


def test_reorders_only_within_the_weight(kit: Kit) -> None:
    q = kit.parse("拿铁")
    # same text, users differ by one decade: a popularity gap of 0.3/8 < 0.1
    near_top = cand(kit, listing("拿铁工坊", key="top", mau=10**5 - 1))
    near_low = cand(kit, listing("拿铁工坊", key="low", mau=10**4 - 1))
    ranked = rank(q, [near_top, near_low], frozenset({near_low.appid}))
    assert [r.candidate for r in ranked] == [near_low, near_top]
    # a keyword match trails a name match by 2 × 0.1 = 0.2 > 0.1: recent use does not flip it
    name = cand(kit, listing("拿铁工坊", key="name"))
    keyword = cand(kit, listing("某店", key="kw", keywords=["拿铁"]))
    ranked = rank(q, [name, keyword], frozenset({keyword.appid}))
    assert [r.candidate for r in ranked] == [name, keyword]
    assert ranked[0].score - ranked[1].score == pytest.approx(2 * 0.1 - WEIGHTS.recent)
