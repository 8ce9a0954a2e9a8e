"""Exactness: the whole query is the listing's name or one of its brand's names and aliases.

Worth ``exact`` as written (case, width, spaces, punctuation and traditional characters
folded away), and ``exact × exact_spelled`` when a Latin-only query is the full pinyin or
the initials (three letters or more: two name too many things) of such a name.
"""

from __future__ import annotations

from indexer import schema as f
from search.query import ParsedQuery
from search.rank.clauses import Clause, Group, Match
from search.rank.weights import Weights


def exact_group(query: ParsedQuery, w: Weights) -> Group | None:
    """The exactness prior of a query, or None for an empty one."""
    if not query.compact:
        return None
    clauses = [Clause(Match("term", f.EXACT, (query.compact,)), w.exact, f.EXACT, "original")]
    if query.latin_only:
        spelled = Match("term", f.EXACT_SPELLED, (query.compact,))
        clauses.append(Clause(spelled, w.exact * w.exact_spelled, f.EXACT, "pinyin"))
    return Group("exact", tuple(clauses))
