"""search.facets through Engine.run, over the sample index.

Properties checked:
1. The category facets of a search add up to its total and count its matches of each
   top-level category; narrowing the search to one (category=value) finds every one of
   them again (and, with fewer than a page of them, may add weaker matches, as any search
   with fewer than a page does), on every host.
2. They count every match, not the page: a one-card page has the same facets.
3. Narrowing to a top-level category leaves one facet, that category; narrowing to a
   sub-category (咖啡) leaves only listings of it, whose facet is their top-level category.
4. Values are ordered by count, most first, then by name; a search with no match has none.
"""

from __future__ import annotations

import pytest

from search.engine import Engine, SearchRequest

QUERIES = ["咖啡", "LV", "打车", "奶茶", "外卖", "手机"]
HOSTS = ("jd", "qqbrowser", "samsung")


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("host", HOSTS)
def test_facets_add_up(engine: Engine, q: str, host: str) -> None:
    result = engine.run(SearchRequest(q=q, host=host, limit=50))
    assert result.total <= 50  # every match is on the page
    facets = result.facets["category"]
    assert sum(c["count"] for c in facets) == result.total
    for facet in facets:
        matches = {c["appid"] for c in result.results if c["category"][0] == facet["value"]}
        assert len(matches) == facet["count"], facet
        narrowed = engine.run(SearchRequest(q=q, host=host, limit=50, category=facet["value"]))
        assert matches <= {c["appid"] for c in narrowed.results}
    page = engine.run(SearchRequest(q=q, host=host, limit=1))
    assert page.facets == result.facets


def test_coffee_facets_and_narrowing(engine: Engine) -> None:
    result = engine.run(SearchRequest(q="咖啡", host="jd", limit=50))
    facets = result.facets["category"]
    assert facets[0]["value"] == "咖啡茶饮" and len(facets) > 1
    counts = [(-c["count"], c["value"]) for c in facets]
    assert counts == sorted(counts)
    top = engine.run(SearchRequest(q="咖啡", host="jd", limit=50, category="咖啡茶饮"))
    assert top.facets["category"] == [{"value": "咖啡茶饮", "count": top.total}]
    sub = engine.run(SearchRequest(q="咖啡", host="jd", limit=50, category="咖啡"))
    assert sub.total and all(card["category"][-1] == "咖啡" for card in sub.results)
    assert sub.facets["category"] == [{"value": "咖啡茶饮", "count": sub.total}]


def test_no_match_no_facets(engine: Engine) -> None:
    result = engine.run(SearchRequest(q="龘龘龘 qzxjvw", host="jd"))
    assert result.total == 0 and result.facets == {"category": []}
