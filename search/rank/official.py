"""Official beats unofficial: listings owned by the brand the query names get a lift, and any
brand-owned listing a small one.

The whole query names brand B: B's official listings get ``official`` (its main one
``main_official`` more), B's other listings (dealers) ``brand_listing``. One word among
several names B: B's official listings get ``mentioned_official``. Any official listing
is a first-party provider: ``first_party``.
"""

from __future__ import annotations

from indexer import schema as f
from indexer.brands import BrandTable
from search.query import ParsedQuery
from search.rank.clauses import Clause, Group, Match
from search.rank.weights import Weights


def brand_group(query: ParsedQuery, table: BrandTable, w: Weights) -> Group | None:
    """The brand relation prior, or None when the query names no brand."""
    res = query.resolution
    brand_id = res.unique if res is not None else None
    if brand_id is not None and brand_id in table.brands:
        main = table.brands[brand_id].official_appids[0]
        clauses = (
            Clause(Match("term", f.APPID, (main,)), w.official + w.main_official, "brand", "main"),
            Clause(Match("term", f.BRAND_OFFICIAL, (brand_id,)), w.official, "brand", "official"),
            Clause(Match("term", f.BRAND_DEALER, (brand_id,)), w.brand_listing, "brand", "dealer"),
        )
        return Group("brand", clauses)
    if len(query.units) < 2:
        return None
    named = tuple(dict.fromkeys(b for u in query.units for b in u.brand_ids))
    if not named:
        return None
    match = Match("any", f.BRAND_OFFICIAL, named)
    return Group("brand", (Clause(match, w.mentioned_official, "brand", "mentioned"),))


def first_party_group(w: Weights) -> Group:
    """Any official (brand-owned) listing."""
    return Group(
        "first_party",
        (Clause(Match("term", f.OFFICIAL, (1,)), w.first_party, f.OFFICIAL, "official"),),
    )
