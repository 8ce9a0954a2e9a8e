"""Ranked candidates → entry cards: highlighted name, showcase items matching the query first."""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from indexer import schema as f
from indexer.analysis import normalize
from indexer.document import NORM_SEP
from search.models import Card, Explain, MatchExplain, ShowcaseCard
from search.query import ParsedQuery
from search.rank import Ranked
from search.rank.text import unit_matches
from search.rank.weights import WEIGHTS


def _query_words(query: ParsedQuery) -> list[str]:
    words: list[str] = []
    for unit in query.units:
        words.append(unit.text)
        words.extend(unit.synonyms)
        words.extend(unit.alias_terms)
    return [w for w in dict.fromkeys(words) if w]


@lru_cache(maxsize=16384)
def _fold_char(ch: str) -> str:
    """One character normalised (a space when it normalises to nothing); cached per character."""
    return normalize(ch) or " "


def highlight(name: str, words: Iterable[str]) -> str:
    """HTML-escaped ``name`` with ``<em>`` around every stretch matching a query word.

    Matching is done on a per-character normalised copy, so ``ＬＶ`` or
    ``麥當勞`` in a name light up for ``lv`` / ``麦当劳``.
    """
    folded = [_fold_char(ch) for ch in name]
    flat = "".join(folded)
    # Position in ``flat`` → position in ``name`` (the same unless a character folds to
    # several, as ß → ss does).
    owner = (
        range(len(name))
        if len(flat) == len(name)
        else [i for i, part in enumerate(folded) for _ in part]
    )
    marked = bytearray(len(name))
    for word in words:
        start = flat.find(word)
        while start != -1:
            for k in range(start, start + len(word)):
                marked[owner[k]] = 1
            start = flat.find(word, start + len(word))
    out: list[str] = []
    i, n = 0, len(name)
    while i < n:
        j = marked.find(marked[i] ^ 1, i)
        j = n if j == -1 else j
        part = html.escape(name[i:j])
        out.append(f"<em>{part}</em>" if marked[i] else part)
        i = j
    return "".join(out)


def showcase(
    items: list[dict[str, Any]], words: list[str], titles: list[str]
) -> list[ShowcaseCard]:
    """Showcase items, those whose title (``titles``: normalised, one per item) contains a
    query word first (stable otherwise)."""
    cards = [
        ShowcaseCard(**item, matched=any(w in title for w in words))
        for item, title in zip(items, titles, strict=True)
    ]
    return sorted(cards, key=lambda c: not c.matched)


def render(query: ParsedQuery, ranked: Ranked, recent: frozenset[str], debug: bool = False) -> Card:
    """One card for one ranked candidate."""
    listing = ranked.candidate.listing
    items = listing["showcase"]
    # The stored document keeps the titles normalised (an empty field is no item, not one).
    titles = ranked.candidate.doc["norm"][f.SHOWCASE].split(NORM_SEP) if items else []
    words = _query_words(query)
    explain = None
    if debug:
        matches = unit_matches(query, ranked.candidate, WEIGHTS)
        explain = Explain(
            matches=[
                MatchExplain(
                    unit=u.text,
                    field=m.field if m else None,
                    form=m.form if m else None,
                    weight=round(m.weight, 4) if m else 0.0,
                )
                for u, m in zip(query.units, matches, strict=True)
            ],
            parts={k: round(v, 4) for k, v in ranked.parts.items()},
            bm25=round(ranked.candidate.bm25, 4),
        )
    return Card(
        appid=listing["appid"],
        platform=listing["platform"],
        name=listing["name"],
        name_highlight=highlight(listing["name"], words),
        icon_url=listing["icon_url"],
        entry_path=listing["entry_path"],
        official=listing["official"],
        brand_id=listing["brand_id"],
        category=listing["category"],
        description=listing["description"],
        showcase=showcase(items, words, titles),
        recently_used=listing["appid"] in recent,
        score=round(ranked.score, 4),
        explain=explain,
    )
