"""The popularity priors and popularity bands, fixed when a listing is indexed.

tantivy multiplies a search score by ``log2(2 + value)`` of a fast field
(``weight_by_field``); the index stores, per listing and per :class:`Prior`, the value
that makes that factor ``(1 + weight × popularity) × national`` (``national`` for a
national service only): one prior for a search by name (``NAME_PRIOR``), one for a need
query (``NEED_PRIOR``), one for a need query naming a place (``PLACE_PRIOR``). The engine
and the Python reference of the ranking (``search.rank``) apply the same prior. The priors
are part of the analyzer fingerprint: changing one means rebuilding.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

from indexer import schema as f

POPULARITY_WEIGHT: Final = 0.35
"""How much popularity multiplies a score: 1 + 0.35 × popularity, at most 1.35. It orders
matches that are about equal, and for a need (a category of services, not a name) the most
used provider first; a listing ten times as used gains about 4 % of its score, and no
popularity lifts a clearly weaker match (a showcase-only match of every word, 1.4 times a
one-word name match, stays above it)."""
NEED_POPULARITY_WEIGHT: Final = 0.8
"""The same for a query stating a need (``search.rank.need``): 1 + 0.8 × popularity. The
providers of a need are many and none is asked for by name: the most used of those that
serve it is the best answer (a listing ten times as used gains about 6 % of its score,
not 3.5 %). Measured on golden need queries of four raters: 0.6 to 1.0 put the best answer
first more often than 0.35; from 1.0 a popular listing sharing a word with the query
climbs above the one serving the need (a restaurant chain above the bill-splitting
tool)."""
NEED_NATIONAL: Final = 1.1
"""What a national service's score is multiplied by for a need query naming no place: it
serves the user wherever they are, a regional one (another province's government app, a
city's hospital) may not."""


class Prior(NamedTuple):
    """A popularity prior the index stores: the fast field holding its factor, the weight of
    popularity in it, and what it multiplies a national service's score by besides."""

    field: str
    weight: float
    national: float = 1.0


NAME_PRIOR: Final = Prior(f.PRIOR, POPULARITY_WEIGHT)
NEED_PRIOR: Final = Prior(f.PRIOR_NEED, NEED_POPULARITY_WEIGHT, NEED_NATIONAL)
PLACE_PRIOR: Final = Prior(f.PRIOR_PLACE, NEED_POPULARITY_WEIGHT)
"""A need naming a place ranks the place's, its province's and national services by its
region part (``search.rank.need``), not by this factor."""
PRIORS: Final = (NAME_PRIOR, NEED_PRIOR, PLACE_PRIOR)
MAX_LOG_MAU: Final = 8.0
"""10^8 monthly active users map to popularity 1.0."""
BANDS_PER_OCTAVE: Final = 4
"""Popularity bands per doubling of monthly active users (``popularity_band``)."""


def mau_popularity(mau: int) -> float:
    """log10(1 + MAU) / 8, clipped to [0, 1]: every tenfold more users adds the same."""
    return min(1.0, math.log10(1 + max(0, mau)) / MAX_LOG_MAU)


def popularity_factor(mau: int, prior: Prior = NAME_PRIOR, national: bool = False) -> float:
    """What a listing's score is multiplied by (``national``: a national service)."""
    return (1.0 + prior.weight * mau_popularity(mau)) * (prior.national if national else 1.0)


def prior_value(mau: int, prior: Prior = NAME_PRIOR, national: bool = False) -> float:
    """The stored fast-field value: ``log2(2 + prior_value) == popularity_factor``."""
    return float(2.0 ** popularity_factor(mau, prior, national) - 2.0)


def popularity_band(mau: int) -> int:
    """The listing's band of popularity: quarter octaves of monthly active users, so a band
    holds listings within a factor 2^(1/4) of each other, and every listing of a band has
    more users than every listing of a lower one (discovery reads the most used listings
    of a host from the top bands instead of ordering all of them)."""
    return int(BANDS_PER_OCTAVE * math.log2(1 + max(0, mau)))


def band_term(band: int) -> str:
    """The index term of a popularity band (``schema.POPULARITY_BAND``)."""
    return f"{band:03d}"
