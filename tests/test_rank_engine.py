"""The engine against the Python reference of the ranking, on the sample index.

For every dev golden query (and more spellings: pinyin, initials, prefixes, typos,
recent appids), the engine's results are compared with the reference evaluated on every
listing of the sample catalog:

1. The same listings: the tier's matches (every word, or a named brand's listings, or one
   of the tier's words), visible in the host, the brand zone's own listing left out;
   ``total`` counts them exactly.
2. The same scores (to float precision: tantivy adds in single precision) and the same
   order, but between listings whose scores tie.
3. Pages are slices of one order: page after page gives the first 50 results.
4. Clauses on terms no listing holds are left out of the engine's query, and that changes
   no score (the scores above are the reference's, which keeps every clause).
5. A query seen again is kept understood per engine and host: the same text then reuses
   its compiled ranking (a need's leaders are the host's).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tantivy import Occur, Query

from indexer import schema as f
from indexer.document import analyse_fields
from indexer.models import Listing
from search.engine import Engine, Page, SearchRequest, Tier, Understood, _backfilled, tiers
from search.query import ParsedQuery
from search.rank import compile as compile_module
from search.rank import ranking
from search.rank.clauses import EVERY
from search.rank.compile import Compiled
from search.rank.need import NeedPart
from search.rank.reference import ListingTerms, Scored, score
from search.rank.weights import WEIGHTS
from search.relevance.eval import load_golden
from tests.conftest import GOLDEN, SAMPLE_LISTINGS

EXTRA = [
    ("xingbake", "jd"),
    ("xbk", "qqbrowser"),
    ("xingba", "jd"),
    ("luyiweid", "jd"),
    ("starbuks", "samsung"),
    ("louis vuiton", "jd"),
    ("coff", "jd"),
    ("咖啡 外卖 便宜", "jd"),
    ("查快递", "qqbrowser"),
    ("婚礼策划顺便买点半成品", "jd"),  # the unscoped last tier answers
    ("红富士苹果", "jd"),
    ("苹果手机", "jd"),
    ("麦当劳 早餐", "samsung"),
    ("小", "jd"),
    ("龘龘 qzxjvw", "jd"),
]
REL = 1e-5


def cases() -> list[tuple[str, str]]:
    golden = [(g.query, g.host) for g in load_golden(GOLDEN)]
    return list(dict.fromkeys(golden + EXTRA))


@pytest.fixture(scope="module")
def listings(engine: Engine) -> dict[str, tuple[Listing, ListingTerms]]:
    out = {}
    for line in SAMPLE_LISTINGS.read_bytes().splitlines():
        item = Listing.model_validate_json(line)
        brand = engine.table.brands.get(item.brand_id or "")
        out[item.appid] = (item, ListingTerms.of(analyse_fields(item, brand, engine.analyzer)))
    return out


def family(query: ParsedQuery, terms: ListingTerms) -> bool:
    """The engine's brand route for a longer query: a listing of a named brand, one of its
    officials, or a listing naming it by a spelling that identifies it."""
    units = [u for u in query.units if u.anchors]
    if len(query.units) < 2 or not units:
        return False
    held = terms.terms
    if held.get(f.BRAND_ID, frozenset()) & {b for u in units for b in u.anchors}:
        return True
    if held.get(f.APPID, frozenset()) & {a for u in units for a in u.officials}:
        return True
    spellings = {t for u in units for t in u.family_terms}
    return any(held.get(fn, frozenset()) & spellings for fn in f.WORD_FIELDS)


def serves(need: NeedPart, terms: ListingTerms) -> bool:
    """The engine's need route: a listing holding a service word of the query's need (every
    part of one the analyzer cuts) in its first-tier fields, in a sub-category the
    query predicts with confidence, or holding the word of a need requested in one of
    that need's top-level categories."""
    held = terms.terms
    words = held.get(f.COVER_WORDS, frozenset())
    paths = held.get(f.CATEGORY_PATH, frozenset())
    return bool(
        words & set(need.service_terms)
        or any(words.issuperset(parts) for parts in need.service_phrases)
        or paths & set(need.route_categories)
        or (words & set(need.named) and paths & set(need.named_tops))
    )


def matches(
    understood: Understood, tier: Tier, scored: Scored, first: Scored, terms: ListingTerms
) -> bool:
    """Whether the reference puts a listing among the tier's results: it holds every word
    (as scored), or is of a named brand, or serves the query's need, or holds one of the
    tier's words (in the fields of the first tier unless the tier counts descriptions
    there too) and is in the need's scope (when the tier keeps to it); ``first`` is the
    listing scored as in the first tier. A need naming a place takes only the listings of
    its ``regions``."""
    query, scope = understood.query, understood.need.scope
    regions = understood.need.regions
    if regions and not terms.terms.get(f.REGION, frozenset()) & set(regions):
        return False
    held = [u.best is not None for u in scored.units]
    every = bool(held) and all(held)
    also = family(query, terms) or (tier.need and serves(understood.need, terms))
    if tier.among is None:
        return every or also
    some = scored if tier.among_description else first
    in_scope = (
        not scope
        or not tier.scoped
        or bool(terms.terms.get(f.CATEGORY_PATH, frozenset()) & set(scope))
    )
    return every or also or (in_scope and any(some.units[i].best is not None for i in tier.among))


def engine_page(
    engine: Engine, q: str, host: str, recent: frozenset[str], limit: int, offset: int = 0
) -> tuple[list[tuple[str, float]], Page, str | None, ParsedQuery]:
    req = SearchRequest(q=q, host=host, limit=limit, offset=offset, recent=recent)
    understood = engine.understand(q, recent, host)
    parsed = understood.query
    zone, filters = engine._zone(understood, req, engine.filters(host))
    page = engine.rank(understood, req, filters)
    hits = [
        (engine._stored_listing(engine.searcher.doc(addr))["appid"], s) for s, addr in page.hits
    ]
    return hits, page, zone["card"]["appid"] if zone else None, parsed


def tie_groups(ranked: list[tuple[str, float]]) -> Iterator[set[str]]:
    """Appids in order, grouped where neighbouring scores tie (to float precision)."""
    group: set[str] = set()
    last: float | None = None
    for appid, s in ranked:
        if last is not None and abs(s - last) > REL * max(1.0, abs(s)):
            yield group
            group = set()
        group.add(appid)
        last = s
    if group:
        yield group


@pytest.mark.parametrize(("q", "host"), cases())
def test_engine_equals_reference(
    engine: Engine,
    listings: dict[str, tuple[Listing, ListingTerms]],
    q: str,
    host: str,
) -> None:
    recent = frozenset(list(listings)[:3])
    hits, page, zone, _ = engine_page(engine, q, host, recent, limit=50)
    understood = engine.understand(q, recent, host)
    scoring = understood.compiled.ranking
    expected: list[tuple[str, float]] = []
    for appid, (item, terms) in listings.items():
        if not item.visible_in(host) or appid == zone:
            continue
        s = score(scoring, terms, page.tier.description)
        if matches(understood, page.tier, s, score(scoring, terms, False), terms):
            expected.append((appid, s.score))
    expected.sort(key=lambda a: -a[1])
    assert page.total == len(expected), (q, page.tier)
    assert len(hits) == min(50, len(expected))
    want = dict(expected)
    for appid, got in hits:
        assert appid in want, (q, appid)
        assert got == pytest.approx(want[appid], rel=REL, abs=REL), (q, appid)
    # the same order but within ties (a tie at the page's end may hold others too)
    shown = list(tie_groups(hits))
    full = list(tie_groups(expected[: len(hits)]))
    assert [len(g) for g in shown[:-1]] == [len(g) for g in full[:-1]], q
    for a, b in zip(shown[:-1], full[:-1], strict=True):
        assert a == b, q


@pytest.mark.parametrize(("q", "host"), [("咖啡", "jd"), ("外卖", "jd"), ("优惠券", "qqbrowser")])
def test_pages_are_slices_of_one_order(engine: Engine, q: str, host: str) -> None:
    whole, page, _, _ = engine_page(engine, q, host, frozenset(), limit=50)
    assert page.total > 10
    pieces: list[tuple[str, float]] = []
    for offset in range(0, 50, 10):
        part, _, _, _ = engine_page(engine, q, host, frozenset(), limit=10, offset=offset)
        pieces += part
    assert [s for _, s in pieces] == pytest.approx([s for _, s in whole])
    assert {a for a, _ in pieces} == {a for a, _ in whole}


def test_clauses_on_absent_terms_are_left_out(engine: Engine) -> None:
    parsed = engine.parse("龘 咖啡")
    assert [u.text for u in parsed.units] == ["龘", "咖啡"]
    compiled = Compiled(engine.compiler, ranking(parsed, engine.table))
    assert compiled.unit(0, True) is None  # no listing holds 龘 in any form
    assert compiled.unit(1, True) is not None
    assert compiled.query(engine.filters("jd"), True) is None  # so nothing matches both
    assert compiled.query(engine.filters("jd"), True, among=(0, 1)) is not None


def test_backfill_rule(engine: Engine) -> None:
    assert _backfilled(engine.parse("咖啡 外卖"))
    assert not _backfilled(engine.parse("星巴克 拿铁"))


def test_a_need_whose_scope_lets_nothing_in_takes_a_word_anywhere(engine: Engine) -> None:
    """The last tier of a need query, searched only when the others found nothing, takes
    a listing holding one of its words in any category; never lone characters."""
    q = "婚礼策划顺便买点半成品"  # 半成品 only outside 婚庆, the scope of 婚礼策划
    understood = engine.understand(q)
    steps = tiers(understood.query, understood.held, understood.serving is not None)
    last = steps[-1]
    assert not last.scoped and all(t.scoped for t in steps[:-1])
    assert last.among and all(len(understood.query.units[i].text) > 1 for i in last.among)
    _, page, _, _ = engine_page(engine, q, "jd", frozenset(), limit=10)
    assert page.total and page.tier == last
    _, found, _, _ = engine_page(engine, "帮我叫个车", "jd", frozenset(), limit=10)
    assert found.total and found.tier.scoped  # found in scope: the last tier is not searched


def test_sample_index_is_the_conftest_one(sample_home: Path, engine: Engine) -> None:
    assert engine.num_docs == len(SAMPLE_LISTINGS.read_bytes().splitlines())


def test_a_query_seen_again_is_kept_understood(engine: Engine) -> None:
    """The second time the same text (as normalised) comes, its reading is kept: the
    third reuses its parsed query and compiled ranking. Other recent appids, or another
    engine, do not; a query seen once is not kept."""
    fresh = engine.refreshed()
    first = fresh.understand("星巴克 拿铁")
    second = fresh.understand(" 星巴克   拿铁!")
    assert second is not first
    assert fresh.understand("星巴克 拿铁") is second
    assert fresh.understand("星巴克 拿铁", frozenset({"wx0000000000000000"})) is not second
    assert fresh.understand("星巴克 拿铁", host="jd") is not second
    once = fresh.understand("瑞幸 拿铁")
    assert fresh.understand("瑞幸 拿铁") is not once
    a = fresh.run(SearchRequest(q="星巴克 拿铁", host="jd")).data()
    b = fresh.run(SearchRequest(q="星巴克 拿铁", host="jd")).data()
    assert {**a, "took_ms": 0} == {**b, "took_ms": 0}
    assert fresh.read_query("星巴克 拿铁") is not second
    assert fresh.refreshed().understand("星巴克 拿铁") is not second


@pytest.mark.parametrize(
    ("q", "host"),
    [("帮我叫个车", "jd"), ("杭州公积金怎么提取", "jd"), ("咖啡 外卖", "jd"), ("星巴克", "jd")],
)
def test_broad_priors_joined_to_the_match_score_the_same(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, q: str, host: str
) -> None:
    """A prior of a term most listings hold is joined to the tier's match (cheaper to walk
    in tantivy); the page and its scores are those of the prior standing alone."""
    plain, page, _, _ = engine_page(engine, q, host, frozenset(), limit=50)
    monkeypatch.setattr(compile_module, "BROAD_MIN", 0)
    monkeypatch.setattr(compile_module, "BROAD_SHARE", 0.0)
    understood = engine.read_query(q, host=host)
    assert understood.compiled.priors() == []  # every prior is broad now
    req = SearchRequest(q=q, host=host, limit=50)
    _, filters = engine._zone(understood, req, engine.filters(host))
    narrowed = engine.rank(understood, req, filters)
    got = [(engine._stored_listing(engine.searcher.doc(a))["appid"], s) for s, a in narrowed.hits]
    assert narrowed.total == page.total
    assert dict(got) == pytest.approx(dict(plain), rel=REL, abs=REL)


def test_a_floor_every_result_earns_is_one_constant(engine: Engine) -> None:
    """A need naming a place keeps to the place, its province and the nation, so the
    national weight is every result's: the engine adds it as one constant (no posting
    list), the region's other clauses worth what they add to it, and the scores are the
    reference's (which reads the clause as matching every listing)."""
    understood = engine.read_query("杭州公积金怎么提取")
    (region,) = [g for g in understood.compiled.ranking.priors if g.name == "region"]
    rest, floor = compile_module._floored(region)
    assert floor == WEIGHTS.region
    added = {c.match: round(c.weight - floor, 9) for c in region.clauses if c.match != EVERY}
    assert {c.match: round(c.weight, 9) for c in rest.clauses} == added
    assert understood.compiled.priors()  # the floor is no optional clause ...
    floors = [
        q for o, q in understood.compiled.narrowed_priors(Query.all_query()) if o == Occur.Must
    ]
    assert len(floors) == 1  # ... but one required constant
