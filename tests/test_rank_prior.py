"""Unit tests for search.rank.prior: which first-stage hits are fetched and re-ranked.

1. Every hit is ordered, best worth first: relative first-stage score plus prior
   (first party, popularity, with the re-ranker's weights).
2. Equal worth keeps first-stage order; a missing fast field value counts as 0.
3. In the engine, a search reads ``pool`` hits and re-ranks at most ``candidates``:
   a popular listing beyond the first ``candidates`` first-stage hits is still
   re-ranked, and one beyond the pool is not seen. A page reaching beyond the first
   block is served from the next blocks; pages never overlap.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from indexer.dictionaries import Dictionaries
from search.engine import Depth, Engine, SearchRequest
from search.rank import WEIGHTS
from search.rank.popularity import mau_popularity
from search.rank.prior import FIRST_STAGE_SHARE, by_worth, prior
from tests.rankkit import Kit, listing, make_kit, memory_engine


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


# ------------------------------------------------------------------ 1-2 by_worth


def _keep(scores: list[float], official: list[Any], mau: list[Any], keep: int) -> list[int]:
    """The positions a block of ``keep`` takes, in first-stage order."""
    return sorted(by_worth(scores, official, mau)[:keep])


def test_prior_uses_the_rerank_weights() -> None:
    assert prior(False, 0) == 0.0
    assert prior(True, 0) == WEIGHTS.first_party
    assert prior(False, 10**4) == pytest.approx(WEIGHTS.popularity * mau_popularity(10**4))
    assert prior(True, 10**8) == pytest.approx(WEIGHTS.first_party + WEIGHTS.popularity)


def test_every_hit_is_ordered() -> None:
    assert sorted(by_worth([3.0, 2.0, 1.0], [0, 0, 1], [5, 5, 5])) == [0, 1, 2]
    assert by_worth([3.0], [0], [5]) == [0]
    assert by_worth([], [], []) == []


def test_best_worth_first() -> None:
    # Hit 0 has the best score and no prior; hit 2 a lower score but 10^8 users; hit 1 and
    # hit 3 are obscure with middling scores.
    scores = [10.0, 6.0, 5.0, 4.0]
    official = [0, 0, 1, 0]
    mau = [0, 10, 10**8, 10]
    worth = [
        FIRST_STAGE_SHARE * s / 10.0 + prior(bool(o), m)
        for s, o, m in zip(scores, official, mau, strict=True)
    ]
    assert worth[2] > worth[1] > worth[3]
    assert _keep(scores, official, mau, keep=2) == [0, 2]
    assert _keep(scores, official, mau, keep=3) == [0, 1, 2]


def test_worth_follows_prior_on_random_hits() -> None:
    """Worth is the score share plus prior(), best first, ties in first-stage order."""
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(1, 40)
        scores = sorted((rng.uniform(0.1, 30.0) for _ in range(n)), reverse=True)
        official = [rng.randint(0, 1) for _ in range(n)]
        mau = [int(10 ** rng.uniform(0, 9)) for _ in range(n)]
        worth = [
            FIRST_STAGE_SHARE * s / scores[0] + prior(bool(o), m)
            for s, o, m in zip(scores, official, mau, strict=True)
        ]
        assert by_worth(scores, official, mau) == sorted(range(n), key=lambda i: (-worth[i], i))


def test_ties_keep_first_stage_order_and_none_counts_as_zero() -> None:
    assert by_worth([1.0, 1.0, 1.0, 1.0], [0, None, 0, 0], [7, None, 7, 7]) == [0, 2, 3, 1]
    assert by_worth([1.0, 1.0, 1.0], [None, None, None], [None, None, None]) == [0, 1, 2]


# ------------------------------------------------------------------ 3 in the engine


def _first_block(eng: Engine, q: str) -> list[str]:
    """Appids of the first block of candidates retrieved for a first page of five."""
    blocks, _ = eng.retrieve(eng.parse(q), SearchRequest(q=q, host="jd", limit=5))
    assert len(blocks) == 1
    return [c.appid for c in blocks[0]]


def test_search_reranks_a_popular_hit_from_deep_in_the_pool(kit: Kit) -> None:
    # Twelve equally matching obscure listings come first in the first stage (shorter
    # names score higher); the popular one has a longer name, so it is last.
    obscure = [listing(f"拿铁{i:02d}", key=f"o{i}", mau=0) for i in range(12)]
    popular = listing("拿铁外卖咖啡馆人气之选", key="popular", mau=10**8)
    eng = memory_engine(kit, [*obscure, popular])
    eng.depth = Depth(candidates=13, pool=13)
    full = _first_block(eng, "拿铁")
    assert full[-1] == popular.appid  # last in first-stage order

    eng.depth = Depth(candidates=10, pool=13)
    kept = _first_block(eng, "拿铁")
    assert len(kept) == 10
    assert popular.appid in kept
    dropped = set(full) - set(kept)
    assert len(dropped) == 3 and popular.appid not in dropped
    # The pool bounds what is read: with a pool of 10 the popular hit is never seen.
    eng.depth = Depth(candidates=10, pool=10)
    assert popular.appid not in _first_block(eng, "拿铁")


@pytest.mark.parametrize("pool", [10, 40])
def test_deep_pages_come_from_further_blocks(kit: Kit, pool: int) -> None:
    """Pages beyond ``candidates`` are served from the next blocks of as many hits, each
    re-ranked on its own: pages do not overlap, and the first page is the same whether
    or not deeper ones are asked for."""
    eng = memory_engine(kit, [listing(f"拿铁{i:02d}", key=f"p{i}", mau=i) for i in range(25)])
    eng.depth = Depth(candidates=10, pool=pool)
    pages: list[list[str]] = []
    for offset in (0, 5, 10, 15, 20):
        resp = eng.search(SearchRequest(q="拿铁", host="jd", limit=5, offset=offset))
        assert resp.total == 25
        pages.append([c.appid for c in resp.results])
    seen = [appid for page in pages for appid in page]
    assert len(seen) == len(set(seen)) == 25
    whole = eng.search(SearchRequest(q="拿铁", host="jd", limit=25))
    assert [c.appid for c in whole.results] == seen
    blocks, total = eng.retrieve(eng.parse("拿铁"), SearchRequest(q="拿铁", host="jd", limit=25))
    assert [len(b) for b in blocks] == [10, 10, 5] and total == 25
