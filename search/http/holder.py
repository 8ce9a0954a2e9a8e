"""What one API worker serves: the engine over the serving copy, swapped without dropping requests.

The applier (``indexer.applier``) announces every commit and every newly
published version in ``live/state.json``; :class:`EngineHolder` polls it, opens
the new copy (or reopens the searcher after a commit), swaps the reference under
a lock and *drains* the engine it replaced: requests hold a lease on the engine
they started with, and the old engine is closed once its last lease ends.

Every worker also runs an applier thread that takes over applying when it holds
the applier lock, so any ASGI server with any number of workers is complete; with a
shared change log, also a follower thread (``indexer.replica``) that keeps this
replica's cache and ``current`` in step with the shared publication history.

Guarantees: a request runs start to end on the engine it leased; an engine is
dropped only once no lease is left on it; one refresh runs at a time; a version
that cannot be opened leaves the served one in place (and is retried on the next poll);
ready only once every change acknowledged before the start is served and, with a shared
log, the version the history named since the start (unless this replica refused it).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from indexer.applier import Applier, ServingState, copy_path, read_state
from indexer.brands import BrandTable
from indexer.deployment import Deployment
from indexer.dictionaries import Dictionaries
from indexer.errors import ChangeLogUnavailable, IndexerError
from indexer.replica import Follower, read_follower
from indexer.settings import Settings
from indexer.store import IndexStore
from search.engine import Engine
from search.errors import NotReady

log = logging.getLogger("mpsearch.serving")


@dataclass
class _Served:
    """An engine and the requests still running on it."""

    engine: Engine
    state: ServingState
    leases: int = 0
    retired: bool = False


class EngineHolder:
    """The engine this worker answers with; follows the applier's serving state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home
        self.store = IndexStore(settings.home)
        self.last_error: str | None = None
        self._served: _Served | None = None
        self._lock = threading.Lock()  # guards _served and lease counts
        self._refresh_lock = threading.Lock()  # one refresh at a time
        self._dicts: Dictionaries | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.applier: Applier | None = None
        self.deployment = Deployment(settings)
        self.ready_seq: int | None = 0  # the log's last sequence at start: ready once served
        self.started_at = datetime.now(UTC)
        self.last_seq = 0  # the log's last sequence when last asked
        self.log_available = True
        self._followed = False  # served what the publication history named at the start

    # --- lifecycle ----------------------------------------------------------------

    def dictionaries(self) -> Dictionaries:
        if self._dicts is None:
            self._dicts = Dictionaries.load(self.settings.dictionaries)
        return self._dicts

    def start(self) -> None:
        """Open what is served; become the applier if nobody is; start applying (and, with
        a shared log, following the publications)."""
        changelog = self.deployment.log
        self.started_at = datetime.now(UTC)
        self.ready_seq = self._last_seq()
        try:
            applier = Applier(self.home, self.dictionaries(), changelog, self._on_commit)
        except Exception as exc:  # dictionaries unreadable: report it on /readyz
            self.last_error = str(exc)
            log.error("cannot start the applier: %s", exc)
            self.deployment.close()
            return
        self.applier = applier
        if self.settings.shared:
            name = self.settings.replica_name or f"{socket.gethostname()}:{self.settings.port}"
            follower = Follower(self.deployment, self.dictionaries(), name)
            self._run(follower.run, "mpsearch-follower")
        if applier.try_lock():
            # Prepare the serving copy now, so this worker is ready when startup ends.
            try:
                while applier.step():
                    if applier.copy is not None and applier.copy.applied_seq >= (
                        self.ready_seq or 0
                    ):
                        break
            except Exception:  # never fail start-up: the applier thread tries again
                log.exception("preparing the serving copy failed; retrying in the background")
                applier.reset()
        self.refresh()
        self._run(applier.run, "mpsearch-applier")

    def _run(self, loop: Callable[[threading.Event], None], name: str) -> None:
        thread = threading.Thread(target=loop, args=(self._stop,), name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.deployment.close()

    def _last_seq(self) -> int | None:
        """The log's last sequence, or None while the log cannot be reached."""
        try:
            self.last_seq = self.deployment.log.last_seq()
        except ChangeLogUnavailable as exc:
            if self.log_available:
                log.warning("%s", exc)
            self.log_available = False
            return None
        self.log_available = True
        return self.last_seq

    def _on_commit(self, _: ServingState) -> None:
        self.refresh()

    # --- following the serving state ---------------------------------------------------

    def refresh(self) -> None:
        """Swap in the announced serving copy or commit if it is not the one served."""
        with self._refresh_lock:
            try:
                state = read_state(self.home)
            except (OSError, ValueError) as exc:
                log.warning("cannot read the serving state: %s", exc)
                return
            if state is None:
                current = self.store.current()
                if current is None:
                    follower = read_follower(self.home) if self.settings.shared else None
                    why = follower.error if follower is not None else None
                    self.last_error = (
                        f"no index served yet: {why}" if why else ("no index is published yet")
                    )
                    return
                try:
                    self.store.path(current)  # a damaged `current` pointer says so
                except IndexerError as exc:
                    self.last_error = str(exc)
                else:
                    self.last_error = f"index {current} is being prepared for serving"
                return
            served = self._served
            if served is not None and served.state == state:
                return
            try:
                engine = self._open(state, served)
            except Exception as exc:  # keep serving what we have; retried on the next poll
                self.last_error = f"cannot open index {state.version}: {exc}"
                log.error("%s", self.last_error)
                return
            self._swap(_Served(engine, state))
            self.last_error = None

    def _open(self, state: ServingState, served: _Served | None) -> Engine:
        root = copy_path(self.home, state)
        if served is not None and served.state.copy_dir == state.copy_dir:
            table = None
            if served.state.brands_seq != state.brands_seq:
                table = BrandTable.read(root)
            return served.engine.refreshed(table)
        engine = Engine.open(self.store, state.version, self.dictionaries(), copy=root)
        log.info("serving index %s (changes to %d)", state.version, state.applied_seq)
        return engine

    def _swap(self, new: _Served) -> None:
        with self._lock:
            old, self._served = self._served, new
            if old is not None:
                old.retired = True
                if old.leases == 0:
                    self._close(old)

    def _close(self, old: _Served) -> None:
        """A drained engine: nothing runs on it any more, and the holder forgets it, so
        its searcher (and its index, unless the next engine shares it) is released."""
        if self._served is None or self._served.state.copy_dir != old.state.copy_dir:
            log.info("closed index %s (%s)", old.state.version, old.state.copy_dir)

    # --- requests -----------------------------------------------------------------

    @contextlib.contextmanager
    def lease(self) -> Iterator[Engine]:
        """The current engine, kept open until the request using it is done."""
        with self._lock:
            served = self._served
            if served is None:
                raise NotReady(self.last_error or "no index is open yet")
            served.leases += 1
        try:
            yield served.engine
        finally:
            with self._lock:
                served.leases -= 1
                if served.retired and served.leases == 0:
                    self._close(served)

    def get(self) -> Engine:
        served = self._served
        if served is None:
            raise NotReady(self.last_error or "no index is published yet")
        return served.engine

    @property
    def is_applier(self) -> bool:
        return self.applier is not None and self.applier.holds_lock

    @property
    def engine(self) -> Engine | None:
        """The engine answering now, if any."""
        served = self._served
        return served.engine if served else None

    def changelog_lag(self) -> int:
        """Changes acknowledged in the change log that this worker does not serve yet (by
        the last sequence the log told, while it cannot be reached)."""
        served = self._served
        self._last_seq()
        return max(0, self.last_seq - (served.state.applied_seq if served else 0))

    @property
    def state(self) -> ServingState | None:
        served = self._served
        return served.state if served else None

    def ready(self) -> Engine:
        """The engine, once it has every change acknowledged before this worker started."""
        if self.ready_seq is None:
            self.ready_seq = self._last_seq()
            if self.ready_seq is None:
                raise NotReady(
                    f"cannot tell what to catch up to: {self.deployment.log.name} is unavailable"
                )
        served = self._served
        if served is None:
            raise NotReady(self.last_error or "no index is published yet")
        if served.state.applied_seq < self.ready_seq:
            raise NotReady(
                f"index {served.state.version} has changes to {served.state.applied_seq}, "
                f"catching up to {self.ready_seq}"
            )
        if self.settings.shared and not self._followed:
            self._check_following(served.state)
            self._followed = True  # from now on it follows publications while serving
        return served.engine

    def _check_following(self, served: ServingState) -> None:
        """NotReady unless this replica serves what the publication history named since
        it started (or refused that version, and serves what it has)."""
        follower = read_follower(self.home)
        if follower is None or follower.updated_at < self.started_at:
            raise NotReady("reading the publication history")
        target = follower.target
        if target is not None and target != served.version and target != follower.refused:
            raise NotReady(f"fetching version {target} (serving {served.version})")
