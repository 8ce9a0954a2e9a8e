"""Version lifecycle in indexer.store: previous pointer, rollback, gc, change_seq in manifests.

Versions here are small real version folders (a file and a manifest with its
checksum), enough for everything the store does with them.

Properties checked:
1. `publish` records the replaced version in `previous`; republishing the current version
   leaves `previous` alone.
2. `rollback` publishes `previous` and makes the replaced version the new `previous`, so two
   rollbacks return to the start; without a previous version it raises VersionError.
3. `gc --keep N` removes all but the N newest versions, never the current, the previous or a
   protected (served) one, removes leftovers of killed gc runs, and never touches a fresh
   staging folder (a build in progress).
4. `publish` refuses a corrupt version (changed file) and an incomplete one (no manifest).
5. A manifest written before `change_seq` existed loads with change_seq 0; a build records
   the change_seq it was given.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from indexer.build import build_index
from indexer.dictionaries import Dictionaries
from indexer.errors import VersionError
from indexer.store import MANIFEST, TMP_PREFIX, IndexStore, Manifest, tree_sha256

BAD = Path(__file__).parent / "data" / "bad"


def make_version(store: IndexStore, name: str) -> str:
    staging = store.staging_dir(name)
    (staging / "index").mkdir()
    (staging / "index" / "data.bin").write_bytes(name.encode())
    manifest = Manifest(
        version=name,
        created_at=datetime.now(UTC),
        schema_version=1,
        fingerprint="f" * 16,
        sources={},
        counts={},
        by_status={},
        by_platform={},
        files_sha256=tree_sha256(staging),
    )
    store.commit(staging, manifest)
    return name


def names(n: int) -> list[str]:
    return [f"v2026010{i}-000000-00000{i}" for i in range(1, n + 1)]


def test_previous_and_rollback(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    a, b, c = (make_version(store, v) for v in names(3))
    with pytest.raises(VersionError, match="no previous version"):
        store.rollback()
    store.publish(a)
    assert (store.current(), store.previous()) == (a, None)
    store.publish(b)
    assert (store.current(), store.previous()) == (b, a)
    store.publish(b)
    assert (store.current(), store.previous()) == (b, a)
    store.publish(c)
    assert (store.current(), store.previous()) == (c, b)
    assert store.rollback()[0] == b
    assert (store.current(), store.previous()) == (b, c)
    assert store.rollback()[0] == c
    assert (store.current(), store.previous()) == (c, b)


def test_gc_keeps_current_previous_and_served(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    vs = [make_version(store, v) for v in names(7)]
    store.publish(vs[0])
    store.publish(vs[1])  # current vs[1], previous vs[0]
    leftover = store.root / f"{TMP_PREFIX}gc-v20250101-000000-000000"
    leftover.mkdir()
    building = store.staging_dir("v20260201-000000-aaaaaa")  # a build in progress
    removed = store.gc(keep=2, protect={vs[3]})
    assert sorted(store.versions()) == sorted([vs[0], vs[1], vs[3], vs[5], vs[6]])
    assert set(removed) == {vs[2], vs[4], leftover.name}
    assert building.is_dir()
    assert store.current() == vs[1] and store.previous() == vs[0]
    store.gc(keep=0)
    assert sorted(store.versions()) == sorted([vs[0], vs[1]])
    with pytest.raises(VersionError):
        store.gc(keep=-1)


def test_publish_refuses_corrupt_and_incomplete(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    good, bad = (make_version(store, v) for v in names(2))
    store.publish(good)
    (store.path(bad) / "index" / "data.bin").write_bytes(b"flipped")
    with pytest.raises(VersionError, match="corrupt"):
        store.publish(bad)
    incomplete = make_version(store, "v20260301-000000-000000")
    (store.path(incomplete) / MANIFEST).unlink()
    with pytest.raises(VersionError, match="not found or incomplete"):
        store.publish(incomplete)
    assert store.current() == good and store.previous() is None


@pytest.mark.slow  # two builds
def test_change_seq_in_manifest(tmp_path: Path, dicts: Dictionaries) -> None:
    store = IndexStore(tmp_path)
    old = make_version(store, names(1)[0])
    path = store.path(old) / MANIFEST
    data = orjson.loads(path.read_bytes())
    data.pop("change_seq")
    path.write_bytes(orjson.dumps(data))
    assert store.manifest(old).change_seq == 0
    result = build_index(
        store, BAD / "_base_listings.jsonl", BAD / "_base_brands.jsonl", dicts, change_seq=42
    )
    assert result.version is not None
    assert store.verify(result.version).change_seq == 42
