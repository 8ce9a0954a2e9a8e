"""What a query asks for: its need words, content words and likely categories, in one call.

:class:`IntentReader` ties together, for one index version, the analyzer's query tokens
(stop words included), the need lexicon (:mod:`indexer.needs`), the filler filter
(:mod:`indexer.content_words`) and the category model (:mod:`indexer.categories`), and
reads a query into an :class:`Intent` that a query pipeline can use for matching and
ranking, and print for explain. Guarantees:

- :meth:`IntentReader.read` keeps nothing per query and is safe from any number of
  threads; its cost per query is the analyzer's cut plus dictionary lookups. The one thing
  a reader remembers is how much each service word says of its need's categories (worked
  out the first time it comes; bounded by the lexicon's size; two threads working out the
  same word store the same value, and a dict store is atomic).
- Need words are found whole in the query's tokens (:meth:`NeedLexicon.match`), never
  inside a longer token: a word inside a compound often names something else (动车 in
  电动车, 洗衣 in 洗衣机); the lexicon spells the compounds that do state a need (火锅店).
  The one exception is a word built on a place name (北京公交, 广州地铁: jieba's or a
  listing's), read as the place and the rest (:meth:`RegionTable.split`), as the region
  reader reads it: 北京公交 / 卡 / 充值 states 公交卡充值. A need is reported on the
  analyzer's tokens it covers.
- The words protected from filler removal are the lexicon's need words, the catalog's
  category words (from the model) and the brand names and aliases given.
- A content word the model does not know (a compound such as 电子社保卡, one listing's
  name) is read by the model through its dictionary sub-words (电子, 社保, 社保卡 …),
  from the analyzer's index mode; :attr:`Intent.model_words` shows what it read.
- Of several needs, the last one stated is the request (:func:`roles_of`): a sentence
  states its circumstances first and what it asks for last (公交停了，打个车回家),
  except a need naming where the user goes (去机场, 到地铁站) or saying only how the user
  wants to be served (懒得出门, 送上门): a destination or a manner of the request, not a
  service wanted.
- A version without a category model (built before models existed) reads with its needs
  and content words and no categories: nothing fails for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from indexer.analysis import Analyzer, compact
from indexer.categories import CategoryModel, CategoryScore
from indexer.content_words import ContentFilter, ContentWords
from indexer.needs import NeedLexicon, NeedMatch
from indexer.regions import RegionTable, region_table

# A need word after (or starting with) one of these names where the user goes (去机场,
# 到地铁站, 回家): how the request is carried out, not the request.
DESTINATION_WORDS = frozenset({"去", "到", "回", "往"})

# A need word made only of these says how the user wants a service, not which one (懒得出门,
# 让人送, 送上门): the manner of the request, not the request.
MANNER = re.compile("(?:懒得|不想|不愿|让人|出门|上门|送|到家|过来|过去)+")

# What a need is to its query (:func:`roles_of`).
NeedRole = Literal["request", "circumstance", "destination", "manner"]


@dataclass(frozen=True)
class Intent:
    """A query read for its need (tokens, needs and content words in query order)."""

    tokens: tuple[str, ...]  # the analyzer's query tokens, stop words included
    needs: tuple[NeedMatch, ...]  # the lexicon's need words found in them
    content: ContentWords  # the tokens kept, and those dropped with the reason
    model_words: tuple[str, ...]  # the words the category model read
    categories: tuple[CategoryScore, ...]  # best first; tops and Top/sub paths
    # How much each service word says of its need's categories (``IntentReader._shares``),
    # the most of any need naming it; a word missing says all (1).
    service_shares: Mapping[str, float] = field(default_factory=dict)
    # The categories the words alone predict, without the lexicon's needs (they decide
    # ``categories`` when matched): what the catalog says, should a need's line be wrong.
    word_categories: tuple[CategoryScore, ...] = ()
    # What each need is to the query (:func:`roles_of`), parallel to ``needs``; empty:
    # each is a request.
    roles: tuple[NeedRole, ...] = ()
    # The analyzer's query tokens of each service word of the needs (上门取件: 上门, 取件),
    # cut once per version (``IntentReader.service_tokens``); a word missing is cut again.
    service_tokens: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def service_words(self) -> tuple[str, ...]:
        """The lexicon's service words for the query's needs, without repeats."""
        return tuple(dict.fromkeys(w for n in self.needs for w in n.service_words))

    def service_share(self, word: str) -> float:
        return self.service_shares.get(word, 1.0)

    def role(self, i: int) -> NeedRole:
        """What ``needs[i]`` is to the query."""
        return self.roles[i] if self.roles else "request"

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
                    "service_shares": [round(self.service_share(w), 3) for w in n.service_words],
                    "categories": list(n.categories),
                    "role": self.role(i),
                }
                for i, n in enumerate(self.needs)
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
        shares: dict[tuple[str, tuple[str, ...]], float] | None = None,
        cuts: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """``shares``: what each service word says of its need's categories (``_shares``),
        and ``cuts``: each service word's tokens (``service_tokens``), as another reader of
        the same lexicon, model and analyzer worked out (kept, not copied)."""
        self.analyzer = analyzer
        self.lexicon = lexicon
        self.model = model
        protected = set(lexicon.need_words) | {compact(w) for w in brand_words}
        if model is not None:
            protected |= model.category_words
        protected.discard("")
        self.content_filter = ContentFilter(analyzer.dicts.stopwords, protected)
        self.regions: RegionTable = region_table(analyzer.dicts)
        # What each service word says of a need's categories (``_shares``), worked out once
        # and shared by the readers of one version (a race works one out twice, alike).
        self._word_shares: dict[tuple[str, tuple[str, ...]], float] = (
            {} if shares is None else shares
        )
        self._cuts: dict[str, tuple[str, ...]] = {} if cuts is None else cuts  # likewise

    def with_brand_words(self, brand_words: Iterable[str]) -> IntentReader:
        """The same reader for another brand table's words (the shares worked out kept)."""
        return IntentReader(
            self.analyzer, self.lexicon, self.model, brand_words, self._word_shares, self._cuts
        )

    def work_out_shares(self) -> None:
        """Work out the share of every service word of the lexicon ahead of the queries (a
        fraction of a second for a model of a million listings), so that no query pays for
        it: a word's first query would otherwise predict every category from it."""
        if self.model is not None:
            for word, categories in self.lexicon.expansions:
                self._share(word, categories, self.model)

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
        reader = cls(analyzer, NeedLexicon.from_dictionaries(analyzer.dicts), model, brand_words)
        reader.work_out_shares()
        return reader

    def read(self, text: str, *, limit: int = 8, min_score: float = 0.05) -> Intent:
        """``text`` read for its need; ``limit`` and ``min_score`` bound the categories."""
        tokens = self.analyzer.tokens(text, "query", keep_stopwords=True)
        needs = self._needs(tokens)
        content = self.content_filter.select(tokens, needs)
        words = self._model_words(content.kept)
        categories: list[CategoryScore] = []
        from_words: list[CategoryScore] = []
        if self.model is not None:
            categories = self.model.predict(words, needs, limit=limit, min_score=min_score)
            from_words = (
                self.model.predict(words, limit=limit, min_score=min_score) if needs else categories
            )
        shares: dict[str, float] = {}
        cuts: dict[str, tuple[str, ...]] = {}
        for need in needs:
            for word, share in zip(need.service_words, self._shares(need), strict=True):
                shares[word] = max(share, shares.get(word, 0.0))
                cuts[word] = self.service_tokens(word)
        return Intent(
            tuple(tokens),
            tuple(needs),
            content,
            words,
            tuple(categories),
            shares,
            tuple(from_words),
            roles_of(tokens, needs),
            cuts,
        )

    def service_tokens(self, word: str) -> tuple[str, ...]:
        """The analyzer's query tokens of a service word, cut once per version (the
        shares of every service word cut them all when the version opens)."""
        cut = self._cuts.get(word)
        if cut is None:
            cut = self._cuts[word] = tuple(self.analyzer.tokens(word, "query"))
        return cut

    def _needs(self, tokens: Sequence[str]) -> list[NeedMatch]:
        """The need words of ``tokens``, a word built on a place name read as the place and
        the rest (北京公交 / 卡 / 充值 holds 公交卡充值, as 北京 / 公交卡 / 充值 would); a
        match is reported on the tokens it covers (北京公交 / 卡 / 充值: 0:3)."""
        parts: list[str] = []
        owner: list[int] = []
        for i, token in enumerate(tokens):
            for part in self.regions.split(token):
                parts.append(part)
                owner.append(i)
        found = self.lexicon.match(parts, self.content_filter.gaps(parts))
        if len(parts) == len(tokens):
            return found
        out: list[NeedMatch] = []
        for match in found:
            start, end = owner[match.start], owner[match.end - 1] + 1
            if not out or start >= out[-1].end:
                out.append(match._replace(start=start, end=end))
        return out

    def share(self, word: str, categories: tuple[str, ...]) -> float:
        """What service word ``word`` (compact form) says of ``categories``, as a query's
        need with those categories reads it (``_shares``); 1 without a model."""
        return 1.0 if self.model is None else self._share(word, categories, self.model)

    def _shares(self, need: NeedMatch) -> tuple[float, ...]:
        """How much each service word of ``need`` says of its categories: the share of the
        word's category evidence, as the category model reads it alone, that is for one of
        them (上门 is in repair listings, and in parcel, medicine and laundry ones: a small
        share for 维修), read from all its parts for a word the analyzer cuts; 1 for a word
        with a part the model does not know (held by too few listings to be in it:
        specific) or without a model. Worked out once per service word and categories (the
        need words of one lexicon line share them)."""
        model = self.model
        if model is None or not need.categories:
            return (1.0,) * len(need.service_words)
        return tuple(self._share(w, need.categories, model) for w in need.service_words)

    def _share(self, word: str, categories: tuple[str, ...], model: CategoryModel) -> float:
        key = (word, categories)
        share = self._word_shares.get(key)
        if share is None:
            share = self._word_shares[key] = self._evidence_share(word, categories, model)
        return share

    def _evidence_share(self, word: str, categories: Sequence[str], model: CategoryModel) -> float:
        tokens = self.service_tokens(word)
        if not all(t in model.words for t in tokens):
            return 1.0  # a part too rare for the model: holding all the parts is rarer still
        return model.share(tokens, categories)

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


def roles_of(tokens: Sequence[str], needs: Sequence[NeedMatch]) -> tuple[NeedRole, ...]:
    """What each of a query's ``needs`` (found in ``tokens``) is to it. The request is the
    one stated last, as a sentence states its circumstances before what it asks for
    (公交停了打个车: 打车, not 公交); the others are its circumstances, its destinations
    when they name where the user goes (a need word starting with one of
    :data:`DESTINATION_WORDS`, 去机场, or a need of one word after one: 去 地铁站; 去看电影
    says what the user goes to do), or its manner when they say only how the user wants it
    served (:data:`MANNER`: 想吃水果懒得出门 asks for fruit, delivered). A destination or a
    manner is the request only when every need is one; a single need is the request by
    itself."""
    if len(needs) < 2:
        return tuple("request" for _ in needs)

    def aside(n: NeedMatch) -> NeedRole | None:
        after_go = n.start > 0 and tokens[n.start - 1] in DESTINATION_WORDS
        if n.word[:1] in DESTINATION_WORDS or (after_go and n.end - n.start == 1):
            return "destination"
        return "manner" if MANNER.fullmatch(n.word) else None

    roles = [aside(n) for n in needs]
    asked = [i for i, r in enumerate(roles) if r is None] or list(range(len(needs)))
    request = max(asked, key=lambda i: (needs[i].end, needs[i].end - needs[i].start))
    return tuple(
        "request" if i == request else roles[i] or "circumstance" for i in range(len(needs))
    )
