"""The tantivy schema: one field per source and per analysed form, plus filters and the card blob.

Text fields are analysed in Python (``indexer.analysis``) and handed to tantivy
as space-joined tokens for its ``whitespace`` tokenizer, so the same analyzer
decides tokens at index and query time.
"""

from __future__ import annotations

from typing import Final

import tantivy

SCHEMA_VERSION: Final = 7

# Word fields: jieba index-mode tokens of each source.
NAME: Final = "name"
BRAND: Final = "brand"  # brand name and aliases of the listing's brand
KEYWORDS: Final = "keywords"
CATEGORY: Final = "category"
SHOWCASE: Final = "showcase"  # showcase item titles
DESCRIPTION: Final = "description"
# Derived forms of name + brand.
PINYIN: Final = "pinyin"  # full pinyin of runs and words: xingbake
INITIALS: Final = "initials"  # pinyin initials: xbk
NGRAM: Final = "ngram"  # CJK unigrams and bigrams of name, brand, keywords, category, showcase
# Latin tokens of name, brand and keywords: where typo (fuzzy) matching looks. Kept apart
# from the word fields because a distance-2 automaton walked over a dictionary of Chinese
# words explores every one- and two-character prefix (tens of ms at 1M listings).
LATIN: Final = "latin"
# Filters and ids.
APPID: Final = "appid"
BRAND_ID: Final = "brand_id"
CATEGORIES: Final = "categories"  # category strings as published, for the category filter
# Visibility filters. LIVE: the hosts an online listing can be found in (nothing for any
# other status); HIDDEN: every other known host. One filter term instead of a status and a
# host term, since each filter is walked for every listing the words match (a third of a
# common word's first-stage time at 1M). Searches exclude HIDDEN or require LIVE, whichever
# posting list is shorter: excluding is also cheaper per listing than intersecting.
LIVE: Final = "live"
HIDDEN: Final = "hidden"
OFFICIAL: Final = "official"
POPULARITY: Final = "popularity"  # monthly active users
DOC: Final = "doc"  # stored: analysed forms and ranking facts (orjson), read per candidate
CARD: Final = "card"  # stored: the listing as validated (orjson), read for the final page
# Search-as-you-type (indexer.completion).
COMPLETION_NAME: Final = "completion_name"  # edge prefixes of the listing name's spellings
COMPLETION_BRAND: Final = "completion_brand"  # the same of its brand's name and aliases
COMPLETION_DOC: Final = "completion_doc"  # stored: appid, name, brand id, name spellings

WORD_FIELDS: Final = (NAME, BRAND, KEYWORDS, CATEGORY, SHOWCASE, DESCRIPTION)
TEXT_FIELDS: Final = (*WORD_FIELDS, PINYIN, INITIALS, NGRAM, LATIN)
RAW_FIELDS: Final = (APPID, BRAND_ID, CATEGORIES, LIVE, HIDDEN)


def build_schema() -> tantivy.Schema:
    """The schema every index version is written with."""
    sb = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="freq")
    for name in RAW_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    sb.add_unsigned_field(OFFICIAL, indexed=True, fast=True)
    sb.add_unsigned_field(POPULARITY, indexed=False, fast=True)
    sb.add_bytes_field(DOC, stored=True, indexed=False)
    sb.add_bytes_field(CARD, stored=True, indexed=False)
    for name in (COMPLETION_NAME, COMPLETION_BRAND):
        sb.add_text_field(name, stored=False, tokenizer_name="whitespace", index_option="basic")
    sb.add_bytes_field(COMPLETION_DOC, stored=True, indexed=False)
    return sb.build()
