"""The popularity prior, fixed when a listing is indexed.

tantivy multiplies a search score by ``log2(2 + value)`` of a fast field
(``weight_by_field``); the index stores, per listing, the value that makes that factor
``1 + POPULARITY_WEIGHT × popularity``, so the engine and the Python reference of the
ranking (``search.rank``) apply the same prior. The weight is part of the analyzer
fingerprint: changing it means rebuilding.
"""

from __future__ import annotations

import math
from typing import Final

POPULARITY_WEIGHT: Final = 0.2
"""How much popularity multiplies a score: 1 + 0.2 × popularity, at most 1.2 (a dampened
tie-breaker: it orders equal matches and never lifts a clearly weaker one)."""
MAX_LOG_MAU: Final = 8.0
"""10^8 monthly active users map to popularity 1.0."""


def mau_popularity(mau: int) -> float:
    """log10(1 + MAU) / 8, clipped to [0, 1]: every tenfold more users adds the same."""
    return min(1.0, math.log10(1 + max(0, mau)) / MAX_LOG_MAU)


def popularity_factor(mau: int) -> float:
    """What a listing's score is multiplied by."""
    return 1.0 + POPULARITY_WEIGHT * mau_popularity(mau)


def prior_value(mau: int) -> float:
    """The stored fast-field value: ``log2(2 + prior_value) == popularity_factor``."""
    return float(2.0 ** popularity_factor(mau) - 2.0)
