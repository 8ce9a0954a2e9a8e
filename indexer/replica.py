"""A replica following the shared publication history, and its heartbeat.

Each replica (``mpsearch serve`` with a shared change log, its own ``MPSEARCH_HOME`` as
a cache) keeps its cached versions and its ``current`` pointer in step with the
publication history in the log; the applier (``indexer.applier``) then prepares the
serving copy of whatever ``current`` names, exactly as on one machine, and workers
swap it in without dropping a request.

Guarantees:

- one follower per ``MPSEARCH_HOME`` at a time (an flock on ``live/follower.lock``;
  another worker takes over when its holder dies);
- ``current`` only ever names a version complete in the cache whose files matched its
  manifest when fetched and that this analyzer can read; a version refused as
  incomplete, corrupt or incompatible is named in ``live/follower.json``, the
  heartbeat and the log, and the replica goes on serving what it has; a refused version
  is tried again only after ``RETRY_REFUSED_SECONDS`` or when the history moves on;
- a fetch cut short (a crash, SIGKILL) leaves only a staging folder, which the next
  fetch of that version replaces;
- an unreachable change log or store only delays following; it is retried every
  second, without a restart;
- every ``heartbeat_seconds`` the replica reports what it serves (version, applied
  sequence, error) to the log, which ``mpsearch cluster status`` lists.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from indexer.analyzers import check_compatible
from indexer.applier import live_root, read_state, served_versions
from indexer.changelog import ReplicaReport
from indexer.deployment import Deployment
from indexer.dictionaries import Dictionaries
from indexer.errors import ChangeLogUnavailable, IndexerError, StoreUnavailable
from indexer.locks import FileLock
from indexer.store import write_atomic

log = logging.getLogger("mpsearch.replica")

LOCK_FILE = "follower.lock"
STATE_FILE = "follower.json"
POLL_SECONDS = 0.2
RETRY_SECONDS = 1.0
RETRY_REFUSED_SECONDS = 60.0


class FollowerState(BaseModel):
    """What the follower last found: written to ``live/follower.json`` on every change."""

    target: str | None  # the version the publication history names
    refused: str | None  # a version it could not use, and why
    error: str | None
    updated_at: datetime


def read_follower(home: Path) -> FollowerState | None:
    try:
        return FollowerState.model_validate_json((live_root(home) / STATE_FILE).read_bytes())
    except (FileNotFoundError, ValueError):
        return None


class Follower:
    """Follows the publication history into one home's cache; sends heartbeats."""

    def __init__(self, deployment: Deployment, dicts: Dictionaries, name: str) -> None:
        self.deployment = deployment
        self.home = deployment.settings.home
        self.dicts = dicts
        self.name = name
        self.started_at = datetime.now(UTC)
        self.state = FollowerState(
            target=None, refused=None, error=None, updated_at=self.started_at
        )
        self._refused_at = 0.0
        self._lock = FileLock(live_root(self.home) / LOCK_FILE)
        self._beat_at = 0.0

    def try_lock(self) -> bool:
        return self._lock.try_acquire()

    def close(self) -> None:
        self._lock.release()

    def _note(self, target: str | None, refused: str | None, error: str | None) -> None:
        new = FollowerState(
            target=target, refused=refused, error=error, updated_at=datetime.now(UTC)
        )
        self.state = new
        write_atomic(live_root(self.home) / STATE_FILE, new.model_dump_json().encode())

    def step(self) -> None:
        """Make ``current`` the version the history names, fetching it if needed."""
        d = self.deployment
        latest = d.log.publications(1)
        if not latest:
            self._note(None, None, "nothing is published yet")
            return
        pub = latest[0]
        if d.cache.current() == pub.version:
            self._note(pub.version, None, None)
            return
        recent = time.monotonic() - self._refused_at < RETRY_REFUSED_SECONDS
        if pub.version == self.state.refused and recent:
            return
        try:
            manifest = d.fetch(pub.version)
            check_compatible(manifest, self.dicts)
        except (StoreUnavailable, ChangeLogUnavailable):
            raise
        except (IndexerError, OSError) as exc:
            self._refused_at = time.monotonic()
            message = f"refused version {pub.version}: {exc}"
            log.error("%s; serving what this replica has", message)
            self._note(pub.version, pub.version, message)
            return
        cached = pub.previous is not None and pub.previous in d.cache.versions()
        d.cache.point_at(pub.version, pub.previous if cached else None)
        log.info("following publication %d: %s (%s)", pub.seq, pub.version, pub.action)
        self._note(pub.version, None, None)
        d.cache.gc(keep=2, protect=served_versions(self.home))  # and two more

    def heartbeat(self) -> None:
        served = read_state(self.home)
        self.deployment.log.heartbeat(
            ReplicaReport(
                name=self.name,
                version=served.version if served else None,
                applied_seq=served.applied_seq if served else 0,
                error=self.state.error,
                started_at=self.started_at,
            )
        )

    def run(self, stop: threading.Event) -> None:
        """Until ``stop``: take the lock when free, follow, send heartbeats."""
        beat_every = self.deployment.settings.heartbeat_seconds
        while not stop.is_set():
            if not self.try_lock():
                stop.wait(RETRY_SECONDS)
                continue
            try:
                self.step()
                if time.monotonic() - self._beat_at >= beat_every:
                    self.heartbeat()
                    self._beat_at = time.monotonic()
            except (ChangeLogUnavailable, StoreUnavailable, OSError) as exc:
                if self.state.error != str(exc):
                    log.warning("following the publications: %s; retrying", exc)
                    self._note(self.state.target, self.state.refused, str(exc))
                stop.wait(RETRY_SECONDS)
                continue
            except Exception:
                log.exception("following the publications failed; retrying")
                stop.wait(RETRY_SECONDS)
                continue
            stop.wait(POLL_SECONDS)
        self.close()
