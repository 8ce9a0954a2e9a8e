"""Exactness: the whole query is the listing's name or one of its brand's names and aliases."""

from __future__ import annotations

from functools import lru_cache

from indexer.analysis import pinyin_full, pinyin_initials, runs
from indexer.brands import MIN_INITIALS
from search.query import ParsedQuery
from search.rank.candidate import Candidate


@lru_cache(maxsize=65_536)
def spelled(key: str) -> tuple[str, str]:
    """Full pinyin and initials of a compact name, its Latin letters and digits kept
    (全民k歌 → quanminkge, qmkg), as the index spells it."""
    full: list[str] = []
    initials: list[str] = []
    for run in runs(key):
        if run.kind == "cjk":
            full.append(pinyin_full(run.text))
            initials.append(pinyin_initials(run.text))
        else:
            full.append(run.text)
            initials.append(run.text)
    return "".join(full), "".join(initials)


def exactness(query: ParsedQuery, cand: Candidate) -> float:
    """1 for a whole-name/alias match as written, 0.7 through pinyin or initials, else 0.

    Initials count from three letters, as in the brand table: two-letter initials
    name too many things.
    """
    keys = cand.doc["exact"]
    if query.compact in keys:
        return 1.0
    if query.latin_only:
        for key in keys:
            if key.isascii():
                continue
            full, initials = spelled(key)
            if query.compact == full:
                return 0.7
            if len(query.compact) >= MIN_INITIALS and query.compact == initials:
                return 0.7
    return 0.0
