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
  not overlap; of the ways to read a query, the one covering the most characters wins. A
  doubled character also reads as the character (``查查 / 快递`` spells ``查快递``: a verb
  said twice means "a little" of it, a noun said twice, 包包, is the noun).
- A lexicon is immutable once built; lookups are dictionary reads.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import NamedTuple

from indexer.analysis import compact, is_cjk
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


_Found = tuple[int, bool, str, int]  # a need word found: length, no gap, word, end


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

    @property
    def expansions(self) -> frozenset[tuple[str, tuple[str, ...]]]:
        """Every (service word, the categories of its need word) the lexicon holds."""
        return frozenset((w, e.categories) for e in self._table.values() for w in e.service_words)

    def lookup(self, word: str) -> NeedMatch | None:
        """The expansion of one word (any spelling :func:`compact` folds), as a match of
        the single token 0:1; None when it is not a need word."""
        key = compact(word)
        hit = self._table.get(key)
        return None if hit is None else NeedMatch(key, 0, 1, *hit)

    def match(self, tokens: Sequence[str], gaps: Container[str] = ()) -> list[NeedMatch]:
        """The need words spelled by ``tokens`` (an analyzer's query tokens, stop words
        included), without overlaps, in query order: of the ways to read the tokens, the
        one whose need words cover the most characters (then the one with fewer, longer
        words, then fewer gaps). 奢侈品 / 包包 / 清洗 reads as 奢侈品 + 包包清洗 (7 characters),
        not 奢侈品包包 + 清洗 unmatched (5).

        ``gaps``: tokens that may stand inside a need word without being part of it, once
        per match and never first (a measure word or numeral between a verb and its
        object: 叫 / 个 / 车 spells 叫车, 送 / 束 / 花 送花, 买 / 点 / 菜 买菜; an adverb:
        车 / 又 / 没 / 电 spells 车没电). A doubled character may stand for the character
        (查查 / 快递 spells 查快递)."""
        n = len(tokens)
        found = [self._walk(tokens, gaps, i, "", False, []) for i in range(n)]
        # best[i]: (characters covered, -words, -gaps) reading tokens i: as well as can be
        best: list[tuple[int, int, int]] = [(0, 0, 0)] * (n + 1)
        taken: list[_Found | None] = [None] * (n + 1)
        for i in range(n - 1, -1, -1):
            best[i], taken[i] = best[i + 1], None
            for hit in found[i]:
                length, whole, _, end = hit
                after = best[end]
                value = (after[0] + length, after[1] - 1, after[2] - (not whole))
                if value > best[i]:
                    best[i], taken[i] = value, hit
        out: list[NeedMatch] = []
        i = 0
        while i < n:
            chosen = taken[i]
            if chosen is None:
                i += 1
            else:
                out.append(NeedMatch(chosen[2], i, chosen[3], *self._table[chosen[2]]))
                i = chosen[3]
        return out

    def _walk(
        self,
        tokens: Sequence[str],
        gaps: Container[str],
        j: int,
        text: str,
        skipped: bool,
        found: list[_Found],
    ) -> list[_Found]:
        """``found`` with every need word ``text`` grows into from token ``j``, a gap token
        also skipped once, a doubled character also read as one (a method, not a nested
        function: a recursive closure is a reference cycle, garbage only the cyclic
        collector frees, at every call)."""
        while j < len(tokens):
            token = tokens[j]
            if text and not skipped and token in gaps:
                self._walk(tokens, gaps, j + 1, text, True, found)
            if _doubled(token):  # 查查 / 快递 spells 查快递 too
                single = text + token[0]
                if single in self._table:
                    found.append((len(single), not skipped, single, j + 1))
                self._walk(tokens, gaps, j + 1, single, skipped, found)
            text += token
            if len(text) > self._longest:
                return found
            if text in self._table:
                found.append((len(text), not skipped, text, j + 1))
            j += 1
        return found


def _doubled(token: str) -> bool:
    """A doubled character (查查, 看看, 包包): a verb said twice ("a little") states the
    verb, a noun said twice is the noun."""
    return len(token) == 2 and token[0] == token[1] and is_cjk(token[0])
