"""What a query asks for: its need words, content words and likely categories, in one call.

:class:`IntentReader` ties together, for one index version, the analyzer's query tokens
(stop words included), the need lexicon (:mod:`indexer.needs`), the filler filter
(:mod:`indexer.content_words`) and the category model (:mod:`indexer.categories`), and
reads a query into an :class:`Intent` that a query pipeline can use for matching and
ranking, and print for explain. Guarantees:

- :meth:`IntentReader.read` only reads: the reader is immutable once built and safe from
  any number of threads; its cost per query is the analyzer's cut plus dictionary lookups.
- The words protected from filler removal are the lexicon's need words, the catalog's
  category words (from the model) and the brand names and aliases given.
- A content word the model does not know (a compound such as 电子社保卡, one listing's
  name) is read by the model through its dictionary sub-words (电子, 社保, 社保卡 …),
  from the analyzer's index mode; :attr:`Intent.model_words` shows what it read.
- A version without a category model (built before models existed) reads with its needs
  and content words and no categories: nothing fails for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.analysis import Analyzer, compact
from indexer.categories import CategoryModel, CategoryScore
from indexer.content_words import ContentFilter, ContentWords
from indexer.needs import NeedLexicon, NeedMatch


@dataclass(frozen=True)
class Intent:
    """A query read for its need (tokens, needs and content words in query order)."""

    tokens: tuple[str, ...]  # the analyzer's query tokens, stop words included
    needs: tuple[NeedMatch, ...]  # the lexicon's need words found in them
    content: ContentWords  # the tokens kept, and those dropped with the reason
    model_words: tuple[str, ...]  # the words the category model read
    categories: tuple[CategoryScore, ...]  # best first; tops and Top/sub paths

    @property
    def service_words(self) -> tuple[str, ...]:
        """The lexicon's service words for the query's needs, without repeats."""
        return tuple(dict.fromkeys(w for n in self.needs for w in n.service_words))

    def explain(self) -> dict[str, Any]:
        """A JSON-ready summary for ``--explain`` and ``debug=true``: content words, the
        words the model read, dropped words with reasons, needs, categories."""
        return {
            "content_words": list(self.content.kept),
            "model_words": list(self.model_words),
            "dropped": [{"word": d.word, "reason": d.reason} for d in self.content.dropped],
            "needs": [
                {
                    "word": n.word,
                    "service_words": list(n.service_words),
                    "categories": list(n.categories),
                }
                for n in self.needs
            ],
            "categories": [{"category": c, "score": round(s, 4)} for c, s in self.categories],
        }


class IntentReader:
    """Reads queries for one index version (its analyzer, lexicon and model)."""

    def __init__(
        self,
        analyzer: Analyzer,
        lexicon: NeedLexicon,
        model: CategoryModel | None,
        brand_words: Iterable[str] = (),
    ) -> None:
        self.analyzer = analyzer
        self.lexicon = lexicon
        self.model = model
        protected = set(lexicon.need_words) | {compact(w) for w in brand_words}
        if model is not None:
            protected |= model.category_words
        protected.discard("")
        self.content_filter = ContentFilter(analyzer.dicts.stopwords, protected)

    @classmethod
    def for_version(
        cls, analyzer: Analyzer, folder: Path, brand_words: Iterable[str] = ()
    ) -> IntentReader:
        """The reader for the version at ``folder``: the lexicon of the analyzer's
        dictionaries (they are the version's: the fingerprint says so) and the version's
        category model, if it has one. A corrupt model file raises ValueError."""
        try:
            model: CategoryModel | None = CategoryModel.load(folder)
        except FileNotFoundError:
            model = None
        return cls(analyzer, NeedLexicon.from_dictionaries(analyzer.dicts), model, brand_words)

    def read(self, text: str, *, limit: int = 8, min_score: float = 0.05) -> Intent:
        """``text`` read for its need; ``limit`` and ``min_score`` bound the categories."""
        tokens = self.analyzer.tokens(text, "query", keep_stopwords=True)
        needs = self.lexicon.match(tokens, self.content_filter.gaps(tokens))
        content = self.content_filter.select(tokens, needs)
        words = self._model_words(content.kept)
        categories = (
            self.model.predict(words, needs, limit=limit, min_score=min_score)
            if self.model is not None
            else []
        )
        return Intent(tuple(tokens), tuple(needs), content, words, tuple(categories))

    def _model_words(self, kept: Iterable[str]) -> tuple[str, ...]:
        """The content words, each unknown one replaced by its sub-words the model knows."""
        if self.model is None:
            return tuple(kept)
        known = self.model.words
        out: list[str] = []
        for word in kept:
            if word in known:
                out.append(word)
            else:
                out.extend(w for w in self.analyzer.tokens(word, "index") if w in known)
        return tuple(dict.fromkeys(out))
