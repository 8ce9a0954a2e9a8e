"""Exactness: the whole query is the listing's name or one of its brand's names and aliases."""

from __future__ import annotations

from indexer.brands import MIN_INITIALS
from search.query import ParsedQuery
from search.rank.candidate import Candidate


def exactness(query: ParsedQuery, cand: Candidate) -> float:
    """1 for a whole-name/alias match as written, 0.7 through pinyin or initials, else 0.

    Initials count from three letters, as in the brand table: two-letter initials
    name too many things.
    """
    keys = cand.doc["exact"]
    if query.compact in keys:
        return 1.0
    if query.latin_only:
        for key, (full, initials) in zip(keys, cand.doc["spell"], strict=True):
            if key.isascii():
                continue
            if query.compact == full:
                return 0.7
            if len(query.compact) >= MIN_INITIALS and query.compact == initials:
                return 0.7
    return 0.0
