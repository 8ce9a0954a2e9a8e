"""The Python back-end of the ranking: a :class:`~search.rank.clauses.Ranking` evaluated on one
listing's indexed terms, part by part.

It is the readable statement of what the engine computes (``search.rank.compile``):
tests compare the engine's scores and order with it, and ``explain`` (``debug=true``,
``mpsearch search --explain``) prints its parts for the cards of a page. The terms are
those the index holds for the listing (``indexer.document.field_terms``), so both
back-ends match against the same tokens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from indexer import schema as f
from indexer.document import IndexFields, field_terms
from search.rank.clauses import Clause, Group, Match, Ranking, UnitPart
from search.rank.popularity import popularity_part

_TAIL = re.compile(r"[0-9a-z]+")
Terms = Mapping[str, frozenset[str | int]]


@dataclass(frozen=True, slots=True)
class ListingTerms:
    """What the index holds for one listing: terms per field and its monthly users."""

    terms: Terms
    monthly_active_users: int

    @classmethod
    def of(cls, fields: IndexFields) -> ListingTerms:
        terms: dict[str, frozenset[str | int]] = dict(field_terms(fields))
        numbers = {name: value for name, value in fields if isinstance(value, int | float)}
        terms[f.OFFICIAL] = frozenset({int(numbers.get(f.OFFICIAL, 0))})
        return cls(terms, int(numbers.get(f.POPULARITY, 0)))


def match_share(m: Match, terms: Terms) -> float:
    """How much of ``m`` the listing holds: 1 or 0, a fraction for ``share``."""
    if m.kind == "every":
        return 1.0
    held = terms.get(m.field, frozenset())
    if m.kind == "term":
        return float(m.values[0] in held)
    if m.kind == "any":
        return float(any(v in held for v in m.values))
    if m.kind == "all":
        return float(all(v in held for v in m.values))
    if m.kind == "share":
        return sum(v in held for v in m.values) / len(m.values)
    text = str(m.values[0])
    if m.kind == "prefix":
        return float(
            any(
                isinstance(t, str) and t.startswith(text) and _TAIL.fullmatch(t, len(text))
                for t in held
            )
        )
    return float(
        any(
            isinstance(t, str) and OSA.distance(text, t, score_cutoff=m.distance) <= m.distance
            for t in held
        )
    )


def best_clause(g: Group, terms: Terms) -> tuple[float, Clause | None]:
    """A group's score (its best matching clause) and that clause."""
    best, which = 0.0, None
    for c in g.clauses:
        score = c.weight * match_share(c.match, terms)
        if score > best:
            best, which = score, c
    return best, which


@dataclass(frozen=True, slots=True)
class UnitScore:
    """How one query word scored: its best group's clause and the word's score."""

    text: str
    score: float  # weight × (best + breadth × others)
    best: Clause | None  # None: the word does not match
    best_score: float  # the best group's score alone


def unit_score(u: UnitPart, terms: Terms, breadth: float, second_tier: bool) -> UnitScore:
    scores = [best_clause(g, terms) for g in u.groups if second_tier or not g.second_tier]
    matched = [(s, c) for s, c in scores if c is not None]
    if not matched:
        return UnitScore(u.text, 0.0, None, 0.0)
    top, clause = max(matched, key=lambda sc: sc[0])
    total = sum(s for s, _ in matched)
    return UnitScore(u.text, u.weight * (top + breadth * (total - top)), clause, top)


@dataclass(slots=True)
class Scored:
    """A listing's score and the parts it is made of (they add up to ``score``)."""

    score: float
    parts: dict[str, float] = field(default_factory=dict)
    units: list[UnitScore] = field(default_factory=list)

    def matches_every_word(self) -> bool:
        return all(u.best is not None for u in self.units)


def score(ranking: Ranking, listing: ListingTerms, second_tier: bool = True) -> Scored:
    """The listing's score for ``ranking``, part by part; ``second_tier``: as the engine
    scores from its second tier of results on (descriptions count)."""
    units = [unit_score(u, listing.terms, ranking.breadth, second_tier) for u in ranking.units]
    parts = {"text": sum(u.score for u in units)}
    for g in ranking.priors:
        parts[g.name] = parts.get(g.name, 0.0) + best_clause(g, listing.terms)[0]
    base = sum(parts.values())
    national = f.NATIONAL in listing.terms.get(f.REGION, frozenset())
    mau = listing.monthly_active_users
    parts["popularity"] = popularity_part(base, mau, ranking.popularity, national)
    return Scored(base + parts["popularity"], parts, units)
