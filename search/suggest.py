"""Search-as-you-type: completions from listing names, brand names and aliases.

Reachable by a Chinese prefix (星巴 → 星巴克), a pinyin prefix (xingba) or
initials (xbk); only listings online in the host count, most popular first.

A keystroke is term lookups in the completion fields (``indexer.completion``), read
as two streams in popularity order and merged: listings whose name starts with the
input (each one offers its name), and brands whose name or an alias does (each one
once, at its most popular listing, offering the name and the aliases reached). A
brand's other listings are left out of its stream by the search itself, so a brand
with thousands of listings costs one lookup, and no ranking blob is ever decoded.
"""

from __future__ import annotations

from collections.abc import Iterator

import tantivy

from indexer import schema as f
from indexer.analysis import compact
from indexer.brands import BrandTable
from indexer.completion import (
    TIER_PREFIX_CAP,
    TIERS,
    CompletionDoc,
    load_completion_doc,
    lookup_key,
    reaches,
    spellings,
    tier_term,
)
from search.models import Suggestion

CANDIDATES = 64  # listing hits read per page, most popular first
MAX_HITS = 4 * CANDIDATES  # listing hits read at most when names repeat
MAX_BRANDS = 32  # brands looked up at most (each one is a search)
FULL_TIER = 2 * CANDIDATES  # a tier with fewer listings than this is not worth starting at

Filters = list[tuple[tantivy.Occur, tantivy.Query]]
Hit = tuple[int, CompletionDoc]  # popularity, the listing's completion record


def _terms(searcher: tantivy.Searcher, field: str, key: str) -> list[str]:
    """Completion terms to read in turn: from the highest popularity tier that holds
    enough listings down to the untiered prefix. Each one's matches, most popular
    first, begin with all matches of the one before (higher tiers are more popular)."""
    prefix = lookup_key(key)
    terms = [prefix]
    if len(prefix) <= TIER_PREFIX_CAP:
        for tier in range(len(TIERS) - 1, -1, -1):
            term = tier_term(prefix, tier)
            if searcher.doc_freq(field, term) < FULL_TIER:
                break
            terms.insert(0, term)
    return terms


def _record(searcher: tantivy.Searcher, addr: tantivy.DocAddress) -> CompletionDoc | None:
    blob = searcher.doc(addr).get_first(f.COMPLETION_DOC)
    return load_completion_doc(blob) if isinstance(blob, bytes) else None


def _named(
    searcher: tantivy.Searcher, schema: tantivy.Schema, filters: Filters, key: str
) -> Iterator[Hit]:
    """Listings whose name the input may reach, most popular first, page by page."""
    read = 0  # hits handled so far, in popularity order
    for term in _terms(searcher, f.COMPLETION_NAME, key):
        prefix = tantivy.Query.term_query(schema, f.COMPLETION_NAME, term)
        query = tantivy.Query.boolean_query([*filters, (tantivy.Occur.Must, prefix)])
        while read < MAX_HITS:
            hits = searcher.search(
                query, limit=CANDIDATES, count=False, offset=read, order_by_field=f.POPULARITY
            ).hits
            read += len(hits)
            for popularity, addr in hits:
                entry = _record(searcher, addr)
                if entry is not None:
                    yield int(popularity), entry
            if len(hits) < CANDIDATES:
                break  # this term has no more matches: go on in the next, larger one


def _branded(
    searcher: tantivy.Searcher, schema: tantivy.Schema, filters: Filters, key: str
) -> Iterator[Hit]:
    """The most popular listing of each brand the input may reach, most popular first."""
    seen: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for term in _terms(searcher, f.COMPLETION_BRAND, key):
        prefix = tantivy.Query.term_query(schema, f.COMPLETION_BRAND, term)
        while len(seen) < MAX_BRANDS:
            query = tantivy.Query.boolean_query([*filters, (tantivy.Occur.Must, prefix), *seen])
            hits = searcher.search(query, limit=1, count=False, order_by_field=f.POPULARITY).hits
            if not hits:
                break  # every brand of this term is done: go on in the next, larger one
            popularity, addr = hits[0]
            entry = _record(searcher, addr)
            if entry is None or entry.brand_id is None:
                return  # not a document this code wrote: stop rather than loop on it
            yield int(popularity), entry
            brand = tantivy.Query.term_query(schema, f.BRAND_ID, entry.brand_id)
            seen.append((tantivy.Occur.MustNot, brand))


def suggest(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    table: BrandTable,
    filters: Filters,
    q: str,
    limit: int,
) -> list[Suggestion]:
    """Up to ``limit`` completions of ``q`` for one host."""
    key = compact(q)
    if not key or limit <= 0:
        return []
    out: list[Suggestion] = []
    seen: set[str] = set()

    def add(text: str, kind: str, appid: str | None) -> None:
        if text not in seen and len(out) < limit:
            seen.add(text)
            out.append(Suggestion(text=text, kind=kind, appid=appid))  # type: ignore[arg-type]

    named = _named(searcher, schema, filters, key)
    branded = _branded(searcher, schema, filters, key)
    name_hit = next(named, None)
    brand_hit = next(branded, None)
    while len(out) < limit and (name_hit or brand_hit):
        # The more popular listing first; a brand before a name at equal popularity.
        if brand_hit and (name_hit is None or brand_hit[0] >= name_hit[0]):
            brand = table.brands.get(brand_hit[1].brand_id or "")
            if brand is not None:
                if reaches(key, spellings(brand.name)):
                    add(brand.name, "brand", None)
                for alias in brand.aliases:
                    if reaches(key, spellings(alias)):
                        add(alias, "alias", None)
            brand_hit = next(branded, None)
        elif name_hit:
            entry = name_hit[1]
            if reaches(key, entry.spelled):
                add(entry.name, "listing", entry.appid)
            name_hit = next(named, None)
    return out
