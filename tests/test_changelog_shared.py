"""The change log interface, on both implementations (SQLite, PostgreSQL), and what only
the shared PostgreSQL log has to show: ordering under concurrent writers, outages,
migrations. PostgreSQL is the test run's own (initdb in a temp folder, a free port).

Properties checked:
1. On both: sequences from 1, `since`/`latest`/`standing` as specified; the publication
   history records publish and rollback with their `previous` (republishing the current
   version keeps it, a rollback swaps current and previous, a rollback with nothing to go
   back to is a VersionError); heartbeats upsert one row per replica, with its age.
1b. On both: the go-live kinds are stored and read back like any change; `changes_of`
   lists the changes of some kinds (of one key) in order; `append_checked` hands its check
   the changes of the key among the kinds asked for, appends nothing when the check
   refuses (the next append follows with no gap), and of two writers racing to decide the
   same key with the same check, exactly one appends, 20 times out of 20.
2. Two writers: 4 writers, each with its own connection, append 600 changes at once while
   a reader polls `since(last seen)`: every batch the reader sees continues exactly where
   the last one ended (no gap, no reordering), and the log ends with 1..600, each change
   once. A writer holding the counter row blocks the next append, which gets the next
   sequence after a rollback (no gap). A plain PostgreSQL sequence, for contrast, does let
   a reader see a later number before an earlier one commits.
3. Two rollbacks at once are serialised: the history stays one chain (each entry's
   previous is the version the entry before it made current).
4. PostgreSQL stopped: append, since and last_seq raise ChangeLogUnavailable naming the
   log without its password; started again, the same instance appends again (no restart),
   and nothing unacknowledged appeared.
5. Tables are created on first use with schema version 1 recorded; a database whose schema
   version is newer than the code's is refused, saying so.
6. The URL setting is checked: an unknown scheme is refused naming the setting, never
   showing a password.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from pydantic import ValidationError

from devcluster.postgres import Postgres
from indexer.changelog import Change, ChangeKind, ChangeLog, ReplicaReport, SqliteChangeLog
from indexer.errors import ChangeLogUnavailable, VersionError
from indexer.pglog import SCHEMA_VERSION, PostgresChangeLog
from indexer.settings import Settings

pytestmark = pytest.mark.slow  # a PostgreSQL server, moto's S3 server

WRITERS = 4
PER_WRITER = 150


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ChangeLog]:
    impl: ChangeLog
    if request.param == "sqlite":
        impl = SqliteChangeLog.in_home(tmp_path)
    else:
        impl = PostgresChangeLog(request.getfixturevalue("pg_url"))
    yield impl
    impl.close()


def test_changes(log: ChangeLog) -> None:
    assert log.last_seq() == 0 and log.since(0) == []
    a = log.append("listing_delete", "wx0000000000000001", None)
    b = log.append("listing_put", "wx0000000000000001", {"appid": "wx0000000000000001"})
    c = log.append("brand_put", "acme", {"brand_id": "acme", "aliases": ["A"]})
    assert [a.seq, b.seq, c.seq] == [1, 2, 3] and log.last_seq() == 3
    assert [(x.seq, x.payload) for x in log.since(1)] == [
        (2, {"appid": "wx0000000000000001"}),
        (3, {"brand_id": "acme", "aliases": ["A"]}),
    ]
    assert [x.seq for x in log.since(0, limit=2)] == [1, 2]
    latest = log.latest("listing_delete", "wx0000000000000001")
    assert latest is not None and latest.seq == 1
    assert log.latest("listing_delete", "acme") is None
    log.append("listing_delete", "wx0000000000000002", None)  # 4
    standing = log.standing(("listing_put", "listing_delete"))
    assert [(x.seq, x.kind) for x in standing] == [(2, "listing_put"), (4, "listing_delete")]


def test_publications_and_heartbeats(log: ChangeLog) -> None:
    assert log.publications() == []
    with pytest.raises(VersionError, match="no previous version to roll back to"):
        log.rollback()
    a, b = "v20260101-000000-aaaaaa", "v20260102-000000-bbbbbb"
    assert (log.publish(a).previous, log.publish(b).previous) == (None, a)
    again = log.publish(b)  # republishing the current version keeps its previous
    assert (again.version, again.previous) == (b, a)
    back = log.rollback()
    assert (back.version, back.previous, back.action) == (a, b, "rollback")
    history = log.publications()
    assert [p.seq for p in history] == [4, 3, 2, 1]
    assert [p.version for p in history] == [a, b, b, a]
    started = datetime.now(UTC)
    for applied in (3, 5):
        log.heartbeat(ReplicaReport(name="r1", version=a, applied_seq=applied, started_at=started))
    log.heartbeat(
        ReplicaReport(name="r2", version=None, applied_seq=0, error="x", started_at=started)
    )
    replicas = log.replicas()
    assert [(r.name, r.version, r.applied_seq, r.error) for r in replicas] == [
        ("r1", a, 5, None),
        ("r2", None, 0, "x"),
    ]
    assert all(0 <= r.heartbeat_age < 5 for r in replicas)


DECIDING = ("golive_apply", "golive_approve", "golive_reject")


class Decided(Exception):
    """What the checks below raise to refuse an append."""


def only_after_apply(changes: list[Change]) -> None:
    newest = changes[-1].kind if changes else None
    if newest != "golive_apply":
        raise Decided(f"newest is {newest}")


def test_decision_kinds(log: ChangeLog) -> None:
    key = "wx0000000000000001/samsung"
    applied = log.append("golive_apply", key, {"who": "a", "note": None})
    log.append("listing_put", "wx0000000000000001", {"appid": "wx0000000000000001"})
    seen: list[list[Change]] = []
    approved = log.append_checked(
        "golive_approve",
        key,
        {"who": "b", "application": applied.seq},
        DECIDING,
        seen.append,
    )
    assert seen == [[applied]] and approved.seq == 3
    with pytest.raises(Decided, match="newest is golive_approve"):
        log.append_checked("golive_reject", key, {"who": "c"}, DECIDING, only_after_apply)
    assert log.last_seq() == 3  # nothing appended, no sequence used
    withdrawn = log.append("host_withdraw", key, {"who": "d"})
    assert withdrawn.seq == 4
    other = log.append("golive_apply", "wx0000000000000002/jd", {"who": "a"})
    assert [c.seq for c in log.changes_of(DECIDING)] == [1, 3, 5]
    assert log.changes_of(DECIDING, key) == [applied, approved]
    assert log.changes_of(("host_withdraw",)) == [withdrawn]
    assert [c.kind for c in log.since(0)] == [
        "golive_apply",
        "listing_put",
        "golive_approve",
        "host_withdraw",
        "golive_apply",
    ]
    assert [c.key for c in log.standing(("golive_approve", "host_withdraw"))] == [key]
    assert other.payload == {"who": "a"}


@pytest.fixture(params=["sqlite", "postgresql"])
def two_logs(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ChangeLog, ChangeLog]]:
    """Two connections to one log, as two workers or replicas have."""
    logs: list[ChangeLog]
    if request.param == "sqlite":
        logs = [SqliteChangeLog.in_home(tmp_path) for _ in range(2)]
    else:
        url = request.getfixturevalue("pg_url")
        PostgresChangeLog(url).close()  # tables created once, before the race
        logs = [PostgresChangeLog(url) for _ in range(2)]
    yield logs[0], logs[1]
    for one in logs:
        one.close()


def test_racing_decisions_decide_once(two_logs: tuple[ChangeLog, ChangeLog]) -> None:
    rounds = 20
    keys = [f"wx{i:016d}/jd" for i in range(rounds)]
    for key in keys:
        two_logs[0].append("golive_apply", key, None)
    wins: list[str] = []
    losses: list[str] = []

    def decide(log: ChangeLog, kind: ChangeKind, barrier: threading.Barrier, key: str) -> None:
        barrier.wait()
        try:
            log.append_checked(kind, key, None, DECIDING, only_after_apply)
            wins.append(key)
        except Decided:
            losses.append(key)

    for key in keys:
        barrier = threading.Barrier(2)
        racers = [
            threading.Thread(target=decide, args=(log, kind, barrier, key))
            for log, kind in zip(two_logs, ("golive_approve", "golive_reject"), strict=True)
        ]
        for t in racers:
            t.start()
        for t in racers:
            t.join()
    assert sorted(wins) == keys and sorted(losses) == keys
    decided = two_logs[1].changes_of(("golive_approve", "golive_reject"))
    assert sorted(c.key for c in decided) == keys  # one decision per key
    assert [c.seq for c in two_logs[0].since(0)] == list(range(1, 2 * rounds + 1))


def test_two_writers_never_show_a_gap(pg_url: str) -> None:
    PostgresChangeLog(pg_url).close()  # tables created once, before the race
    seen: list[int] = []
    failures: list[str] = []
    done = threading.Event()

    def write(w: int) -> None:
        log = PostgresChangeLog(pg_url)
        try:
            for i in range(PER_WRITER):
                log.append("listing_delete", f"wx{w:04x}{i:012x}", None)
        finally:
            log.close()

    def read() -> None:
        log = PostgresChangeLog(pg_url)
        last = 0
        try:
            while True:
                finished = done.is_set()
                batch = [c.seq for c in log.since(last, limit=50)]
                if batch and batch != list(range(last + 1, last + 1 + len(batch))):
                    failures.append(f"after {last} the reader saw {batch[:5]}")
                    return
                seen.extend(batch)
                last = batch[-1] if batch else last
                if finished and not batch:
                    return
        finally:
            log.close()

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    reader.join()
    assert failures == []
    assert seen == list(range(1, WRITERS * PER_WRITER + 1))
    log = PostgresChangeLog(pg_url)
    assert len({c.key for c in log.since(0, limit=10_000)}) == WRITERS * PER_WRITER
    log.close()


def test_append_waits_for_the_counter_row(pg_url: str) -> None:
    log = PostgresChangeLog(pg_url)
    log.append("listing_delete", "wx0000000000000001", None)
    got: list[int] = []
    with psycopg.connect(pg_url) as holder:  # a writer inside its transaction
        holder.execute("UPDATE mpsearch_counters SET value = value + 1 WHERE name = 'changes'")
        other = threading.Thread(
            target=lambda: got.append(log.append("listing_delete", "wx02", None).seq)
        )
        other.start()
        time.sleep(0.5)
        assert got == [] and other.is_alive()  # blocked behind the open transaction
        holder.rollback()  # that writer fails: its number is not used
        other.join(timeout=10)
    assert got == [2]
    assert [c.seq for c in log.since(0)] == [1, 2]
    log.close()


def test_a_plain_sequence_would_reorder(pg_url: str) -> None:
    """Why sequences are not taken from a PostgreSQL sequence: out-of-order commits."""
    with psycopg.connect(pg_url, autocommit=True) as setup:
        setup.execute("CREATE TABLE naive (seq bigserial PRIMARY KEY)")
    with psycopg.connect(pg_url) as first, psycopg.connect(pg_url) as second:
        first.execute("INSERT INTO naive DEFAULT VALUES")  # takes 1, not committed yet
        second.execute("INSERT INTO naive DEFAULT VALUES")  # takes 2
        second.commit()
        with psycopg.connect(pg_url, autocommit=True) as reader:
            rows = reader.execute("SELECT seq FROM naive WHERE seq > 0").fetchall()
        first.commit()
    assert rows == [(2,)]  # 2 is visible before 1: a reader at 2 would skip 1 for ever


def test_concurrent_rollbacks_keep_one_chain(pg_url: str) -> None:
    log = PostgresChangeLog(pg_url)
    log.publish("v20260101-000000-aaaaaa")
    log.publish("v20260102-000000-bbbbbb")
    logs = [PostgresChangeLog(pg_url) for _ in range(4)]
    threads = [threading.Thread(target=x.rollback) for x in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    history = list(reversed(log.publications()))
    assert len(history) == 6
    for before, after in itertools.pairwise(history):
        assert after.previous == before.version
    for x in [log, *logs]:
        x.close()


def test_outage_and_recovery() -> None:
    password_url = "postgresql://mpsearch:s3cret@127.0.0.1:{port}/mpsearch"
    with Postgres() as server:
        log = PostgresChangeLog(password_url.format(port=server.port))
        assert log.append("listing_delete", "wx0000000000000001", None).seq == 1
        server.stop()
        for call in (
            lambda: log.append("listing_delete", "wx0000000000000002", None),
            lambda: log.since(0),
            log.last_seq,
        ):
            with pytest.raises(ChangeLogUnavailable) as info:
                call()
            assert f"change log postgresql://mpsearch@127.0.0.1:{server.port}/mpsearch" in str(
                info.value
            )
            assert "s3cret" not in str(info.value)
        server.start()
        assert log.append("listing_delete", "wx0000000000000003", None).seq == 2
        assert [c.key for c in log.since(0)] == ["wx0000000000000001", "wx0000000000000003"]
        log.close()


def test_schema_created_and_versioned(pg_url: str) -> None:
    log = PostgresChangeLog(pg_url)
    assert log.last_seq() == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT version FROM mpsearch_schema").fetchall() == [(SCHEMA_VERSION,)]
        conn.execute("UPDATE mpsearch_schema SET version = 99")
    log.close()
    newer = PostgresChangeLog(pg_url)
    with pytest.raises(ChangeLogUnavailable, match="schema version 99; this code knows"):
        newer.last_seq()
    newer.close()


def test_url_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPSEARCH_CHANGELOG_URL", "mysql://root:hunter2@db/x")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert "changelog_url" in str(info.value) and "postgresql://" in str(info.value)
    assert "hunter2" not in str(info.value)
    monkeypatch.setenv("MPSEARCH_CHANGELOG_URL", "postgresql://u@h/db")
    monkeypatch.setenv("MPSEARCH_STORE_URL", "ftp://x")
    with pytest.raises(ValidationError, match="s3://"):
        Settings()
