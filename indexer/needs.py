"""The need lexicon: words that state a need, looked up in a query's tokens.

Built from the ``needs.txt`` entries of :class:`indexer.dictionaries.Dictionaries`
(``need, need => service, service | Top/sub``). Guarantees:

- Need words and service words are compared in :func:`indexer.analysis.compact` form
  (NFKC, case folded, traditional→simplified, no spaces), so ``ETC`` and ``etc``,
  ``叫車`` and ``叫车`` are one word.
- A need word written on several lines gets the service words and categories of all of
  them, in file order, without repeats.
- :meth:`NeedLexicon.match` finds need words made of one token or of several adjacent
  tokens (``查快递`` in ``查 / 快递``): segmentation is never changed for them. Matches do
  not overlap; at each position the longest need word wins, left to right.
- A lexicon is immutable once built; lookups are dictionary reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from indexer.analysis import compact
from indexer.dictionaries import Dictionaries, NeedEntry


class NeedMatch(NamedTuple):
    """A need word found in a query: tokens ``start:end`` spell ``word``."""

    word: str
    start: int
    end: int
    service_words: tuple[str, ...]
    categories: tuple[str, ...]


class _Expansion(NamedTuple):
    service_words: tuple[str, ...]
    categories: tuple[str, ...]


class NeedLexicon:
    """Need word → the service words and categories that serve it."""

    def __init__(self, entries: Iterable[NeedEntry]) -> None:
        services: dict[str, dict[str, None]] = {}
        categories: dict[str, dict[str, None]] = {}
        for entry in entries:
            words = [compact(w) for w in entry.service_words]
            for need in entry.need_words:
                key = compact(need)
                services.setdefault(key, {}).update(dict.fromkeys(w for w in words if w != key))
                categories.setdefault(key, {}).update(dict.fromkeys(entry.categories))
        self._table = {
            word: _Expansion(tuple(services[word]), tuple(categories[word])) for word in services
        }
        self._longest = max((len(w) for w in self._table), default=0)

    @classmethod
    def from_dictionaries(cls, dicts: Dictionaries) -> NeedLexicon:
        return cls(dicts.needs)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, word: object) -> bool:
        return word in self._table

    @property
    def need_words(self) -> frozenset[str]:
        """Every need word, in compact form."""
        return frozenset(self._table)

    @property
    def service_words(self) -> frozenset[str]:
        """Every service word, in compact form."""
        return frozenset(w for e in self._table.values() for w in e.service_words)

    @property
    def categories(self) -> frozenset[str]:
        """Every category the lexicon names (``Top`` or ``Top/sub``)."""
        return frozenset(c for e in self._table.values() for c in e.categories)

    def lookup(self, word: str) -> NeedMatch | None:
        """The expansion of one word (any spelling :func:`compact` folds), as a match of
        the single token 0:1; None when it is not a need word."""
        key = compact(word)
        hit = self._table.get(key)
        return None if hit is None else NeedMatch(key, 0, 1, *hit)

    def match(self, tokens: Sequence[str]) -> list[NeedMatch]:
        """The need words spelled by ``tokens`` (an analyzer's query tokens, stop words
        included), longest first at each position, without overlaps, in query order."""
        found: list[NeedMatch] = []
        i, n = 0, len(tokens)
        while i < n:
            best: NeedMatch | None = None
            text = ""
            for j in range(i, n):
                text += tokens[j]
                if len(text) > self._longest:
                    break
                hit = self._table.get(text)
                if hit is not None:
                    best = NeedMatch(text, i, j + 1, *hit)
            if best is None:
                i += 1
            else:
                found.append(best)
                i = best.end
        return found
