"""Search-as-you-type: completions from listing names, brand names and aliases.

Reachable by a Chinese prefix (星巴 → 星巴克), a pinyin prefix (xingba) or
initials (xbk); only listings online in the host count, most popular first.
"""

from __future__ import annotations

from functools import lru_cache

import tantivy

from indexer import schema as f
from indexer.analysis import compact, has_cjk, pinyin_full, pinyin_initials
from indexer.brands import BrandTable
from indexer.document import load_stored
from search.models import Suggestion
from search.prefix import regex_query
from search.query import LATIN_TAIL

CANDIDATES = 64


def _prefix_query(schema: tantivy.Schema, key: str) -> tantivy.Query:
    if has_cjk(key):
        grams = [key] if len(key) == 1 else [key[i : i + 2] for i in range(len(key) - 1)]
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, f.NGRAM, g))
                for g in dict.fromkeys(grams)
            ]
        )
    pattern = f"{key}{LATIN_TAIL}*" if key.isascii() and key.isalnum() else f"{key}.*"
    return tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Should, regex_query(schema, field, pattern))
            for field in (f.NAME, f.BRAND, f.PINYIN, f.INITIALS)
        ]
    )


@lru_cache(maxsize=65_536)
def _spellings(form: str) -> tuple[str, str, str]:
    """A completion's compact form, full pinyin and initials (empty for Latin-only forms)."""
    c = compact(form)
    if not has_cjk(c):
        return c, "", ""
    return c, pinyin_full(c), pinyin_initials(c)


def _reaches(key: str, form: str) -> bool:
    """Whether typing ``key`` leads to ``form``: as written, by pinyin or by initials."""
    c, full, initials = _spellings(form)
    if c.startswith(key):
        return True
    if has_cjk(key) or not full:
        return False
    return full.startswith(key) or initials.startswith(key)


def suggest(
    searcher: tantivy.Searcher,
    schema: tantivy.Schema,
    table: BrandTable,
    filters: list[tuple[tantivy.Occur, tantivy.Query]],
    q: str,
    limit: int,
) -> list[Suggestion]:
    """Up to ``limit`` completions of ``q`` for one host."""
    key = compact(q)
    if not key:
        return []
    query = tantivy.Query.boolean_query(
        [*filters, (tantivy.Occur.Must, _prefix_query(schema, key))]
    )
    hits = searcher.search(query, limit=CANDIDATES, order_by_field=f.POPULARITY).hits
    out: list[Suggestion] = []
    seen: set[str] = set()

    def add(text: str, kind: str, appid: str | None) -> None:
        if text not in seen and len(out) < limit:
            seen.add(text)
            out.append(Suggestion(text=text, kind=kind, appid=appid))  # type: ignore[arg-type]

    for _, addr in hits:
        blob = searcher.doc(addr).get_first(f.DOC)
        if not isinstance(blob, bytes):
            continue
        listing = load_stored(blob)["listing"]
        brand = table.brands.get(listing.get("brand_id") or "")
        if brand is not None:
            if _reaches(key, brand.name):
                add(brand.name, "brand", None)
            for alias in brand.aliases:
                if _reaches(key, alias):
                    add(alias, "alias", None)
        if _reaches(key, listing["name"]):
            add(listing["name"], "listing", listing["appid"])
        if len(out) >= limit:
            break
    return out
