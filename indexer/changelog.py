"""The change log: the durable, ordered record of live updates, publications and replicas.

Every acknowledged admin update is a row here before the client hears 200; the
serving copy of an index is always "a published version + the decisions standing in
the log + the log after the sequence it was built at". :class:`ChangeLog` is the
interface the rest of the code uses, with two implementations:
:class:`SqliteChangeLog` (the embedded single-machine log: WAL, ``synchronous=FULL``,
so a commit is on disk before ``append`` returns) and
``indexer.pglog.PostgresChangeLog`` (the log several machines share).
:func:`open_changelog` picks one from ``MPSEARCH_CHANGELOG_URL``.

Guarantees both implementations keep:

- ``append`` returns only once the change is durably committed, with a sequence number
  one above the previous change's: sequences are allocated inside the appending
  transaction, so a reader never sees a gap or a later sequence before an earlier one,
  however many writers append at once;
- ``append_checked`` reads the changes of a key and appends after them in one write
  transaction: of two writers deciding the same question at once, the second sees the
  first's change (a go-live application is approved or rejected once);
- publications (publish, rollback) form one ordered history; a rollback is decided and
  recorded in one transaction, so two at once never pick the same target twice;
- tables are created on first use and migrated by schema version, keeping every change.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson
from pydantic import BaseModel

from indexer.errors import ChangeLogUnavailable, VersionError
from indexer.settings import Settings

ChangeKind = Literal[
    "listing_put",
    "listing_delete",
    "brand_put",
    "golive_apply",  # key appid/host: an application to go live there (audit only)
    "golive_approve",  # key appid/host: live there, whatever an export says
    "golive_reject",  # key appid/host: the pending application refused (audit only)
    "host_withdraw",  # key appid/host: not live there, whatever an export says
]
Check = Callable[[list["Change"]], None]
"""Raises to refuse an append, given the changes it would follow (of its key, some kinds)."""
PublicationAction = Literal["publish", "rollback"]
CHANGELOG_FILE = "changelog.sqlite3"
BUSY_TIMEOUT_MS = 10_000


class Change(BaseModel):
    """One acknowledged update; ``seq`` orders all changes, starting at 1."""

    seq: int
    kind: ChangeKind
    key: str  # appid, brand_id, or appid/host (``indexer.golive``)
    payload: dict[str, Any] | None  # the validated record or decision (None for a takedown)
    at: datetime


class Publication(BaseModel):
    """One entry of the publication history: ``version`` became current, replacing
    ``previous`` (what a rollback goes back to)."""

    seq: int
    version: str
    previous: str | None
    action: PublicationAction
    at: datetime


PublicationDecision = Callable[[Publication | None], tuple[str, str | None, PublicationAction]]
"""Given the latest publication: the version to publish, its previous, and the action."""


class ReplicaReport(BaseModel):
    """What a replica says about itself in its heartbeat."""

    name: str  # host:port, or MPSEARCH_REPLICA_NAME
    version: str | None  # the version it serves
    applied_seq: int  # every change up to here is in what it serves
    error: str | None = None  # why it does not serve the current publication, if it does not
    started_at: datetime


class ReplicaStatus(ReplicaReport):
    """A replica as the log last heard of it (``heartbeat_at`` by the log's clock)."""

    heartbeat_at: datetime
    heartbeat_age: float  # seconds since, by the log's clock


class ChangeLog(Protocol):
    """What the API (append), the applier (read in order), publishing and the replicas
    need from a change log."""

    name: str  # what error messages call it (a path, or a URL without its password)

    def append(self, kind: ChangeKind, key: str, payload: dict[str, Any] | None) -> Change:
        """Store a change durably and return it with its sequence number."""
        ...

    def append_checked(
        self,
        kind: ChangeKind,
        key: str,
        payload: dict[str, Any] | None,
        among: Sequence[ChangeKind],
        check: Check,
    ) -> Change:
        """Append unless ``check`` raises, given the changes of ``key`` among the kinds
        ``among`` (oldest first): read and appended in one transaction, so a change another
        writer appends at the same time is either seen by ``check`` or appended after
        this one."""
        ...

    def since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Changes with a sequence number above ``seq``, oldest first."""
        ...

    def changes_of(self, kinds: Sequence[ChangeKind], key: str | None = None) -> list[Change]:
        """Every change of ``kinds`` (of ``key`` only, if given), oldest first."""
        ...

    def last_seq(self) -> int:
        """The sequence number of the newest change (0 when the log is empty)."""
        ...

    def latest(self, kind: ChangeKind, key: str) -> Change | None:
        """The newest change of this kind for this key, if any."""
        ...

    def standing(self, kinds: Sequence[ChangeKind]) -> list[Change]:
        """Per key, the newest change among ``kinds`` (the decision that stands), in log
        order; whatever sequence an export reflects (``indexer.decisions``)."""
        ...

    def publish(self, version: str) -> Publication:
        """Record that ``version`` is published (the current one becomes previous)."""
        ...

    def rollback(self) -> Publication:
        """Publish the previous version again; VersionError when there is none."""
        ...

    def publications(self, limit: int = 20) -> list[Publication]:
        """The publication history, newest first."""
        ...

    def heartbeat(self, report: ReplicaReport) -> None:
        """Record that a replica is alive and what it serves."""
        ...

    def replicas(self) -> list[ReplicaStatus]:
        """Every replica that ever sent a heartbeat, by name."""
        ...

    def close(self) -> None: ...


def next_publication(latest: Publication | None, version: str) -> str | None:
    """The ``previous`` of a publication of ``version`` after ``latest``: the version it
    replaces, or (republishing the current one) the one before that."""
    if latest is None:
        return None
    return latest.previous if latest.version == version else latest.version


def rollback_target(latest: Publication | None, where: str) -> str:
    """The version a rollback publishes, or VersionError saying why there is none."""
    if latest is None or latest.previous is None or latest.previous == latest.version:
        raise VersionError(
            f"no previous version to roll back to in {where} (a rollback needs two publishes)"
        )
    return latest.previous


def publishing(version: str) -> PublicationDecision:
    """The decision of a publish of ``version``."""
    return lambda latest: (version, next_publication(latest, version), "publish")


def rolling_back(where: str) -> PublicationDecision:
    """The decision of a rollback (VersionError when there is nothing to go back to)."""

    def decide(latest: Publication | None) -> tuple[str, str | None, PublicationAction]:
        target = rollback_target(latest, where)
        return target, next_publication(latest, target), "rollback"

    return decide


def open_changelog(settings: Settings) -> ChangeLog:
    """The change log ``MPSEARCH_CHANGELOG_URL`` names (unset: SQLite in ``MPSEARCH_HOME``)."""
    url = settings.changelog_url
    if url is None:
        return SqliteChangeLog.in_home(settings.home)
    scheme = url.partition("://")[0].lower()
    if scheme == "sqlite":
        return SqliteChangeLog(Path(url.partition("://")[2]))
    from indexer.pglog import PostgresChangeLog  # psycopg only where it is used

    return PostgresChangeLog(url)


# Each step takes the schema from the version before it to its own (PRAGMA user_version).
_SQLITE_MIGRATIONS = (
    """
    CREATE TABLE IF NOT EXISTS changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('listing_put', 'listing_delete', 'brand_put')),
        key TEXT NOT NULL,
        payload BLOB,
        at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS changes_by_key ON changes (kind, key, seq);
    """,
    """
    CREATE TABLE publications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        version TEXT NOT NULL,
        previous TEXT,
        action TEXT NOT NULL CHECK (action IN ('publish', 'rollback')),
        at TEXT NOT NULL
    );
    CREATE TABLE replicas (
        name TEXT PRIMARY KEY,
        version TEXT,
        applied_seq INTEGER NOT NULL,
        error TEXT,
        heartbeat_at TEXT NOT NULL,
        started_at TEXT NOT NULL
    );
    """,
    # Kinds are no longer constrained by the table (as in PostgreSQL): the models check
    # them, and a new kind needs no migration. SQLite cannot drop a CHECK: the table is
    # copied, every change kept with its sequence (sqlite_sequence follows the rename).
    """
    CREATE TABLE changes_v3 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        payload BLOB,
        at TEXT NOT NULL
    );
    INSERT INTO changes_v3 (seq, kind, key, payload, at)
        SELECT seq, kind, key, payload, at FROM changes ORDER BY seq;
    DROP TABLE changes;
    ALTER TABLE changes_v3 RENAME TO changes;
    CREATE INDEX changes_by_key ON changes (kind, key, seq);
    """,
)
SQLITE_SCHEMA_VERSION = len(_SQLITE_MIGRATIONS)
CHANGE_COLUMNS = "seq, kind, key, payload, at"
PUBLICATION_COLUMNS = "seq, version, previous, action, at"
REPLICA_COLUMNS = "name, version, applied_seq, error, started_at, heartbeat_at"
REPLICA_UPDATE = ", ".join(
    f"{c} = excluded.{c}" for c in ("version", "applied_seq", "error", "started_at", "heartbeat_at")
)


def _time(value: Any) -> datetime:
    """A stored time: ISO text in SQLite, a datetime from PostgreSQL."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def change_row(row: Sequence[Any]) -> Change:
    """A change from a row of its columns (``seq, kind, key, payload, at``)."""
    payload = row[3]
    if isinstance(payload, bytes | memoryview):
        payload = orjson.loads(bytes(payload))
    return Change(seq=row[0], kind=row[1], key=row[2], payload=payload, at=_time(row[4]))


def publication_row(row: Sequence[Any]) -> Publication:
    """A publication from a row of ``seq, version, previous, action, at``."""
    return Publication(seq=row[0], version=row[1], previous=row[2], action=row[3], at=_time(row[4]))


def replica_status(row: Sequence[Any], now: datetime) -> ReplicaStatus:
    """A replica from a row of ``name, version, applied_seq, error, started_at, heartbeat_at``
    read at ``now`` (the log's clock)."""
    heartbeat_at = _time(row[5])
    return ReplicaStatus(
        name=row[0],
        version=row[1],
        applied_seq=row[2],
        error=row[3],
        started_at=_time(row[4]),
        heartbeat_at=heartbeat_at,
        heartbeat_age=max(0.0, (now - heartbeat_at).total_seconds()),
    )


Guard = tuple[Sequence[ChangeKind], Check]
"""The kinds of a key's changes an append depends on, and the check they must pass."""


class Appends:
    """``append`` and ``append_checked`` of a change log, in terms of its one ``_append``
    (a guard, when given, is read and checked in the appending transaction)."""

    def _append(
        self, kind: ChangeKind, key: str, payload: dict[str, Any] | None, guard: Guard | None
    ) -> Change:
        raise NotImplementedError

    def append(self, kind: ChangeKind, key: str, payload: dict[str, Any] | None) -> Change:
        return self._append(kind, key, payload, None)

    def append_checked(
        self,
        kind: ChangeKind,
        key: str,
        payload: dict[str, Any] | None,
        among: Sequence[ChangeKind],
        check: Check,
    ) -> Change:
        return self._append(kind, key, payload, (among, check))


class SqliteChangeLog(Appends):
    """The change log in one SQLite file, WAL mode, fsync on every commit.

    One connection per instance, guarded by a lock, so an instance can be shared
    by the threads of one process; several processes each open their own.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        # Workers starting together may race to create the file and switch it to WAL;
        # the loser gets "database is locked" even with a busy timeout: try again.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._setup()
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    self._db.close()
                    raise
                time.sleep(0.05)

    def _setup(self) -> None:
        self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise OSError(f"{self.path}: cannot switch the change log to WAL mode (got {mode})")
        self._db.execute("PRAGMA synchronous=FULL")
        if self._db.execute("PRAGMA user_version").fetchone()[0] == SQLITE_SCHEMA_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SQLITE_SCHEMA_VERSION:
                raise ChangeLogUnavailable(
                    f"change log {self.path} has schema version {version}; this code knows "
                    f"versions up to {SQLITE_SCHEMA_VERSION}: upgrade mpsearch"
                )
            for step in _SQLITE_MIGRATIONS[version:]:
                for statement in filter(str.strip, step.split(";")):
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version={SQLITE_SCHEMA_VERSION}")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    @classmethod
    def in_home(cls, home: Path) -> SqliteChangeLog:
        """The change log of one ``MPSEARCH_HOME``."""
        return cls(home / CHANGELOG_FILE)

    def _append(
        self, kind: ChangeKind, key: str, payload: dict[str, Any] | None, guard: Guard | None
    ) -> Change:
        at = datetime.now(UTC)
        blob = None if payload is None else orjson.dumps(payload)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the write lock: no append in between
            try:
                if guard is not None:
                    among, check = guard
                    marks = ", ".join("?" * len(among))
                    rows = self._db.execute(
                        f"SELECT {CHANGE_COLUMNS} FROM changes WHERE key = ? AND kind IN "
                        f"({marks}) ORDER BY seq",
                        (key, *among),
                    ).fetchall()
                    check([change_row(row) for row in rows])
                cur = self._db.execute(
                    "INSERT INTO changes (kind, key, payload, at) VALUES (?, ?, ?, ?)",
                    (kind, key, blob, at.isoformat()),
                )
                self._db.execute("COMMIT")  # WAL + synchronous=FULL: fsynced here
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        seq = cur.lastrowid
        assert seq is not None
        return Change(seq=seq, kind=kind, key=key, payload=payload, at=at)

    def since(self, seq: int, limit: int = 1000) -> list[Change]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {CHANGE_COLUMNS} FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [change_row(row) for row in rows]

    def changes_of(self, kinds: Sequence[ChangeKind], key: str | None = None) -> list[Change]:
        marks = ", ".join("?" * len(kinds))
        where = f"kind IN ({marks})" + ("" if key is None else " AND key = ?")
        params = (*kinds, *(() if key is None else (key,)))
        with self._lock:
            rows = self._db.execute(
                f"SELECT {CHANGE_COLUMNS} FROM changes WHERE {where} ORDER BY seq", params
            ).fetchall()
        return [change_row(row) for row in rows]

    def last_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(seq) FROM changes").fetchone()
        return int(row[0] or 0)

    def latest(self, kind: ChangeKind, key: str) -> Change | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {CHANGE_COLUMNS} FROM changes WHERE kind = ? AND key = ? "
                "ORDER BY seq DESC LIMIT 1",
                (kind, key),
            ).fetchone()
        return None if row is None else change_row(row)

    def standing(self, kinds: Sequence[ChangeKind]) -> list[Change]:
        marks = ", ".join("?" * len(kinds))
        with self._lock:
            rows = self._db.execute(
                f"SELECT {CHANGE_COLUMNS} FROM changes WHERE seq IN "
                f"(SELECT MAX(seq) FROM changes WHERE kind IN ({marks}) GROUP BY key) "
                "ORDER BY seq",
                tuple(kinds),
            ).fetchall()
        return [change_row(row) for row in rows]

    def _record(self, decide: PublicationDecision) -> Publication:
        """Read the latest publication and append the one ``decide`` makes of it, in one
        write transaction."""
        at = datetime.now(UTC)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    f"SELECT {PUBLICATION_COLUMNS} FROM publications ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                version, previous, action = decide(None if row is None else publication_row(row))
                cur = self._db.execute(
                    "INSERT INTO publications (version, previous, action, at) VALUES (?, ?, ?, ?)",
                    (version, previous, action, at.isoformat()),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        assert cur.lastrowid is not None
        return Publication(
            seq=cur.lastrowid, version=version, previous=previous, action=action, at=at
        )

    def publish(self, version: str) -> Publication:
        return self._record(publishing(version))

    def rollback(self) -> Publication:
        return self._record(rolling_back(self.name))

    def publications(self, limit: int = 20) -> list[Publication]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {PUBLICATION_COLUMNS} FROM publications ORDER BY seq DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [publication_row(row) for row in rows]

    def heartbeat(self, report: ReplicaReport) -> None:
        now = datetime.now(UTC).isoformat()
        with self._lock:
            self._db.execute(
                f"INSERT INTO replicas ({REPLICA_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                f"ON CONFLICT (name) DO UPDATE SET {REPLICA_UPDATE}",
                (
                    report.name,
                    report.version,
                    report.applied_seq,
                    report.error,
                    report.started_at.isoformat(),
                    now,
                ),
            )

    def replicas(self) -> list[ReplicaStatus]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {REPLICA_COLUMNS} FROM replicas ORDER BY name"
            ).fetchall()
        now = datetime.now(UTC)
        return [replica_status(row, now) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
