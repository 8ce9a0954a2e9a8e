"""Text match: how well a listing covers the query, word by word.

Each query word (unit) is worth ``text / n`` of the score. Within a word, each field
counts once, with its strongest form (field weight × form weight): the word itself,
one of its brand's spellings, a synonym, the share of a compound's inner words, its
characters inside a longer Chinese word (n-grams), a typed prefix of a Latin word,
a typo of one, and for Latin-only queries pinyin and initials. A word that is part of a
longer need word of the query (饿 of 饿了) is not looked for inside longer words, but in
categories: the need part scores the need, and 饿 inside 饿了么 is a shared character (a
category's word holding it, 充 in 充电 for 哪能充, still names the kind of service).
The best field counts fully and ``breadth`` of each further field is added: a listing
whose keywords, category and description all carry the word is more about it than one
that mentions it once, but a name match stays ahead of a keyword match.

Descriptions are a second tier: their group counts only when the other fields give fewer
than a page (the engine's tiers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from indexer import schema as f
from indexer.analysis import is_cjk
from indexer.completion import lookup_key
from search.query import MIN_PREFIX_LEN, ParsedQuery, Unit
from search.rank.clauses import Clause, Group, Match, MatchKind, UnitPart
from search.rank.weights import Weights

PREFIX_FIELDS = (f.NAME, f.BRAND, f.KEYWORDS)
"""Where a half-typed Latin word is looked for."""


def _cjk_grams(text: str) -> tuple[str, ...]:
    """The n-grams a Chinese word is looked for through: its character, or its bigrams."""
    if len(text) == 1:
        return (text,)
    return tuple(dict.fromkeys(text[i : i + 2] for i in range(len(text) - 1)))


class _Word(NamedTuple):
    """What every field group of one word looks for, derived once per word."""

    original: tuple[str, ...]
    alias: tuple[str, ...]
    brand_ids: tuple[str, ...]
    synonyms: tuple[str, ...]
    subwords: tuple[str, ...]
    grams: tuple[str, ...]  # its characters' n-grams, for a word all of Chinese characters
    prefix: bool  # a half-typed Latin word
    in_need: bool  # part of a longer need word of the query: n-grams in categories only


def _field_group(field: str, word: _Word, w: Weights) -> Group:
    weight = w.field[field]
    form = w.form

    def clause(kind: MatchKind, values: tuple[str, ...], name: str, on: str = field) -> Clause:
        return Clause(Match(kind, on, values), weight * form[name], field, name)

    clauses = [clause("term", word.original, "original")]
    if word.alias:
        clauses.append(clause("any", word.alias, "alias"))
    if field == f.BRAND and word.brand_ids:
        clauses.append(clause("any", word.brand_ids, "alias", f.BRAND_ID))
    if word.synonyms:
        clauses.append(clause("any", word.synonyms, "synonym"))
    if word.subwords:
        clauses.append(clause("share", word.subwords, "subword"))
    code = f.GRAM_CODES.get(field)
    category = field in (f.CATEGORY, f.CATEGORY_TOP)
    if code is not None and word.grams and (category or not word.in_need):
        name = "inside" if category else "ngram"
        clauses.append(clause("all", tuple(code + g for g in word.grams), name, f.GRAMS))
    if word.prefix and field in PREFIX_FIELDS:
        clauses.append(clause("prefix", word.original, "prefix"))
    return Group(field, tuple(clauses), second_tier=field == f.DESCRIPTION)


def prefix_unit(unit: Unit) -> bool:
    """A half-typed Latin word: the last one, three or more letters or digits."""
    return unit.latin and unit.last and len(unit.text) >= MIN_PREFIX_LEN and unit.text.isalnum()


def _spelled_group(unit: Unit, w: Weights) -> Group:
    """Pinyin and initials of the names and brands, for a Latin word of a Latin-only query;
    the last word also as the beginning of a whole name's or brand's spelling."""
    clauses = [
        Clause(Match("term", f.PINYIN, (unit.text,)), w.field[f.PINYIN] * w.form["pinyin"],
               f.PINYIN, "pinyin"),
        Clause(Match("term", f.INITIALS, (unit.text,)), w.field[f.INITIALS] * w.form["initials"],
               f.INITIALS, "initials"),
    ]  # fmt: skip
    if prefix_unit(unit):
        key = lookup_key(unit.text)
        weight = w.field[f.PINYIN] * w.form["prefix"]
        for field in (f.COMPLETION_NAME, f.COMPLETION_BRAND):
            clauses.append(Clause(Match("term", field, (key,)), weight, f.PINYIN, "prefix"))
    return Group(f.PINYIN, tuple(clauses))


def unit_part(unit: Unit, share: float, latin_only: bool, w: Weights) -> UnitPart:
    """The groups of one query word, and its share of the text weight."""
    return UnitPart(unit.text, w.text * share, _unit_groups(unit, latin_only, w))


def _unit_groups(unit: Unit, latin_only: bool, w: Weights) -> tuple[Group, ...]:
    text = unit.text
    word = _Word(
        original=(text,),
        alias=tuple(unit.alias_terms),
        brand_ids=unit.brand_ids,
        synonyms=tuple(unit.synonyms),
        subwords=tuple(unit.subwords),
        grams=_cjk_grams(text) if text and all(is_cjk(c) for c in text) else (),
        prefix=prefix_unit(unit),
        in_need=unit.in_need,
    )
    groups = [
        _field_group(field, word, w)
        for field in f.WORD_FIELDS
        if field != f.BRAND or unit.sense != "literal"
    ]
    distance = unit.fuzzy_distance
    if distance and not unit.brand_ids:  # a brand's spellings are clauses already
        match = Match("fuzzy", f.LATIN, (unit.text,), distance)
        fuzzy = Clause(match, w.field[f.LATIN] * w.form["fuzzy"], f.LATIN, "fuzzy")
        groups.append(Group(f.LATIN, (fuzzy,)))
    if unit.latin and latin_only:
        groups.append(_spelled_group(unit, w))
    if unit.province:  # a place: the listings serving its province, by their region
        match = Match("term", f.REGION, (unit.province,))
        region = Clause(match, w.field[f.REGION] * w.form["region"], f.REGION, "region")
        groups.append(Group(f.REGION, (region,)))
    return tuple(groups)


def text_parts(
    query: ParsedQuery, w: Weights, informative: Sequence[float] | None = None
) -> tuple[UnitPart, ...]:
    """One part per query word; each word's share of the text weight is its share of the
    query's ``informative`` values (how rare each word is in the index), or an equal one."""
    n = len(query.units)
    values = list(informative) if informative is not None else [1.0] * n
    total = sum(values) or 1.0
    return tuple(
        unit_part(u, v / total, query.latin_only, w)
        for u, v in zip(query.units, values, strict=True)
    )
