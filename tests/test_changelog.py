"""The SQLite change log.

Properties checked:
1. Appends get consecutive sequence numbers from 1; `since` returns later changes in order,
   with payloads as appended, and honours its limit; `latest` finds the newest change of a
   kind for a key.
2. The database is in WAL mode with synchronous=FULL (the durability promise of an ack).
3. Changes survive closing and reopening the file, and a second connection (another worker)
   sees the first one's appends; appends from two connections never share a sequence.
4. A change committed by a process that is then SIGKILLed is in the log afterwards.
5. Processes that create the same new log at the same moment (workers starting together)
   all open it and append, each change with its own sequence number.
6. A log of the schema before go-live decisions (schema 2, whose table constrained the
   kinds) is migrated on opening: every change kept with its sequence, kind, key, payload
   and time, publications and replicas untouched, the next append numbered after the
   last, and the go-live kinds accepted.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.changelog import _SQLITE_MIGRATIONS, CHANGELOG_FILE, SqliteChangeLog


def test_sequence_and_since(tmp_path: Path) -> None:
    log = SqliteChangeLog.in_home(tmp_path)
    assert log.last_seq() == 0
    assert log.since(0) == []
    a = log.append("listing_delete", "wx0000000000000001", None)
    b = log.append("brand_put", "acme", {"brand_id": "acme", "aliases": ["A"]})
    c = log.append("listing_put", "wx0000000000000002", {"appid": "wx0000000000000002"})
    assert [a.seq, b.seq, c.seq] == [1, 2, 3]
    assert log.last_seq() == 3
    got = log.since(1)
    assert [(x.seq, x.kind, x.key, x.payload) for x in got] == [
        (2, "brand_put", "acme", {"brand_id": "acme", "aliases": ["A"]}),
        (3, "listing_put", "wx0000000000000002", {"appid": "wx0000000000000002"}),
    ]
    assert [x.seq for x in log.since(0, limit=2)] == [1, 2]
    log.append("brand_put", "acme", {"brand_id": "acme", "aliases": ["B"]})
    latest = log.latest("brand_put", "acme")
    assert latest is not None and (latest.seq, latest.payload) == (
        4,
        {"brand_id": "acme", "aliases": ["B"]},
    )
    assert log.latest("brand_put", "other") is None
    assert log.latest("listing_put", "acme") is None
    log.close()


def test_wal_and_full_sync(tmp_path: Path) -> None:
    log = SqliteChangeLog.in_home(tmp_path)
    log.append("listing_delete", "wx0000000000000001", None)
    db = sqlite3.connect(tmp_path / CHANGELOG_FILE)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # synchronous is per connection: read it from the log's own connection.
    assert log._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    db.close()
    log.close()


def test_reopen_and_two_connections(tmp_path: Path) -> None:
    first = SqliteChangeLog.in_home(tmp_path)
    second = SqliteChangeLog.in_home(tmp_path)
    seqs = []
    for i in range(10):
        log = first if i % 2 else second
        seqs.append(log.append("listing_delete", f"wx{i:016x}", None).seq)
    assert seqs == list(range(1, 11))
    assert second.last_seq() == first.last_seq() == 10
    first.close()
    second.close()
    again = SqliteChangeLog.in_home(tmp_path)
    assert [c.key for c in again.since(0)] == [f"wx{i:016x}" for i in range(10)]
    again.close()


def test_append_survives_sigkill(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from indexer.changelog import SqliteChangeLog\n"
        "log = SqliteChangeLog.in_home(Path(sys.argv[1]))\n"
        "c = log.append('listing_delete', 'wx00000000000000aa', None)\n"
        "print(c.seq, flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    acked = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    log = SqliteChangeLog.in_home(tmp_path)
    assert [(c.seq, c.key) for c in log.since(0)] == [(acked, "wx00000000000000aa")]
    log.close()


def test_processes_create_the_log_together(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from indexer.changelog import SqliteChangeLog\n"
        "log = SqliteChangeLog.in_home(Path(sys.argv[1]))\n"
        "print(log.append('listing_delete', sys.argv[2], None).seq)\n"
    )
    for trial in range(3):
        home = tmp_path / str(trial)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(home), f"wx{i:016x}"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
            for i in range(4)
        ]
        outs = [p.communicate(timeout=60) for p in procs]
        assert [p.returncode for p in procs] == [0] * 4, [err for _, err in outs]
        assert sorted(int(out) for out, _ in outs) == [1, 2, 3, 4]


def test_migration_keeps_every_change(tmp_path: Path) -> None:
    path = tmp_path / CHANGELOG_FILE
    old = sqlite3.connect(path, isolation_level=None)
    for step in _SQLITE_MIGRATIONS[:2]:  # the schema as version 2 left it
        old.executescript(step)
    old.execute("PRAGMA user_version=2")
    rows = [
        ("listing_put", "wx0000000000000001", b'{"appid": "wx0000000000000001"}'),
        ("listing_delete", "wx0000000000000001", None),
        ("brand_put", "acme", b'{"brand_id": "acme"}'),
    ]
    for i, (kind, key, payload) in enumerate(rows):
        old.execute(
            "INSERT INTO changes (kind, key, payload, at) VALUES (?, ?, ?, ?)",
            (kind, key, payload, f"2026-01-0{i + 1}T00:00:00+00:00"),
        )
    with_check = old.execute("SELECT sql FROM sqlite_master WHERE name = 'changes'").fetchone()
    assert "CHECK" in with_check[0]
    with pytest.raises(sqlite3.IntegrityError):  # what the old table refused
        old.execute("INSERT INTO changes (kind, key, at) VALUES ('golive_apply', 'k', 'now')")
    old.execute(
        "INSERT INTO publications (version, previous, action, at) VALUES ('v1', NULL, 'publish', "
        "'2026-01-04T00:00:00+00:00')"
    )
    old.close()

    log = SqliteChangeLog(path)
    before = log.since(0)
    assert [(c.seq, c.kind, c.key, c.payload, c.at.day) for c in before] == [
        (1, "listing_put", "wx0000000000000001", {"appid": "wx0000000000000001"}, 1),
        (2, "listing_delete", "wx0000000000000001", None, 2),
        (3, "brand_put", "acme", {"brand_id": "acme"}, 3),
    ]
    assert [p.version for p in log.publications()] == ["v1"]
    applied = log.append("golive_apply", "wx0000000000000001/samsung", {"note": "launcher"})
    assert applied.seq == 4
    assert log.latest("golive_apply", "wx0000000000000001/samsung") == applied
    log.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "changes_by_key" in indexes
    db.close()
