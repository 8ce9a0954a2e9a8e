"""Version stores (a shared folder, S3 through moto's server) and fetching into a cache.

Properties checked, on both stores:
1. An uploaded version is listed and its manifest read back; uploading the same name
   again is refused (never overwritten).
2. Fetching into an empty cache copies every file, verifies the checksum, and the cached
   version verifies; fetching again reuses the cache.
3. A corrupt version (one file changed in the store) is refused by name, "corrupt", and
   leaves nothing in the cache; an incomplete one (no manifest: an upload cut short) is
   not listed and is refused by name, "incomplete".
4. Removing a version takes it off the list and it can no longer be fetched.
5. The default store is this home's `indexes/`: upload of a version built there is a
   no-op, and `Deployment` publishes into the home's pointers as on one machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devcluster.s3 import BUCKET, MotoS3
from indexer.build import build_index
from indexer.deployment import Deployment
from indexer.dictionaries import Dictionaries
from indexer.errors import VersionError
from indexer.s3store import S3Versions
from indexer.settings import Settings
from indexer.store import MANIFEST, IndexStore, Manifest
from indexer.versionstore import FolderVersions, VersionStore, fetch_version
from tests.test_applier import BRANDS, LISTINGS

pytestmark = pytest.mark.slow  # a PostgreSQL server, moto's S3 server


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> tuple[Path, Manifest]:
    store = IndexStore(tmp_path_factory.mktemp("built"))
    result = build_index(store, LISTINGS, BRANDS, dicts)
    assert result.version is not None and result.manifest is not None
    return store.path(result.version), result.manifest


@pytest.fixture(params=["folder", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VersionStore]:
    if request.param == "folder":
        yield FolderVersions(tmp_path / "shared")
        return
    moto: MotoS3 = request.getfixturevalue("moto_s3")
    yield S3Versions(moto.client(), BUCKET, f"t/{request.node.name}")


def corrupt(store: VersionStore, version: str, moto: MotoS3 | None) -> None:
    """Change one index file of ``version`` in ``store``."""
    if isinstance(store, FolderVersions):
        (store.root / version / "brands.json").write_bytes(b"{}")
        return
    assert isinstance(store, S3Versions) and moto is not None
    moto.client().put_object(Bucket=BUCKET, Key=f"{store.prefix}/{version}/brands.json", Body=b"{}")


def drop_manifest(store: VersionStore, version: str, moto: MotoS3 | None) -> None:
    if isinstance(store, FolderVersions):
        (store.root / version / MANIFEST).unlink()
        return
    assert isinstance(store, S3Versions) and moto is not None
    moto.client().delete_object(Bucket=BUCKET, Key=f"{store.prefix}/{version}/{MANIFEST}")


def test_upload_fetch_refuse_remove(
    store: VersionStore,
    built: tuple[Path, Manifest],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    moto = request.getfixturevalue("moto_s3") if isinstance(store, S3Versions) else None
    folder, manifest = built
    version = manifest.version
    assert store.versions() == []
    store.upload(folder, manifest)
    assert store.versions() == [version]
    assert store.manifest(version).files_sha256 == manifest.files_sha256
    with pytest.raises(VersionError, match="already in"):
        store.upload(folder, manifest)

    cache = IndexStore(tmp_path / "replica")
    assert fetch_version(cache, store, version).version == version
    assert cache.versions() == [version]
    cache.verify(version)
    assert fetch_version(cache, store, version).version == version  # from the cache

    corrupt(store, version, moto)
    other = IndexStore(tmp_path / "other")
    with pytest.raises(VersionError, match=f"version {version} in .* is corrupt"):
        fetch_version(other, store, version)
    assert not other.root.exists() or list(other.root.iterdir()) == []

    drop_manifest(store, version, moto)
    assert store.versions() == []
    with pytest.raises(VersionError, match=f"version {version} is not in .*incomplete"):
        fetch_version(other, store, version)

    store.remove(version)
    with pytest.raises(VersionError, match="incomplete"):
        store.manifest(version)


def test_home_store_is_the_cache(tmp_path: Path, dicts: Dictionaries) -> None:
    deployment = Deployment(Settings(home=tmp_path / "home"))
    result = build_index(deployment.cache, LISTINGS, BRANDS, dicts)
    assert result.version is not None
    deployment.upload(result.version)  # nothing to copy
    assert deployment.versions() == [result.version] == [deployment.latest()]
    deployment.publish(result.version)
    assert (tmp_path / "home" / "current").read_text().strip() == result.version
    assert deployment.current() == result.version
    deployment.close()
