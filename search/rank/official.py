"""Official beats unofficial: listings owned by the brand the query names get a lift."""

from __future__ import annotations

from search.query import ParsedQuery
from search.rank.candidate import Candidate
from search.rank.weights import Weights


def brand_relation(query: ParsedQuery, cand: Candidate, w: Weights) -> float:
    """The brand lift of one candidate (already weighted).

    The whole query names brand B: B's official listings get ``official`` (its
    main one a little more), B's dealers ``brand_listing``. One word among
    several names B: B's official listings get ``mentioned_official``.
    """
    brand_id = cand.brand_id
    if not brand_id:
        return 0.0
    official = cand.official
    res = query.resolution
    if res is not None and res.unique == brand_id:
        if not official:
            return w.brand_listing
        return w.official + (w.main_official if cand.doc.get("main") else 0.0)
    if official and any(brand_id in u.brand_ids for u in query.units if len(query.units) > 1):
        return w.mentioned_official
    return 0.0
