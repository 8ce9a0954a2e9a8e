"""Query understanding: raw text → normalised units with the forms they may match in.

A *unit* is one query word (jieba precise mode; adjacent words that together
spell a brand name or alias are merged). Each unit carries the forms it may
match in: the word itself, synonyms, the names of a brand it denotes, the
dictionary words inside a compound; ``search.rank.text`` adds n-grams, pinyin and
initials (Latin-only queries), a prefix (last unit) and fuzzy variants (Latin words
of 4+ letters).
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterable
from dataclasses import dataclass, field
from typing import Literal

from indexer.analysis import Analyzer, compact, has_cjk, normalize
from indexer.brands import BrandTable
from indexer.intent import MANNER
from search.resolve import Resolution, name_or_alias, resolve_key

# How a unit that names a brand is read: the brand and the word (a query of one
# unit), the brand only, or the word only (context says it is not the brand).
Sense = Literal["both", "brand", "literal"]

MAX_UNITS = 8
MIN_FUZZY_LEN = 4
MIN_PREFIX_LEN = 3


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
    province: str | None = None  # the province a place word names (杭州 → 浙江)
    city: str | None = None  # ... and the city (杭州), None when it names a province
    # Part of a longer need word the query states (饿 of 饿了: ``mark_need_parts``).
    in_need: bool = False
    # Says only how the user wants to be served, in a query stating a need (出门, 懒得:
    # ``mark_manner``).
    manner: bool = False

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

    @property
    def brand_zone_id(self) -> str | None:
        r = self.resolution
        return r.unique if r is not None and r.zone else None


PHRASE_TOKENS = 3  # the most words merged into one phrase


def _merge_phrases(tokens: list[str], phrases: Container[str]) -> list[str]:
    """Runs of adjacent words that spell a phrase, merged into it, longest first, when a
    word of the run is a single character (叫 / 车: weak alone; 咖啡 / 外卖 each say
    something and stay two words)."""
    if not phrases:
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for j in range(min(len(tokens), i + PHRASE_TOKENS), i + 1, -1):
            text = "".join(tokens[i:j])
            if text in phrases and any(len(t) == 1 for t in tokens[i:j]):
                out.append(text)
                i = j
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _merge_brand_runs(tokens: list[str], table: BrandTable) -> list[tuple[str, Resolution | None]]:
    """Greedily merge adjacent tokens (normalised) that together spell a brand name or alias."""
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


def _merge_lone_characters(
    pieces: list[tuple[str, Resolution | None]], normalized: str, stopwords: frozenset[str]
) -> list[tuple[str, Resolution | None]]:
    """Join runs of single Chinese characters that stand side by side in the query into one
    word: what the segmenter could not place (养颜茶美白 → 养/颜/茶/美/白) is a word it does
    not know, and is looked for as one (by the dictionary words and n-grams inside it), not
    as five characters each found in thousands of listings. Stop words stay apart (a query
    of nothing else keeps them)."""
    out: list[tuple[str, Resolution | None]] = []
    cursor = 0
    last_end = -1
    for text, res in pieces:
        at = normalized.find(text, cursor)
        end = at + len(text) if at >= 0 else -1
        lone = res is None and len(text) == 1 and has_cjk(text) and text not in stopwords
        if lone and at == last_end and out and out[-1][1] is None and _lone_run(out[-1][0]):
            out[-1] = (out[-1][0] + text, None)
        else:
            out.append((text, res))
        if at >= 0:
            cursor, last_end = end, end if lone else -1
    return out


def _lone_run(text: str) -> bool:
    return all(has_cjk(ch) for ch in text) and text.isalnum()


def parse(
    raw: str,
    analyzer: Analyzer,
    table: BrandTable,
    fillers: Collection[str] = (),
    phrases: Container[str] = (),
) -> ParsedQuery:
    """Normalise and segment a query, resolve brands, attach synonyms.

    A query that as a whole names a brand (any spelling, pinyin, typo, prefix)
    becomes one unit carrying that brand; otherwise each word is a unit and
    runs of words that spell a brand name or alias are merged. ``fillers``: words left
    out (``indexer.content_words``: 帮我, 一下, 哪里), unless nothing else is left;
    ``phrases``: words that runs of the words left, one a single character, are merged
    into (the need lexicon's: 叫 / 车 → 叫车); a query that is one of them whole is not
    read as the start of a brand name (饿了 states a need; 饿了么 names the brand).
    """
    normalized = normalize(raw)
    key = normalized.replace(" ", "")
    latin_only = bool(key) and not has_cjk(key)
    resolution = resolve_key(key, table)
    if resolution is not None and resolution.via == "prefix" and key in phrases:
        resolution = None  # a need word that starts a brand name (饿了, 饿了么) states the need
    if resolution is not None:
        pieces: list[tuple[str, Resolution | None]] = [(key, resolution)]
    else:
        tokens = analyzer.tokens(normalized, "query", normalized=True)
        tokens = _merge_phrases([t for t in tokens if t not in fillers] or tokens, phrases)
        merged = _merge_brand_runs(tokens, table)
        pieces = _merge_lone_characters(merged, normalized, analyzer.dicts.stopwords)[:MAX_UNITS]
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


def mark_need_parts(query: ParsedQuery, need_words: Iterable[str]) -> None:
    """Mark each word of the query that is part of a longer need word it states (饿 of 饿了
    once 了 is dropped, 充 of 哪能充): the need part of the ranking scores the need, and the
    word's characters inside a longer word of a name (饿 in 饿了么) share a character
    with it, no more (``search.rank.text``)."""
    needs = tuple(need_words)
    for unit in query.units:
        unit.in_need = any(unit.text in n and len(n) > len(unit.text) for n in needs)


def mark_manner(query: ParsedQuery, states_need: bool) -> None:
    """Mark each word of a query stating a need that is made only of the words saying how
    the user wants to be served (``indexer.intent.MANNER``: 出门 in 明天出门要不要带伞, 懒得,
    不想): it says nothing of which service, and a listing whose description happens to
    hold it is no better an answer (``search.rank.weights.Weights.manner``)."""
    for unit in query.units:
        unit.manner = states_need and MANNER.fullmatch(unit.text) is not None


def _subwords(text: str, analyzer: Analyzer) -> list[str]:
    """Words of two or more characters inside a compound query word (小游戏 → 游戏).

    They let ``查快递`` find listings about 快递 that never write the compound.
    """
    return [t for t in analyzer.tokens(text, "index", normalized=True) if t != text and len(t) >= 2]


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
