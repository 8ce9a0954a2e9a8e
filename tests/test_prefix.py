"""The compiled prefix-query cache: reuse, bounded size, same hits as a fresh query."""

from __future__ import annotations

import tantivy

from indexer import schema as f
from search import prefix
from search.engine import Engine


def test_reuses_recent_queries_and_stays_bounded(engine: Engine) -> None:
    schema = engine.index.schema
    first = prefix.regex_query(schema, f.NAME, "zzq.+")
    assert prefix.regex_query(schema, f.NAME, "zzq.+") is first
    for i in range(prefix.MAX_CACHED + 5):
        prefix.regex_query(schema, f.NAME, f"zz{i}.+")
    assert len(prefix._cache) == prefix.MAX_CACHED
    assert prefix.regex_query(schema, f.NAME, "zzq.+") is not first  # evicted, compiled again


def test_cached_query_finds_what_a_fresh_one_finds(engine: Engine) -> None:
    schema = engine.index.schema
    fresh = tantivy.Query.regex_query(schema, f.PINYIN, "xingba.+")
    cached = prefix.regex_query(schema, f.PINYIN, "xingba.+")
    again = prefix.regex_query(schema, f.PINYIN, "xingba.+")
    hits = [engine.searcher.search(q, limit=50).hits for q in (fresh, cached, again)]
    assert hits[0], "the sample catalog has 星巴克"
    assert [a.doc for _, a in hits[0]] == [a.doc for _, a in hits[1]] == [a.doc for _, a in hits[2]]
