"""Listings of a page → entry cards: highlighted name, showcase items matching the query first.

Cards are built as JSON data, not models: a search page is serialised straight from them
(``search.models.Card`` documents their shape; ``Engine.search`` validates them into it).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import tantivy

from indexer import schema as f
from indexer.analysis import normalize
from search.query import ParsedQuery
from search.rank.reference import Scored


def query_words(query: ParsedQuery) -> list[str]:
    """What is highlighted in names and marks showcase items: each query word, its
    synonyms and its brand's other spellings (normalised)."""
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


def highlight(name: str, words: Sequence[str]) -> str:
    """HTML-escaped ``name`` with ``<em>`` around every stretch matching a query word.

    Matching is done on a per-character normalised copy, so ``ＬＶ`` or
    ``麥當勞`` in a name light up for ``lv`` / ``麦当劳``.
    """
    if not words:  # nothing to mark (discovery has no query)
        return html.escape(name)
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
) -> list[dict[str, Any]]:
    """Showcase items, those whose title (``titles``: normalised, one per item) contains a
    query word first (stable otherwise), each marked ``matched`` or not."""
    marked = [
        {**item, "matched": any(w in title for w in words)}
        for item, title in zip(items, titles, strict=True)
    ]
    return sorted(marked, key=lambda c: not c["matched"])


def titles_of(doc: tantivy.Document, listing: dict[str, Any]) -> list[str]:
    """The listing's showcase titles as stored with it, normalised: one a line, one line
    per item (an item's title may normalise to nothing)."""
    stored = doc.get_first(f.TITLES)
    return stored.decode().split("\n") if isinstance(stored, bytes) and listing["showcase"] else []


def explain(scored: Scored) -> dict[str, Any]:
    """Why a card ranked where it did: each word's best field and form, and the parts
    (``search.models.Explain``)."""
    return {
        "matches": [
            {
                "unit": u.text,
                "field": u.best.field if u.best else None,
                "form": u.best.form if u.best else None,
                "weight": round(u.best_score, 4),
            }
            for u in scored.units
        ],
        "parts": {k: round(v, 4) for k, v in scored.parts.items()},
    }


def render(
    words: list[str],
    listing: dict[str, Any],
    titles: list[str],
    score: float,
    recent: frozenset[str],
    explained: Scored | None = None,
) -> dict[str, Any]:
    """One entry card (``search.models.Card``, as JSON data) for one listing of a page.

    ``words``: the query's words (:func:`query_words`); ``titles``: the listing's showcase
    titles, normalised (stored with it at build).
    """
    card = {
        "appid": listing["appid"],
        "platform": listing["platform"],
        "name": listing["name"],
        "name_highlight": highlight(listing["name"], words),
        "icon_url": listing["icon_url"],
        "entry_path": listing["entry_path"],
        "official": listing["official"],
        "brand_id": listing["brand_id"],
        "category": listing["category"],
        "description": listing["description"],
        "showcase": showcase(listing["showcase"], words, titles),
        "recently_used": listing["appid"] in recent,
        "score": round(score, 4),
    }
    if explained is not None:
        card["explain"] = explain(explained)
    return card
