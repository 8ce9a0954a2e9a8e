"""Several machines on one, end to end: the test run's own PostgreSQL (initdb) as the
change log, moto's S3 server as the version store, three `mpsearch serve` replicas (each
its own empty MPSEARCH_HOME) and haproxy in front health-checking /readyz, all real
processes, with searches sent through haproxy the whole time.

Properties checked, in order, on one cluster:
1. Started empty, each replica fetches the published version from S3, verifies it and
   is ready; `cluster status` lists the three replicas with that version and no lag.
2. A takedown through replica 1 is gone from every replica (searched directly).
3. Replica 2 is SIGKILLed; another listing is taken down (through haproxy); replica 2 is
   started again and, once /readyz says ready, already leaves out both listings.
4. A rebuild from the same export (which still lists both) is published: every replica
   serves it without the two listings (the build summary counted them as held back). A
   rollback: every replica serves the first version again, still without them. Published
   again with replica 3 SIGKILLed at a random moment of the switch and started again:
   every replica serves the new version, with the same results for every query.
5. PostgreSQL is stopped: an admin write answers 503 `changelog_unavailable` naming the
   log; searches still answer from each replica's copy; /metrics shows the log down.
   PostgreSQL is started again: admin writes resume (no replica restarted) and the
   takedown made then reaches every replica.
6. Under all of that, every search sent through haproxy got a 200, except those cut off
   mid-response by a SIGKILL (at most one per client thread and kill); none failed while
   versions were published and rolled back, or while PostgreSQL was down.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from lifecycle_support import SEARCH_QUERIES, Load

from devcluster.stack import ADMIN_TOKEN, Cluster, Replica, built_version, wait_until

pytestmark = pytest.mark.slow  # a whole cluster: PostgreSQL, S3, 3 replicas, haproxy

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LV_OFFICIAL = "wxc2c943090d2ec70a"  # found by "LV"
LV_SECOND = "wxb6979e465ca80716"  # found by "LV"
STARBUCKS = "wx9426f5912f0aad45"  # found by "星巴克"
WAIT = 10.0
KILL_2 = "SIGKILL replica 2"
KILL_3 = "publish with replica 3 SIGKILLed"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster(replicas=3, workers=1)
    try:
        c.start()
        yield c
    finally:
        logs = {r.name: r.log()[-2000:] for r in c.replicas}
        c.destroy()
        for name, text in logs.items():
            print(f"--- {name}\n{text}")


def search(replica: Replica, q: str) -> dict[str, Any]:
    resp = httpx.get(f"{replica.url}/v1/search", params={"q": q, "host": "jd"}, timeout=5.0)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def appids(body: dict[str, Any]) -> set[str]:
    zone = {body["brand_zone"]["card"]["appid"]} if body.get("brand_zone") else set()
    return zone | {c["appid"] for c in body["results"]}


def gone_everywhere(cluster: Cluster, appid: str, q: str) -> None:
    for replica in cluster.replicas:
        wait_until(
            f"{appid} gone from {replica.name}",
            lambda r=replica: appid not in appids(search(r, q)),
            WAIT,
        )


def serving_everywhere(cluster: Cluster, version: str) -> None:
    for replica in cluster.replicas:
        wait_until(
            f"{replica.name} serving {version}",
            lambda r=replica: search(r, "LV")["index_version"] == version,
            60.0,
        )


def take_down(base: str, appid: str) -> httpx.Response:
    return httpx.delete(f"{base}/v1/admin/listings/{appid}", headers=AUTH, timeout=10.0)


def status(cluster: Cluster) -> dict[str, Any]:
    done = cluster.cli("cluster", "status", "--json")
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = orjson.loads(done.stdout)
    return body


def test_cluster(cluster: Cluster) -> None:
    assert cluster.haproxy is not None
    base = cluster.haproxy.url
    r1, r2, r3 = cluster.replicas
    first = search(r1, "LV")["index_version"]
    assert {LV_OFFICIAL, LV_SECOND} <= appids(search(r1, "LV"))

    # 1. every replica started empty and fetched the published version
    def listed() -> bool:
        body = status(cluster)
        replicas = body["replicas"]
        return len(replicas) == 3 and all(
            r["version"] == first and r["lag"] == 0 and not r["stale"] for r in replicas
        )

    wait_until("three replicas in cluster status", listed, WAIT)
    assert status(cluster)["store"].startswith("s3://")

    with Load(base, threads=3, fresh_connections=False, pause=0.01) as load:
        # 2. a takedown through replica 1 reaches every replica
        load.phase = "takedown"
        ack = take_down(r1.url, LV_OFFICIAL)
        assert ack.status_code == 200, ack.text
        gone_everywhere(cluster, LV_OFFICIAL, "LV")

        # 3. SIGKILL replica 2; another takedown; replica 2 restarts and catches up
        load.phase = KILL_2
        r2.kill()
        second = take_down(base, STARBUCKS)
        assert second.status_code == 200, second.text
        r2.start()
        r2.wait_ready()
        assert STARBUCKS not in appids(search(r2, "星巴克"))
        assert LV_OFFICIAL not in appids(search(r2, "LV"))
        gone_everywhere(cluster, STARBUCKS, "星巴克")

        # 4. a rebuild from an export that still lists both, published, rolled back;
        # published again with replica 3 SIGKILLed at a random moment of the switch
        load.phase = "publish"
        summary = cluster.build_output()
        assert "held back by decisions made through the API: 2" in summary
        new = built_version(summary)
        cluster.publish(new)
        serving_everywhere(cluster, new)
        assert_taken_down(cluster)
        load.phase = "rollback"
        back = cluster.cli("index", "rollback")
        assert back.returncode == 0 and first in back.stdout, back.stderr
        serving_everywhere(cluster, first)
        assert_taken_down(cluster)
        load.phase = KILL_3
        cluster.publish(new)
        time.sleep(random.Random(17).uniform(0.0, 0.5))
        r3.kill()
        r3.start()
        r3.wait_ready()
        serving_everywhere(cluster, new)
        for q in SEARCH_QUERIES:  # the restarted replica converges to the same results
            assert len({tuple(sorted(appids(search(r, q)))) for r in cluster.replicas}) == 1
        assert_taken_down(cluster)

        # 5. PostgreSQL down: writes refused by name, searches go on; back: writes resume
        load.phase = "log down"
        cluster.postgres.stop()
        refused = take_down(base, LV_SECOND)
        assert refused.status_code == 503, refused.text
        body = refused.json()
        assert body["error"] == "changelog_unavailable"
        assert cluster.postgres.url.replace("postgresql://", "") in body["message"]
        for replica in cluster.replicas:
            assert LV_SECOND in appids(search(replica, "LV"))  # not taken down
            wait_until(
                f"{replica.name} reporting the log down",
                lambda r=replica: "mpsearch_changelog_available 0.0" in metrics(r),
                WAIT,
            )
        cluster.postgres.start()
        resumed = take_down(base, LV_SECOND)
        assert resumed.status_code == 200, resumed.text
        gone_everywhere(cluster, LV_SECOND, "LV")
    # 6. no search failed, but those a SIGKILLed replica was answering (cut mid-response:
    # too late for haproxy to send them elsewhere; one per client thread at most)
    print(f"\nload through haproxy: {dict(load.statuses)}, errors {load.errors}")
    assert set(load.statuses) == {200}
    assert sum(load.statuses.values()) > 100
    for phase in (KILL_2, KILL_3):
        assert len([e for e in load.errors if e[0] == phase]) <= len(load.threads)
    assert [e for e in load.errors if e[0] not in (KILL_2, KILL_3)] == []


def assert_taken_down(cluster: Cluster) -> None:
    for replica in cluster.replicas:
        assert LV_OFFICIAL not in appids(search(replica, "LV"))
        assert STARBUCKS not in appids(search(replica, "星巴克"))


def metrics(replica: Replica) -> str:
    return httpx.get(f"{replica.url}/metrics", timeout=5.0).text
