"""Text match: how well the candidate covers the query, word by word.

For each query unit the best (field weight × form weight) over every field and
form it matches in; the signal is the mean over units, so a candidate that
matches every word beats one that matches a single word very well. Pinyin and
initials forms only exist for Latin-only queries: a Chinese query never
matches through pinyin.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from indexer import schema as f
from indexer.analysis import has_cjk
from indexer.document import FIELD_CODES, NORM_SEP
from search.query import FUZZY_FIELDS, MIN_PREFIX_LEN, ParsedQuery, Unit
from search.rank.candidate import Candidate
from search.rank.weights import Weights


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """Where and how one query unit matched a candidate."""

    unit: str
    field: str
    form: str
    weight: float


_BRAND = FIELD_CODES[f.BRAND]
_CATEGORY = FIELD_CODES[f.CATEGORY]
_FUZZY_CODES = frozenset(FIELD_CODES[field] for field in FUZZY_FIELDS)

FORM_ORDER = ("original", "alias", "synonym", "subword", "ngram")
"""Forms a listing's own category is checked with, strongest first."""


@dataclass(frozen=True, slots=True)
class _Forms:
    """One unit's alternatives as sets, derived once per query, not per candidate."""

    alias: frozenset[str]
    synonyms: frozenset[str]
    subwords: frozenset[str]
    cjk: bool
    prefix: bool
    fuzzy: int


def _forms(query: ParsedQuery, unit: Unit) -> _Forms:
    hit = query.match_cache.get(id(unit))
    if hit is not None and hit[0] is unit:
        forms: _Forms = hit[1]
        return forms
    forms = _Forms(
        alias=frozenset(unit.alias_terms),
        synonyms=frozenset(unit.synonyms),
        subwords=frozenset(unit.subwords),
        cjk=has_cjk(unit.text),
        prefix=unit.last and unit.latin and len(unit.text) >= MIN_PREFIX_LEN,
        fuzzy=unit.fuzzy_distance,
    )
    query.match_cache[id(unit)] = (unit, forms)
    return forms


def _word_forms(unit: Unit, forms: _Forms, cand: Candidate) -> dict[str, str]:
    """The strongest form in which each word field holds ``unit`` by token lookup, by
    field code: the word itself, then a brand spelling, a synonym, an inner word
    (fields that match none are absent)."""
    where = cand.where
    found = dict.fromkeys(where.get(unit.text, ""), "original")
    if _BRAND not in found and cand.brand_id in unit.brand_ids:
        found[_BRAND] = "alias"
    for form, terms in (
        ("alias", forms.alias),
        ("synonym", forms.synonyms),
        ("subword", forms.subwords),
    ):
        for term in terms:
            for code in where.get(term, ""):
                found.setdefault(code, form)
    return found


def _loose_forms(unit: Unit, forms: _Forms, cand: Candidate) -> dict[str, str]:
    """Matches no token lookup finds, by field code, strongest first: a typed prefix,
    a Chinese substring, a typo. One pass over the tokens for each kind."""
    text = unit.text
    out: dict[str, str] = {}
    where = cand.where
    roman = cand.doc["roman"]  # prefix and typo units are ASCII: only these can match
    if forms.prefix:
        for token in roman:
            if token.startswith(text):
                for code in where[token]:
                    out.setdefault(code, "prefix")
    if forms.cjk:
        norm = cand.doc["norm"]
        for field, code in FIELD_CODES.items():
            if code not in out and text in norm.get(field, ""):
                out[code] = "ngram"
    d = forms.fuzzy
    if d:
        for token in roman:
            fuzzy = [c for c in where[token] if c in _FUZZY_CODES and c not in out]
            if fuzzy and token.isascii() and Levenshtein.distance(text, token, score_cutoff=d) <= d:
                out.update(dict.fromkeys(fuzzy, "fuzzy"))
    return out


def _form_terms(unit: Unit, form: str) -> tuple[str, ...]:
    """The query-side strings a word form matches with."""
    if form == "alias":
        return tuple(unit.alias_terms)
    if form == "synonym":
        return tuple(unit.synonyms)
    if form == "subword":
        return tuple(unit.subwords)
    if form in ("original", "ngram"):
        return (unit.text,)
    return ()


def _category_weight(unit: Unit, form: str, cand: Candidate, w: Weights) -> float:
    """A category match counts fully only in the listing's own (last, most specific)
    category; one only in the broad top-level category counts ``w.top_category``.

    The own category is judged with the forms in the same order as the field, so
    a synonym there does not borrow the weight of the original word found only in
    the top level.
    """
    best = w.top_category * w.form[form]
    own = cand.doc["norm"].get(f.CATEGORY, "").rsplit(NORM_SEP, 1)[-1]
    for own_form in FORM_ORDER:
        if any(t in own for t in _form_terms(unit, own_form)):
            return max(best, w.field[f.CATEGORY] * w.form[own_form])
    return best


def _subword_share(unit: Unit, code: str, cand: Candidate) -> float:
    """Share of a compound's inner words the field holds."""
    return sum(code in cand.where.get(s, "") for s in unit.subwords) / len(unit.subwords)


def _pinyin_form(unit: Unit, cand: Candidate) -> tuple[str, str] | None:
    if unit.text in cand.pinyin:
        return f.PINYIN, "pinyin"
    if unit.text in cand.initials:
        return f.INITIALS, "initials"
    if unit.last and len(unit.text) >= MIN_PREFIX_LEN:
        if any(p.startswith(unit.text) for p in cand.pinyin):
            return f.PINYIN, "prefix"
        if any(p.startswith(unit.text) for p in cand.initials):
            return f.INITIALS, "prefix"
    return None


def unit_match(query: ParsedQuery, unit: Unit, cand: Candidate, w: Weights) -> UnitMatch | None:
    """The best way ``unit`` matches ``cand``, or None.

    Matches in further fields close part of the gap between the best match and
    1 (``w.breadth`` × their summed weight, at most all of it): a listing whose
    keywords, category and description all carry the word is more about it
    than one that mentions it once, yet never beats a whole-name match.
    """
    best_weight = -1.0
    best_field = best_form = ""
    total = 0.0
    forms = _forms(query, unit)
    found = _word_forms(unit, forms, cand)
    if forms.prefix or forms.cjk or forms.fuzzy:
        found = {**_loose_forms(unit, forms, cand), **found}
    literal = unit.sense == "literal"
    for field, code in FIELD_CODES.items():
        form = found.get(code)
        if form is None or (literal and code == _BRAND):
            continue
        if code == _CATEGORY:
            weight = _category_weight(unit, form, cand, w)
        else:
            weight = w.field[field] * w.form[form]
        if form == "subword":
            weight *= _subword_share(unit, code, cand)
        total += weight
        if weight > best_weight:
            best_weight, best_field, best_form = weight, field, form
    if best_form and total > best_weight:
        extra = best_weight + (1.0 - best_weight) * min(1.0, w.breadth * (total - best_weight))
        best_weight = max(best_weight, extra)
    if query.latin_only and unit.latin:
        hit = _pinyin_form(unit, cand)
        if hit is not None:
            weight = w.field[hit[0]] * w.form[hit[1]]
            if weight > best_weight:
                best_weight, best_field, best_form = weight, hit[0], hit[1]
    if not best_form:
        return None
    return UnitMatch(unit.text, best_field, best_form, best_weight)


def unit_matches(query: ParsedQuery, cand: Candidate, w: Weights) -> list[UnitMatch | None]:
    """One entry per query unit."""
    return [unit_match(query, u, cand, w) for u in query.units]


def text_match(query: ParsedQuery, cand: Candidate, w: Weights) -> float:
    """Mean best match weight over the query's units, in [0, 1]."""
    if not query.units:
        return 0.0
    matches = unit_matches(query, cand, w)
    return sum(m.weight for m in matches if m is not None) / len(query.units)
