"""Popularity: the score is multiplied by 1 + ``popularity`` × log-scaled monthly active users.

The factor is fixed when a listing is indexed (``indexer.priors``) and applied by tantivy
(``weight_by_field``), so it orders listings whose other parts are equal and never lifts a
clearly weaker match: it adds at most ``popularity`` (20%) of the score.
"""

from __future__ import annotations

from indexer.priors import popularity_factor


def popularity_part(base: float, mau: int) -> float:
    """What popularity adds to a score of ``base`` from the other parts."""
    return base * (popularity_factor(mau) - 1.0)
