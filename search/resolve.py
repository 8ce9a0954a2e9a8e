"""Brand resolution: does a query (or a part of it) name exactly one brand?

Looks the query's compact form up in the brand table built at index time,
trying in order: a name or alias as written, full pinyin, initials (Latin
queries only), a half-typed prefix, a typo-corrected Latin form or a
near-homophone Chinese form. The first tier that finds brands decides; more than one
brand in it means the query is ambiguous.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from indexer.analysis import compact, has_cjk, is_cjk, pinyin_syllables
from indexer.brands import BrandKey, BrandTable

Via = Literal["name", "alias", "pinyin", "initials", "typo", "prefix"]
MIN_TYPO_LEN = 4
MIN_CJK_TYPO_LEN = 3
MIN_LATIN_PREFIX = 4
MIN_CJK_PREFIX = 2
MAX_PREFIX_BRANDS = 8  # a prefix shared by more brands than this names none of them


@dataclass(frozen=True, slots=True)
class Resolution:
    """The brand(s) a text resolves to and how; ``zone`` says whether a brand zone is shown."""

    brand_ids: tuple[str, ...]
    via: Via
    matched: str  # the brand form that hit, as published

    @property
    def unique(self) -> str | None:
        return self.brand_ids[0] if len(self.brand_ids) == 1 else None

    @property
    def zone(self) -> bool:
        """A half-typed prefix ranks the brand first but does not open a brand zone."""
        return self.via != "prefix" and len(self.brand_ids) == 1


@dataclass(slots=True)
class _KeyIndex:
    """A brand table's keys arranged for the prefix and typo tiers, built once per table.

    Scanning every key per query grows with the brand count; here the prefix tier
    bisects a sorted list and the typo tiers look only at keys of a possible length.
    Matches are put back in table order, so results are exactly those of a full scan.
    """

    table: BrandTable
    order: dict[str, int] = field(default_factory=dict)  # key → position in the table
    ordered: list[str] = field(default_factory=list)  # keys, sorted
    latin_names: dict[int, list[str]] = field(default_factory=dict)  # by length, ASCII name/alias
    # Chinese keys by their form with one character masked: 麦当劳 under *当劳, 麦*劳, 麦当*.
    masked: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, table: BrandTable) -> _KeyIndex:
        idx = cls(table)
        for i, (key, entries) in enumerate(table.keys.items()):
            idx.order[key] = i
            if len(key) >= MIN_CJK_TYPO_LEN and all(is_cjk(ch) for ch in key):
                for m in _masks(key):
                    idx.masked.setdefault(m, []).append(key)
            if key.isascii() and any(e.kind in ("name", "alias") for e in entries):
                idx.latin_names.setdefault(len(key), []).append(key)
        idx.ordered = sorted(table.keys)
        return idx

    def starting_with(self, prefix: str) -> list[str]:
        """Keys that start with ``prefix``, in table order."""
        out = []
        for key in self.ordered[bisect_left(self.ordered, prefix) :]:
            if not key.startswith(prefix):
                break
            out.append(key)
        return sorted(out, key=self.order.__getitem__)

    def latin_near_length(self, length: int, limit: int) -> list[str]:
        """ASCII name/alias keys whose length is within ``limit`` of ``length``, in table order."""
        keys = [
            k
            for n in range(length - limit, length + limit + 1)
            for k in self.latin_names.get(n, ())
        ]
        return sorted(keys, key=self.order.__getitem__)

    def one_char_apart(self, key: str) -> list[str]:
        """Chinese keys of the same length that differ from ``key`` in exactly one
        character, in table order."""
        found = {k for m in _masks(key) for k in self.masked.get(m, ()) if k != key}
        return sorted(found, key=self.order.__getitem__)


def _masks(key: str) -> list[str]:
    return [f"{key[:i]}\0{key[i + 1 :]}" for i in range(len(key))]


_index_lock = threading.Lock()
_last_index: _KeyIndex | None = None


def _key_index(table: BrandTable) -> _KeyIndex:
    """The key index of ``table`` (the engine's table rarely changes: one is kept)."""
    global _last_index
    idx = _last_index
    if idx is None or idx.table is not table:
        with _index_lock:
            idx = _last_index
            if idx is None or idx.table is not table:
                idx = _last_index = _KeyIndex.build(table)
    return idx


def _from_keys(entries: list[BrandKey], via: Via | None = None) -> Resolution:
    ids = tuple(dict.fromkeys(e.brand_id for e in entries))
    kinds = {e.kind for e in entries}
    return Resolution(ids, via or ("name" if "name" in kinds else entries[0].kind), entries[0].form)


def _exact(key: str, table: BrandTable, latin: bool) -> Resolution | None:
    entries = table.keys.get(key)
    if not entries:
        return None
    for tier in (("name", "alias"), ("pinyin",), ("initials",)):
        if not latin and tier != ("name", "alias"):
            return None
        hits = [e for e in entries if e.kind in tier]
        if hits:
            return _from_keys(hits)
    return None


def _latin_typo(key: str, table: BrandTable) -> Resolution | None:
    if len(key) < MIN_TYPO_LEN or not key.isascii():
        return None
    limit = 1 if len(key) < 8 else 2
    best: list[BrandKey] = []
    best_d = limit + 1
    candidates = _key_index(table).latin_near_length(len(key), limit)
    near = process.extract(
        key, candidates, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
    )
    for candidate, d, _ in sorted(near, key=lambda hit: hit[2]):
        names = [e for e in table.keys[candidate] if e.kind in ("name", "alias")]
        if d < best_d:
            best, best_d = list(names), d
        elif d == best_d:
            best.extend(names)
    return _from_keys(best, "typo") if best else None


def _similar_sound(a: str, b: str) -> bool:
    """Two characters whose toneless pinyin shares the initial or the final: 登/顿, 么/吗."""
    pa, pb = pinyin_syllables(a), pinyin_syllables(b)
    if not pa or not pb:
        return False
    sa, sb = pa[0], pb[0]
    return sa == sb or sa[0] == sb[0] or sa[-2:] == sb[-2:]


def _cjk_typo(key: str, table: BrandTable) -> Resolution | None:
    """One character of a 3+ character Chinese name replaced by a similar-sounding one."""
    if len(key) < MIN_CJK_TYPO_LEN or not all(is_cjk(ch) for ch in key):
        return None
    hits: list[BrandKey] = []
    for candidate in _key_index(table).one_char_apart(key):
        diff = [(a, b) for a, b in zip(key, candidate, strict=True) if a != b]
        if _similar_sound(*diff[0]):
            hits.extend(e for e in table.keys[candidate] if e.kind in ("name", "alias"))
    return _from_keys(hits, "typo") if hits else None


def _prefix(key: str, table: BrandTable, latin: bool) -> Resolution | None:
    if len(key) < (MIN_LATIN_PREFIX if latin else MIN_CJK_PREFIX):
        return None
    kinds = ("name", "alias", "pinyin") if latin else ("name", "alias")
    hits = [
        e
        for candidate in _key_index(table).starting_with(key)
        if candidate != key
        for e in table.keys[candidate]
        if e.kind in kinds
    ]
    if not hits:
        return None
    return _from_keys(hits, "prefix")


def name_or_alias(key: str, table: BrandTable) -> Resolution | None:
    """The brands a compact ``key`` spells as a name or alias as written (no pinyin, prefix
    or typo)."""
    hits = [e for e in table.keys.get(key, []) if e.kind in ("name", "alias")]
    return _from_keys(hits) if hits else None


def resolve(text: str, table: BrandTable) -> Resolution | None:
    """Resolve a whole text (a query, or a run of query words) to brands."""
    return resolve_key(compact(text), table)


def resolve_key(key: str, table: BrandTable) -> Resolution | None:
    """:func:`resolve` for a text already in its compact form."""
    if not key:
        return None
    latin = not has_cjk(key)
    found = _exact(key, table, latin)
    if found is None:
        found = _prefix(key, table, latin)
        if found is not None and len(found.brand_ids) > MAX_PREFIX_BRANDS:
            # zhon… starts a hundred brand names at 1M listings: no evidence for any of
            # them (and each would become query clauses); nor is it a typo of another.
            return None
    if found is None:
        found = _latin_typo(key, table) if latin else _cjk_typo(key, table)
    return found
