"""The indexed prefix and typo tiers of brand resolution give exactly what a full key scan gives."""

from __future__ import annotations

import random

from rapidfuzz.distance import Levenshtein

from indexer.analysis import is_cjk
from indexer.brands import BrandKey, BrandTable
from search import resolve as r
from search.engine import Engine


def _scan_prefix(key: str, table: BrandTable, latin: bool) -> r.Resolution | None:
    if len(key) < (r.MIN_LATIN_PREFIX if latin else r.MIN_CJK_PREFIX):
        return None
    kinds = ("name", "alias", "pinyin") if latin else ("name", "alias")
    hits = [
        e
        for candidate, entries in table.keys.items()
        if candidate.startswith(key) and candidate != key
        for e in entries
        if e.kind in kinds
    ]
    return r._from_keys(hits, "prefix") if hits else None


def _scan_latin_typo(key: str, table: BrandTable) -> r.Resolution | None:
    if len(key) < r.MIN_TYPO_LEN or not key.isascii():
        return None
    limit = 1 if len(key) < 8 else 2
    best: list[BrandKey] = []
    best_d = limit + 1
    for candidate, entries in table.keys.items():
        if not candidate.isascii() or abs(len(candidate) - len(key)) > limit:
            continue
        names = [e for e in entries if e.kind in ("name", "alias")]
        if not names:
            continue
        d = Levenshtein.distance(key, candidate, score_cutoff=limit)
        if d > limit:
            continue
        if d < best_d:
            best, best_d = list(names), d
        elif d == best_d:
            best.extend(names)
    return r._from_keys(best, "typo") if best else None


def _scan_cjk_typo(key: str, table: BrandTable) -> r.Resolution | None:
    if len(key) < r.MIN_CJK_TYPO_LEN or not all(is_cjk(ch) for ch in key):
        return None
    hits: list[BrandKey] = []
    for candidate, entries in table.keys.items():
        if len(candidate) != len(key) or candidate == key:
            continue
        diff = [(a, b) for a, b in zip(key, candidate, strict=True) if a != b]
        if len(diff) == 1 and r._similar_sound(*diff[0]):
            hits.extend(e for e in entries if e.kind in ("name", "alias"))
    return r._from_keys(hits, "typo") if hits else None


def _probes(table: BrandTable) -> list[str]:
    rng = random.Random(7)
    keys = list(table.keys)
    chars = sorted({ch for k in keys for ch in k})
    probes: set[str] = set()
    for key in keys:
        probes.update(key[:n] for n in range(1, len(key) + 1))
        for _ in range(4):
            i = rng.randrange(len(key))
            probes.add(key[:i] + key[i + 1 :])  # deletion
            probes.add(key[:i] + rng.choice(chars) + key[i + 1 :])  # substitution
            probes.add(key[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + key[i:])  # insertion
    return sorted(p for p in probes if p)


def test_indexed_tiers_match_a_full_scan(engine: Engine) -> None:
    table = engine.table
    probes = _probes(table)
    assert len(probes) > 5000
    found = 0
    for key in probes:
        latin = key.isascii()
        assert r._prefix(key, table, latin) == _scan_prefix(key, table, latin), key
        assert r._latin_typo(key, table) == _scan_latin_typo(key, table), key
        expected = _scan_cjk_typo(key, table)
        assert r._cjk_typo(key, table) == expected, key
        found += expected is not None
    assert found > 50  # the probes do reach the typo tiers


def test_index_follows_the_table(engine: Engine) -> None:
    table = engine.table
    other = BrandTable.build(list(table.brands.values())[:5])
    key = next(iter(table.keys))
    assert r._key_index(table).table is table
    assert r._key_index(other).starting_with(key[:1]) == [
        k for k in other.keys if k.startswith(key[:1])
    ]
    assert r._key_index(table).table is table
