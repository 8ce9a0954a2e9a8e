"""Need: what a query asks for when its words are not the service's name.

A query read by :class:`indexer.intent.IntentReader` names needs (叫车, 查快递: the need
lexicon, ``dictionaries/needs.txt``) and likely categories (the version's query →
category model, with the lexicon's categories). Two parts of the score come from it:

- ``service``: the listing's names, keywords, categories or showcase titles hold one of the
  lexicon's service words for the query's needs (打车 → 网约车, 专车): the words the
  listings that serve the need use. The best field counts, as for a query word.
- ``category`` and ``category_top``: the listing is in a sub-category (``Top/sub``) or a
  top-level category the query predicts, worth the prediction's probability (the need
  lexicon's categories are certain); the best of each level counts.
- ``region``: the query names a place and the listing serves its province or no region
  in particular: a listing for another region ranks below both (the place's own listings
  also match the place word, ``search.rank.text``, so they lead the national ones).

``route`` says which listings a need query retrieves beyond those its words match:
those holding a service word, and those of the sub-categories predicted with at least
``ROUTE_MIN`` (so 打车 reaches ride-hailing listings whose text says only 网约车).
``scope``: the top-level categories of every prediction; a listing matching only some
of a need query's words must be in one (宠物医院 does not bring people's hospitals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from indexer import schema as f
from indexer.analysis import Analyzer
from indexer.intent import Intent
from search.rank.clauses import Clause, Group, Match
from search.rank.weights import Weights

SERVICE_FIELDS = (f.NAME, f.KEYWORDS, f.CATEGORY, f.SHOWCASE)
"""Where a service word counts: what a listing says it is and does."""

CATEGORY_MIN = 0.1  # a predicted category less likely than this says nothing
ROUTE_MIN = 0.3  # a sub-category predicted at least this likely retrieves its listings
CATEGORIES_MAX = 6  # predictions used, best first


class NeedPart(NamedTuple):
    """The need of a query as ranking and retrieval use it."""

    groups: tuple[Group, ...]  # service and category parts of the score
    service_terms: tuple[str, ...]  # index terms of the service words
    route_categories: tuple[str, ...]  # Top/sub categories whose listings it retrieves
    scope: tuple[str, ...]  # top-level categories a listing matching some words must be in


NO_NEED = NeedPart((), (), (), ())


def service_terms(intent: Intent, analyzer: Analyzer) -> tuple[str, ...]:
    """The service words of the query's needs as index terms: each word the analyzer
    keeps whole (a service word it cuts would match its parts' listings)."""
    out: list[str] = []
    for word in intent.service_words:
        tokens = analyzer.tokens(word, "query")
        if len(tokens) == 1:
            out.append(tokens[0])
    return tuple(dict.fromkeys(out))


def need_part(
    intent: Intent, analyzer: Analyzer, w: Weights, places: Sequence[str] = ()
) -> NeedPart:
    """The need part of a query's ranking (empty when it states no need); ``places``: the
    provinces of the places the query names."""
    groups: list[Group] = []
    terms = service_terms(intent, analyzer)
    if terms and w.service:
        clauses = tuple(
            Clause(Match("any", fn, terms), w.service * w.field[fn], fn, "service")
            for fn in SERVICE_FIELDS
        )
        groups.append(Group("service", clauses))
    likely = {c.category: c.score for c in intent.categories if c.score >= CATEGORY_MIN}
    likely = dict(list(likely.items())[:CATEGORIES_MAX])
    for need in intent.needs:  # the lexicon says so: certain
        likely.update(dict.fromkeys(need.categories, 1.0))
    for name, weight, level in (
        ("category", w.category, [(c, p) for c, p in likely.items() if "/" in c]),
        ("category_top", w.category_top, [(c, p) for c, p in likely.items() if "/" not in c]),
    ):
        if level and weight:
            clauses = tuple(
                Clause(Match("term", f.CATEGORY_PATH, (c,)), weight * p, f.CATEGORY_PATH, name)
                for c, p in level
            )
            groups.append(Group(name, clauses))
    if places and w.region:
        match = Match("any", f.REGION, (f.NATIONAL, *places))
        groups.append(Group("region", (Clause(match, w.region, f.REGION, "region"),)))
    route = tuple(path for path, p in likely.items() if "/" in path and p >= ROUTE_MIN)
    scope = tuple(dict.fromkeys(path.split("/", 1)[0] for path in likely))
    return NeedPart(tuple(groups), terms, route, scope)
