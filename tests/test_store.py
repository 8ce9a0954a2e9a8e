"""Unit tests for indexer.store: version folders, manifests and the ``current`` pointer.

A real version is built once per module from the small catalog in
``tests/data/bad/_base_*.jsonl``; tests that modify a version work on a copy in
their own ``tmp_path``.

Properties checked:

1. Only ``vYYYYMMDD-HHMMSS-xxxxxx`` names are versions: path traversal
   (``../x``, ``v1/../../etc``), absolute paths, upper-case hex, a trailing
   newline or non-ASCII digits raise VersionError, before anything touches disk.
2. ``new_version_id`` makes valid, sortable, unique names.
3. ``versions()`` lists complete versions oldest first and ignores staging
   ``.tmp-*`` folders, folders without a manifest, files and other names.
4. ``publish`` points ``current`` at the version (``vX\\n``) through a rename:
   no temporary file is left, a second publish replaces the pointer, and a
   failure before the rename leaves the old pointer intact.
5. ``publish``/``verify`` of a version whose index files were changed, added or
   removed raises VersionError saying it is corrupt, and leaves ``current`` alone.
6. ``manifest``/``verify``/``publish`` of an unknown version raise VersionError.
7. ``latest()`` is the newest version; with no versions it raises VersionError.
8. ``commit`` writes the manifest and renames staging to the version name;
   ``staging_dir`` always starts empty.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.dictionaries import Dictionaries
from indexer.errors import UserError, VersionError
from indexer.store import (
    CURRENT,
    INDEX_DIR,
    MANIFEST,
    PREVIOUS,
    TMP_PREFIX,
    IndexStore,
    file_sha256,
    new_version_id,
    tree_sha256,
    write_atomic,
)

BAD = Path(__file__).parent / "data" / "bad"
BASE_LISTINGS = BAD / "_base_listings.jsonl"
BASE_BRANDS = BAD / "_base_brands.jsonl"
OLDER = "v20000101-000000-000000"
VALID = "v20250314-102205-a1b2c3"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> tuple[IndexStore, str]:
    """A store with one real version of the 10-listing base catalog (never modified)."""
    store = IndexStore(tmp_path_factory.mktemp("store-home"))
    result = build_index(store, BASE_LISTINGS, BASE_BRANDS, dicts)
    assert result.version is not None
    return store, result.version


def _copy(built: tuple[IndexStore, str], home: Path, *names: str) -> IndexStore:
    """A new store under ``home`` holding the built version (under ``names`` too)."""
    src, version = built
    store = IndexStore(home)
    for name in (version, *names):
        shutil.copytree(src.path(version), store.root / name)
    return store


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(TMP_PREFIX)]


# ------------------------------------------------------------------ 1-2 names


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "v1/../../etc",
        f"{VALID}/../../etc",
        "../" + VALID,
        "/etc/passwd",
        "",
        "current",
        "v1",
        TMP_PREFIX + VALID,
        VALID.upper(),
        VALID + "\n",
        VALID + "x",
        " " + VALID,
        "v２０２５0314-102205-a1b2c3",  # full-width digits
        "v٢٠٢٥0314-102205-a1b2c3",  # Arabic-Indic digits
    ],
)
def test_bad_version_names(tmp_path: Path, name: str) -> None:
    store = IndexStore(tmp_path)
    for call in (store.check_name, store.path, store.manifest, store.verify, store.publish):
        with pytest.raises(VersionError, match="is not a version name"):
            call(name)
    with pytest.raises(VersionError):
        store.staging_dir(name)
    assert sorted(tmp_path.rglob("*")) in ([], [store.root])  # nothing written


def test_version_error_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="vYYYYMMDD-HHMMSS-xxxxxx"):
        IndexStore(tmp_path).check_name("../x")


def test_good_version_names(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    assert store.check_name(VALID) == VALID
    assert store.path(VALID) == tmp_path / "indexes" / VALID


def test_new_version_id() -> None:
    at = datetime(2025, 3, 14, 10, 22, 5, tzinfo=UTC)
    first = new_version_id(at)
    assert first.startswith("v20250314-102205-")
    ids = {new_version_id(at) for _ in range(50)}
    assert len(ids) > 45  # 24 random bits
    store = IndexStore(Path("unused"))
    assert all(store.check_name(i) == i for i in ids)
    assert new_version_id(datetime(2025, 3, 14, 10, 22, 6, tzinfo=UTC)) > max(ids)
    assert store.check_name(new_version_id())


# ------------------------------------------------------------------ 3 versions()


def test_versions_of_empty_home(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "home")
    assert store.versions() == []
    assert store.current() is None


def test_versions_ignore_staging_and_incomplete(
    built: tuple[IndexStore, str], tmp_path: Path
) -> None:
    store = _copy(built, tmp_path, OLDER)
    _, version = built
    root = store.root
    # a staging folder, even one that already has its manifest
    shutil.copytree(root / version, root / f"{TMP_PREFIX}v20300101-000000-aaaaaa")
    # a version-named folder without manifest (a crash before commit)
    (root / "v20300101-000000-bbbbbb" / INDEX_DIR).mkdir(parents=True)
    # a version-named file, a folder with a manifest but another name
    (root / "v20300101-000000-cccccc").write_text("not a folder", encoding="utf-8")
    shutil.copytree(root / version, root / "backup")
    assert store.versions() == [OLDER, version]
    assert store.latest() == version


# ------------------------------------------------------------------ 4 publish


def test_publish_writes_current(built: tuple[IndexStore, str], tmp_path: Path) -> None:
    store = _copy(built, tmp_path, OLDER)
    _, version = built
    assert store.current() is None

    manifest = store.publish(OLDER)
    assert manifest == store.manifest(OLDER)
    assert (tmp_path / CURRENT).read_bytes() == f"{OLDER}\n".encode()
    assert store.current() == OLDER

    store.publish(version)
    assert (tmp_path / CURRENT).read_bytes() == f"{version}\n".encode()
    assert store.current() == version
    assert _leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [CURRENT, "indexes", PREVIOUS]


def test_publish_failure_keeps_old_pointer(
    built: tuple[IndexStore, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _copy(built, tmp_path, OLDER)
    _, version = built
    store.publish(OLDER)

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        store.publish(version)
    monkeypatch.undo()
    assert store.current() == OLDER
    assert (tmp_path / CURRENT).read_bytes() == f"{OLDER}\n".encode()


def test_current_with_empty_pointer(tmp_path: Path) -> None:
    (tmp_path / CURRENT).write_text("\n", encoding="utf-8")
    assert IndexStore(tmp_path).current() is None


def test_write_atomic(tmp_path: Path) -> None:
    target = tmp_path / "pointer"
    write_atomic(target, b"one\n")
    write_atomic(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["pointer"]


# ------------------------------------------------------------------ 5 corrupt versions


def _segment_file(store: IndexStore, version: str) -> Path:
    """The doc store of one of the version's segments."""
    return sorted((store.path(version) / INDEX_DIR).glob("*.store"))[0]


@pytest.mark.parametrize("damage", ["modify", "truncate", "add", "remove"])
def test_publish_corrupt_version(
    built: tuple[IndexStore, str], tmp_path: Path, damage: str
) -> None:
    store = _copy(built, tmp_path, OLDER)
    _, version = built
    store.publish(OLDER)
    target = _segment_file(store, version)
    if damage == "modify":
        data = bytearray(target.read_bytes())
        data[0] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:-1])
    elif damage == "add":
        (target.parent / "extra.bin").write_bytes(b"\0")
    else:
        target.unlink()

    for call in (store.verify, store.publish):
        with pytest.raises(VersionError, match="corrupt") as info:
            call(version)
        assert version in str(info.value)
        assert "rebuild" in str(info.value)
    assert store.current() == OLDER
    assert store.verify(OLDER).version == version  # the copy is intact


def test_verify_intact_version(built: tuple[IndexStore, str]) -> None:
    store, version = built
    manifest = store.verify(version)
    assert manifest.version == version
    assert manifest.files_sha256 == tree_sha256(store.path(version))


# ------------------------------------------------------------------ 6 unknown versions


def test_unknown_version(built: tuple[IndexStore, str], tmp_path: Path) -> None:
    store = _copy(built, tmp_path)
    (store.root / OLDER).mkdir()  # exists, but no manifest
    for name in (VALID, OLDER):
        for call in (store.manifest, store.verify, store.publish):
            with pytest.raises(VersionError, match="not found or incomplete") as info:
                call(name)
            assert name in str(info.value)
    assert store.current() is None


# ------------------------------------------------------------------ 7 latest


def test_latest_without_versions(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    with pytest.raises(VersionError, match="mpsearch index build"):
        store.latest()
    store.staging_dir(VALID)  # a build in progress is not a version
    with pytest.raises(VersionError, match="no index version"):
        store.latest()


# ------------------------------------------------------------------ 8 staging and commit


def test_staging_dir_starts_empty(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    staging = store.staging_dir(VALID)
    assert staging == store.root / f"{TMP_PREFIX}{VALID}"
    (staging / "leftover").write_text("from a killed build", encoding="utf-8")
    assert list(store.staging_dir(VALID).iterdir()) == []
    assert store.versions() == []


def test_commit_renames_staging(built: tuple[IndexStore, str], tmp_path: Path) -> None:
    src, version = built
    store = IndexStore(tmp_path)
    staging = store.staging_dir(VALID)
    for item in src.path(version).iterdir():
        if item.is_dir():
            shutil.copytree(item, staging / item.name)
        elif item.name != MANIFEST:
            shutil.copy2(item, staging / item.name)
    manifest = src.manifest(version).model_copy(update={"version": VALID})
    final = store.commit(staging, manifest)
    assert final == store.path(VALID)
    assert not staging.exists()
    assert store.versions() == [VALID]
    assert store.manifest(VALID) == manifest
    assert (final / MANIFEST).is_file()
    assert _leftovers(tmp_path) == []
    assert store.verify(VALID) == manifest


def test_checksums(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"hello")
    assert file_sha256(tmp_path / "a") == hashlib.sha256(b"hello").hexdigest()
    before = tree_sha256(tmp_path)
    (tmp_path / "a").rename(tmp_path / "b")
    assert tree_sha256(tmp_path) != before  # names count, not only contents
