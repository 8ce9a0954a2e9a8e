"""An opened index version and the search pipeline over it: parse → retrieve → rank → cards."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from indexer import schema as f
from indexer.analysis import Analyzer, has_cjk
from indexer.analyzers import analyzer_for, check_compatible
from indexer.brands import BrandTable
from indexer.dictionaries import Dictionaries
from indexer.document import load_stored
from indexer.errors import IncompatibleIndexError
from indexer.settings import CANDIDATES, KNOWN_HOSTS, POOL, Settings
from indexer.store import INDEX_DIR, IndexStore, Manifest, read_manifest
from search.cards import render
from search.errors import NotFound, UnknownHost
from search.models import BrandZone, SearchResponse, SuggestResponse
from search.query import ParsedQuery, QueryBuilder, Unit, parse
from search.rank import Candidate, Ranked, rank
from search.rank.prior import by_worth
from search.suggest import suggest

BACKFILL_BELOW = 10  # fewer full-match hits than a page: add partial matches


Hit = tuple[Any, tantivy.DocAddress]  # first-stage score and address


def _weak(unit: Unit) -> bool:
    """A lone Chinese character that names no brand: weak evidence on its own."""
    return len(unit.text) == 1 and has_cjk(unit.text) and not unit.brand_ids


@dataclass(frozen=True, slots=True)
class Depth:
    """How much of the first stage is read: the best ``pool`` hits of each search, of
    which at most ``candidates`` in all are fetched and re-ranked (``rank.prior``)."""

    candidates: int = CANDIDATES
    pool: int = POOL

    @classmethod
    def of(cls, settings: Settings) -> Depth:
        return cls(settings.candidates, settings.pool)


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
    if host not in KNOWN_HOSTS:
        raise UnknownHost("host", f"unknown host {host!r}", list(KNOWN_HOSTS))


class Engine:
    """Everything needed to answer queries from one index version."""

    def __init__(
        self,
        manifest: Manifest,
        index: tantivy.Index,
        analyzer: Analyzer,
        table: BrandTable,
        depth: Depth = Depth(),
    ) -> None:
        self.manifest = manifest
        self.version = manifest.version
        self.index = index
        self.analyzer = analyzer
        self.table = table
        self.depth = depth
        self.searcher = index.searcher()
        self.builder = QueryBuilder(index.schema, self._cheaper_to_exclude())

    def _cheaper_to_exclude(self) -> frozenset[str]:
        """Hosts where fewer listings are hidden than live: their filter excludes the
        hidden ones (a shorter list, and exclusion costs less per matching listing)."""
        df = self.searcher.doc_freq
        return frozenset(h for h in KNOWN_HOSTS if df(f.HIDDEN, h) < df(f.LIVE, h))

    @classmethod
    def open(
        cls,
        store: IndexStore,
        version: str,
        dicts: Dictionaries,
        depth: Depth = Depth(),
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
        engine = cls(manifest, index, analyzer, BrandTable.read(root), depth)
        settle_heap()
        return engine

    def refreshed(self, table: BrandTable | None = None) -> Engine:
        """A new engine over the latest commit of the same index (and brands, if given);
        this one keeps its searcher, so requests running on it are not disturbed."""
        self.index.reload()
        return Engine(self.manifest, self.index, self.analyzer, table or self.table, self.depth)

    @property
    def num_docs(self) -> int:
        return self.searcher.num_docs

    def parse(self, q: str) -> ParsedQuery:
        """Parse, then read a common-word brand name (苹果 in 红富士苹果) literally
        unless another query word also occurs in that brand's listings."""
        parsed = parse(q, self.analyzer, self.table)
        units = parsed.units
        if len(units) > 1:
            for unit in units:
                if unit.common and unit.brand_ids:
                    others = [u for u in units if u is not unit]
                    probe = self.builder.cooccurs(unit, others, parsed.latin_only)
                    if not self.searcher.search(probe, limit=1).hits:
                        unit.read_literally()
        return parsed

    def _fetch(self, hits: list[Hit]) -> list[Candidate]:
        out = []
        for score, addr in hits:
            doc = self.searcher.doc(addr)
            blob, card = doc.get_first(f.DOC), doc.get_first(f.CARD)
            if not isinstance(blob, bytes) or not isinstance(card, bytes):
                raise IncompatibleIndexError(
                    f"index {self.version}: document without {f.DOC} or {f.CARD}"
                )
            out.append(Candidate(load_stored(blob), float(score), card))
        return out

    def _by_worth(self, hits: list[Hit]) -> list[Hit]:
        """Hits most worth re-ranking first, judged without their stored documents."""
        addrs = [addr for _, addr in hits]
        official = self.searcher.fast_field_values(f.OFFICIAL, addrs)
        mau = self.searcher.fast_field_values(f.POPULARITY, addrs)
        return [hits[i] for i in by_worth([float(s) for s, _ in hits], official, mau)]

    def retrieve(
        self, parsed: ParsedQuery, req: SearchRequest
    ) -> tuple[list[list[Candidate]], int]:
        """Candidates matching as many query units as possible, backfilled with fewer,
        in blocks re-ranked one after the other.

        All units first; while that gives fewer than a page of hits, listings that
        match any one unit are added after them (the re-ranker scores their lower
        coverage); single Chinese characters are left out of that step while other
        words remain, since one character matches a large share of the catalog. A
        query that names a brand, or reads a brand word literally, is not backfilled:
        a partial match there is the other sense of the word (Apple for 红富士苹果) or
        another brand's product.

        Each search reads its best ``depth.pool`` hits, and only the ones kept are
        fetched: the first block holds the ``depth.candidates`` most worth re-ranking
        (``rank.prior``). A page reaching beyond it (offset + limit, plus the brand zone
        card) gets the next blocks of as many, in that order, then hits read past the
        pool in first-stage order: every page up to MAX_OFFSET is served, and pages do
        not depend on which one is asked for. ``total`` counts every match of the
        widest search run.
        """
        size = self.depth.candidates
        blocks = -(-(req.offset + req.limit + 1) // size)
        keep = blocks * size
        pool = max(self.depth.pool, keep)
        n = len(parsed.units)
        extra: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if req.category:
            q = tantivy.Query.term_query(self.index.schema, f.CATEGORIES, req.category)
            extra.append((tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)))
        kept: list[Hit] = []  # in block order
        seen: dict[tuple[int, int], int] = {}  # hit → first-stage position, over all searches
        total = 0
        backfill = all(u.sense == "both" and not u.brand_ids for u in parsed.units)
        strong = [u for u in parsed.units if not _weak(u)]
        # (units needed, among which units, only when nothing matched yet)
        plans: list[tuple[int, list[Unit] | None, bool]] = [(max(n, 1), None, False)]
        if n > 1:
            if strong and len(strong) < n:
                plans.append((1, strong, False))
                plans.append((1, None, True))
            else:
                plans.append((1, None, False))
        for need, units, last_resort in plans:
            if last_resort and kept:
                break
            query = self.builder.build(parsed, req.host, need, units)
            if extra:
                query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *extra])
            result = self.searcher.search(query, limit=pool, count=True)
            count: int | None = getattr(result, "count", None)  # missing from the stubs
            total = max(total, count or len(result.hits))
            fresh: list[Hit] = []
            beyond: list[Hit] = []  # read past the pool for a deep page: first-stage order
            for i, hit in enumerate(result.hits):
                key = (hit[1].segment_ord, hit[1].doc)
                if key not in seen:
                    seen[key] = len(seen)
                    (fresh if i < self.depth.pool else beyond).append(hit)
            if len(kept) + len(fresh) > size:  # a block boundary falls among these hits
                fresh = self._by_worth(fresh)
            kept += (fresh + beyond)[: keep - len(kept)]
            if kept and (not backfill or len(kept) >= min(BACKFILL_BELOW, size)):
                break

        def position(hit: Hit) -> int:
            return seen[(hit[1].segment_ord, hit[1].doc)]

        return [
            self._fetch(sorted(kept[i : i + size], key=position)) for i in range(0, len(kept), size)
        ], total

    def _zone(
        self, parsed: ParsedQuery, ranked: list[Ranked], req: SearchRequest
    ) -> tuple[BrandZone | None, list[Ranked]]:
        brand_id = parsed.brand_zone_id
        res = parsed.resolution
        if brand_id is None or res is None:
            return None, ranked
        brand = self.table.brands[brand_id]
        by_appid = {r.candidate.appid: r for r in ranked}
        for appid in brand.official_appids:
            hit = by_appid.get(appid)
            if hit is None:
                continue
            card = render(parsed, hit, req.recent, req.debug)
            rest = [r for r in ranked if r is not hit]
            return BrandZone(
                brand_id=brand_id, brand_name=brand.name, matched=res.matched, card=card
            ), rest
        return None, ranked

    def search(self, req: SearchRequest) -> SearchResponse:
        """Run one search end to end."""
        started = time.perf_counter()
        _check_host(req.host)
        parsed = self.parse(req.q)
        blocks, total = self.retrieve(parsed, req)
        ranked = [r for block in blocks for r in rank(parsed, block, req.recent)]
        zone, rest = self._zone(parsed, ranked, req)
        page = rest[req.offset : req.offset + req.limit]
        cards = [render(parsed, r, req.recent, req.debug) for r in page]
        return SearchResponse(
            query=req.q,
            normalized=parsed.normalized,
            host=req.host,
            brand_zone=zone,
            results=cards,
            total=max(0, total - (1 if zone else 0)),
            took_ms=round((time.perf_counter() - started) * 1000, 3),
            index_version=self.version,
        )

    def suggest(self, q: str, host: str, limit: int = 8) -> SuggestResponse:
        """Search-as-you-type completions for one host."""
        _check_host(host)
        items = suggest(
            self.searcher, self.index.schema, self.table, self.builder.filters(host), q, limit
        )
        return SuggestResponse(query=q, suggestions=items)

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
        return self._fetch(hits)[0].listing
