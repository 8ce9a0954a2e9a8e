"""Where index versions are kept for every replica: this home's ``indexes/`` (the
default), a shared folder (``file:///path``) or an S3 bucket (``s3://bucket/prefix``,
``indexer.s3store``); :func:`open_version_store` picks one from ``MPSEARCH_STORE_URL``.

A machine serves and evaluates versions from its local cache, ``$MPSEARCH_HOME/indexes``
(an :class:`~indexer.store.IndexStore`); :func:`fetch_version` brings a version from the
store into it.

Guarantees:

- a version is written files first and manifest last, and never overwritten: uploading
  a name the store already has is refused; only versions with a manifest are listed;
- removing a version takes its manifest away first, so a half-removed version is
  incomplete, never listed or fetched;
- a fetched version appears in the cache under its name only once every file is there
  and the files match the manifest's checksum; a version without a manifest
  (incomplete) or whose files do not match (corrupt) is refused with a
  :class:`~indexer.errors.VersionError` naming the version and the store, and nothing
  of it is left in the cache.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol

from indexer.errors import VersionError
from indexer.ids import check_version, child_path
from indexer.settings import Settings
from indexer.store import (
    MANIFEST,
    TMP_PREFIX,
    IndexStore,
    Manifest,
    complete_versions,
    read_manifest,
    tree_sha256,
)


class VersionStore(Protocol):
    """Complete, immutable index versions by name."""

    name: str  # what messages call it (a folder or a URL)

    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        ...

    def manifest(self, version: str) -> Manifest:
        """The manifest of a complete version; VersionError when missing or incomplete."""
        ...

    def upload(self, folder: Path, manifest: Manifest) -> None:
        """Store the complete version in ``folder``: files first, manifest last."""
        ...

    def download(self, version: str, dest: Path) -> Manifest:
        """Copy a complete version's files into the empty folder ``dest``; its manifest."""
        ...

    def remove(self, version: str) -> None:
        """Delete a version, manifest first."""
        ...


def _missing(version: str, where: str) -> VersionError:
    return VersionError(
        f"version {version} is not in {where}, or is incomplete (no manifest); "
        "see `mpsearch index list`"
    )


def _exists(version: str, where: str) -> VersionError:
    return VersionError(f"version {version} is already in {where}; versions are never overwritten")


class HomeVersions:
    """The default: versions in this home's ``indexes/``, which is also the cache."""

    def __init__(self, cache: IndexStore) -> None:
        self.cache = cache
        self.name = str(cache.root)

    def versions(self) -> list[str]:
        return self.cache.versions()

    def manifest(self, version: str) -> Manifest:
        return self.cache.manifest(version)

    def upload(self, folder: Path, manifest: Manifest) -> None:
        if folder.resolve() != self.cache.path(manifest.version).resolve():
            raise VersionError(f"{folder} is not a version of {self.name}")

    def download(self, version: str, dest: Path) -> Manifest:
        raise _missing(version, self.name)  # the cache is the store: nothing to fetch

    def remove(self, version: str) -> None:
        self.cache.remove(version)


class FolderVersions:
    """Versions in a folder every machine mounts (``file:///path``), laid out like
    ``indexes/``: ``<root>/<version>/...`` with the manifest."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name = f"file://{root}"

    def versions(self) -> list[str]:
        return complete_versions(self.root)

    def manifest(self, version: str) -> Manifest:
        folder = child_path(self.root, "version", version)
        if not (folder / MANIFEST).is_file():
            raise _missing(version, self.name)
        return read_manifest(folder)

    def upload(self, folder: Path, manifest: Manifest) -> None:
        final = child_path(self.root, "version", manifest.version)
        if final.exists():
            raise _exists(manifest.version, self.name)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f"{TMP_PREFIX}{manifest.version}-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            shutil.copytree(folder, staging, ignore=shutil.ignore_patterns(MANIFEST))
            shutil.copy2(folder / MANIFEST, staging / MANIFEST)  # last
            try:
                os.rename(staging, final)  # fails when another upload got there first
            except OSError:
                raise _exists(manifest.version, self.name) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def download(self, version: str, dest: Path) -> Manifest:
        manifest = self.manifest(version)
        shutil.copytree(child_path(self.root, "version", version), dest, dirs_exist_ok=True)
        return manifest

    def remove(self, version: str) -> None:
        folder = child_path(self.root, "version", version)
        (folder / MANIFEST).unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


def open_version_store(settings: Settings, cache: IndexStore) -> VersionStore:
    """The store ``MPSEARCH_STORE_URL`` names (unset: ``cache``, this home's versions)."""
    url = settings.store_url
    if url is None:
        return HomeVersions(cache)
    scheme, _, rest = url.partition("://")
    if scheme.lower() == "file":
        return FolderVersions(Path("/" + rest.lstrip("/")))
    from indexer.s3store import S3Versions  # boto3 only where it is used

    return S3Versions.from_url(url, settings.s3_endpoint_url)


def fetch_version(cache: IndexStore, store: VersionStore, version: str) -> Manifest:
    """``version`` in the local cache: fetched from ``store`` and verified first when
    missing (see the guarantees above)."""
    check_version(version)
    if (cache.path(version) / MANIFEST).is_file():
        return cache.manifest(version)
    staging = cache.staging_dir(version)
    try:
        manifest = store.download(version, staging)
        if manifest.version != version:
            raise VersionError(
                f"version {version} in {store.name} is corrupt: its manifest names "
                f"{manifest.version!r}"
            )
        actual = tree_sha256(staging)
        if actual != manifest.files_sha256:
            raise VersionError(
                f"version {version} in {store.name} is corrupt: its files' checksum "
                f"{actual[:12]} does not match its manifest's {manifest.files_sha256[:12]}; "
                "rebuild and publish another version"
            )
        cache.commit(staging, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest
