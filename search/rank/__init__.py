"""Ranking: one function, evaluated by the engine and by its Python reference.

One module per signal builds its part of a :class:`~search.rank.clauses.Ranking` (``text``,
``exactness``, ``official``, ``recent``, ``need``; ``popularity`` multiplies the sum), with the
weights of ``weights``. ``compile`` turns a ranking into the tantivy query the engine
runs; ``reference`` scores a listing with the same ranking in Python, for tests and
``explain``.
"""

from __future__ import annotations

from collections.abc import Sequence

from indexer.brands import BrandTable
from indexer.priors import NAME_PRIOR, Prior
from search.query import ParsedQuery
from search.rank.clauses import Group, Ranking
from search.rank.exactness import exact_group
from search.rank.official import brand_group, first_party_group
from search.rank.recent import recent_group
from search.rank.text import text_parts
from search.rank.weights import WEIGHTS, Weights

__all__ = ["WEIGHTS", "Ranking", "Weights", "ranking"]


def ranking(
    query: ParsedQuery,
    table: BrandTable,
    recent: frozenset[str] = frozenset(),
    weights: Weights = WEIGHTS,
    informative: Sequence[float] | None = None,
    need: Sequence[Group] = (),
    prior: Prior = NAME_PRIOR,
) -> Ranking:
    """How listings are scored for ``query``; ``informative``: how much each query word
    says (``search.rank.text``; default: every word alike); ``need``: the groups of the
    need the query states and ``prior`` its popularity prior (``search.rank.need``)."""
    priors: list[Group | None] = [
        exact_group(query, weights),
        brand_group(query, table, weights),
        first_party_group(weights),
        recent_group(recent, weights),
        *need,
    ]
    return Ranking(
        units=text_parts(query, weights, informative),
        priors=tuple(g for g in priors if g is not None),
        breadth=weights.breadth,
        popularity=prior,
    )
