"""One deployment's versions and publications: where versions are kept (the version
store), which one is published (the publication history) and this machine's cache of
versions (``$MPSEARCH_HOME/indexes``).

Embedded (``MPSEARCH_CHANGELOG_URL`` unset): the ``current`` and ``previous`` pointers
in ``MPSEARCH_HOME`` are the publication history, as on one machine. Shared (a change
log URL set): the history is in the change log, one order for every replica, and each
replica's pointers only mirror it (``indexer.replica``).

Guarantees: a version is published (recorded in the history, or pointed at) only once
it is in the local cache and its files match its manifest; a build's version is
uploaded to the store before anything can publish it; ``gc`` never removes the current
or previous version, nor one a replica reported serving within ``REPLICA_PIN_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel

from indexer.changelog import ChangeLog, open_changelog
from indexer.errors import VersionError
from indexer.settings import Settings
from indexer.store import IndexStore, Manifest
from indexer.versionstore import HomeVersions, VersionStore, fetch_version, open_version_store

REPLICA_PIN_SECONDS = 600.0  # gc keeps what a replica heard from this recently serves
STALE_SECONDS = 10.0  # a replica silent for longer is shown as stale


class ReplicaInfo(BaseModel):
    """A replica as its last heartbeat told the shared log."""

    name: str
    version: str | None
    applied_seq: int
    lag: int  # changes in the log it did not serve at its last heartbeat
    heartbeat_age: float  # seconds since its last heartbeat
    stale: bool  # silent for longer than STALE_SECONDS
    error: str | None


class Deployment:
    """Versions, publications and the change log of this deployment, as settings say."""

    def __init__(self, settings: Settings, log: ChangeLog | None = None) -> None:
        self.settings = settings
        self.shared = settings.shared
        self.cache = IndexStore(settings.home)
        self.store: VersionStore = open_version_store(settings, self.cache)
        self._log = log

    @property
    def log(self) -> ChangeLog:
        """The change log, opened on first use."""
        if self._log is None:
            self._log = open_changelog(self.settings)
        return self._log

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    # --- versions -----------------------------------------------------------------------

    def versions(self) -> list[str]:
        return self.store.versions()

    def manifest(self, version: str) -> Manifest:
        return self.store.manifest(self.cache.check_name(version))

    def latest(self) -> str:
        versions = self.versions()
        if not versions:
            raise VersionError(f"no index version in {self.store.name}; run `mpsearch index build`")
        return versions[-1]

    def fetch(self, version: str) -> Manifest:
        """``version`` in this machine's cache, fetched from the store and verified if new."""
        return fetch_version(self.cache, self.store, version)

    def upload(self, version: str) -> None:
        """Put a version built into the cache into the store (nothing to do by default)."""
        self.store.upload(self.cache.path(version), self.cache.manifest(version))

    @property
    def local(self) -> bool:
        """Versions live in this home only (no store URL)."""
        return isinstance(self.store, HomeVersions)

    # --- publications -------------------------------------------------------------------

    def current(self) -> str | None:
        if not self.shared:
            return self.cache.current()
        latest = self.log.publications(1)
        return latest[0].version if latest else None

    def previous(self) -> str | None:
        if not self.shared:
            return self.cache.previous()
        latest = self.log.publications(1)
        return latest[0].previous if latest else None

    def publish(self, version: str) -> None:
        """Fetch and verify ``version``, then make it current."""
        self.fetch(version)
        if not self.shared:
            self.cache.publish(version)  # verifies the checksum
            return
        self.cache.verify(version)
        self.log.publish(version)

    def rollback(self) -> str:
        """Publish the previous version again; the version now current."""
        if not self.shared:
            return self.cache.rollback()[0]
        return self.log.rollback().version

    def gc(self, keep: int, protect: Collection[str] = ()) -> list[str]:
        """Remove all but the ``keep`` newest versions from the store (and this cache),
        never the current, the previous, one in ``protect`` or one a replica serves."""
        pinned = {v for v in (self.current(), self.previous()) if v} | set(protect)
        if self.shared:
            pinned |= {
                r.version
                for r in self.log.replicas()
                if r.version and r.heartbeat_age < REPLICA_PIN_SECONDS
            }
        if self.local:
            return self.cache.gc(keep, protect=pinned)
        if keep < 0:
            raise VersionError(f"--keep must be 0 or more, got {keep}")
        versions = self.store.versions()
        kept = set(versions[len(versions) - keep :] if keep else []) | pinned
        removed = [v for v in versions if v not in kept]
        for version in removed:
            self.store.remove(version)
        self.cache.gc(keep, protect=pinned)
        return removed

    def replicas(self, last_seq: int) -> list[ReplicaInfo]:
        """Every replica the shared log heard of, with its lag behind ``last_seq``."""
        return [
            ReplicaInfo(
                name=r.name,
                version=r.version,
                applied_seq=r.applied_seq,
                lag=max(0, last_seq - r.applied_seq),
                heartbeat_age=round(r.heartbeat_age, 3),
                stale=r.heartbeat_age > STALE_SECONDS,
                error=r.error,
            )
            for r in self.log.replicas()
        ]
