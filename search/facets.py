"""Category facets: how many matches of a search fall in each top-level category.

Counted by tantivy's terms aggregation over ``schema.CATEGORY_FACET`` (the top-level
category, a raw fast field) for the query that found the matches, never by Python over
hits: every match is counted, not only the page's. A listing has one top-level category,
so the counts add up to the search's ``total`` and are exact when it is.
"""

from __future__ import annotations

from typing import Any, Final

import tantivy

from indexer import schema as f

FACET_BUCKETS: Final = 64
"""Buckets asked of the aggregation: more than there are top-level categories (20), so
every category is counted exactly (tantivy's terms aggregation is exact below its size)."""


def category_facets(searcher: tantivy.Searcher, query: tantivy.Query) -> list[dict[str, Any]]:
    """``[{value, count}]`` of the top-level categories of the matches of ``query``, most
    matches first (ties by name)."""
    spec = {"category": {"terms": {"field": f.CATEGORY_FACET, "size": FACET_BUCKETS}}}
    buckets = searcher.aggregate(query, spec)["category"]["buckets"]
    counts = [{"value": str(b["key"]), "count": int(b["doc_count"])} for b in buckets]
    return sorted(counts, key=lambda c: (-c["count"], c["value"]))
