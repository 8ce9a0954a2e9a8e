"""The tantivy schema: a field per source and per analysed form; filters, priors and the card.

Text fields are analysed in Python (``indexer.analysis``) and handed to tantivy
as space-joined tokens for its ``whitespace`` tokenizer, so the same analyzer
decides tokens at index and query time. Ranking runs inside tantivy
(``search.rank``): every field a ranking clause looks at is here, and only
presence counts (const-score clauses), so word fields keep no frequencies.
"""

from __future__ import annotations

import hashlib
from typing import Final

import tantivy

SCHEMA_VERSION: Final = 14

# Word fields: jieba index-mode tokens of each source.
NAME: Final = "name"
BRAND: Final = "brand"  # brand name and aliases of the listing's brand
KEYWORDS: Final = "keywords"
CATEGORY: Final = "category"  # the listing's own (most specific, last) category
CATEGORY_TOP: Final = "category_top"  # the broad top-level category above it, if any
SHOWCASE: Final = "showcase"  # showcase item titles
DESCRIPTION: Final = "description"
# Derived forms.
PINYIN: Final = "pinyin"  # full pinyin of name and brand runs and words: xingbake
INITIALS: Final = "initials"  # pinyin initials: xbk
# CJK unigrams and bigrams of name, brand, keywords, category and showcase, each prefixed
# with its field's code (GRAM_CODES): a Chinese query word matches inside a field's words.
GRAMS: Final = "grams"
# What a query word is looked up by to decide which listings match (their scores come from
# the fields above): every word of the first-tier fields but the brand's (COVER_WORDS) and
# their characters' n-grams (COVER_GRAMS), unprefixed. One posting list where the fields
# hold five: intersecting the words of a longer query walks far fewer lists.
COVER_WORDS: Final = "cover_words"
COVER_GRAMS: Final = "cover_grams"
COVERED_FIELDS: Final = (NAME, KEYWORDS, CATEGORY, CATEGORY_TOP, SHOWCASE)
# Latin tokens of name, brand and keywords: where typo (fuzzy) matching looks. Kept apart
# from the word fields because a distance-2 automaton walked over a dictionary of Chinese
# words explores every one- and two-character prefix (tens of ms at 1M listings).
LATIN: Final = "latin"
EXACT: Final = "exact"  # compact whole name and whole brand names/aliases
EXACT_SPELLED: Final = "exact_spelled"  # full pinyin and initials of the Chinese ones
# Ids, filters and ranking terms (raw: one value, one term).
APPID: Final = "appid"
BRAND_ID: Final = "brand_id"
BRAND_OFFICIAL: Final = "brand_official"  # brand_id of an official (brand-owned) listing
BRAND_DEALER: Final = "brand_dealer"  # brand_id of a brand's other listings
CATEGORIES: Final = "categories"  # category strings as published, for the category filter
CATEGORY_PATH: Final = "category_path"  # its top-level category and Top/sub (needs)
# The places it serves (indexer.regions.region_terms): each province (广东) with the city
# named (广东/深圳) or the province as a whole (广东/); NATIONAL for none.
REGION: Final = "region"
NATIONAL: Final = "*"  # the REGION term of a listing for no province in particular
# The top-level category, whole (raw and fast): what category facets count, by tantivy's
# terms aggregation over the matches of a search.
CATEGORY_FACET: Final = "category_facet"
# The listing's popularity band (``indexer.priors.popularity_band``, 3 digits): discovery
# reads a host's most used listings from the top bands down.
POPULARITY_BAND: Final = "popularity_band"
# Each of the listing's categories (top-level and sub) with its popularity band,
# ``category_band_term``: discovery in a category reads that category's top bands.
CATEGORY_BAND: Final = "category_band"
CATEGORY_BAND_SEP: Final = "\x1f"  # between the category and the band (never in a category)
# A 64-bit key of the listing's brand id (``brand_key``; 0: no brand), indexed and fast:
# discovery orders a page's listings by their fast fields, and finds brands' officials by it.
BRAND_KEY: Final = "brand_key"
# Visibility filters. LIVE: the hosts an online listing can be found in (nothing for any
# other status); HIDDEN: every other known host. One filter term instead of a status and a
# host term, since each filter is walked for every listing the words match. Searches
# exclude HIDDEN or require LIVE, whichever posting list is shorter.
LIVE: Final = "live"
HIDDEN: Final = "hidden"
OFFICIAL: Final = "official"  # 1 for a brand-owned listing (indexed and fast)
POPULARITY: Final = "popularity"  # monthly active users (fast: suggest orders by it)
# The popularity priors as tantivy's ``weight_by_field`` reads them: a score is multiplied
# by log2(2 + PRIOR), so PRIOR = 2^factor − 2 (``indexer.priors``): a name's, a need's, a
# need naming a place's.
PRIOR: Final = "prior"
PRIOR_NEED: Final = "prior_need"
PRIOR_PLACE: Final = "prior_place"
CARD: Final = "card"  # stored: the listing as validated (orjson), read for the page's cards
TITLES: Final = "titles"  # stored: its showcase titles normalised, one a line (UTF-8)
# Search-as-you-type (indexer.completion).
COMPLETION_NAME: Final = "completion_name"  # edge prefixes of the listing name's spellings
COMPLETION_BRAND: Final = "completion_brand"  # the same of its brand's name and aliases
COMPLETION_DOC: Final = "completion_doc"  # stored: appid, name, brand id, name spellings

WORD_FIELDS: Final = (NAME, BRAND, KEYWORDS, CATEGORY, CATEGORY_TOP, SHOWCASE, DESCRIPTION)
GRAM_FIELDS: Final = (NAME, BRAND, KEYWORDS, CATEGORY, CATEGORY_TOP, SHOWCASE)
GRAM_CODES: Final[dict[str, str]] = {
    NAME: "n",
    BRAND: "b",
    KEYWORDS: "k",
    CATEGORY: "c",
    CATEGORY_TOP: "t",
    SHOWCASE: "s",
}
TEXT_FIELDS: Final = (*WORD_FIELDS, PINYIN, INITIALS, GRAMS, COVER_WORDS, COVER_GRAMS, LATIN)
RAW_FIELDS: Final = (
    EXACT,
    EXACT_SPELLED,
    APPID,
    BRAND_ID,
    BRAND_OFFICIAL,
    BRAND_DEALER,
    CATEGORIES,
    CATEGORY_PATH,
    REGION,
    POPULARITY_BAND,
    CATEGORY_BAND,
    LIVE,
    HIDDEN,
)
COMPLETION_FIELDS: Final = (COMPLETION_NAME, COMPLETION_BRAND)


def brand_key(brand_id: str | None) -> int:
    """The ``BRAND_KEY`` of a brand id: 8 bytes of its BLAKE2b digest, never 0 (0 is no
    brand); the same in every process and version."""
    if not brand_id:
        return 0
    digest = hashlib.blake2b(brand_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1


def category_band_term(category: str, band: str) -> str:
    """The ``CATEGORY_BAND`` term of a category and a popularity band's term."""
    return f"{category}{CATEGORY_BAND_SEP}{band}"


def gram_term(field: str, gram: str) -> str:
    """The GRAMS term of a character n-gram of ``field``."""
    return f"{GRAM_CODES[field]}{gram}"


def build_schema() -> tantivy.Schema:
    """The schema every index version is written with."""
    sb = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="basic")
    for name in RAW_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_text_field(
        CATEGORY_FACET, stored=False, fast=True, tokenizer_name="raw", index_option="basic"
    )
    sb.add_unsigned_field(OFFICIAL, indexed=True, fast=True)
    sb.add_unsigned_field(BRAND_KEY, indexed=True, fast=True)
    sb.add_unsigned_field(POPULARITY, indexed=False, fast=True)
    sb.add_float_field(PRIOR, indexed=False, fast=True)
    sb.add_float_field(PRIOR_NEED, indexed=False, fast=True)
    sb.add_float_field(PRIOR_PLACE, indexed=False, fast=True)
    sb.add_bytes_field(CARD, stored=True, indexed=False)
    sb.add_bytes_field(TITLES, stored=True, indexed=False)
    for name in COMPLETION_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="basic")
    sb.add_bytes_field(COMPLETION_DOC, stored=True, indexed=False)
    return sb.build()
