"""Every ranking weight in one place, so that ``explain`` and tuning see the same numbers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from indexer import schema as f


@dataclass(frozen=True)
class Weights:
    """Weights of the re-ranking signals and of the field/form a query word matched in."""

    field: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            f.NAME: 1.0,
            f.BRAND: 0.95,
            f.KEYWORDS: 0.9,
            f.CATEGORY: 1.0,
            f.SHOWCASE: 0.7,
            f.DESCRIPTION: 0.4,
            f.PINYIN: 0.85,
            f.INITIALS: 0.85,
        }
    )
    form: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            "original": 1.0,
            "alias": 0.95,
            "pinyin": 0.9,
            "initials": 0.85,
            "synonym": 0.8,
            "subword": 0.7,
            "prefix": 0.75,
            "fuzzy": 0.7,
            "ngram": 0.6,
        }
    )
    top_category: float = 0.7  # a match only in the broad top-level category
    breadth: float = 1.0  # how fast matches in further fields close the gap to 1
    text: float = 2.0  # coverage of the query by the candidate's fields
    exact: float = 0.6  # the whole query is the candidate's name or one of its brand's names
    official: float = 1.5  # official listing of the brand the whole query names
    main_official: float = 0.2  # ... and it is that brand's main listing
    brand_listing: float = 0.3  # non-official listing of that brand (authorised dealer)
    mentioned_official: float = 0.8  # official listing of a brand named by one query word
    first_party: float = 0.25  # any official (brand-owned) listing: a first-party provider
    popularity: float = 0.3  # log-scaled monthly active users, a tie-breaker
    recent: float = 0.1  # the caller says the user recently used it
    bm25: float = 0.05  # first-stage score, relative to the best candidate


WEIGHTS = Weights()
