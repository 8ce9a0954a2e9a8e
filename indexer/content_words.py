"""Content words of a query: what is left when the fillers around a request are dropped.

``帮我 / 叫 / 个 / 车`` and ``附近 / 哪里 / 可以 / 挂号`` carry two content words each;
the rest is request filler. :meth:`ContentFilter.select` takes a query's tokens (from
:meth:`indexer.analysis.Analyzer.tokens` with ``keep_stopwords=True``: segmentation is
the analyzer's alone) and keeps nouns, verbs, verbal nouns, place names, adjectives,
Latin words and digits, and every word jieba's dictionary does not know (catalog words,
brands). It drops, naming the reason for each:

- stop words (``dictionaries/stopwords.txt``: 的, 帮, 请问, 有没有 …);
- function words by their part of speech in jieba's own dictionary (``dict.txt``, one tag
  per word): pronouns and question words (r: 我, 哪里, 怎么), adverbs (d), prepositions (p),
  conjunctions (c), auxiliaries (u), modal particles (y), interjections (e),
  onomatopoeia (o), numerals (m: 一下, 一些), measure words (q: 个), locality words
  (f: 附近, 上) and time words (t: 今天, 现在).

Guarantees:

- A word that carries the need is never dropped: a token that is by itself a need word of
  the lexicon, a protected word (the caller passes the catalog's category words and brand
  words), or a non-stop token inside a need phrase (饿 in 饿了; the stop word 了 is not
  indexed, so it goes).
- Something is always kept: a query made only of fillers keeps its words dropped for their
  part of speech, or, when every word is a stop word, all of its words (as the analyzer
  keeps them).
- Kept words are distinct and in query order.
- jieba's dictionary is read once per process, on first use (:func:`function_words`, about
  0.06 s, ~20,000 words); after that a token costs one dictionary lookup.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import jieba

from indexer.needs import NeedMatch

# jieba's part-of-speech tags (ICTCLAS set) whose words are function words, by the tag's
# first letter. Nouns, verbs, adjectives and the rest are content words.
FUNCTION_TAGS: Mapping[str, str] = {
    "r": "pronoun or question word",
    "d": "adverb",
    "p": "preposition",
    "c": "conjunction",
    "u": "auxiliary",
    "y": "modal particle",
    "e": "interjection",
    "o": "onomatopoeia",
    "m": "numeral",
    "q": "measure word",
    "f": "locality word",
    "t": "time word",
}
STOP_WORD = "stop word"
GAP_TAGS = frozenset("mqd")  # numerals, measure words, adverbs: 叫个车, 买点菜, 车又没电
# Adverbs that negate: inside a need word they would turn it around (打不到车 is not 打到车).
NEGATIONS = frozenset({"不", "没", "没有", "别", "未", "勿", "莫", "甭", "非"})
# Adverbs of time and degree jieba's dictionary tags as adjectives or distinctives: 电瓶快没电.
ADVERBS = frozenset({"快", "老", "总"})
# The attributive particle between a verb or adjective and its noun: 交的税 is the tax paid
# (a need of 交税), 便宜的机票 cheap tickets (便宜机票).
ATTRIBUTIVE = frozenset({"的"})
# Measure words jieba's dictionary tags as something else (束 as a name, 瓶 and 条 as nouns):
# 送束花, 买瓶水, 跑趟腿. Between a verb and its object they are gaps all the same.
MEASURE_WORDS = frozenset("束瓶件趟双支条部块桌")
# Words that are gaps whatever jieba's dictionary tags them.
GAP_WORDS = MEASURE_WORDS | ADVERBS | ATTRIBUTIVE

# A dict.txt line ``word freq tag`` whose tag starts with a letter of FUNCTION_TAGS.
_LINE_RE = re.compile(f"^([^ \n]+) [0-9]+ ([{''.join(FUNCTION_TAGS)}][a-z]*)$", re.MULTILINE)
_lock = threading.Lock()
_function_words: dict[str, str] | None = None


def jieba_dictionary() -> Path:
    """jieba's general dictionary, as installed with the package."""
    return Path(jieba.__file__).resolve().parent / "dict.txt"


def jieba_dictionary_text() -> str:
    """The lines ``word freq tag`` of jieba's general dictionary (read on each call: callers
    keep what they take from it)."""
    return jieba_dictionary().read_text(encoding="utf-8")


def function_words() -> Mapping[str, str]:
    """Word → its jieba tag, for every word jieba's dictionary tags as a function word.

    Read once per process (the first caller reads, others wait and share the result).
    """
    global _function_words
    if _function_words is None:
        with _lock:
            if _function_words is None:
                _function_words = dict(_LINE_RE.findall(jieba_dictionary_text()))
    return _function_words


class Dropped(NamedTuple):
    """A query word left out, and why (``stop word`` or ``adverb (d)`` …)."""

    word: str
    reason: str


class ContentWords(NamedTuple):
    """The content words of a query and the words dropped from it, in query order."""

    kept: tuple[str, ...]
    dropped: tuple[Dropped, ...]


class ContentFilter:
    """Drops fillers from query tokens; built once per index version, then read-only.

    ``protected``: words never dropped (the catalog's category words, brand words, need
    words), in normalised form. ``function_tags``: word → jieba tag (default: jieba's
    dictionary, :func:`function_words`); a tag outside FUNCTION_TAGS marks a content word.
    """

    def __init__(
        self,
        stopwords: Collection[str],
        protected: Collection[str] = (),
        function_tags: Mapping[str, str] | None = None,
    ) -> None:
        self._stop = frozenset(stopwords)
        self._protected = frozenset(protected)
        self._function = function_words() if function_tags is None else function_tags

    def reason_to_drop(self, token: str) -> str | None:
        """Why ``token``, standing alone, is a filler; None for a content or protected word."""
        if token in self._protected:
            return None
        if token in self._stop:
            return STOP_WORD
        tag = self._function.get(token)
        kind = FUNCTION_TAGS.get(tag[:1]) if tag else None
        return None if kind is None else f"{kind} ({tag})"

    def gaps(self, tokens: Iterable[str]) -> frozenset[str]:
        """The tokens that may stand inside a need word without being part of it: measure
        words and numerals (个, 束, 点, 一些) between a verb and its object, adverbs
        between a subject and its verb (快 in 电瓶快没电, 又 in 车又没电), but not those that
        negate (不, 没有), and 的 between a verb or adjective and its noun (交的税 states
        交税, the tax paid; 便宜的机票 便宜机票)."""
        return frozenset(
            t
            for t in tokens
            if t not in self._protected
            and t not in NEGATIONS
            and (t in GAP_WORDS or self._function.get(t, " ")[:1] in GAP_TAGS)
        )

    def select(self, tokens: Sequence[str], needs: Sequence[NeedMatch] = ()) -> ContentWords:
        """The content words of ``tokens`` (stop words included), with each dropped word's
        reason. ``needs``: the lexicon's matches in the same tokens; their words are kept.
        """
        in_need = [False] * len(tokens)
        for match in needs:
            for i in range(match.start, min(match.end, len(tokens))):
                in_need[i] = True
        kept: list[str] = []
        dropped: list[Dropped] = []
        for i, token in enumerate(tokens):
            reason = self.reason_to_drop(token)
            if reason is not None and in_need[i] and reason != STOP_WORD:
                reason = None  # a function-tagged word inside a need phrase carries the need
            if reason is None or (in_need[i] and _alone(needs, i)):
                kept.append(token)
            else:
                dropped.append(Dropped(token, reason))
        if not kept:
            kept = [d.word for d in dropped if d.reason != STOP_WORD] or [d.word for d in dropped]
            dropped = [d for d in dropped if d.word not in kept]
        return ContentWords(tuple(dict.fromkeys(kept)), tuple(dropped))


def _alone(needs: Sequence[NeedMatch], i: int) -> bool:
    """True when token ``i`` is by itself a whole need word."""
    return any(m.start == i and m.end == i + 1 for m in needs)
