"""Query → category, learned from the catalog at build time.

The build feeds every listing's analysed words and its categories to a
:class:`CategoryCounts` (or one per worker process, merged); the counts become a
:class:`CategoryModel`, saved as ``categories.json`` in the index version folder (so the
version's checksum covers it). At query time :meth:`CategoryModel.predict` turns a query's
content words, and the need lexicon's matches, into the categories likely to serve it.

The model is multinomial naive Bayes over *listings*, at two levels: top-level categories
(``出行``) and full paths (``出行/打车``, over the listings that have a sub-category).
A listing counts each distinct word once, weighted by the best field holding it
(:data:`FIELD_WEIGHTS`: name and category 3, keywords and brand 2, showcase titles and
description 1). With ``n(w,c)`` the weighted count of word ``w`` in category ``c`` and
``P(c)`` the share of listings in ``c``, a word's posterior is smoothed towards the prior,
``P(c|w) ∝ n(w,c) + α·P(c)``, and words combine as naive Bayes does:

    P(c | w1..wk) ∝ P(c) · Π_i (1 + n(w_i,c) / (α·P(c)))

so a category a word never occurs with gets factor 1 from it, and only the categories a
word does occur with need storing. Guarantees:

- Words in fewer than ``min_df`` listings (rare noise) or in more than ``max_df`` of them
  (官方, 服务) are not in the model; words it does not know are ignored by ``predict``.
- Each word keeps its ``top_k`` strongest categories per level, precomputed at save time:
  ``predict`` reads a few short lists and costs microseconds whatever the catalog's size.
  (A category beyond a word's ``top_k`` is treated as one it never occurs with.)
- Counts are integers, so merging the counts of worker processes gives exactly the counts,
  and the file, of one process fed the same listings; the file is deterministic (sorted).
- Scores are probabilities within each level: the tops' scores sum to at most 1, as do the
  paths'. A need the lexicon matched counts as a word that names its categories with
  probability :data:`NEED_CONFIDENCE` (a path the catalog lacks, its top-level category).
- A model is read-only once loaded; ``predict`` is safe from any number of threads.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from indexer import schema as f
from indexer.needs import NeedMatch

MODEL_FILE = "categories.json"
FORMAT = "mpsearch-categories-1"

# Weight of a word by the best field of the listing holding it.
FIELD_WEIGHTS: Mapping[str, int] = {
    f.NAME: 3,
    f.CATEGORY: 3,
    f.CATEGORY_TOP: 3,
    f.KEYWORDS: 2,
    f.BRAND: 2,
    f.SHOWCASE: 1,
    f.DESCRIPTION: 1,
}
# (weight, its fields), heaviest first: a word counts with the first group holding it.
_FIELDS_BY_WEIGHT = tuple(
    (w, tuple(name for name, weight in FIELD_WEIGHTS.items() if weight == w))
    for w in sorted(set(FIELD_WEIGHTS.values()), reverse=True)
)
# How sure a need of the lexicon is of its categories (split evenly among them).
NEED_CONFIDENCE = 0.9
_MAX_EXPONENT = 600.0  # e**600 is far from float overflow (e**709)


@dataclass(frozen=True)
class ModelSettings:
    """How counts become a model (stored in the model file)."""

    alpha: float = 3.0  # smoothing, in weighted listings (one listing naming the word: 3)
    min_df: int = 2  # a word must occur in at least this many listings
    max_df: float = 0.15  # and in at most this share of them (at least min_df listings)
    top_k: int = 10  # categories kept per word and level


class CategoryScore(NamedTuple):
    """A predicted category (``Top`` or ``Top/sub``) and its probability within its level."""

    category: str
    score: float


def _best_first(s: CategoryScore) -> tuple[float, str]:
    return (-s.score, s.category)


CategoryPath = tuple[str, ...]  # a listing's category: (top,) or (top, sub)


def category_paths(category: Sequence[str]) -> list[str]:
    """The names the model predicts that a listing's category answers to: its top-level
    category and, when it has one, ``Top/sub`` (the index's ``category_path`` terms)."""
    return ["/".join(category[:n]) for n in range(1, min(len(category), 2) + 1)]


class CategoryCounts:
    """Weighted word counts per category, fed listing by listing; mergeable across processes."""

    def __init__(self) -> None:
        self.listings = 0
        self.docs: Counter[CategoryPath] = Counter()  # listings per category
        self.counts: dict[CategoryPath, Counter[str]] = {}  # category → word → weighted count
        self.df: Counter[str] = Counter()  # word → listings holding it
        self.category_words: set[str] = set()  # words of category names

    def add(self, category: Sequence[str], words: Mapping[str, Iterable[str]]) -> None:
        """One listing: its category (1–2 items) and its analysed words by field
        (:data:`FIELD_WEIGHTS` names the fields that count; others are ignored)."""
        if not category:
            return
        path = tuple(category[:2])
        counts = self.counts.get(path)
        if counts is None:
            counts = self.counts[path] = Counter()
        seen: set[str] = set()
        repeated: list[str] = []  # each word as many times as its weight: counted in C
        for weight, fields in _FIELDS_BY_WEIGHT:
            group: set[str] = set()
            for field in fields:
                group.update(words.get(field, ()))
            group -= seen
            seen |= group
            repeated += list(group) * weight
        counts.update(repeated)
        self.category_words.update(words.get(f.CATEGORY, ()))
        self.category_words.update(words.get(f.CATEGORY_TOP, ()))
        self.listings += 1
        self.docs[path] += 1
        self.df.update(seen)

    def add_fields(self, fields: Sequence[tuple[str, object]]) -> None:
        """One listing from its index field values (``indexer.document.analyse_fields``):
        word fields are space-joined tokens, ``categories`` the category items in order."""
        values = dict(fields)
        words = {n: v.split() for n in FIELD_WEIGHTS if isinstance(v := values.get(n), str)}
        self.add([v for n, v in fields if n == f.CATEGORIES and isinstance(v, str)], words)

    def merge(self, other: CategoryCounts) -> None:
        """Add ``other``'s counts (another worker's share of the same build)."""
        self.listings += other.listings
        self.docs.update(other.docs)
        self.df.update(other.df)
        self.category_words |= other.category_words
        for path, counts in other.counts.items():
            self.counts.setdefault(path, Counter()).update(counts)

    def model(self, settings: ModelSettings | None = None) -> CategoryModel:
        """The model these counts make (see the module docstring)."""
        settings = settings or ModelSettings()
        tops = sorted({path[0] for path in self.docs})
        subs = sorted({"/".join(path) for path in self.docs if len(path) == 2})
        names = [*tops, *subs]
        ids = {name: i for i, name in enumerate(names)}
        docs = [0] * len(names)
        for path, n in self.docs.items():
            docs[ids[path[0]]] += n
            if len(path) == 2:
                docs[ids["/".join(path)]] += n
        with_sub = sum(docs[len(tops) :])
        prior = [n / self.listings for n in docs[: len(tops)]]
        prior += [n / with_sub for n in docs[len(tops) :]]

        most = max(settings.min_df, int(settings.max_df * self.listings))
        vocab = {w for w, n in self.df.items() if settings.min_df <= n <= most}
        by_word: dict[str, dict[int, int]] = {word: {} for word in vocab}
        for path, counts in self.counts.items():
            levels = [ids[path[0]]] + ([ids["/".join(path)]] if len(path) == 2 else [])
            for word in counts.keys() & vocab:
                n, row = counts[word], by_word[word]
                for i in levels:
                    row[i] = row.get(i, 0) + n
        alpha = settings.alpha
        words: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {}
        for word in sorted(by_word):
            deltas = [(i, math.log1p(n / (alpha * prior[i]))) for i, n in by_word[word].items()]
            deltas.sort(key=lambda item: (item[0] >= len(tops), -item[1], item[0]))
            kept = [d for d in deltas if d[0] < len(tops)][: settings.top_k]
            kept += [d for d in deltas if d[0] >= len(tops)][: settings.top_k]
            words[word] = (tuple(i for i, _ in kept), tuple(round(d, 4) for _, d in kept))
        return CategoryModel(
            tuple(names),
            len(tops),
            tuple(prior),
            words,
            frozenset(self.category_words),
            self.listings,
            settings,
        )

    def save(self, folder: Path, settings: ModelSettings | None = None) -> Path:
        """Write the model to ``folder`` (:data:`MODEL_FILE`); returns its path."""
        return self.model(settings).save(folder)


class CategoryModel:
    """Per-word category evidence and priors: what :meth:`predict` reads."""

    def __init__(
        self,
        categories: tuple[str, ...],
        tops: int,
        prior: tuple[float, ...],
        words: Mapping[str, tuple[tuple[int, ...], tuple[float, ...]]],
        category_words: frozenset[str],
        listings: int,
        settings: ModelSettings,
    ) -> None:
        self.categories = categories  # the first ``tops`` are top-level, then full paths
        self.tops = tops
        self.prior = prior
        self.words = dict(words)
        self.category_words = category_words
        self.listings = listings
        self.settings = settings
        self._ids = {name: i for i, name in enumerate(categories)}
        self._top_of = tuple(
            self._ids.get(name.split("/", 1)[0], -1) if i >= tops else i
            for i, name in enumerate(categories)
        )

    # --- the file -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "listings": self.listings,
            "settings": asdict(self.settings),
            "categories": list(self.categories),
            "tops": self.tops,
            "prior": list(self.prior),
            "category_words": sorted(self.category_words),
            "words": {w: [list(ids), list(ds)] for w, (ids, ds) in sorted(self.words.items())},
        }

    def save(self, folder: Path) -> Path:
        """Write ``folder/categories.json``; returns its path."""
        path = folder / MODEL_FILE
        path.write_bytes(orjson.dumps(self.to_json()))
        return path

    @classmethod
    def load(cls, folder: Path) -> CategoryModel:
        """The model saved in ``folder``. Raises FileNotFoundError when there is none (a
        version built before models existed) and ValueError for a file that is not one."""
        path = folder / MODEL_FILE
        try:
            data = orjson.loads(path.read_bytes())
            if data["format"] != FORMAT:
                raise ValueError(f"format {data['format']!r}, expected {FORMAT!r}")
            categories = tuple(str(c) for c in data["categories"])
            # Numbers are taken as orjson reads them: the file is the build's, covered by
            # the version's checksum, and converting each of millions costs seconds at 1M.
            words = {w: (tuple(ids), tuple(ds)) for w, (ids, ds) in data["words"].items()}
            model = cls(
                categories,
                int(data["tops"]),
                tuple(float(p) for p in data["prior"]),
                words,
                frozenset(str(w) for w in data["category_words"]),
                int(data["listings"]),
                ModelSettings(**data["settings"]),
            )
        except FileNotFoundError:
            raise
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: not a category model: {exc}") from None
        id_lists = [ids for ids, _ in words.values() if ids]
        if len(model.prior) != len(categories) or (
            id_lists
            and not 0 <= min(map(min, id_lists)) <= max(map(max, id_lists)) < len(categories)
        ):
            raise ValueError(f"{path}: not a category model: category ids out of range")
        return model

    # --- prediction -----------------------------------------------------------------------

    def evidence(self, word: str) -> list[CategoryScore]:
        """What one word says by itself (for explain and tests): its stored categories with
        their weight of evidence (log factor), strongest first within each level."""
        ids, deltas = self.words.get(word, ((), ()))
        return [CategoryScore(self.categories[i], d) for i, d in zip(ids, deltas, strict=True)]

    def predict(
        self,
        words: Iterable[str],
        needs: Sequence[NeedMatch] = (),
        *,
        limit: int = 8,
        min_score: float = 0.05,
    ) -> list[CategoryScore]:
        """The categories of a query, best first: tops and paths, each with its probability
        within its level, at least ``min_score``, at most ``limit`` of them.

        ``words``: the query's content words (analyzer tokens; unknown ones are ignored).
        ``needs``: the lexicon's matches; their categories count as strong evidence.
        Empty when nothing in the query is known to the model or the lexicon.
        """
        acc = self._evidence_of(words)
        seen: set[str] = set()
        for need in needs:
            if need.word not in seen:
                seen.add(need.word)
                self._add_need(acc, need.categories)
        if not acc:
            return []
        scores: list[CategoryScore] = []
        for level in (0, 1):
            items, z = self._level(acc, level)
            least = min_score * z
            scores += [CategoryScore(self.categories[i], w / z) for i, w in items if w >= least]
        scores.sort(key=_best_first)
        return scores[:limit]

    def share(self, words: Iterable[str], categories: Sequence[str]) -> float:
        """The probability that a query of ``words`` is in one of ``categories``, all of one
        level (the sub-categories if any of them is one, else the top-level ones), at most
        1; 0 when no word is known. The sum of their probabilities as :meth:`predict` gives
        them with no limit and no least score, without ordering every category."""
        acc = self._evidence_of(words)
        if not acc:
            return 0.0
        wanted = set(categories)
        items, z = self._level(acc, 1 if any("/" in c for c in categories) else 0)
        names = self.categories
        return min(1.0, sum(w for i, w in items if names[i] in wanted) / z) if items else 0.0

    def _level(self, acc: dict[int, float], level: int) -> tuple[list[tuple[int, float]], float]:
        """The categories of one level (0: top-level, 1: paths) the evidence ``acc`` names,
        each with its weight P(c)·e^acc[c], and the level's normaliser: their weights and
        the prior mass of the level's categories no word names (P(c | words) = weight / z;
        ``shift`` keeps e^acc finite for long queries)."""
        prior, tops, exp = self.prior, self.tops, math.exp
        shift = max(0.0, max(acc.values()) - _MAX_EXPONENT)
        items: list[tuple[int, float]] = []
        rest = 1.0
        for i, a in acc.items():
            if (i >= tops) == bool(level):
                items.append((i, prior[i] * exp(a - shift)))
                rest -= prior[i]
        return items, sum(w for _, w in items) + max(0.0, rest) * exp(-shift)

    def _evidence_of(self, words: Iterable[str]) -> dict[int, float]:
        """Each category's evidence (log factor) summed over the known ``words``."""
        acc: dict[int, float] = {}
        get = acc.get
        table = self.words
        for word in dict.fromkeys(words):
            entry = table.get(word)
            if entry is not None:
                for i, d in zip(*entry, strict=True):
                    acc[i] = get(i, 0.0) + d
        return acc

    def _add_need(self, acc: dict[int, float], categories: Sequence[str]) -> None:
        """Add a need's categories as a word that names them with NEED_CONFIDENCE (a path
        the catalog lacks counts for its top-level category)."""
        paths = {self._ids.get(c, self._ids.get(c.split("/", 1)[0], -1)) for c in categories}
        paths.discard(-1)
        tops = {self._top_of[i] for i in paths} - {-1}
        for level in (tops, paths - tops):
            share = NEED_CONFIDENCE / (1 - NEED_CONFIDENCE) / max(1, len(level))
            for i in level:
                acc[i] = acc.get(i, 0.0) + math.log1p(share / self.prior[i])
