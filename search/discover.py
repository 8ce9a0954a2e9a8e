"""Discovery: a host's online listings, most used first, for drop-downs and showcase slots.

``GET /v1/discover?host=&category=&recent=&limit=&offset=`` lists the listings a search in
the host could return (online, live there), of one category if asked (top-level or sub),
in this order:

1. the caller's ``recent`` appids, in the order given, flagged ``recently_used``;
2. the others by monthly active users, most first, except that a reseller (a listing of a
   brand that is not official) never comes before the most used official listing of its
   brand that is listed too: it is ordered by that listing's users when it has more (ties:
   the official one first).

Cheap enough for a drop-down that opens on every visit: instead of ordering every listing
of the host (most of the index), it orders those of the top popularity bands
(``indexer.priors.popularity_band``: every listing of a band has more users than every
listing of a lower band), as many bands as hold the page and ``EXACT_TOTAL`` matches, and
widens only when a page needs more; in a category, the top bands of that category
(``schema.CATEGORY_BAND``), so a category costs what the host's whole list does.
``total`` is exact up to ``EXACT_TOTAL`` and a lower
bound above it (``total_relation`` ``gte``), as for searches.

``Discovery.most_used`` reads one sub-category's most used listing the same way: a need's
leader (``search.rank.need``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, NamedTuple

import orjson
import tantivy

from indexer import schema as f
from indexer.document import load_listing
from indexer.priors import BANDS_PER_OCTAVE
from search.cards import render, titles_of
from search.rank.compile import Clauses, Compiler, nothing

EXACT_TOTAL: Final = 1000  # totals are exact up to here, a lower bound above
SLACK: Final = 1.5  # the top bands read hold this many times the matches they must
WHOLE_SHARE: Final = 0.5  # reading this share of the index or more: read it all, unbanded
WINDOW: Final = 2  # listings read for the order: this many times the page, and ...
WINDOW_EXTRA: Final = 10  # ... this many more (their fast fields only)
MAX_CATEGORIES_KEPT: Final = 4096  # categories whose bands a searcher keeps
MAX_OFFICIALS: Final = 2  # official listings a brand names at most (``Brand.official_appids``)
Occur = tantivy.Occur


@dataclass(frozen=True, slots=True)
class DiscoverRequest:
    """One discovery, already validated for shape by the caller (API or CLI)."""

    host: str
    category: str | None = None
    recent: tuple[str, ...] = ()  # most recent first
    limit: int = 10
    offset: int = 0


@dataclass(slots=True)
class DiscoverResult:
    """A discovery's answer as JSON data (``search.models.DiscoverResponse`` documents it)."""

    host: str
    category: str | None
    results: list[dict[str, Any]]
    total: int
    total_relation: Literal["eq", "gte"]
    index_version: str

    def data(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "category": self.category,
            "results": self.results,
            "total": self.total,
            "total_relation": self.total_relation,
            "index_version": self.index_version,
        }

    def json(self) -> bytes:
        return orjson.dumps(self.data())


class Entry(NamedTuple):
    """A listing as the order reads it, from its fast fields: its key (users, a reseller's
    capped), whether it is official, its brand's key (0: none), its place in tantivy's
    order and its address (its stored listing is read only for the page's cards)."""

    key: int
    official: bool
    brand: int
    place: int
    addr: tantivy.DocAddress


Stored = tuple[dict[str, Any], tantivy.Document]
"""A listing as stored (the validated record) and the document holding it."""


class Ranked(NamedTuple):
    """The most used listings in discovery order, as many as asked (or all there are), and
    how many listings match (exactly, or at least)."""

    entries: list[Entry]
    total: int
    exact: bool


def band_floor(band: int) -> float:
    """The fewest users a listing of ``band`` has (a listing below it has fewer)."""
    return float(2.0 ** (band / BANDS_PER_OCTAVE) - 1.0)


class Discovery:
    """Discovery over one searcher (an engine's)."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self.searcher = compiler.searcher
        self._bands: dict[str | None, list[tuple[str, int]]] = {}  # by category, None: all

    def bands(self, category: str | None = None) -> list[tuple[str, int]]:
        """Every popularity band's term and listing count, the most used band first: of the
        whole index, or of one category (``schema.CATEGORY_BAND`` terms). The same for the
        searcher's life (a race computes one twice)."""
        found = self._bands.get(category)
        if found is None:
            if category is None:
                terms = self.searcher.terms_with_prefix(f.POPULARITY_BAND, "")
            else:
                prefix = f.category_band_term(category, "")
                terms = self.searcher.terms_with_prefix(f.CATEGORY_BAND, prefix)
            found = sorted(((t, int(n)) for t, n in terms), reverse=True)
            if len(self._bands) >= MAX_CATEGORIES_KEPT:
                self._bands.clear()
            self._bands[category] = found
        return found

    def run(self, req: DiscoverRequest, filters: Clauses, version: str) -> DiscoverResult:
        """The page of ``req`` among the listings ``filters`` let through (the host's)."""
        c = self.compiler
        if req.category:
            filters = [*filters, (Occur.Must, nothing(c.term(f.CATEGORIES, req.category)))]
        read: dict[tuple[int, int], Stored] = {}  # stored listings read, by address
        recent = self._recent(req.recent, filters, read) if req.recent else []
        if recent:
            filters = [*filters, (Occur.MustNot, c.any_of(f.APPID, [e[0] for e in recent]))]
        need = max(0, req.offset + req.limit - len(recent))
        ranked = self._ranked(filters, need, req)
        shown = [e for _, e in recent] + ranked.entries
        used = frozenset(req.recent)
        cards = []
        for e in shown[req.offset : req.offset + req.limit]:
            listing, doc = read.get((e.addr.segment_ord, e.addr.doc)) or self._stored(e.addr)
            cards.append(render([], listing, titles_of(doc, listing), float(e.key), used))
        return DiscoverResult(
            host=req.host,
            category=req.category,
            results=cards,
            total=ranked.total + len(recent),
            total_relation="eq" if ranked.exact else "gte",
            index_version=version,
        )

    def most_used(self, path: str, filters: Clauses) -> str | None:
        """The appid of the most used listing of the category ``path`` (``Top/sub``) that the
        filters let through (a host's), None when it has none; of equals, whichever the index
        orders first. Resellers are not capped here: the most used provider of a service, not a
        brand's page order. Reads the top popularity bands of the path's own category first
        (one band, then four times as many, ...), as a page does."""
        bands = self.bands(path.rsplit("/", 1)[-1])
        within = nothing(self.compiler.term(f.CATEGORY_PATH, path))
        cut = 1
        while bands:
            top = self.compiler.any_of(f.CATEGORY_BAND, [t for t, _ in bands[:cut]])
            query = self._query([*filters, (Occur.Must, within)], top)
            hits = self.searcher.search(query, limit=1, order_by_field=f.POPULARITY).hits
            if hits:
                appid = self._stored(hits[0][1])[0].get("appid")
                return appid if isinstance(appid, str) else None
            if cut >= len(bands):
                break
            cut *= 4
        return None

    def _share(self, host: str) -> float:
        """About which share of all listings the host lists."""
        n = max(self.searcher.num_docs, 1)
        return max(self.compiler.df(f.LIVE, host) / n, 1.0 / n)

    def _recent(
        self, appids: tuple[str, ...], filters: Clauses, read: dict[tuple[int, int], Stored]
    ) -> list[tuple[str, Entry]]:
        """The recent appids the filters let through, in the caller's order (their stored
        listings kept in ``read``)."""
        query = self._query(filters, self.compiler.any_of(f.APPID, appids))
        hits = self.searcher.search(query, limit=len(appids), count=False).hits
        found = {}
        for entry in self._entries([addr for _, addr in hits]):
            stored = read[(entry.addr.segment_ord, entry.addr.doc)] = self._stored(entry.addr)
            found[stored[0].get("appid")] = entry
        return [(a, found[a]) for a in appids if a in found]

    def _stored(self, addr: tantivy.DocAddress) -> Stored:
        """The stored listing at ``addr`` and its document."""
        doc = self.searcher.doc(addr)
        blob = doc.get_first(f.CARD)
        return (load_listing(blob) if isinstance(blob, bytes) else {}), doc

    def _query(self, filters: Clauses, *must: tantivy.Query) -> tantivy.Query:
        clauses = [(Occur.Must, nothing(q)) for q in must] + list(filters)
        if not any(occur == Occur.Must for occur, _ in clauses):
            clauses.append((Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def _entries(self, addrs: list[tantivy.DocAddress]) -> list[Entry]:
        """The listings at ``addrs`` as the order reads them, in that order."""
        values = self.searcher.fast_field_values
        users = values(f.POPULARITY, addrs)
        official = values(f.OFFICIAL, addrs)
        brand = values(f.BRAND_KEY, addrs)
        return [
            Entry(int(u or 0), bool(o), int(b or 0), place, addr)
            for place, (addr, u, o, b) in enumerate(zip(addrs, users, official, brand, strict=True))
        ]

    def _ranked(self, filters: Clauses, need: int, req: DiscoverRequest) -> Ranked:
        """The ``need`` most used listings the filters let through, in discovery order:
        read from the top bands of the category asked (or of all listings)."""
        field = f.POPULARITY_BAND if req.category is None else f.CATEGORY_BAND
        bands = self.bands(req.category)
        everything = sum(n for _, n in bands)
        target = max(need, EXACT_TOTAL)  # matches the bands read must hold (but the last)
        want = target / self._share(req.host) * SLACK  # listings of the bands read
        window = WINDOW * need + WINDOW_EXTRA  # read past the page: resellers may drop out
        most: dict[int, int | None] = {}  # a brand's most used official listing's users
        cut = 0
        while True:
            held = sum(n for _, n in bands[:cut])
            while cut < len(bands) and (held < want or cut == 0):
                held += bands[cut][1]
                cut += 1
            whole = cut == len(bands) or held >= WHOLE_SHARE * everything
            top = [t for t, _ in bands[:cut]]
            extra = [] if whole else [self.compiler.any_of(field, top)]
            query = self._query(filters, *extra)
            while True:
                result = self.searcher.search(
                    query, limit=window, count=True, order_by_field=f.POPULARITY
                )
                count: int = getattr(result, "count", None) or 0  # missing from the stubs
                if not whole and count < target:
                    break  # the bands hold fewer matches than they should: read more
                entries = self._entries([addr for _, addr in result.hits])
                if window < count:  # listings after the window have at most its last one's
                    floor = float(entries[-1].key)
                else:
                    floor = -1.0 if whole else band_floor(int(bands[cut - 1][0][-3:]))
                ordered = self._capped(entries, filters, most)
                reliable = next((i for i, e in enumerate(ordered) if e.key < floor), len(ordered))
                if reliable >= need or (whole and window >= count):
                    return Ranked(ordered[:need], count, whole)
                if window >= count:
                    break  # every match of these bands read: read more bands
                window *= 2  # resellers moved below the window's end: read further
            want *= 2

    def _capped(
        self, entries: list[Entry], filters: Clauses, most: dict[int, int | None]
    ) -> list[Entry]:
        """``entries`` in discovery order: each reseller keyed by at most its brand's most
        used official listing among those the filters let through (``most``: the users of
        the brands' found so far, by brand key; None for a brand without one)."""
        unknown = {e.brand for e in entries if e.brand and not e.official} - most.keys()
        if unknown:
            most.update(self._most_used_officials(sorted(unknown), filters))
        capped = []
        for e in entries:
            cap = None if e.official or not e.brand else most[e.brand]
            capped.append(e if cap is None or cap >= e.key else e._replace(key=cap))
        return sorted(capped, key=lambda e: (-e.key, not e.official, e.place))

    def _most_used_officials(self, brands: list[int], filters: Clauses) -> dict[int, int | None]:
        """Per brand key, the users of the brand's most used official listing the filters let
        through (None: none): one query for all, as a brand names at most a few official
        listings; a brand the full answer leaves out is asked alone."""
        out: dict[int, int | None] = dict.fromkeys(brands)
        limit = MAX_OFFICIALS * len(brands)
        hits = self._officials(brands, filters, limit)
        for e in hits:
            if out[e.brand] is None:
                out[e.brand] = e.key  # the first is its most used
        if len(hits) >= limit:  # more official listings than brands name: ask the rest
            for brand in (b for b, users in out.items() if users is None):
                alone = self._officials([brand], filters, 1)
                out[brand] = alone[0].key if alone else None
        return out

    def _officials(self, brands: list[int], filters: Clauses, limit: int) -> list[Entry]:
        """The most used official listings of ``brands`` the filters let through."""
        c = self.compiler
        query = self._query(filters, c.any_of(f.BRAND_KEY, brands), c.term(f.OFFICIAL, 1))
        found = self.searcher.search(query, limit=limit, count=False, order_by_field=f.POPULARITY)
        return self._entries([addr for _, addr in found.hits])
