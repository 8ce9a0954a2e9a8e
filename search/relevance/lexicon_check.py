"""What an index version's listings make of each ``needs.txt`` line (``mpsearch lexicon
check``): the categories and service words of the need lexicon that do nothing there.

A dev-time tool for whoever edits the lexicon: a line can load without error and still
route and score nothing. Guarantees:

- Read-only: it reads the opened version (its terms' document frequencies and its category
  model, through the engine's reader) and the lexicon lines of the engine's dictionaries;
  it writes nothing.
- Findings name the line of ``needs.txt`` as written (:class:`indexer.dictionaries.NeedEntry`)
  and are of three kinds:
  - ``category``: a category no listing of the version holds: the line retrieves and
    scores nothing with it (a typo, or a sub-category the catalog does not have);
  - ``service_word``: a service word no listing holds where a service word counts (a
    name, keywords, categories, showcase titles: the words index ``schema.COVER_WORDS``;
    for a word the analyzer cuts, one of its parts held by none), so it matches nothing
    (a word only descriptions use retrieves and scores nothing as a service word);
  - ``weak_service_word``: a service word held by listings, but of whose category evidence
    less than ``search.rank.need.SERVICE_MIN`` is for the categories of each of the
    line's need words, the share a search reads (``IntentReader.share``): the listings
    holding it serve other needs, and a search leaves it out (上门 says little of
    ride-hailing). Its best share is in the finding.
- Listings are the version's documents whatever their status: a category whose listings
  are all offline is still the catalog's.
- A version without a category model has no shares: no ``weak_service_word`` findings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from indexer import schema as f
from indexer.analysis import compact
from indexer.dictionaries import NeedEntry
from search.engine import Engine
from search.rank.need import SERVICE_MIN

FindingKind = Literal["category", "service_word", "weak_service_word"]


class LexiconFinding(BaseModel):
    """A category or service word of one ``needs.txt`` line that does nothing."""

    line: int
    kind: FindingKind
    value: str  # the category or service word, as written
    need_words: list[str]  # the line's need words, as written
    share: float | None = None  # weak_service_word: its best share for the need words


class LexiconCheck(BaseModel):
    """The lexicon as one version's listings read it."""

    index_version: str
    lines: int
    categories: int  # named on the lines, each line's counted
    service_words: int  # likewise
    findings: list[LexiconFinding]

    def count(self, kind: FindingKind) -> int:
        return sum(1 for x in self.findings if x.kind == kind)


def check(engine: Engine, entries: Iterable[NeedEntry] | None = None) -> LexiconCheck:
    """Check ``entries`` (default: the lexicon lines of the engine's dictionaries) against
    the engine's version, findings in line order."""
    lines = list(engine.analyzer.dicts.needs if entries is None else entries)
    reader, compiler = engine.reader, engine.compiler
    findings: list[LexiconFinding] = []
    for entry in lines:
        found: list[tuple[FindingKind, str, float | None]] = [
            ("category", c, None) for c in entry.categories if not compiler.held(f.CATEGORY_PATH, c)
        ]
        # Each need word's categories, as the lexicon merges them over every line naming it.
        wanted = [
            m.categories for m in map(reader.lexicon.lookup, entry.need_words) if m is not None
        ]
        for word in entry.service_words:
            key = compact(word)
            if not all(compiler.held(f.COVER_WORDS, t) for t in reader.service_tokens(key)):
                found.append(("service_word", word, None))
                continue
            shares = [reader.share(key, cats) for cats in wanted if cats]
            if shares and max(shares) < SERVICE_MIN:  # without a model every share is 1
                found.append(("weak_service_word", word, round(max(shares), 4)))
        findings += [
            LexiconFinding(
                line=entry.line, kind=k, value=v, need_words=list(entry.need_words), share=x
            )
            for k, v, x in found
        ]
    findings.sort(key=lambda x: x.line)
    return LexiconCheck(
        index_version=engine.version,
        lines=len(lines),
        categories=sum(len(e.categories) for e in lines),
        service_words=sum(len(e.service_words) for e in lines),
        findings=findings,
    )
