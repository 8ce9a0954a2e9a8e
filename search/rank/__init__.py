"""Re-ranking of first-stage candidates: one module per signal, combined with the weights here.

Each signal is a function ``(query, candidate) -> float`` in ``[0, 1]``; the
final score is the weighted sum. ``explain`` lists every part.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from search.query import ParsedQuery
from search.rank.candidate import Candidate
from search.rank.exactness import exactness
from search.rank.official import brand_relation
from search.rank.popularity import popularity
from search.rank.recent import recent_use
from search.rank.text import text_match
from search.rank.weights import WEIGHTS, Weights

__all__ = ["WEIGHTS", "Candidate", "Ranked", "Weights", "rank"]


@dataclass(slots=True)
class Ranked:
    """A candidate with its final score and the parts it is made of."""

    candidate: Candidate
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def rank(
    query: ParsedQuery,
    candidates: Sequence[Candidate],
    recent: frozenset[str] = frozenset(),
    weights: Weights = WEIGHTS,
) -> list[Ranked]:
    """Score and sort candidates, best first; ties go to the first-stage order."""
    top_bm25 = max((c.bm25 for c in candidates), default=0.0) or 1.0
    ranked: list[Ranked] = []
    for cand in candidates:
        parts = {
            "text": weights.text * text_match(query, cand, weights),
            "exact": weights.exact * exactness(query, cand),
            "brand": brand_relation(query, cand, weights),
            "first_party": weights.first_party * float(cand.official),
            "popularity": weights.popularity * popularity(cand),
            "recent": weights.recent * recent_use(cand, recent),
            "bm25": weights.bm25 * cand.bm25 / top_bm25,
        }
        ranked.append(Ranked(cand, sum(parts.values()), parts))
    order = {id(r): i for i, r in enumerate(ranked)}
    ranked.sort(key=lambda r: (-r.score, order[id(r)]))
    return ranked
