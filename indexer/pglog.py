"""The change log several machines share, in PostgreSQL (psycopg 3).

The same :class:`indexer.changelog.ChangeLog` as the embedded SQLite log, for
``MPSEARCH_CHANGELOG_URL=postgresql://user@host:port/db``. Tables (``mpsearch_*``) are
created on first use and migrated by the version in ``mpsearch_schema``, under an
advisory lock so that replicas starting together migrate once.

Guarantees:

- ``append`` returns only after PostgreSQL confirms the commit with
  ``synchronous_commit=on`` (set in the transaction, whatever the server's default):
  an acknowledged change is in the server's write-ahead log on disk;
- sequences are allocated inside the appending transaction, from a counter row
  updated under its row lock (``mpsearch_counters``): a second writer waits until the
  first commits or rolls back, so sequences commit in order and without gaps, and a
  reader of ``seq > n`` never sees a later change without every earlier one. (A
  PostgreSQL sequence would not do: ``nextval`` values commit out of order.)
  Publications get their sequence the same way, so their history has one order;
- any failure to reach the server, or a commit it did not confirm, raises
  :class:`~indexer.errors.ChangeLogUnavailable` naming the log (its URL without the
  password); the connection is dropped and made again on the next call, so callers
  resume by themselves once the server is back.

One connection per instance, guarded by a lock: the threads of a process share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
import psycopg
from psycopg.conninfo import conninfo_to_dict

from indexer.changelog import (
    CHANGE_COLUMNS,
    PUBLICATION_COLUMNS,
    REPLICA_COLUMNS,
    REPLICA_UPDATE,
    Appends,
    Change,
    ChangeKind,
    Guard,
    Publication,
    PublicationDecision,
    ReplicaReport,
    ReplicaStatus,
    change_row,
    publication_row,
    publishing,
    replica_status,
    rolling_back,
)
from indexer.errors import ChangeLogUnavailable

T = TypeVar("T")
CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 10_000
MIGRATION_LOCK = 0x6D70_7365  # pg_advisory_xact_lock key of the schema migration

# Each step takes the schema from the version before it to its own. Change kinds are not
# constrained here: the models check them, and a new kind needs no migration.
_MIGRATIONS = (
    """
    CREATE TABLE mpsearch_changes (
        seq bigint PRIMARY KEY,
        kind text NOT NULL,
        key text NOT NULL,
        payload jsonb,
        at timestamptz NOT NULL
    );
    CREATE INDEX mpsearch_changes_by_key ON mpsearch_changes (kind, key, seq);
    CREATE TABLE mpsearch_counters (name text PRIMARY KEY, value bigint NOT NULL);
    INSERT INTO mpsearch_counters (name, value) VALUES ('changes', 0), ('publications', 0);
    CREATE TABLE mpsearch_publications (
        seq bigint PRIMARY KEY,
        version text NOT NULL,
        previous text,
        action text NOT NULL CHECK (action IN ('publish', 'rollback')),
        at timestamptz NOT NULL
    );
    CREATE TABLE mpsearch_replicas (
        name text PRIMARY KEY,
        version text,
        applied_seq bigint NOT NULL,
        error text,
        started_at timestamptz NOT NULL,
        heartbeat_at timestamptz NOT NULL
    )
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


def redacted(url: str) -> str:
    """The URL as messages show it: ``postgresql://user@host:port/db``, no password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgresChangeLog(Appends):
    """The change log in PostgreSQL; connects on first use."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.name = redacted(url)
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None

    # --- connection -------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        conn = psycopg.connect(
            self._url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        )
        try:
            self._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _migrate(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("CREATE TABLE IF NOT EXISTS mpsearch_schema (version integer NOT NULL)")
            row = conn.execute("SELECT version FROM mpsearch_schema").fetchone()
            version = 0 if row is None else int(row[0])
            if version > SCHEMA_VERSION:
                raise ChangeLogUnavailable(
                    f"change log {self.name} has schema version {version}; this code knows "
                    f"versions up to {SCHEMA_VERSION}: upgrade mpsearch"
                )
            if version == SCHEMA_VERSION:
                return
            for step in _MIGRATIONS[version:]:
                for statement in filter(str.strip, step.split(";")):
                    conn.execute(statement.encode())
            if row is None:
                conn.execute("INSERT INTO mpsearch_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
            else:
                conn.execute("UPDATE mpsearch_schema SET version = %s", (SCHEMA_VERSION,))

    @contextmanager
    def _session(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """The connection, under the lock; a lost server becomes ChangeLogUnavailable."""
        with self._lock:
            try:
                if self._conn is None or self._conn.closed or self._conn.broken:
                    self._conn = self._connect()
                yield self._conn
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if self._conn is not None:
                    self._conn.close()
                self._conn = None
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                raise ChangeLogUnavailable(
                    f"change log {self.name} is unavailable: {reason}"
                ) from None

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._session() as conn:
            return conn.execute(sql.encode(), params).fetchall()

    def _in_transaction(self, body: Callable[[psycopg.Connection[tuple[Any, ...]]], T]) -> T:
        """Run ``body`` in one transaction that is durable once this returns."""
        with self._session() as conn, conn.transaction():
            conn.execute("SET LOCAL synchronous_commit = on")
            return body(conn)

    @staticmethod
    def _next(conn: psycopg.Connection[tuple[Any, ...]], counter: str) -> int:
        """The next sequence of ``counter``; its row stays locked until the commit."""
        row = conn.execute(
            "UPDATE mpsearch_counters SET value = value + 1 WHERE name = %s RETURNING value",
            (counter,),
        ).fetchone()
        assert row is not None, f"counter {counter} missing from {counter} table"
        return int(row[0])

    # --- changes ----------------------------------------------------------------------

    def _append(
        self, kind: ChangeKind, key: str, payload: dict[str, Any] | None, guard: Guard | None
    ) -> Change:
        blob = None if payload is None else orjson.dumps(payload).decode()

        def write(conn: psycopg.Connection[tuple[Any, ...]]) -> Change:
            seq = self._next(conn, "changes")  # every other appender now waits for us
            if guard is not None:  # raising rolls the transaction (and the counter) back
                among, check = guard
                rows = conn.execute(
                    f"SELECT {CHANGE_COLUMNS} FROM mpsearch_changes WHERE key = %s "
                    "AND kind = ANY(%s) ORDER BY seq",
                    (key, list(among)),
                ).fetchall()
                check([change_row(row) for row in rows])
            row = conn.execute(
                "INSERT INTO mpsearch_changes (seq, kind, key, payload, at) "
                "VALUES (%s, %s, %s, %s::jsonb, now()) RETURNING at",
                (seq, kind, key, blob),
            ).fetchone()
            assert row is not None
            return Change(seq=seq, kind=kind, key=key, payload=payload, at=row[0])

        return self._in_transaction(write)

    def changes_of(self, kinds: Sequence[ChangeKind], key: str | None = None) -> list[Change]:
        where = "kind = ANY(%s)" + ("" if key is None else " AND key = %s")
        params: tuple[Any, ...] = (list(kinds),) if key is None else (list(kinds), key)
        rows = self._query(
            f"SELECT {CHANGE_COLUMNS} FROM mpsearch_changes WHERE {where} ORDER BY seq", params
        )
        return [change_row(row) for row in rows]

    def since(self, seq: int, limit: int = 1000) -> list[Change]:
        rows = self._query(
            f"SELECT {CHANGE_COLUMNS} FROM mpsearch_changes WHERE seq > %s ORDER BY seq LIMIT %s",
            (seq, limit),
        )
        return [change_row(row) for row in rows]

    def last_seq(self) -> int:
        rows = self._query("SELECT value FROM mpsearch_counters WHERE name = 'changes'")
        return int(rows[0][0]) if rows else 0

    def latest(self, kind: ChangeKind, key: str) -> Change | None:
        rows = self._query(
            f"SELECT {CHANGE_COLUMNS} FROM mpsearch_changes WHERE kind = %s AND key = %s "
            "ORDER BY seq DESC LIMIT 1",
            (kind, key),
        )
        return change_row(rows[0]) if rows else None

    def standing(self, kinds: Sequence[ChangeKind]) -> list[Change]:
        rows = self._query(
            f"SELECT DISTINCT ON (key) {CHANGE_COLUMNS} FROM mpsearch_changes "
            "WHERE kind = ANY(%s) ORDER BY key, seq DESC",
            (list(kinds),),
        )
        return sorted((change_row(row) for row in rows), key=lambda c: c.seq)

    # --- publications -----------------------------------------------------------------

    def _record(self, decide: PublicationDecision) -> Publication:
        def write(conn: psycopg.Connection[tuple[Any, ...]]) -> Publication:
            seq = self._next(conn, "publications")  # also serialises publishers
            row = conn.execute(
                f"SELECT {PUBLICATION_COLUMNS} FROM mpsearch_publications ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            version, previous, action = decide(None if row is None else publication_row(row))
            written = conn.execute(
                "INSERT INTO mpsearch_publications (seq, version, previous, action, at) "
                f"VALUES (%s, %s, %s, %s, now()) RETURNING {PUBLICATION_COLUMNS}",
                (seq, version, previous, action),
            ).fetchone()
            assert written is not None
            return publication_row(written)

        return self._in_transaction(write)

    def publish(self, version: str) -> Publication:
        return self._record(publishing(version))

    def rollback(self) -> Publication:
        return self._record(rolling_back(self.name))

    def publications(self, limit: int = 20) -> list[Publication]:
        rows = self._query(
            f"SELECT {PUBLICATION_COLUMNS} FROM mpsearch_publications ORDER BY seq DESC LIMIT %s",
            (limit,),
        )
        return [publication_row(row) for row in rows]

    # --- replicas ---------------------------------------------------------------------

    def heartbeat(self, report: ReplicaReport) -> None:
        self._query(
            f"INSERT INTO mpsearch_replicas ({REPLICA_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, now()) "
            f"ON CONFLICT (name) DO UPDATE SET {REPLICA_UPDATE} RETURNING name",
            (report.name, report.version, report.applied_seq, report.error, report.started_at),
        )

    def replicas(self) -> list[ReplicaStatus]:
        rows = self._query(f"SELECT {REPLICA_COLUMNS}, now() FROM mpsearch_replicas ORDER BY name")
        return [replica_status(row[:-1], row[-1]) for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
