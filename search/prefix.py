"""Prefix (regex) queries, compiled once per schema, field and pattern.

tantivy turns each regex into an automaton when the query is created; for a
``prefix.+`` pattern over Unicode that costs about a millisecond, more than the
search itself on a small index. Keystroke traffic repeats the same prefixes, so
compiled queries are kept (bounded, cleared when full) and reused; a tantivy
query holds no per-search state.
"""

from __future__ import annotations

import threading

import tantivy

MAX_CACHED = 8192

_lock = threading.Lock()
_cache: dict[tuple[int, str, str], tuple[tantivy.Schema, tantivy.Query]] = {}


def regex_query(schema: tantivy.Schema, field: str, pattern: str) -> tantivy.Query:
    """``tantivy.Query.regex_query(schema, field, pattern)``, compiled at most once."""
    key = (id(schema), field, pattern)
    hit = _cache.get(key)
    if hit is not None and hit[0] is schema:
        return hit[1]
    query = tantivy.Query.regex_query(schema, field, pattern)
    with _lock:
        if len(_cache) >= MAX_CACHED:
            _cache.clear()
        # The schema is kept with the query so that its id cannot be reused by another.
        _cache[key] = (schema, query)
    return query
