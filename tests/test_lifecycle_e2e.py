"""Lifecycle end to end: real `mpsearch serve --workers 2` processes, real SIGKILL.

Properties checked:
1. Publish under load: while 4 client threads send searches (keep-alive and fresh
   connections) to a 2-worker server, versions A and B are published and rolled back 10
   times each: no request fails or gets a non-200, every response's index_version is A or B,
   and every switch is seen by both workers.
2. Durability: the server is SIGKILLed (whole process group) right after an upsert and a
   takedown are acknowledged; after a restart, once /readyz is 200 on both workers, the
   upserted listing is found and the taken-down one is gone, on every worker. Then another
   version is published and the server SIGKILLed at a random moment of the swap: after a
   restart every worker serves the new version, with both updates replayed onto it.
3. A takedown acknowledged after a rebuild started (the build's change_seq is below the
   takedown's sequence, and its catalog still has the listing) stays down once that
   rebuild is published and served.
4. Applier failover: SIGKILL of the worker holding the applier lock; the server starts a new
   worker, one of the two takes the lock, and a takedown acknowledged afterwards reaches
   every worker.
5. The admin token never appears in the server's log.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS
from lifecycle_support import (
    AUTH,
    LV_OFFICIAL,
    TOKEN,
    Load,
    Server,
    appids_of,
    fresh_get,
    new_listing,
    sample_listing,
    wait_for,
)

from indexer.build import build_index
from indexer.changelog import SqliteChangeLog
from indexer.dictionaries import Dictionaries
from indexer.store import IndexStore

pytestmark = pytest.mark.slow  # publish and live updates under load, SIGKILLed servers

SWITCHES = 10
TAKEDOWN = "wxb6979e465ca80716"  # the second LV official listing
UPSERT = "wx00000000000def01"
FAILOVER = "wx9426f5912f0aad45"  # the Starbucks official listing


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> Path:
    """A home with two versions of the sample catalog; the first is published."""
    home = tmp_path_factory.mktemp("lifecycle-home")
    store = IndexStore(home)
    for _ in range(2):
        result = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
        assert result.version is not None
        time.sleep(0.01)
    store.publish(store.versions()[0])
    return home


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[Server]:
    """One 2-worker server for the module; the durability test (last) SIGKILLs it."""
    srv = Server(home, workers=2)
    try:
        srv.wait_ready()
        yield srv
    finally:
        srv.stop()
        assert TOKEN not in srv.log()


def serves(version: str) -> Any:
    return lambda resp: resp.status_code == 200 and resp.json()["index_version"] == version


def test_publish_under_load(home: Path, server: Server) -> None:
    store = IndexStore(home)
    a, b = store.versions()
    assert store.current() == a
    swaps: list[float] = []
    with Load(server.base) as load:
        time.sleep(0.5)
        store.publish(b)
        swaps.append(server.on_every_worker("B on every worker", serves(b), "/readyz"))
        for i in range(SWITCHES * 2 - 1):
            target, _ = store.rollback()  # B -> A -> B ...
            assert target == (a if i % 2 == 0 else b)
            swaps.append(server.on_every_worker(f"{target} served", serves(target), "/readyz"))
        time.sleep(0.3)
    print(
        f"\n{len(swaps)} switches under load: {sum(load.statuses.values())} requests, "
        f"statuses {dict(load.statuses)}, swap seen on both workers after "
        f"median {sorted(swaps)[len(swaps) // 2]:.3f} s, max {max(swaps):.3f} s"
    )
    assert load.errors == []
    assert set(load.statuses) == {200}
    assert set(load.versions) == {a, b}
    assert sum(load.statuses.values()) > 100
    assert store.current() == a  # 10 publishes and 10 rollbacks end where we started


def test_takedown_during_rebuild_stays_down(
    home: Path, server: Server, dicts: Dictionaries
) -> None:
    store = IndexStore(home)
    log = SqliteChangeLog.in_home(home)
    started_at = log.last_seq()  # the rebuild starts from an export taken now
    with httpx.Client(base_url=server.base, headers=AUTH, timeout=5.0) as admin:
        ack = admin.delete(f"/v1/admin/listings/{LV_OFFICIAL}")
    assert ack.status_code == 200
    assert ack.json()["seq"] > started_at
    server.on_every_worker(
        "takedown served",
        lambda r: LV_OFFICIAL not in appids_of(r.json()),
        "/v1/search",
        q="LV",
        host="jd",
    )
    rebuilt = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts, change_seq=started_at)
    assert rebuilt.version is not None
    assert rebuilt.manifest is not None and rebuilt.manifest.change_seq < ack.json()["seq"]
    store.publish(rebuilt.version)
    server.on_every_worker(
        "the rebuild served", serves(rebuilt.version), "/v1/search", q="LV", host="jd"
    )
    for _ in range(8):
        body = fresh_get(server.base, "/v1/search", q="LV", host="jd").json()
        assert body["index_version"] == rebuilt.version
        assert LV_OFFICIAL not in appids_of(body)
        assert fresh_get(server.base, f"/v1/listings/{LV_OFFICIAL}").status_code == 404
    log.close()


def test_applier_failover(home: Path, server: Server) -> None:
    def status() -> dict[str, Any]:
        resp = fresh_get(server.base, "/v1/admin/index", headers=AUTH)
        assert resp.status_code == 200
        body: dict[str, Any] = resp.json()
        return body

    appliers: set[int] = set()
    workers: set[int] = set()

    def both_seen() -> bool:
        body = status()
        workers.add(body["worker"])
        if body["applier"]:
            appliers.add(body["worker"])
        return len(workers) >= 2 and len(appliers) == 1

    wait_for("both workers and the applier", both_seen)
    (applier,) = appliers
    os.kill(applier, signal.SIGKILL)  # the server starts a new worker; the other takes over
    with httpx.Client(base_url=server.base, headers=AUTH, timeout=5.0) as admin:
        ack = wait_for_ack(admin, f"/v1/admin/listings/{FAILOVER}")
    server.on_every_worker(
        f"takedown {ack} after failover",
        lambda r: r.status_code == 200 and FAILOVER not in appids_of(r.json()),
        "/v1/search",
        q="星巴克",
        host="jd",
    )


def wait_for_ack(admin: httpx.Client, path: str) -> int:
    """DELETE until a worker acknowledges it (the killed one may take a connection)."""
    seq: list[int] = []

    def acked() -> bool:
        try:
            resp = admin.delete(path)
        except httpx.TransportError:
            return False
        if resp.status_code == 200:
            seq.append(resp.json()["seq"])
        return bool(seq)

    wait_for("an acknowledged takedown", acked)
    return seq[0]


def test_acknowledged_updates_survive_sigkill(home: Path, server: Server) -> None:
    listing = new_listing(sample_listing(SAMPLE_LISTINGS, LV_OFFICIAL), UPSERT, "河马耐久测试店")
    srv = server
    try:
        with httpx.Client(base_url=srv.base, headers=AUTH, timeout=5.0) as admin:
            put = admin.put(f"/v1/admin/listings/{UPSERT}", json=listing)
            assert put.status_code == 200, put.text
            down = admin.delete(f"/v1/admin/listings/{TAKEDOWN}")
            assert down.status_code == 200, down.text
        srv.kill()  # right after the acks, before anything else
        log = SqliteChangeLog.in_home(home)
        assert log.last_seq() == down.json()["seq"] == put.json()["seq"] + 1
        log.close()
    finally:
        srv.stop()
    again = Server(home, workers=2)
    store = IndexStore(home)
    try:
        again.wait_ready()  # ready means: every change acknowledged before start is served
        assert_updates_served(again)
        # Now SIGKILL the server while it swaps to another version.
        target = next(v for v in store.versions() if v != store.current())
        store.publish(target)
        time.sleep(random.Random(3).uniform(0.0, 0.3))
        again.kill()
    finally:
        again.stop()
        assert TOKEN not in again.log()
    third = Server(home, workers=2)
    try:
        third.wait_ready()
        third.on_every_worker("the new version", serves(target), "/readyz")
        assert_updates_served(third)  # replayed onto the newly published version
    finally:
        third.stop()


def assert_updates_served(srv: Server) -> None:
    for _ in range(8):  # fresh connections reach both workers
        found = appids_of(fresh_get(srv.base, "/v1/search", q="河马耐久", host="jd").json())
        assert UPSERT in found
        lv = appids_of(fresh_get(srv.base, "/v1/search", q="LV", host="jd").json())
        assert TAKEDOWN not in lv
        assert fresh_get(srv.base, f"/v1/listings/{TAKEDOWN}").status_code == 404
