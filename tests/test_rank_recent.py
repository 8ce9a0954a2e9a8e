"""Unit tests for search.rank.recent: a small lift for recently used mini-programs.

1. The recent part is ``weights.recent`` for a listing whose appid is in ``recent``
   (among others), 0 otherwise or with no recent appids.
2. It adds exactly the weight (times the popularity factor, which multiplies every part)
   and changes no other part; a custom weight is used as given.
3. It reorders only listings closer than the weight.
"""

from __future__ import annotations

import pytest

from indexer.dictionaries import Dictionaries
from indexer.priors import popularity_factor
from search.rank import WEIGHTS, Weights
from tests.rankkit import Kit, listing, make_kit, scored

OTHER = "wx0000000000000000"


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def test_recent_part(kit: Kit) -> None:
    item = listing("拿铁工坊")
    assert scored(kit, "拿铁", item, frozenset({item.appid})).parts["recent"] == WEIGHTS.recent
    both = frozenset({item.appid, OTHER})
    assert scored(kit, "拿铁", item, both).parts["recent"] == WEIGHTS.recent
    assert scored(kit, "拿铁", item, frozenset({OTHER})).parts["recent"] == 0.0
    assert "recent" not in scored(kit, "拿铁", item).parts


@pytest.mark.parametrize("weights", [WEIGHTS, Weights(recent=0.5)])
def test_adds_exactly_the_weight(kit: Kit, weights: Weights) -> None:
    pool = [
        listing("拿铁工坊", mau=123),
        listing("某店", keywords=["外卖"], official=False),
        listing("拿铁外卖", mau=10**6),
    ]
    for item in pool:
        before = scored(kit, "拿铁 外卖", item, frozenset({OTHER}), weights=weights)
        after = scored(kit, "拿铁 外卖", item, frozenset({item.appid}), weights=weights)
        assert after.parts["recent"] == weights.recent
        factor = popularity_factor(item.monthly_active_users)
        assert after.score == pytest.approx(before.score + weights.recent * factor)
        rest = {k: v for k, v in after.parts.items() if k not in ("recent", "popularity")}
        assert rest == {k: v for k, v in before.parts.items() if k not in ("recent", "popularity")}


def test_reorders_only_within_the_weight(kit: Kit) -> None:
    # same text, users differ by one decade: a popularity gap well under 0.1
    top = listing("拿铁工坊", key="top", mau=10**5 - 1)
    low = listing("拿铁工坊", key="low", mau=10**4 - 1)
    lifted = frozenset({low.appid})
    assert scored(kit, "拿铁", top).score > scored(kit, "拿铁", low).score
    assert scored(kit, "拿铁", low, lifted).score > scored(kit, "拿铁", top, lifted).score
    # a showcase match trails a name match by far more than 0.1: recent use does not flip it
    name = listing("拿铁工坊", key="name")
    showcase = listing("某店", key="sc", showcase=["拿铁"])
    recent = frozenset({showcase.appid})
    assert scored(kit, "拿铁", name, recent).score > scored(kit, "拿铁", showcase, recent).score
