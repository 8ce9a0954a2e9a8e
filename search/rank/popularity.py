"""Popularity: the score is multiplied by 1 + weight × log-scaled monthly active users.

The factor is fixed when a listing is indexed (``indexer.priors``: one prior for a search
by name, one for a need query, one for a need query naming a place) and applied by
tantivy (``weight_by_field``), so it orders listings whose other parts are about equal:
it adds at most 35 % of a name search's score, 80 % of a need query's. A need query
naming no place multiplies a national service's score by 1.1 besides.
"""

from __future__ import annotations

from indexer.priors import Prior, popularity_factor


def popularity_part(base: float, mau: int, prior: Prior, national: bool) -> float:
    """What popularity adds to a score of ``base`` from the other parts (``national``: the
    listing is a national service)."""
    return base * (popularity_factor(mau, prior, national) - 1.0)
