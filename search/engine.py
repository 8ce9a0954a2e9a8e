"""An opened index version and the search pipeline over it: parse → rank in tantivy → cards.

The ranking runs inside tantivy (``search.rank``): a search is one query that scores
every match with the ranking function and returns the requested page in final order,
so deep pages are exact and only the page's stored cards are read. The engine decides
which listings are results, in tiers, each asked only when the one before gives
fewer than a page (``PAGE``):

1. listings matching every query word in their names, brands, keywords, categories
   or showcase titles;
2. the same, descriptions included (a listing that matches only in its description is
   a weaker answer);
3. the same, and listings matching some of the words (not for a query naming a brand,
   where a partial match is the other sense of the word or another brand's product) in
   the fields of tier 1; lone Chinese characters and words held by more than
   ``ALONE_MAX`` listings do not retrieve on their own there (the rarest word does when
   no other can): one character or a common word matches a large share of the catalog,
   says little alone, and scoring all it matches is most of what a search could cost;
4. the same, descriptions included.

A query stating a need (``search.rank.need``: a need of the lexicon, or a category the
catalog's words predict) also gets, from the third tier on (a one-word query: in a third
tier), the listings serving it; its partial matches must be in the categories the
need predicts. One naming a place gets only the listings serving that place, its
province as a whole, or no region in particular.

A query that names a brand also gets every listing of that brand, and a brand zone:
the brand's main official listing in the host, above (and not among) the results.

An engine reads one index state and never sees it change (a live commit opens another
engine), so what it derives from the index is kept for its life, bounded, and shared by
its threads (a race derives one twice, the same): queries understood (from the second
time one comes, per host), the leader of a need's sub-category in a host
(``search.rank.need``), a category's popularity bands (``search.discover``).
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
import tantivy

from indexer import schema as f
from indexer.analysis import Analyzer, has_cjk, normalize
from indexer.analyzers import analyzer_for, check_compatible
from indexer.brands import BrandTable
from indexer.dictionaries import Dictionaries
from indexer.document import analyse_fields, load_listing
from indexer.errors import IncompatibleIndexError
from indexer.intent import Intent, IntentReader
from indexer.models import Listing
from indexer.needs import NeedLexicon
from indexer.regions import region_table
from indexer.settings import known_hosts
from indexer.store import INDEX_DIR, IndexStore, Manifest, read_manifest
from search.cards import query_words, render, titles_of
from search.discover import DiscoverRequest, DiscoverResult, Discovery
from search.errors import NotFound, UnknownHost
from search.facets import category_facets
from search.models import SearchResponse, SuggestResponse
from search.query import ParsedQuery, Unit, mark_manner, mark_need_parts, parse
from search.rank import WEIGHTS, Ranking, ranking
from search.rank.compile import Clauses, Compiled, Compiler, nothing
from search.rank.need import NeedPart, leader_group, need_part, place_part
from search.rank.reference import ListingTerms, Scored, score
from search.suggest import suggest

PAGE = 10  # a tier with fewer matches than this gets the next tier's matches too
UNDERSTOOD = 64  # queries kept understood per engine (an engine lives until the next commit)
# Queries seen once, by hash, remembered so that the second time one comes it is kept
# understood: a query typed once is not kept. Kept, a query's few hundred objects reach
# the cyclic collector's older generations, whose collections then cost milliseconds on
# the search they fall on (at 100k, unique queries: p99.9 5.8 ms without keeping them,
# 14.6 ms keeping every one).
SEEN_ONCE = 4096
LEADERS_KEPT = 16384  # sub-categories' leaders (per host) an engine keeps
COMMON_SHARE = 0.05  # an inner word held by more of the listings says little on its own
COMMON_MIN = 1000  # ... and by more listings than this (in a small catalog no word is common)
ALONE_MAX = 10_000  # a word held by more listings does not retrieve on its own (tiers 3, 4)
Occur = tantivy.Occur


def _weak(unit: Unit) -> bool:
    """A lone Chinese character that names no brand: weak evidence on its own."""
    return len(unit.text) == 1 and has_cjk(unit.text) and not unit.brand_ids


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search, already validated for shape by the caller (API or CLI)."""

    q: str
    host: str
    limit: int = 10
    offset: int = 0
    category: str | None = None
    recent: frozenset[str] = frozenset()
    debug: bool = False


@dataclass(frozen=True, slots=True)
class Tier:
    """One tier of results: listings matching every word, or (``among``) one of those
    words; descriptions count or not, in the score and in matching every word
    (``description``) and in matching one word (``among_description``)."""

    description: bool
    among: tuple[int, ...] | None = None  # indices of the words of which one is enough
    among_description: bool = True
    need: bool = False  # the listings serving the query's need are results too
    scoped: bool = True  # a listing matching only ``among`` words must be in the need's scope


def tiers(query: ParsedQuery, held: Sequence[int], need: bool = False) -> list[Tier]:
    """The tiers of a query, in order: each holds the listings of the one before.

    ``held``: how many listings hold each word. The words that retrieve on their own in
    the later tiers are those neither a lone character nor held by more than
    ``ALONE_MAX`` listings (a word that common says little by itself, and scoring every
    listing that holds it is most of what a search could cost); when no word held by any
    listing is such, the lone characters held by no more (only with ``need``: the need's
    categories then bound what they find), else the rarest word. With ``need``, the later
    tiers (a third for a one-word query) also hold the listings serving the query's need:
    a route for when its words find too little; and a last one, searched only when those
    found nothing, takes a listing holding one of those words (not lone characters) in
    any category (the need's scope may miss: a dish the catalog never names predicts no
    category).
    """
    n = len(query.units)
    out = [Tier(False), Tier(True)]
    if n > 1:
        alone = [i for i in range(n) if 0 < held[i] <= ALONE_MAX]
        strong = tuple(i for i in alone if not _weak(query.units[i]))
        some = strong or (tuple(alone) if need else ()) or (min(range(n), key=held.__getitem__),)
        out += [Tier(True, some, False, need), Tier(True, some, True, need)]
        if need and strong:  # when the need's scope lets none in: one of them, anywhere
            out.append(Tier(True, strong, True, need, scoped=False))
    elif need:
        out.append(Tier(True, None, True, need))
    return out


def _names_brand(query: ParsedQuery) -> bool:
    """Whether the query names a brand (the brand, not a need, is what it asks for)."""
    return query.resolution is not None or any(u.brand_ids for u in query.units)


def _backfilled(query: ParsedQuery) -> bool:
    """Whether a query may be answered with listings matching only some of its words."""
    return all(u.sense == "both" and not u.brand_ids for u in query.units)


@dataclass(frozen=True, slots=True)
class Understood:
    """A query as the engine reads it: parsed, its ranking compiled (each word's queries
    built once), the brand route of a longer query, the words cards highlight."""

    query: ParsedQuery
    compiled: Compiled
    family: tantivy.Query | None  # a named brand's listings, retrieved whatever else
    serving: tantivy.Query | None  # the listings serving the need, from the third tier
    scope: tantivy.Query | None  # where a listing matching some of the words must be
    region: tantivy.Query | None  # the places whose listings may answer (None: any)
    words: list[str]
    held: list[int]  # listings holding each word
    intent: Intent
    need: NeedPart

    @property
    def leaders(self) -> tuple[str, ...]:
        """The appids the ranking's leader part names (``Engine.leaders``; none without a
        host, or when the weights give the part nothing)."""
        leads = [g for g in self.compiled.ranking.priors if g.name == "leader"]
        return tuple(str(c.match.values[0]) for g in leads for c in g.clauses)


@dataclass(slots=True)
class Page:
    """The results of a search: the page's hits in final order, the number of matches,
    and the tier that scored them."""

    hits: list[tuple[float, tantivy.DocAddress]]
    total: int
    tier: Tier
    query: tantivy.Query | None = None  # what found the matches (None: nothing could)
    matches: tantivy.Query | None = None  # the same matches, unscored (for facets)


@dataclass(slots=True)
class SearchResult:
    """A search's answer as JSON data (``search.models.SearchResponse`` documents it): the
    HTTP API serialises it at once; :meth:`response` validates it into the model."""

    query: str
    normalized: str
    host: str
    brand_zone: dict[str, Any] | None
    results: list[dict[str, Any]]
    total: int
    total_relation: Literal["eq", "gte"]
    facets: dict[str, list[dict[str, Any]]]
    took_ms: float
    index_version: str
    understanding: dict[str, Any] | None = None  # with debug only

    def data(self) -> dict[str, Any]:
        out = {
            "query": self.query,
            "normalized": self.normalized,
            "host": self.host,
            "brand_zone": self.brand_zone,
            "results": self.results,
            "total": self.total,
            "total_relation": self.total_relation,
            "facets": self.facets,
            "took_ms": self.took_ms,
            "index_version": self.index_version,
        }
        if self.understanding is not None:
            out["understanding"] = self.understanding
        return out

    def json(self) -> bytes:
        return orjson.dumps(self.data())

    def response(self) -> SearchResponse:
        return SearchResponse.model_validate(self.data())

    @property
    def served(self) -> int:
        """Cards on this page, the brand zone's included."""
        return len(self.results) + (1 if self.brand_zone else 0)

    @property
    def found(self) -> int:
        """Listings found: the matches and the brand zone's card."""
        return self.total + (1 if self.brand_zone else 0)

    @property
    def top_appid(self) -> str | None:
        """The first card: the brand zone's, else the first result's."""
        if self.brand_zone is not None:
            appid: str = self.brand_zone["card"]["appid"]
            return appid
        return str(self.results[0]["appid"]) if self.results else None


def _understanding(understood: Understood) -> dict[str, Any]:
    """How a query was read, for ``debug=true`` (``search.models.Understanding``)."""
    need = understood.need
    return {
        "words": [u.text for u in understood.query.units],
        "manner_words": [u.text for u in understood.query.units if u.manner],
        **understood.intent.explain(),
        "service_terms": list(need.service_terms),
        "service_phrases": [list(p) for p in need.service_phrases],
        "route_categories": list(need.route_categories),
        "named_needs": list(need.named),
        "named_tops": list(need.named_tops),
        "leaders": list(understood.leaders),
        "scope": list(need.scope),
        "regions": list(need.regions),
    }


def _brand_words(table: BrandTable) -> list[str]:
    """Every brand name and alias: never dropped from a query as filler."""
    return [w for b in table.brands.values() for w in (b.name, *b.aliases)]


def settle_heap() -> None:
    """Collect, then freeze what is alive (an engine's analyzer tables above all) so the
    cyclic collector stops walking it.

    A full collection otherwise visits every entry of jieba's dictionaries: 40 ms at
    100k listings, more at 1M, and it falls on whichever request crosses the
    threshold (every few hundred requests). Called when an engine is opened, not
    on every live commit; unfreezing first lets garbage from a replaced engine go.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _check_host(host: str) -> None:
    hosts = known_hosts()
    if host not in hosts:
        raise UnknownHost("host", f"unknown host {host!r}", list(hosts))


class Engine:
    """Everything needed to answer queries from one index version."""

    def __init__(
        self,
        manifest: Manifest,
        index: tantivy.Index,
        analyzer: Analyzer,
        table: BrandTable,
        reader: IntentReader | None = None,
    ) -> None:
        """``reader``: how queries are read for their need (default: the need lexicon
        alone, no category model)."""
        self.manifest = manifest
        self.version = manifest.version
        self.index = index
        self.analyzer = analyzer
        self.table = table
        self.regions = region_table(analyzer.dicts)
        self.reader = reader or IntentReader(
            analyzer, NeedLexicon.from_dictionaries(analyzer.dicts), None, _brand_words(table)
        )
        self.searcher = index.searcher()
        self.compiler = Compiler(self.searcher, index.schema)
        self.exclude = self._cheaper_to_exclude()
        self.discovery = Discovery(self.compiler)
        self._understood: OrderedDict[tuple[str, frozenset[str], str | None], Understood] = (
            OrderedDict()
        )
        self._seen_once: dict[int, None] = {}  # hashes of keys, oldest first
        self._understood_lock = threading.Lock()
        # Each sub-category's leader in a host (``leaders``); a race finds one twice.
        self._leaders: dict[tuple[str, str], str | None] = {}

    def _cheaper_to_exclude(self) -> frozenset[str]:
        """Hosts where fewer listings are hidden than live: their filter excludes the
        hidden ones (a shorter list, and exclusion costs less per matching listing). Only
        hosts the version was built for: the listings of a build know nothing of a host
        added since, so there only listings said to be live in it pass."""
        df = self.searcher.doc_freq
        return frozenset(h for h in self.manifest.hosts if df(f.HIDDEN, h) < df(f.LIVE, h))

    @classmethod
    def open(
        cls,
        store: IndexStore,
        version: str,
        dicts: Dictionaries,
        *,
        copy: Path | None = None,
    ) -> Engine:
        """Open a version of ``store``, its files checked against the manifest's checksum;
        or, with ``copy``, the serving copy of that version at ``copy`` (``indexer.applier``:
        its files change with live updates, so there is no checksum to check). Refuses a
        version built with another schema, analyzer or dictionaries.

        The analyzer is shared with every other user of the same words in this process
        (``indexer.analyzers``).
        """
        if copy is None:
            manifest, root = store.verify(version), store.path(version)
        else:
            manifest, root = read_manifest(copy), copy
        check_compatible(manifest, dicts)
        analyzer = analyzer_for(dicts, root, store.path(version))
        index = tantivy.Index.open(str(root / INDEX_DIR))
        table = BrandTable.read(root)
        reader = IntentReader.for_version(analyzer, root, _brand_words(table))
        engine = cls(manifest, index, analyzer, table, reader)
        engine.find_leaders()
        settle_heap()
        return engine

    def refreshed(self, table: BrandTable | None = None) -> Engine:
        """A new engine over the latest commit of the same index (and brands, if given);
        this one keeps its searcher, so requests running on it are not disturbed."""
        self.index.reload()
        reader = self.reader
        if table is not None:
            reader = reader.with_brand_words(_brand_words(table))
        return Engine(self.manifest, self.index, self.analyzer, table or self.table, reader)

    @property
    def num_docs(self) -> int:
        return self.searcher.num_docs

    # --- understanding a query -------------------------------------------------------------

    def parse(self, q: str) -> ParsedQuery:
        """Parse as the engine reads a query: only the inner words of a compound that say
        something (维修服务 → 维修: 服务 is in a large share of the listings,
        ``COMMON_SHARE``), and a common-word brand name (苹果 in 红富士苹果) read literally
        unless another query word also occurs in that brand's listings."""
        query = self._parse(q, self.reader.read(q))
        self._read_by_context(query, Compiled(self.compiler, ranking(query, self.table)))
        return query

    def _parse(self, q: str, intent: Intent) -> ParsedQuery:
        fillers = frozenset(d.word for d in intent.content.dropped)
        query = parse(q, self.analyzer, self.table, fillers, self.reader.lexicon)
        mark_need_parts(query, (need.word for need in intent.needs))
        mark_manner(query, bool(intent.needs))
        for unit in query.units:
            if not unit.brand_ids and (place := self.regions.lookup(unit.text)) is not None:
                unit.province, unit.city = place.province, place.city
        common = max(COMMON_MIN, COMMON_SHARE * self.searcher.num_docs)
        for unit in query.units:
            if unit.subwords:
                unit.subwords = [w for w in unit.subwords if self._df(w) <= common]
        return query

    def _read_by_context(self, query: ParsedQuery, compiled: Compiled) -> bool:
        """Read literally each common-word brand name no listing of its brands holds another
        query word beside (``compiled``: the query's words as compiled); True if any was."""
        units = query.units
        changed = False
        if len(units) > 1:
            for i, unit in enumerate(units):
                if unit.common and unit.brand_ids and not self._cooccurs(query, compiled, i):
                    unit.read_literally()
                    changed = True
        return changed

    def _cooccurs(self, query: ParsedQuery, compiled: Compiled, i: int) -> bool:
        """Whether a listing of word ``i``'s brands also matches another query word."""
        n = len(compiled.ranking.units)
        others = [
            (Occur.Should, q)
            for j in range(n)
            if j != i and (q := compiled.unit(j, True)) is not None
        ]
        if not others:
            return False
        brands = self.compiler.any_of(f.BRAND_ID, query.units[i].brand_ids)
        probe = tantivy.Query.boolean_query(
            [(Occur.Must, brands), (Occur.Must, tantivy.Query.boolean_query(others))]
        )
        return bool(self.searcher.search(probe, limit=1, count=False).hits)

    def _held(self, unit: Unit) -> int:
        """About how many listings a word matches: the most of those holding it, a synonym
        or an inner word (in the field holding it most)."""
        return max(self._df(w) for w in (unit.text, *unit.synonyms, *unit.subwords))

    def _df(self, word: str) -> int:
        """Listings holding ``word`` in the field that holds it most."""
        return max(self.compiler.df(field, word) for field in f.WORD_FIELDS)

    def informative(self, held: Sequence[int], units: Sequence[Unit]) -> list[float] | None:
        """How much each word of a longer query says: the inverse document frequency of the
        word in the field holding it most, ln(1 + N / (1 + df)), to the power
        ``WEIGHTS.rarity``. A rare word decides more of the text score than a common one
        (咖啡 外卖: delivery matters more than coffee if fewer listings mention it); a word
        saying only how the user wants to be served (``Unit.manner``: 出门) says
        ``WEIGHTS.manner`` of that. ``held``: how many listings hold each of ``units``.
        None for a one-word query."""
        if len(held) < 2:
            return None
        n = max(self.searcher.num_docs, 1)
        return [
            math.log1p(n / (1 + df)) ** WEIGHTS.rarity * (WEIGHTS.manner if u.manner else 1.0)
            for df, u in zip(held, units, strict=True)
        ]

    def filters(self, host: str) -> Clauses:
        """Only online listings live in the host. The filter adds nothing to the score."""
        if host in self.exclude:
            hidden = tantivy.Query.term_query(self.index.schema, f.HIDDEN, host)
            return [(Occur.MustNot, hidden)]
        live = tantivy.Query.term_query(self.index.schema, f.LIVE, host)
        return [(Occur.Must, nothing(live))]

    def _family(self, query: ParsedQuery) -> tantivy.Query | None:
        """Every listing of the brands a word of a longer query names, or that names them
        unambiguously: retrieved whatever else the query says (scored as any listing)."""
        units = [u for u in query.units if u.anchors]
        if len(query.units) < 2 or not units:
            return None
        c = self.compiler
        routes = [c.any_of(f.BRAND_ID, tuple(b for u in units for b in u.anchors))]
        officials = tuple(a for u in units for a in u.officials)
        if officials:
            routes.append(c.any_of(f.APPID, officials))
        terms = tuple(dict.fromkeys(t for u in units for t in u.family_terms))
        if terms:
            routes += [c.any_of(fn, terms) for fn in f.WORD_FIELDS]
        return tantivy.Query.boolean_query([(Occur.Should, r) for r in routes])

    # --- retrieval and ranking ---------------------------------------------------------------

    def _zone(
        self, understood: Understood, req: SearchRequest, filters: Clauses
    ) -> tuple[dict[str, Any] | None, Clauses]:
        """The brand zone and the filters of the results (without the zone's listing)."""
        query, compiled = understood.query, understood.compiled
        brand_id = query.brand_zone_id
        res = query.resolution
        if brand_id is None or res is None:
            return None, filters
        brand = self.table.brands[brand_id]
        probe = compiled.scored_among(brand.official_appids, filters)
        prior = compiled.ranking.popularity.field
        hits = self._search(probe, len(brand.official_appids), count=False, prior=prior)[0]
        found = {}
        for s, addr in hits:
            doc = self.searcher.doc(addr)
            found[self._stored_listing(doc)["appid"]] = (s, doc)
        for appid in brand.official_appids:
            if appid in found:
                s, doc = found[appid]
                card = self._card(understood.words, compiled.ranking, True, req, s, doc)
                zone = {
                    "brand_id": brand_id,
                    "brand_name": brand.name,
                    "matched": res.matched,
                    "card": card,
                }
                other = tantivy.Query.term_query(self.index.schema, f.APPID, appid)
                return zone, [*filters, (Occur.MustNot, other)]
        return None, filters

    def _search(
        self,
        query: tantivy.Query,
        limit: int,
        offset: int = 0,
        count: bool = True,
        prior: str = f.PRIOR,
    ) -> tuple[list[tuple[float, tantivy.DocAddress]], int]:
        """A page of ``query``'s matches, each score times the popularity factor ``prior``
        holds, and how many there are."""
        result = self.searcher.search(
            query, limit=limit, count=count, offset=offset, weight_by_field=prior
        )
        hits = [(float(s), addr) for s, addr in result.hits]
        total: int | None = getattr(result, "count", None)  # missing from the stubs
        return hits, total if total is not None else len(hits) + offset

    def understand(
        self, q: str, recent: frozenset[str] = frozenset(), host: str | None = None
    ) -> Understood:
        """The query read (:meth:`read_query`), and kept from the second time the same text
        comes for the same host for the times after (the cache goes with this engine, so
        with the brand table and the index it was made for)."""
        key = (normalize(q), recent, host)
        with self._understood_lock:
            hit = self._understood.get(key)
            if hit is not None:
                self._understood.move_to_end(key)
                return hit
        understood = self.read_query(q, recent, host)
        seen = hash(key)
        with self._understood_lock:
            if seen in self._seen_once:
                del self._seen_once[seen]
                self._understood[key] = understood
                while len(self._understood) > UNDERSTOOD:
                    self._understood.popitem(last=False)
            else:
                self._seen_once[seen] = None
                if len(self._seen_once) > SEEN_ONCE:
                    del self._seen_once[next(iter(self._seen_once))]
        return understood

    def read_query(
        self, q: str, recent: frozenset[str] = frozenset(), host: str | None = None
    ) -> Understood:
        """The query understood (parsed, its need read, its ranking compiled), not kept;
        for a ``host``, with the leaders of the need's sub-categories there (none without)."""
        intent = self.reader.read(q)
        query = self._parse(q, intent)
        held = [self._held(u) for u in query.units]
        informative = self.informative(held, query.units)
        places = tuple(dict.fromkeys((u.province, u.city) for u in query.units if u.province))
        if _names_brand(query):
            need = place_part(places, WEIGHTS)
        else:
            need = need_part(intent, self.analyzer, WEIGHTS, places)
        leaders = self.leaders(need.leads, host) if host is not None else ()
        lead = leader_group(leaders, WEIGHTS)
        groups = need.groups if lead is None else (*need.groups, lead)

        def scoring() -> Ranking:
            return ranking(
                query,
                self.table,
                recent,
                informative=informative,
                need=groups,
                prior=need.prior,
            )

        compiled = Compiled(self.compiler, scoring())
        if self._read_by_context(query, compiled):  # a brand word is read as a word: again
            compiled = Compiled(self.compiler, scoring())
        serving = self._serving(need)
        scope = self.compiler.any_of(f.CATEGORY_PATH, need.scope) if need.scope else None
        region = self.compiler.any_of(f.REGION, need.regions) if need.regions else None
        return Understood(
            query,
            compiled,
            self._family(query),
            serving,
            scope,
            region,
            query_words(query),
            held,
            intent,
            need,
        )

    def find_leaders(self) -> None:
        """Find the leader of every sub-category of the index in every host the version was
        built for, ahead of the queries (``open``: a third of a second at a million
        listings), so that the first need query of a sub-category does not pay for it. An
        engine opened over a later commit (``refreshed``) finds them as queries ask: a live
        update may have changed any of them, and making it visible waits for nothing."""
        terms = self.searcher.terms_with_prefix(f.CATEGORY_PATH, "")
        paths = tuple((path, 1.0) for path, _ in terms if "/" in path)
        hosts = self.manifest.hosts
        if paths and len(paths) * len(hosts) <= LEADERS_KEPT:  # else: as queries ask
            for host in hosts:
                self.leaders(paths, host)

    def leaders(
        self, leads: Sequence[tuple[str, float]], host: str
    ) -> tuple[tuple[str, float], ...]:
        """The most used national listing live in ``host`` of each sub-category of
        ``leads`` (a need's ``NeedPart.leads``), with that sub-category's probability
        (``search.rank.need``: the leader part; a need naming no place is the user's
        wherever they are). Each is found once per engine (its index never changes; a
        commit opens another engine)."""
        out = []
        filters: Clauses | None = None  # built at the first sub-category not kept
        for path, p in leads:
            try:  # one lookup: another thread may clear the dict between two
                appid = self._leaders[(host, path)]
            except KeyError:
                if filters is None:
                    national = nothing(self.compiler.term(f.REGION, f.NATIONAL))
                    filters = [*self.filters(host), (Occur.Must, national)]
                appid = self.discovery.most_used(path, filters)
                if len(self._leaders) >= LEADERS_KEPT:
                    self._leaders.clear()
                self._leaders[(host, path)] = appid
            if appid is not None:
                out.append((appid, p))
        return tuple(out)

    def _serving(self, need: NeedPart) -> tantivy.Query | None:
        """The listings serving a query's need: holding a service word of it (every part
        of one the analyzer cuts), in a sub-category it predicts with confidence, or
        holding the word of a need requested in one of its top-level categories
        (``search.rank.need``)."""
        c = self.compiler
        routes = []
        if need.service_terms:
            routes.append(c.any_of(f.COVER_WORDS, need.service_terms))
        for parts in need.service_phrases:
            if all(c.held(f.COVER_WORDS, t) for t in parts):
                held = [(Occur.Must, c.term(f.COVER_WORDS, t)) for t in parts]
                routes.append(tantivy.Query.boolean_query(held))
        if need.route_categories:
            routes.append(c.any_of(f.CATEGORY_PATH, need.route_categories))
        if need.named:
            named = c.any_of(f.COVER_WORDS, need.named)
            tops = c.any_of(f.CATEGORY_PATH, need.named_tops)
            routes.append(tantivy.Query.boolean_query([(Occur.Must, named), (Occur.Must, tops)]))
        if len(routes) < 2:
            return routes[0] if routes else None
        return tantivy.Query.boolean_query([(Occur.Should, r) for r in routes])

    def rank(self, understood: Understood, req: SearchRequest, filters: Clauses) -> Page:
        """The page of results in final order, tier by tier (see the module docstring)."""
        if req.category:
            category = tantivy.Query.term_query(self.index.schema, f.CATEGORIES, req.category)
            filters = [*filters, (Occur.Must, nothing(category))]
        if understood.region is not None:
            filters = [*filters, (Occur.Must, nothing(understood.region))]
        query, compiled = understood.query, understood.compiled
        family, serving = understood.family, understood.serving
        both = family if serving is None else serving
        if family is not None and serving is not None:
            both = tantivy.Query.boolean_query([(Occur.Should, family), (Occur.Should, serving)])
        backfill = _backfilled(query)
        page = Page([], 0, Tier(False))
        scope = understood.scope
        steps = tiers(query, understood.held, serving is not None)
        probe = bool(understood.need.groups) and len(query.units) > 1
        prior = compiled.ranking.popularity.field
        bare: tantivy.Query | None = None  # the answering tier's matches, unscored, if counted
        for n, tier in enumerate(steps, 1):
            if not tier.scoped and page.total:
                break  # the scoped tiers found some: the unscoped one is only for none
            also = both if tier.need else family
            where = scope if tier.scoped else None
            args = (filters, tier.description, tier.among, tier.among_description, also, where)
            bare = None
            if probe and n < len(steps) and not tier.need:
                # A need query's score has many clauses; a tier that will not answer is
                # only counted (unscored), not searched. The first tier holding the
                # listings serving the need mostly answers: it is searched outright.
                bare = compiled.query(*args, scored=False)
                total = 0 if bare is None else self._count(bare)
                if not self._answers(tier, total, backfill):
                    page = Page([], total, tier, None)
                    continue
            q = compiled.query(*args)
            hits, total = (
                ([], 0) if q is None else self._search(q, req.limit, req.offset, prior=prior)
            )
            page = Page(hits, total, tier, q)
            if self._answers(tier, total, backfill):
                break
        if page.query is not None and page.total:
            page.matches = bare if bare is not None else compiled.query(*args, scored=False)
        return page

    @staticmethod
    def _answers(tier: Tier, total: int, backfill: bool) -> bool:
        """Whether a tier with ``total`` matches is the one that answers (no further tier)."""
        return total >= PAGE or bool(total and tier.description and not backfill)

    def _count(self, query: tantivy.Query) -> int:
        """How many listings ``query`` matches (unscored: a count, no hits)."""
        result = self.searcher.search(query, limit=1, count=True)
        total: int | None = getattr(result, "count", None)
        return total or 0

    def run(self, req: SearchRequest) -> SearchResult:
        """Run one search end to end."""
        started = time.perf_counter()
        _check_host(req.host)
        understood = self.understand(req.q, req.recent, req.host)
        query, scoring = understood.query, understood.compiled.ranking
        zone, filters = self._zone(understood, req, self.filters(req.host))
        page = self.rank(understood, req, filters)
        second = page.tier.description
        cards = [
            self._card(understood.words, scoring, second, req, s, self.searcher.doc(addr))
            for s, addr in page.hits
        ]
        return SearchResult(
            query=req.q,
            normalized=query.normalized,
            host=req.host,
            brand_zone=zone,
            results=cards,
            total=page.total,
            total_relation="eq",
            facets={"category": self.facets(page)},
            took_ms=round((time.perf_counter() - started) * 1000, 3),
            index_version=self.version,
            understanding=_understanding(understood) if req.debug else None,
        )

    def facets(self, page: Page) -> list[dict[str, Any]]:
        """The top-level categories of every match of a search (``search.facets``),
        aggregated over the matches unscored (the same listings as the scored query's,
        without the score's clauses to evaluate)."""
        query = page.matches if page.matches is not None else page.query
        return [] if query is None or not page.total else category_facets(self.searcher, query)

    def search(self, req: SearchRequest) -> SearchResponse:
        """Run one search; the answer as the response model."""
        return self.run(req).response()

    # --- cards ----------------------------------------------------------------------------

    def _stored_listing(self, doc: tantivy.Document) -> dict[str, Any]:
        blob = doc.get_first(f.CARD)
        if not isinstance(blob, bytes):
            raise IncompatibleIndexError(f"index {self.version}: a document without {f.CARD}")
        return load_listing(blob)

    def _card(
        self,
        words: list[str],
        scoring: Ranking,
        second_tier: bool,
        req: SearchRequest,
        score_: float,
        doc: tantivy.Document,
    ) -> dict[str, Any]:
        listing = self._stored_listing(doc)
        explained = self.explain(scoring, listing, second_tier) if req.debug else None
        return render(words, listing, titles_of(doc, listing), score_, req.recent, explained)

    def explain(self, scoring: Ranking, listing: dict[str, Any], second_tier: bool) -> Scored:
        """The Python reference of the ranking on one listing: its parts, word by word."""
        validated = Listing.model_validate(listing)
        brand = self.table.brands.get(validated.brand_id or "")
        fields = analyse_fields(validated, brand, self.analyzer)
        return score(scoring, ListingTerms.of(fields), second_tier)

    # --- other questions ----------------------------------------------------------------------

    def suggest(self, q: str, host: str, limit: int = 8) -> SuggestResponse:
        """Search-as-you-type completions for one host."""
        _check_host(host)
        items = suggest(self.searcher, self.index.schema, self.table, self.filters(host), q, limit)
        return SuggestResponse(query=q, suggestions=items)

    def discover(self, req: DiscoverRequest) -> DiscoverResult:
        """The host's online listings, most used first (``search.discover``)."""
        _check_host(req.host)
        return self.discovery.run(req, self.filters(req.host), self.version)

    def ranked_appids(self, q: str, host: str, limit: int = 10) -> list[str]:
        """The evaluated list: brand zone card first, then results."""
        resp = self.search(SearchRequest(q=q, host=host, limit=limit))
        appids = [resp.brand_zone.card.appid] if resp.brand_zone else []
        return appids + [c.appid for c in resp.results]

    def listing(self, appid: str) -> dict[str, Any]:
        """The stored listing for an appid, whatever its status."""
        query = tantivy.Query.term_query(self.index.schema, f.APPID, appid)
        hits = self.searcher.search(query, limit=1).hits
        if not hits:
            raise NotFound(f"no listing with appid {appid!r} in index {self.version}")
        return self._stored_listing(self.searcher.doc(hits[0][1]))
