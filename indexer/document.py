"""Turns a validated listing into index fields and the stored blob the searcher re-ranks with."""

from __future__ import annotations

from typing import Any, TypedDict

import orjson
import tantivy

from indexer import schema as f
from indexer.analysis import Analyzer, compact, normalize
from indexer.models import Brand, Listing


class StoredDoc(TypedDict):
    """What the searcher reads back for a candidate: the listing and its analysed forms."""

    listing: dict[str, Any]
    tok: dict[str, list[str]]  # word field → index tokens
    norm: dict[str, str]  # word field → normalised text, for substring (n-gram) matches
    py: list[str]  # full pinyin forms of name and brand
    pi: list[str]  # initials of name and brand
    exact: list[str]  # compact whole-name and whole-alias keys
    main: bool  # the main official listing of its brand


def field_texts(listing: Listing, brand: Brand | None) -> dict[str, list[str]]:
    """The raw texts behind each word field."""
    return {
        f.NAME: [listing.name],
        f.BRAND: [brand.name, *brand.aliases] if brand else [],
        f.KEYWORDS: list(listing.keywords),
        f.CATEGORY: list(listing.category),
        f.SHOWCASE: [item.title for item in listing.showcase],
        f.DESCRIPTION: [listing.description],
    }


def analyse_listing(listing: Listing, brand: Brand | None, analyzer: Analyzer) -> tantivy.Document:
    """Index document (with its stored blob) for one listing."""
    texts = field_texts(listing, brand)
    tok: dict[str, list[str]] = {}
    norm: dict[str, str] = {}
    for field, values in texts.items():
        tokens: list[str] = []
        for value in values:
            tokens.extend(analyzer.tokens(value, "index"))
        tok[field] = tokens
        norm[field] = " | ".join(normalize(v) for v in values)
    py: list[str] = []
    pi: list[str] = []
    for value in texts[f.NAME] + texts[f.BRAND]:
        full, initials = analyzer.pinyin_forms(value)
        py.extend(full)
        pi.extend(initials)
    grams: list[str] = []
    for field in (f.NAME, f.BRAND, f.KEYWORDS, f.CATEGORY, f.SHOWCASE):
        for value in texts[field]:
            grams.extend(analyzer.ngrams(value))
    exact = list(
        dict.fromkeys(k for k in (compact(v) for v in texts[f.NAME] + texts[f.BRAND]) if k)
    )

    doc = tantivy.Document()
    for field, tokens in tok.items():
        doc.add_text(field, " ".join(tokens))
    doc.add_text(f.PINYIN, " ".join(py))
    doc.add_text(f.INITIALS, " ".join(pi))
    doc.add_text(f.NGRAM, " ".join(grams))
    doc.add_text(f.APPID, listing.appid)
    if listing.brand_id:
        doc.add_text(f.BRAND_ID, listing.brand_id)
    for category in listing.category:
        doc.add_text(f.CATEGORIES, category)
    for host in listing.hosts:
        doc.add_text(f.HOSTS, host)
    doc.add_text(f.STATUS, listing.status)
    doc.add_unsigned(f.OFFICIAL, int(listing.official))
    doc.add_unsigned(f.POPULARITY, listing.monthly_active_users)
    stored = StoredDoc(
        listing=listing.model_dump(mode="json"),
        tok=tok,
        norm=norm,
        py=list(dict.fromkeys(py)),
        pi=list(dict.fromkeys(pi)),
        exact=exact,
        main=bool(brand and listing.official and brand.official_appids[0] == listing.appid),
    )
    doc.add_bytes(f.DOC, orjson.dumps(stored))
    return doc


def load_stored(blob: bytes) -> StoredDoc:
    """Decode a stored blob."""
    data: StoredDoc = orjson.loads(blob)
    return data
