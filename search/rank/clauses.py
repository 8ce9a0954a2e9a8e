"""The ranking function as data: what a listing must hold for each part of its score to count,
and what that part is worth.

A query becomes a :class:`Ranking` (plain named tuples: a query builds dozens of clauses,
most of them for every search); two back-ends evaluate the same one:
``search.rank.compile`` turns it into a tantivy query (the engine ranks every match
with it) and ``search.rank.reference`` evaluates it in Python on a listing's indexed
terms (the test oracle of the engine, and ``explain``).

    score    = (Σ units + Σ priors) × popularity factor (a need query's its own)
    unit     = weight × (best + breadth × (Σ others)) over its groups that match
               (second-tier groups only from the second tier of results on)
    group    = the best of its clauses that match (each field counts once per word)
    prior    = a group (exactness, brand relation, first party, recent use)
    clause   = weight × match (1 when the listing holds it; a share for ``share``)
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from indexer.priors import Prior

MatchKind = Literal["term", "any", "all", "share", "prefix", "fuzzy", "every"]


class Match(NamedTuple):
    """What a listing's ``field`` must hold.

    ``term``: the term ``values[0]``; ``any``: one of ``values``; ``all``: every one of
    ``values``; ``share``: the share of ``values`` it holds (0 to 1); ``prefix``: a term
    that starts with ``values[0]`` followed by one or more Latin letters or digits;
    ``fuzzy``: a term within ``distance`` edits of ``values[0]`` (a transposition is one
    edit); ``every``: whatever the listing holds (a part every result earns).
    """

    kind: MatchKind
    field: str
    values: tuple[str | int, ...]
    distance: int = 0


EVERY = Match("every", "", ())
"""Every listing: a part of the score that each result of a search earns."""


class Clause(NamedTuple):
    """One way a part of the query can match, what it is worth, and how explain names it."""

    match: Match
    weight: float
    field: str  # the field as explain names it
    form: str  # original, alias, synonym, subword, ngram, prefix, fuzzy, pinyin, initials, …


class Group(NamedTuple):
    """Clauses of which the best one that matches counts (one field of one word, or one
    prior). A ``second_tier`` group (descriptions) counts only in the engine's second tier
    of results and after."""

    name: str
    clauses: tuple[Clause, ...]
    second_tier: bool = False


class UnitPart(NamedTuple):
    """One query word: its groups (one per field and derived form) and its share of the
    text weight. Retrieval asks whether any group matches."""

    text: str
    weight: float
    groups: tuple[Group, ...]


class Ranking(NamedTuple):
    """The scoring of one query: its words, its priors, how fields add up, and the
    popularity prior that multiplies the score (``indexer.priors``)."""

    units: tuple[UnitPart, ...]
    priors: tuple[Group, ...]
    breadth: float
    popularity: Prior
