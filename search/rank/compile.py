"""The engine back-end of the ranking: a :class:`~search.rank.clauses.Ranking` as tantivy queries.

Every clause is a constant-score query worth its weight, so a listing's score is the
ranking function itself, not BM25: a group is a disjunction-max without tie-breaker (its
best clause), a word is a disjunction-max of its groups with ``breadth`` as the
tie-breaker (best + breadth × the others) boosted by the word's weight, and the score
adds the words and priors up. tantivy multiplies it by the popularity factor
(``weight_by_field=schema.PRIOR``) and returns the page in final order.

Clauses on terms the index does not hold are left out: they could match nothing, so no
listing's score changes, and for long queries they are most of the clauses (the query
gets cheaper to build and to run).
"""

from __future__ import annotations

from collections.abc import Sequence

import tantivy

from indexer import schema as f
from search.prefix import regex_query
from search.rank.clauses import Clause, Group, Ranking, UnitPart

Occur = tantivy.Occur
Query = tantivy.Query
Clauses = list[tuple[tantivy.Occur, tantivy.Query]]
LATIN_TAIL = "[0-9a-z]"
"""What may follow a typed Latin prefix inside a token: normalised Latin tokens are
lower-case ASCII letters and digits, and a small class compiles to a small automaton."""


def nothing(query: Query) -> Query:
    """``query`` as a pure filter: it decides what matches and adds nothing to the score."""
    return Query.const_score_query(query, 0.0)


MAX_KNOWN_TERMS = 100_000  # document frequencies kept per searcher


class Compiler:
    """Turns rankings into tantivy queries for one searcher (its terms decide what is left
    out)."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema) -> None:
        self.searcher = searcher
        self.schema = schema
        self._df: dict[tuple[str, str | int], int] = {}

    def df(self, field: str, value: str | int) -> int:
        """How many listings hold the term (answers kept: the searcher never changes)."""
        key = (field, value)
        known = self._df.get(key)
        if known is None:
            if len(self._df) >= MAX_KNOWN_TERMS:
                self._df.clear()
            known = self._df[key] = self.searcher.doc_freq(field, value)
        return known

    def held(self, field: str, value: str | int) -> bool:
        """Whether any listing holds the term."""
        return self.df(field, value) > 0

    def term(self, field: str, value: str | int) -> Query:
        return Query.term_query(self.schema, field, value)

    def any_of(self, field: str, values: Sequence[str | int]) -> Query:
        """Listings whose ``field`` holds one of ``values`` (scored as tantivy scores a union
        of terms: use it as a filter, or under :func:`nothing`).

        A union of term queries, not tantivy's term set query: that one walks the field's
        whole term dictionary (0.2 ms for two names at 100k listings, against microseconds).
        """
        if len(values) == 1:
            return self.term(field, values[0])
        return Query.boolean_query([(Occur.Should, self.term(field, v)) for v in values])

    def clause(self, c: Clause) -> Query | None:
        """The clause as a query, or None when it can match nothing."""
        m = c.match
        if m.kind == "term":
            if not self.held(m.field, m.values[0]):
                return None
            q = self.term(m.field, m.values[0])
        elif m.kind == "any":
            values = [v for v in m.values if self.held(m.field, v)]
            if not values:
                return None
            q = self.any_of(m.field, values)
        elif m.kind == "all":
            if not all(self.held(m.field, v) for v in m.values):
                return None
            terms = [(Occur.Must, self.term(m.field, v)) for v in m.values]
            q = terms[0][1] if len(terms) == 1 else Query.boolean_query(terms)
        elif m.kind == "share":
            share = c.weight / len(m.values)  # of all the values, held or not
            parts = [
                (Occur.Should, Query.const_score_query(self.term(m.field, v), share))
                for v in m.values
                if self.held(m.field, v)
            ]
            if not parts:
                return None
            return parts[0][1] if len(parts) == 1 else Query.boolean_query(parts)
        elif m.kind == "prefix":
            q = regex_query(self.schema, m.field, f"{m.values[0]}{LATIN_TAIL}+")
        else:  # fuzzy
            q = Query.fuzzy_term_query(self.schema, m.field, str(m.values[0]), m.distance, True)
        return Query.const_score_query(q, c.weight)

    def group(self, g: Group) -> Query | None:
        """A group's query, or None when it can match nothing."""
        qs = [q for q in (self.clause(c) for c in g.clauses) if q is not None]
        if not qs:
            return None
        return qs[0] if len(qs) == 1 else Query.disjunction_max_query(qs, 0.0)

    def unit(self, u: UnitPart, breadth: float, second_tier: bool) -> Query | None:
        """A query word: matches when any of its groups does; scores as the ranking says.
        None when no listing can match it."""
        groups = [self.group(g) for g in u.groups]
        return self.combine(u, groups, breadth, second_tier)

    @staticmethod
    def combine(
        u: UnitPart, groups: Sequence[Query | None], breadth: float, second_tier: bool
    ) -> Query | None:
        """A word's query from its groups' (None: the group can match nothing)."""
        qs = [
            q
            for g, q in zip(u.groups, groups, strict=True)
            if q is not None and (second_tier or not g.second_tier)
        ]
        if not qs:
            return None
        q = qs[0] if len(qs) == 1 else Query.disjunction_max_query(qs, breadth)
        return Query.boost_query(q, u.weight)


class Compiled:
    """One ranking's tantivy queries: each word and prior built on first use, then reused by
    every tier of the same search."""

    def __init__(self, compiler: Compiler, ranking: Ranking) -> None:
        self.compiler = compiler
        self.ranking = ranking
        self._groups: dict[int, list[Query | None]] = {}
        self._units: dict[tuple[int, bool], Query | None] = {}
        self._priors: Clauses | None = None

    def unit(self, i: int, second_tier: bool) -> Query | None:
        """Word ``i``'s query, or None when no listing can match it."""
        key = (i, second_tier)
        if key not in self._units:
            u = self.ranking.units[i]
            groups = self._groups.get(i)
            if groups is None:
                groups = self._groups[i] = [self.compiler.group(g) for g in u.groups]
            breadth = self.ranking.breadth
            self._units[key] = self.compiler.combine(u, groups, breadth, second_tier)
        return self._units[key]

    def priors(self) -> Clauses:
        if self._priors is None:
            groups = (self.compiler.group(g) for g in self.ranking.priors)
            self._priors = [(Occur.Should, q) for q in groups if q is not None]
        return self._priors

    def query(
        self,
        filters: Clauses,
        second_tier: bool,
        among: Sequence[int] | None = None,
        also: Query | None = None,
    ) -> Query | None:
        """Listings that match every word (or, with ``among``, at least one of those words),
        or ``also``, scored by the ranking; ``filters`` decide visibility. None when no
        listing can match.

        Words that are not required still add to the score of the listings that hold them.
        """
        n = len(self.ranking.units)
        units = [self.unit(i, second_tier) for i in range(n)]
        held = [(i, q) for i, q in enumerate(units) if q is not None]
        if also is None and among is None:
            if not n or len(held) < n:  # a word no listing holds: nothing matches all
                return None
            scoring: Clauses = [(Occur.Must, q) for _, q in held]
        elif also is None:
            assert among is not None
            chosen = set(among)
            coverage = [(Occur.Should, q) for i, q in held if i in chosen]
            if not coverage:
                return None
            scoring = [(Occur.Must, Query.boolean_query(coverage, 1))]
            scoring += [(Occur.Should, q) for i, q in held if i not in chosen]
        else:
            routes = [(Occur.Should, also)]
            if held and len(held) == n:
                every = Query.boolean_query([(Occur.Must, q) for _, q in held])
                routes.append((Occur.Should, nothing(every)))
            scoring = [(Occur.Must, nothing(Query.boolean_query(routes)))]
            scoring += [(Occur.Should, q) for _, q in held]
        return Query.boolean_query([*scoring, *self.priors(), *filters])

    def scored_among(self, appids: Sequence[str], filters: Clauses) -> Query:
        """The listings ``appids`` (if visible), each with its full score whatever it
        matches: how the brand zone's card is scored."""
        n = len(self.ranking.units)
        units = [(Occur.Should, q) for q in (self.unit(i, True) for i in range(n)) if q]
        chosen = nothing(self.compiler.any_of(f.APPID, appids))
        return Query.boolean_query([(Occur.Must, chosen), *units, *self.priors(), *filters])
