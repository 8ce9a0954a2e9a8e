"""The change log: the durable, ordered record of live updates (upserts, takedowns, brands).

Every acknowledged admin update is a row here before the client hears 200; the
serving copy of an index is always "a published version + the log after the
sequence it was built at". :class:`ChangeLog` is the small interface the rest of
the code uses; :class:`SqliteChangeLog` is the embedded single-machine store (WAL,
``synchronous=FULL`` so a commit is on disk before ``append`` returns). A shared
PostgreSQL log for several machines is a second implementation of the same
Protocol.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson
from pydantic import BaseModel

ChangeKind = Literal["listing_put", "listing_delete", "brand_put"]
CHANGELOG_FILE = "changelog.sqlite3"
BUSY_TIMEOUT_MS = 10_000


class Change(BaseModel):
    """One acknowledged update; ``seq`` orders all changes, starting at 1."""

    seq: int
    kind: ChangeKind
    key: str  # appid or brand_id
    payload: dict[str, Any] | None  # the validated record (None for a takedown)
    at: datetime


class ChangeLog(Protocol):
    """What the API (append) and the applier (read in order) need from a change log."""

    def append(self, kind: ChangeKind, key: str, payload: dict[str, Any] | None) -> Change:
        """Store a change durably and return it with its sequence number."""
        ...

    def since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Changes with a sequence number above ``seq``, oldest first."""
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

    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('listing_put', 'listing_delete', 'brand_put')),
    key TEXT NOT NULL,
    payload BLOB,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_key ON changes (kind, key, seq)
"""


def _change(row: tuple[Any, ...]) -> Change:
    return Change(
        seq=row[0],
        kind=row[1],
        key=row[2],
        payload=None if row[3] is None else orjson.loads(row[3]),
        at=datetime.fromisoformat(row[4]),
    )


class SqliteChangeLog:
    """The change log in one SQLite file, WAL mode, fsync on every commit.

    One connection per instance, guarded by a lock, so an instance can be shared
    by the threads of one process; several processes each open their own.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
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
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_home(cls, home: Path) -> SqliteChangeLog:
        """The change log of one ``MPSEARCH_HOME``."""
        return cls(home / CHANGELOG_FILE)

    def append(self, kind: ChangeKind, key: str, payload: dict[str, Any] | None) -> Change:
        at = datetime.now(UTC)
        blob = None if payload is None else orjson.dumps(payload)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
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
                "SELECT seq, kind, key, payload, at FROM changes WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [_change(row) for row in rows]

    def last_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT MAX(seq) FROM changes").fetchone()
        return int(row[0] or 0)

    def latest(self, kind: ChangeKind, key: str) -> Change | None:
        with self._lock:
            row = self._db.execute(
                "SELECT seq, kind, key, payload, at FROM changes WHERE kind = ? AND key = ? "
                "ORDER BY seq DESC LIMIT 1",
                (kind, key),
            ).fetchone()
        return None if row is None else _change(row)

    def standing(self, kinds: Sequence[ChangeKind]) -> list[Change]:
        marks = ", ".join("?" * len(kinds))
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, kind, key, payload, at FROM changes WHERE seq IN "
                f"(SELECT MAX(seq) FROM changes WHERE kind IN ({marks}) GROUP BY key) "
                "ORDER BY seq",
                tuple(kinds),
            ).fetchall()
        return [_change(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
