"""Prefix (regex) queries, compiled once per schema, field and pattern while they stay hot.

tantivy turns each regex into an automaton when the query is created; for a
``prefix.+`` pattern over Unicode that costs about a millisecond, more than the
search itself on a small index. Keystroke traffic repeats the same prefixes, so
the most recently used compiled queries are kept and reused (a tantivy query
holds no per-search state). Each one holds its automaton (0.1–0.3 MB), so the
cache is small: an LRU of ``MAX_CACHED`` entries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import tantivy

MAX_CACHED = 128

_lock = threading.Lock()
_cache: OrderedDict[tuple[int, str, str], tuple[tantivy.Schema, tantivy.Query]] = OrderedDict()


def regex_query(schema: tantivy.Schema, field: str, pattern: str) -> tantivy.Query:
    """``tantivy.Query.regex_query(schema, field, pattern)``, reused while recently used."""
    key = (id(schema), field, pattern)
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is schema:
            _cache.move_to_end(key)
            return hit[1]
    query = tantivy.Query.regex_query(schema, field, pattern)
    with _lock:
        # The schema is kept with the query so that its id cannot be reused by another.
        _cache[key] = (schema, query)
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return query
