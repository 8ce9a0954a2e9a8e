"""Text match: how well a listing covers the query, word by word.

Each query word (unit) is worth ``text / n`` of the score. Within a word, each field
counts once, with its strongest form (field weight × form weight): the word itself,
one of its brand's spellings, a synonym, the share of a compound's inner words, its
characters inside a longer Chinese word (n-grams), a typed prefix of a Latin word,
a typo of one, and for Latin-only queries pinyin and initials. The best field counts
fully and ``breadth`` of each further field is added: a listing whose keywords,
category and description all carry the word is more about it than one that mentions
it once, but a name match stays ahead of a keyword match.

Descriptions are a second tier: their group counts only when the other fields give fewer
than a page (the engine's tiers).
"""

from __future__ import annotations

from collections.abc import Sequence

from indexer import schema as f
from indexer.analysis import has_cjk
from indexer.completion import lookup_key
from search.query import MIN_PREFIX_LEN, ParsedQuery, Unit
from search.rank.clauses import Clause, Group, Match, UnitPart
from search.rank.weights import Weights

PREFIX_FIELDS = (f.NAME, f.BRAND, f.KEYWORDS)
"""Where a half-typed Latin word is looked for."""


def _cjk_grams(text: str) -> tuple[str, ...]:
    """The n-grams a Chinese word is looked for through: its character, or its bigrams."""
    if len(text) == 1:
        return (text,)
    return tuple(dict.fromkeys(text[i : i + 2] for i in range(len(text) - 1)))


def _field_group(field: str, unit: Unit, w: Weights) -> Group:
    weight = w.field[field]

    def clause(match: Match, form: str) -> Clause:
        return Clause(match, weight * w.form[form], field, form)

    clauses = [clause(Match("term", field, (unit.text,)), "original")]
    if unit.alias_terms:
        clauses.append(clause(Match("any", field, tuple(unit.alias_terms)), "alias"))
    if field == f.BRAND and unit.brand_ids:
        clauses.append(clause(Match("any", f.BRAND_ID, unit.brand_ids), "alias"))
    if unit.synonyms:
        clauses.append(clause(Match("any", field, tuple(unit.synonyms)), "synonym"))
    if unit.subwords:
        clauses.append(clause(Match("share", field, tuple(unit.subwords)), "subword"))
    if field in f.GRAM_CODES and all(has_cjk(c) for c in unit.text):
        grams = tuple(f.gram_term(field, g) for g in _cjk_grams(unit.text))
        form = "inside" if field in (f.CATEGORY, f.CATEGORY_TOP) else "ngram"
        clauses.append(clause(Match("all", f.GRAMS, grams), form))
    if field in PREFIX_FIELDS and prefix_unit(unit):
        clauses.append(clause(Match("prefix", field, (unit.text,)), "prefix"))
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
    groups = [
        _field_group(field, unit, w)
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
