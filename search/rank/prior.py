"""Choosing which first-stage hits to re-rank, from what tantivy holds in fast fields.

Fetching and decoding a hit's stored document is most of what re-ranking one costs,
so not every hit read from the first stage is fetched. Each is judged by its
first-stage score (relative to the best, standing in for text match) plus the
signals known without the stored document: first party and popularity, with the
re-ranker's own weights. Against re-ranking every match, 60 hits chosen so from 400
give the same top 10 more often than the first 100 hits in first-stage order, at
three fifths of the fetching (``benchmarks/bench_depth.py``, BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from search.rank.popularity import mau_popularity
from search.rank.weights import WEIGHTS, Weights

FIRST_STAGE_SHARE = 0.5  # weight of the relative first-stage score in the choice


def prior(official: bool, mau: int, w: Weights = WEIGHTS) -> float:
    """The part of the final score known from fast fields alone (already weighted)."""
    return w.first_party * official + w.popularity * mau_popularity(mau)


def by_worth(
    scores: Sequence[float],
    official: Sequence[int | float | bool | None],
    mau: Sequence[int | float | bool | None],
    w: Weights = WEIGHTS,
) -> list[int]:
    """Positions of the hits, most worth re-ranking first; equal worth keeps first-stage
    order.

    ``scores`` are first-stage scores; ``official`` and ``mau`` the fast field values of
    the same hits (None for a value a listing lacks).
    """
    share = FIRST_STAGE_SHARE / (max(scores, default=0.0) or 1.0)
    worth = [
        share * s + prior(bool(o), int(m or 0), w)
        for s, o, m in zip(scores, official, mau, strict=True)
    ]
    return sorted(range(len(worth)), key=worth.__getitem__, reverse=True)
