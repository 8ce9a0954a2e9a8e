"""The popularity prior and popularity bands, fixed when a listing is indexed.

tantivy multiplies a search score by ``log2(2 + value)`` of a fast field
(``weight_by_field``); the index stores, per listing, the value that makes that factor
``1 + POPULARITY_WEIGHT × popularity``, so the engine and the Python reference of the
ranking (``search.rank``) apply the same prior. The weight is part of the analyzer
fingerprint: changing it means rebuilding.
"""

from __future__ import annotations

import math
from typing import Final

POPULARITY_WEIGHT: Final = 0.35
"""How much popularity multiplies a score: 1 + 0.35 × popularity, at most 1.35. It orders
matches that are about equal, and for a need (a category of services, not a name) the most
used provider first; a listing ten times as used gains about 4 % of its score, and no
popularity lifts a clearly weaker match (a showcase-only match of every word, 1.4 times a
one-word name match, stays above it)."""
MAX_LOG_MAU: Final = 8.0
"""10^8 monthly active users map to popularity 1.0."""
BANDS_PER_OCTAVE: Final = 4
"""Popularity bands per doubling of monthly active users (``popularity_band``)."""


def mau_popularity(mau: int) -> float:
    """log10(1 + MAU) / 8, clipped to [0, 1]: every tenfold more users adds the same."""
    return min(1.0, math.log10(1 + max(0, mau)) / MAX_LOG_MAU)


def popularity_factor(mau: int) -> float:
    """What a listing's score is multiplied by."""
    return 1.0 + POPULARITY_WEIGHT * mau_popularity(mau)


def prior_value(mau: int) -> float:
    """The stored fast-field value: ``log2(2 + prior_value) == popularity_factor``."""
    return float(2.0 ** popularity_factor(mau) - 2.0)


def popularity_band(mau: int) -> int:
    """The listing's band of popularity: quarter octaves of monthly active users, so a band
    holds listings within a factor 2^(1/4) of each other, and every listing of a band has
    more users than every listing of a lower one (discovery reads the most used listings
    of a host from the top bands instead of ordering all of them)."""
    return int(BANDS_PER_OCTAVE * math.log2(1 + max(0, mau)))


def band_term(band: int) -> str:
    """The index term of a popularity band (``schema.POPULARITY_BAND``)."""
    return f"{band:03d}"
