"""Query understanding: raw text → normalised units with their match forms → a tantivy query.

A *unit* is one query word (jieba precise mode; adjacent words that together
spell a brand name or alias are merged). Each unit carries the forms it may
match in: the word itself, synonyms, the names of a brand it denotes, n-grams,
pinyin and initials (Latin-only queries), a prefix (last unit) and fuzzy
variants (Latin words of 4+ letters). Retrieval asks for as many units as can
be matched together, relaxing one unit at a time when nothing matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import tantivy

from indexer import schema as f
from indexer.analysis import Analyzer, compact, has_cjk, normalize
from indexer.brands import BrandTable
from indexer.completion import lookup_key
from indexer.document import LATIN_SOURCES
from search.prefix import regex_query
from search.resolve import Resolution, name_or_alias, resolve

Form = Literal[
    "original", "synonym", "alias", "subword", "ngram", "pinyin", "initials", "prefix", "fuzzy"
]
# How a unit that names a brand is read: the brand and the word (a query of one
# unit), the brand only, or the word only (context says it is not the brand).
Sense = Literal["both", "brand", "literal"]

MAX_UNITS = 8
MIN_FUZZY_LEN = 4
MIN_PREFIX_LEN = 3
FUZZY_FIELDS = LATIN_SOURCES  # fuzzy Latin words are looked for here only (indexed as f.LATIN)
# What may follow a typed Latin prefix inside a token: normalised Latin tokens are
# lower-case ASCII letters and digits, and a small class compiles to a small automaton
# (``.`` over all of Unicode costs about a millisecond per query).
LATIN_TAIL = "[0-9a-z]"
PINYIN_PREFIX_BOOST = 2.0  # field weight of a pinyin/initials prefix of a name or brand
OFFICIAL_BOOST = 20.0  # first-stage boost of a named brand's official listings

# Field weights for the first stage; the re-ranker has its own (search.rank).
FIELD_BOOST: dict[str, float] = {
    f.NAME: 3.0,
    f.BRAND: 2.5,
    f.KEYWORDS: 1.5,
    f.CATEGORY: 1.2,
    f.SHOWCASE: 1.0,
    f.DESCRIPTION: 0.5,
}
FORM_BOOST: dict[Form, float] = {
    "original": 1.0,
    "synonym": 0.8,
    "alias": 0.9,
    "subword": 0.5,
    "ngram": 0.5,
    "pinyin": 0.8,
    "initials": 0.6,
    "prefix": 0.6,
    "fuzzy": 0.6,
}


@dataclass(slots=True)
class Unit:
    """One query word and the alternatives it may match through."""

    text: str
    latin: bool
    last: bool = False
    synonyms: list[str] = field(default_factory=list)
    brand_ids: tuple[str, ...] = ()
    alias_terms: list[str] = field(default_factory=list)
    sense: Sense = "both"
    common: bool = False  # the unit is also a frequent general word
    subwords: list[str] = field(default_factory=list)  # dictionary words inside a compound
    officials: tuple[str, ...] = ()  # official appids of the brands the unit names

    @property
    def anchors(self) -> tuple[str, ...]:
        """Brands whose listings this unit alone is enough to retrieve."""
        return self.brand_ids if self.sense != "literal" else ()

    @property
    def family_terms(self) -> list[str]:
        """Spellings of the brand that identify it on their own (not common words)."""
        return self.alias_terms if self.common else [*self.alias_terms, self.text]

    def read_literally(self) -> None:
        """Context says this word is not the brand: drop the brand forms."""
        self.sense = "literal"
        self.brand_ids = ()
        self.alias_terms = []
        self.officials = ()

    @property
    def fuzzy_distance(self) -> int:
        if not self.latin or not self.text.isalpha() or len(self.text) < MIN_FUZZY_LEN:
            return 0
        return 1 if len(self.text) < 8 else 2


@dataclass(slots=True)
class ParsedQuery:
    """A normalised query: its units, whether it is Latin-only, and the brand it names."""

    raw: str
    normalized: str
    compact: str
    units: list[Unit]
    latin_only: bool
    resolution: Resolution | None
    # Per-unit lookups the re-ranker derives once per query (search.rank.text).
    match_cache: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def brand_zone_id(self) -> str | None:
        r = self.resolution
        return r.unique if r is not None and r.zone else None


def _merge_brand_runs(tokens: list[str], table: BrandTable) -> list[tuple[str, Resolution | None]]:
    """Greedily merge adjacent tokens that together spell a brand name or alias."""
    out: list[tuple[str, Resolution | None]] = []
    i = 0
    while i < len(tokens):
        for j in range(len(tokens), i, -1):
            text = "".join(tokens[i:j])
            res = name_or_alias(text, table)
            if res is not None:
                out.append((text, res))
                i = j
                break
        else:
            out.append((tokens[i], None))
            i += 1
    return out


def parse(raw: str, analyzer: Analyzer, table: BrandTable) -> ParsedQuery:
    """Normalise and segment a query, resolve brands, attach synonyms.

    A query that as a whole names a brand (any spelling, pinyin, typo, prefix)
    becomes one unit carrying that brand; otherwise each word is a unit and
    runs of words that spell a brand name or alias are merged.
    """
    normalized = normalize(raw)
    key = compact(raw)
    latin_only = bool(key) and not has_cjk(key)
    resolution = resolve(raw, table)
    if resolution is not None:
        pieces: list[tuple[str, Resolution | None]] = [(key, resolution)]
    else:
        pieces = _merge_brand_runs(analyzer.tokens(raw, "query")[:MAX_UNITS], table)
    units: list[Unit] = []
    for text, res in pieces:
        unit = Unit(text=text, latin=text.isascii(), common=analyzer.is_common_word(text))
        unit.synonyms = analyzer.synonyms(text)
        if res is None and has_cjk(text):
            unit.subwords = _subwords(text, analyzer)
        if res is not None:
            unit.brand_ids = res.brand_ids
            unit.alias_terms = _alias_terms(res.brand_ids, table, analyzer, exclude=text)
            unit.officials = tuple(
                a for b in res.brand_ids for a in table.brands[b].official_appids
            )
            unit.sense = "both" if len(pieces) == 1 else "brand"
        units.append(unit)
    if units:
        units[-1].last = True
    return ParsedQuery(raw, normalized, key, units, latin_only, resolution)


def _subwords(text: str, analyzer: Analyzer) -> list[str]:
    """Words of two or more characters inside a compound query word (小游戏 → 游戏).

    They let ``查快递`` find listings about 快递 that never write the compound.
    """
    return [t for t in analyzer.tokens(text, "index") if t != text and len(t) >= 2]


def _alias_terms(
    brand_ids: tuple[str, ...], table: BrandTable, analyzer: Analyzer, exclude: str
) -> list[str]:
    """One index term per spelling of the brands, to find listings that use another spelling.

    Latin multi-word forms use their concatenation (indexed for adjacent Latin
    words); other multi-word forms are skipped.
    """
    terms: list[str] = []
    for brand_id in brand_ids:
        brand = table.brands[brand_id]
        for form in (brand.name, *brand.aliases):
            toks = analyzer.tokens(form, "query")
            key = compact(form)
            term = toks[0] if len(toks) == 1 else key if key.isascii() else None
            if term and term != exclude and term not in terms:
                terms.append(term)
    return terms


class QueryBuilder:
    """Builds tantivy queries for parsed queries against one index schema.

    ``exclude``: the hosts whose filter is better written as "not hidden there" than as
    "live there" (``schema.HIDDEN``, ``filters``); the same listings either way.
    """

    def __init__(self, schema: tantivy.Schema, exclude: frozenset[str] = frozenset()) -> None:
        self.schema = schema
        self.exclude = exclude

    def term(self, field_name: str, value: str, boost: float) -> tantivy.Query:
        q = tantivy.Query.term_query(self.schema, field_name, value)
        return tantivy.Query.boost_query(q, boost) if boost != 1.0 else q

    def _words(self, value: str, form: Form, unit: Unit) -> list[tantivy.Query]:
        return [
            self.term(fn, value, b * FORM_BOOST[form])
            for fn, b in FIELD_BOOST.items()
            if fn != f.BRAND or unit.sense != "literal"
        ]

    def _ngram(self, text: str) -> tantivy.Query | None:
        cjk = "".join(ch for ch in text if has_cjk(ch))
        if not cjk or cjk != text:
            return None
        grams = [cjk] if len(cjk) == 1 else [cjk[i : i + 2] for i in range(len(cjk) - 1)]
        clauses = [(tantivy.Occur.Must, self.term(f.NGRAM, g, 1.0)) for g in dict.fromkeys(grams)]
        q = tantivy.Query.boolean_query(clauses)
        return tantivy.Query.boost_query(q, FORM_BOOST["ngram"] * FIELD_BOOST[f.NAME])

    def unit_query(self, unit: Unit, latin_only: bool) -> tantivy.Query:
        """Disjunction over every form of one unit."""
        subs = self._words(unit.text, "original", unit)
        for syn in unit.synonyms:
            subs += self._words(syn, "synonym", unit)
        for term in unit.alias_terms:
            subs += self._words(term, "alias", unit)
        for word in unit.subwords:
            subs += self._words(word, "subword", unit)
        for brand_id in unit.brand_ids:
            subs.append(self.term(f.BRAND_ID, brand_id, FIELD_BOOST[f.BRAND] * FORM_BOOST["alias"]))
        ngram = self._ngram(unit.text)
        if ngram is not None:
            subs.append(ngram)
        if unit.latin and latin_only:
            subs.append(self.term(f.PINYIN, unit.text, 2.5 * FORM_BOOST["pinyin"]))
            subs.append(self.term(f.INITIALS, unit.text, 2.5 * FORM_BOOST["initials"]))
        if unit.latin and unit.last and len(unit.text) >= MIN_PREFIX_LEN and unit.text.isalnum():
            pattern = f"{unit.text}{LATIN_TAIL}+"
            for fn in (f.NAME, f.BRAND, f.KEYWORDS):
                subs.append(
                    tantivy.Query.boost_query(
                        regex_query(self.schema, fn, pattern),
                        FIELD_BOOST[fn] * FORM_BOOST["prefix"],
                    )
                )
            if latin_only:
                # Names and brands whose pinyin or initials start with the text: one term
                # of the completion fields. A regex over the pinyin fields unions every
                # word starting so (shen…: tens of ms at 1M listings).
                key = lookup_key(unit.text)
                for fn in (f.COMPLETION_NAME, f.COMPLETION_BRAND):
                    subs.append(self.term(fn, key, PINYIN_PREFIX_BOOST * FORM_BOOST["prefix"]))
        distance = unit.fuzzy_distance
        if distance and not unit.brand_ids:  # a brand's spellings are already clauses
            fq = tantivy.Query.fuzzy_term_query(self.schema, f.LATIN, unit.text, distance, True)
            subs.append(tantivy.Query.boost_query(fq, FIELD_BOOST[f.NAME] * FORM_BOOST["fuzzy"]))
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in subs])

    def filters(self, host: str) -> list[tuple[tantivy.Occur, tantivy.Query]]:
        """Only online listings live in the host. The filter adds nothing to the score (a
        required term's BM25 would favour listings live in fewer hosts)."""
        if host in self.exclude:
            hidden = tantivy.Query.term_query(self.schema, f.HIDDEN, host)
            return [(tantivy.Occur.MustNot, hidden)]
        live = tantivy.Query.term_query(self.schema, f.LIVE, host)
        return [(tantivy.Occur.Must, tantivy.Query.const_score_query(live, 0.0))]

    def family(self, unit: Unit) -> tantivy.Query:
        """Every listing of the brands a unit names, or that names them unambiguously.

        The brands' official listings are asked for by appid with a high boost, so
        they are among the candidates however many lookalikes share the name.
        """
        subs = [self.term(f.BRAND_ID, b, FIELD_BOOST[f.BRAND]) for b in unit.anchors]
        subs += [self.term(f.APPID, a, OFFICIAL_BOOST) for a in unit.officials]
        for term in unit.family_terms:
            subs += self._words(term, "alias", unit)
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in subs])

    def cooccurs(self, unit: Unit, others: list[Unit], latin_only: bool) -> tantivy.Query:
        """Listings of the unit's brands that also match another query unit."""
        brands = [(tantivy.Occur.Should, self.term(f.BRAND_ID, b, 1.0)) for b in unit.brand_ids]
        rest = [(tantivy.Occur.Should, self.unit_query(u, latin_only)) for u in others]
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.boolean_query(brands)),
                (tantivy.Occur.Must, tantivy.Query.boolean_query(rest)),
            ]
        )

    def build(
        self,
        parsed: ParsedQuery,
        host: str,
        min_units: int,
        units: list[Unit] | None = None,
    ) -> tantivy.Query:
        """Listings matching ``min_units`` or more of ``units`` (default: all), or any
        listing of a brand named."""
        unit_qs = [
            (tantivy.Occur.Should, self.unit_query(u, parsed.latin_only))
            for u in (parsed.units if units is None else units)
        ]
        alternatives: list[tantivy.Query] = []
        if len(unit_qs) == 1:  # no one-clause wrapper: each level costs per matching listing
            alternatives.append(unit_qs[0][1])
        elif unit_qs:
            alternatives.append(tantivy.Query.boolean_query(unit_qs, min_units))
        alternatives.extend(self.family(u) for u in parsed.units if u.anchors)
        if not alternatives:
            return tantivy.Query.empty_query()
        if len(alternatives) == 1:
            text = alternatives[0]
        else:
            text = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in alternatives])
        return tantivy.Query.boolean_query([*self.filters(host), (tantivy.Occur.Must, text)])
