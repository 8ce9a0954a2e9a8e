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

from collections.abc import Callable, Sequence

import tantivy

from indexer import schema as f
from search.prefix import regex_query
from search.rank.clauses import Clause, Group, Ranking, UnitPart

COVERED = frozenset(f.COVERED_FIELDS)

Occur = tantivy.Occur
Query = tantivy.Query
Clauses = list[tuple[tantivy.Occur, tantivy.Query]]
LATIN_TAIL = "[0-9a-z]"
"""What may follow a typed Latin prefix inside a token: normalised Latin tokens are
lower-case ASCII letters and digits, and a small class compiles to a small automaton."""


def _any(queries: Sequence[Query]) -> Query:
    return Query.boolean_query([(Occur.Should, q) for q in queries])


def nothing(query: Query) -> Query:
    """``query`` as a pure filter: it decides what matches and adds nothing to the score."""
    return Query.const_score_query(query, 0.0)


MAX_KNOWN_TERMS = 100_000  # document frequencies kept per searcher
BROAD_SHARE = 0.2  # a prior's term held by more of the listings is joined to the match
BROAD_MIN = 1000


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

    def clause(self, c: Clause) -> list[Query]:
        """The clause as queries of which the best one counts: one, or one per value of an
        ``any`` clause (a union inside a union costs more than one union of them all);
        none when the clause can match nothing."""
        m = c.match
        if m.kind == "every":
            return [Query.const_score_query(Query.all_query(), c.weight)]
        if m.kind in ("term", "any"):
            return [
                Query.const_score_query(self.term(m.field, v), c.weight)
                for v in m.values
                if self.held(m.field, v)
            ]
        if m.kind == "all":
            if not all(self.held(m.field, v) for v in m.values):
                return []
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
                return []
            return [parts[0][1] if len(parts) == 1 else Query.boolean_query(parts)]
        elif m.kind == "prefix":
            q = regex_query(self.schema, m.field, f"{m.values[0]}{LATIN_TAIL}+")
        else:  # fuzzy
            q = Query.fuzzy_term_query(self.schema, m.field, str(m.values[0]), m.distance, True)
        return [Query.const_score_query(q, c.weight)]

    def alternatives(self, g: Group) -> list[Query]:
        """A group's clauses as queries of which the best one counts."""
        return [q for c in g.clauses for q in self.clause(c)]

    def group(self, g: Group) -> Query | None:
        """A group's query (its best clause), or None when it can match nothing."""
        return _best(self.alternatives(g), 0.0)

    def broad(self, g: Group) -> bool:
        """Whether a term of ``g``'s clauses is held by more than ``BROAD_SHARE`` of the
        listings (and ``BROAD_MIN``)."""
        least = max(BROAD_MIN, BROAD_SHARE * self.searcher.num_docs)
        return any(
            c.match.kind in ("term", "any") and self.df(c.match.field, v) > least
            for c in g.clauses
            for v in c.match.values
        )

    def unit(self, u: UnitPart, breadth: float, second_tier: bool) -> Query | None:
        """A query word: matches when any of its groups does; scores as the ranking says.
        None when no listing can match it."""
        groups = [self.alternatives(g) for g in u.groups if second_tier or not g.second_tier]
        return self.combine(u, groups, breadth)

    def cover(
        self,
        u: UnitPart,
        second_tier: bool,
        compiled: Callable[[int, int, Clause], list[Query]] | None = None,
    ) -> Query | None:
        """The listings word ``u`` matches (no score: they are scored by its clauses), looked
        up where fewest posting lists hold them: a word, alias, synonym or inner word of the
        first-tier fields but the brand's in ``COVER_WORDS``, a word's one n-gram in
        ``COVER_GRAMS``, every other clause as itself (``compiled``: the clause ``k`` of
        group ``j`` as already compiled). None when no listing matches."""
        terms: dict[tuple[str, str | int], None] = {}
        others: list[Query] = []
        for j, g in enumerate(u.groups):
            if g.second_tier and not second_tier:
                continue
            covered = g.name in COVERED
            for k, c in enumerate(g.clauses):
                m = c.match
                if covered and m.kind in ("term", "any", "share") and m.field == g.name:
                    terms.update(((f.COVER_WORDS, v), None) for v in m.values)
                elif covered and m.kind == "all" and m.field == f.GRAMS and len(m.values) == 1:
                    terms[(f.COVER_GRAMS, str(m.values[0])[1:])] = None  # the field's code off
                else:
                    others += compiled(j, k, c) if compiled is not None else self.clause(c)
        alternatives = [self.term(fn, v) for fn, v in terms if self.held(fn, v)] + others
        if not alternatives:
            return None
        if len(alternatives) == 1:
            return alternatives[0]
        return Query.boolean_query([(Occur.Should, q) for q in alternatives])

    @staticmethod
    def combine(u: UnitPart, groups: Sequence[list[Query]], breadth: float) -> Query | None:
        """A word's query from the alternatives of the groups that count. Without breadth
        the word's score is its best clause over every group: one disjunction-max of them
        all, not one per group (each costs tantivy a union's buffers)."""
        if breadth == 0.0:
            q = _best([q for qs in groups for q in qs], 0.0)
        else:
            q = _best([g for g in (_best(qs, 0.0) for qs in groups) if g is not None], breadth)
        return None if q is None else Query.boost_query(q, u.weight)


def _floored(g: Group) -> tuple[Group, float]:
    """A group as its floor (its best ``every`` clause, which every listing earns) and the
    rest: its other clauses worth what they add to the floor (the best clause counts, so
    max(floor, w) = floor + max(0, w - floor)); those worth no more drop out. (A group with
    a floor holds no ``share`` clause, which may match in part.)"""
    floor = max((c.weight for c in g.clauses if c.match.kind == "every"), default=0.0)
    if not floor:
        return g, 0.0
    rest = tuple(
        c._replace(weight=c.weight - floor)
        for c in g.clauses
        if c.match.kind != "every" and c.weight > floor
    )
    return g._replace(clauses=rest), floor


def _best(qs: list[Query], tie_breaker: float) -> Query | None:
    """The best of ``qs`` plus ``tie_breaker`` × the others; None for none."""
    if not qs:
        return None
    return qs[0] if len(qs) == 1 else Query.disjunction_max_query(qs, tie_breaker)


class Compiled:
    """One ranking's tantivy queries: each word and prior built on first use, then reused by
    every tier of the same search."""

    def __init__(self, compiler: Compiler, ranking: Ranking) -> None:
        self.compiler = compiler
        self.ranking = ranking
        self._groups: dict[tuple[int, int], list[Query]] = {}
        self._clauses: dict[tuple[int, int, int], list[Query]] = {}
        self._units: dict[tuple[int, bool], Query | None] = {}
        self._covers: dict[tuple[int, bool], Query | None] = {}
        self._priors: Clauses | None = None
        self._broad: Clauses = []
        self._floor = 0.0

    def unit(self, i: int, second_tier: bool) -> Query | None:
        """Word ``i``'s query, or None when no listing can match it."""
        key = (i, second_tier)
        if key not in self._units:
            u = self.ranking.units[i]
            groups = [
                self._alternatives(i, j, g)
                for j, g in enumerate(u.groups)
                if second_tier or not g.second_tier
            ]
            self._units[key] = self.compiler.combine(u, groups, self.ranking.breadth)
        return self._units[key]

    def cover(self, i: int, second_tier: bool) -> Query | None:
        """The listings word ``i`` matches, unscored; None when none does."""
        key = (i, second_tier)
        if key not in self._covers:
            u = self.ranking.units[i]
            self._covers[key] = self.compiler.cover(
                u, second_tier, lambda j, k, c: self._clause(i, j, k, c)
            )
        return self._covers[key]

    def _clause(self, i: int, j: int, k: int, c: Clause) -> list[Query]:
        """Clause ``k`` of group ``j`` of word ``i``, compiled once (scores and covers share
        it)."""
        qs = self._clauses.get((i, j, k))
        if qs is None:
            qs = self._clauses[(i, j, k)] = self.compiler.clause(c)
        return qs

    def _alternatives(self, i: int, j: int, g: Group) -> list[Query]:
        """Group ``j`` of word ``i``, compiled once (the second tier reuses the first's)."""
        alts = self._groups.get((i, j))
        if alts is None:
            alts = [q for k, c in enumerate(g.clauses) for q in self._clause(i, j, k, c)]
            self._groups[(i, j)] = alts
        return alts

    def priors(self) -> Clauses:
        """The priors held by few enough listings to stand alone (see ``narrowed_priors``).
        A prior's ``every`` clause is a floor every listing earns: one constant for them all
        (see ``narrowed_priors``), the prior's other clauses worth what they add to it."""
        if self._priors is None:
            self._priors, self._broad = [], []
            for g in self.ranking.priors:
                g, floor = _floored(g)
                self._floor += floor
                q = self.compiler.group(g)
                if q is not None:
                    broad = self.compiler.broad(g)
                    (self._broad if broad else self._priors).append((Occur.Should, q))
        return self._priors

    def narrowed_priors(self, match: Query) -> Clauses:
        """Every prior, those of terms held by a large share of the listings (``broad``)
        each joined to the tier's ``match``: the same scores, but tantivy then walks the
        matches' postings of that term instead of buffering its whole posting list in the
        union of the optional clauses. The priors' floors are one required constant: the
        whole index as a docset, which a search steps through without reading postings."""
        narrow = self.priors()
        wide = [
            (Occur.Should, Query.boolean_query([(Occur.Must, nothing(match)), (Occur.Must, q)]))
            for _, q in self._broad
        ]
        floor = self._floor
        every = [(Occur.Must, Query.const_score_query(Query.all_query(), floor))] if floor else []
        return [*narrow, *wide, *every]

    def query(
        self,
        filters: Clauses,
        second_tier: bool,
        among: Sequence[int] | None = None,
        among_second_tier: bool = True,
        also: Query | None = None,
        scope: Query | None = None,
        scored: bool = True,
    ) -> Query | None:
        """Listings that match every word, or ``also``, or (with ``among``) at least one of
        those words, scored by the ranking (``second_tier``: descriptions count, in the
        score and in matching every word); ``filters`` decide visibility. Matching one of
        the ``among`` words counts descriptions only with ``among_second_tier``, and only
        within ``scope`` when given. None when no listing can match. ``scored=False``: the
        same listings, unscored (to count them).

        Words that are not required still add to the score of the listings that hold them.
        """
        n = len(self.ranking.units)
        if not n:
            return None
        if n == 1 and among is None and also is None:  # the word alone: match and score
            if not scored:
                alone = self.cover(0, second_tier)
                return (
                    None if alone is None else Query.boolean_query([(Occur.Must, alone), *filters])
                )
            word = self.unit(0, second_tier)
            if word is None:
                return None
            return Query.boolean_query([(Occur.Must, word), *self.narrowed_priors(word), *filters])
        # What matches is decided on the words' covers; scores come from their clauses.
        routes: list[Query] = []
        covers = [self.cover(i, second_tier) for i in range(n)]
        if all(c is not None for c in covers):
            every = [(Occur.Must, c) for c in covers if c is not None]
            routes.append(every[0][1] if n == 1 else Query.boolean_query(every))
        if also is not None:
            routes.append(also)
        if among is not None:
            some = [c for i in among if (c := self.cover(i, among_second_tier)) is not None]
            if some and scope is not None:
                one = some[0] if len(some) == 1 else _any(some)
                some = [Query.boolean_query([(Occur.Must, one), (Occur.Must, scope)])]
            routes += some
        if not routes:
            return None
        match = routes[0] if len(routes) == 1 else _any(routes)
        if not scored:
            return Query.boolean_query([(Occur.Must, nothing(match)), *filters])
        held = (self.unit(i, second_tier) for i in range(n))
        scoring = [(Occur.Should, q) for q in held if q is not None]
        return Query.boolean_query(
            [(Occur.Must, nothing(match)), *scoring, *self.narrowed_priors(match), *filters]
        )

    def scored_among(self, appids: Sequence[str], filters: Clauses) -> Query:
        """The listings ``appids`` (if visible), each with its full score whatever it
        matches: how the brand zone's card is scored."""
        n = len(self.ranking.units)
        units = [(Occur.Should, q) for q in (self.unit(i, True) for i in range(n)) if q]
        chosen = nothing(self.compiler.any_of(f.APPID, appids))
        priors = self.narrowed_priors(chosen)
        return Query.boolean_query([(Occur.Must, chosen), *units, *priors, *filters])
