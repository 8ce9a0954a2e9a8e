"""Exactness: the whole query is the listing's name or one of its brand's names and aliases."""

from __future__ import annotations

from indexer.analysis import pinyin_full, pinyin_initials
from search.query import ParsedQuery
from search.rank.candidate import Candidate


def exactness(query: ParsedQuery, cand: Candidate) -> float:
    """1 for a whole-name/alias match as written, 0.7 through pinyin or initials, else 0."""
    keys = cand.doc["exact"]
    if query.compact in keys:
        return 1.0
    if query.latin_only:
        for key in keys:
            if key.isascii():
                continue
            if query.compact in (pinyin_full(key), pinyin_initials(key)):
                return 0.7
    return 0.0
