"""Several machines on one: replica catch-up, takedown propagation, publish convergence
and search throughput with 1, 2 and 3 replicas behind haproxy.

    .venv/bin/python benchmarks/bench_cluster.py --size 100k
    .venv/bin/python benchmarks/bench_cluster.py --size 1m --catch-up-only

Everything runs as real processes (devcluster): PostgreSQL as the change log, moto's S3
server as the version store, replicas (`mpsearch serve --workers 1`, each its own empty
MPSEARCH_HOME) and haproxy. The version of N listings is built once into
``<bench dir>/cluster-operator-<N>`` and uploaded to the fresh store on later runs.

- catch-up from empty: with ``--changes`` changes in the log after the version's
  change_seq (half takedowns, half upserts), the seconds from starting a replica with an
  empty home to /readyz 200, and apart, in this process: the download from S3 (fetch),
  the checksum of the files (verify) and preparing the serving copy (standing decisions
  and the replay of the changes);
- takedown propagation: DELETE through one replica (in turn), then the time from its 200
  until every replica answers 404 for that appid (p50, p99, max);
- publish convergence: the time from `publish` (the log's commit) until every replica
  serves the version (a new version, then back and forth between cached ones);
- search throughput: wrk through haproxy with 1, 2 and 3 replicas in its backend, unique
  queries of the benchmark mix. Every process shares this machine's two cores.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_http import load
from benchmarks.bench_query import query_mix
from benchmarks.common import (
    DEFAULT_SEED,
    bench_root,
    ensure_catalog,
    machine,
    parse_count,
    percentile,
    save_result,
)
from devcluster.haproxy import Haproxy
from devcluster.stack import ADMIN_TOKEN, Cluster, Replica, built_version, wait_until
from indexer.analyzers import check_compatible
from indexer.applier import Applier
from indexer.deployment import Deployment
from indexer.dictionaries import Dictionaries
from indexer.errors import IndexerError
from indexer.pglog import PostgresChangeLog
from indexer.s3store import S3Versions
from indexer.settings import Settings
from indexer.store import IndexStore, new_version_id, tree_sha256

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def operator(cluster: Cluster, n: int, seed: int) -> tuple[Deployment, str]:
    """The operator's deployment and a version of ``n`` listings in the store."""
    cluster.operator_home = bench_root() / f"cluster-operator-{n}"
    os.environ.update(cluster.env())
    deployment = Deployment(Settings(home=cluster.operator_home))
    dicts = Dictionaries.load(deployment.settings.dictionaries)
    for version in reversed(deployment.cache.versions()):
        try:
            check_compatible(deployment.cache.manifest(version), dicts)
        except IndexerError:
            continue
        print(f"uploading the cached build {version} ...", flush=True)
        started = time.perf_counter()
        deployment.upload(version)
        print(f"  uploaded in {time.perf_counter() - started:.1f} s", flush=True)
        return deployment, version
    listings, brands = ensure_catalog(n, seed)
    print(f"building {n} listings (once; cached in {cluster.operator_home}) ...", flush=True)
    return deployment, built_version(cluster.build_output(listings, brands))


def clone(deployment: Deployment, version: str) -> str:
    """The same files under a new version name, uploaded: a publish of it needs a full
    fetch, verify and prepare, without a second build."""
    cache = deployment.cache
    manifest = cache.manifest(version).model_copy(update={"version": new_version_id()})
    staging = cache.staging_dir(manifest.version)
    shutil.rmtree(staging)
    shutil.copytree(cache.path(version), staging, copy_function=os.link)
    (staging / "manifest.json").unlink()
    cache.commit(staging, manifest)
    deployment.upload(manifest.version)
    return manifest.version


def log_changes(log: PostgresChangeLog, n: int, seed: int, count: int) -> set[str]:
    """``count`` changes after the version: half takedowns, half upserts; the taken down."""
    listings, _ = ensure_catalog(n, seed)
    lines = []
    with listings.open("rb") as fh:
        for line in fh:
            lines.append(line)
            if len(lines) >= count * 2:
                break
    rng = random.Random(seed)
    rng.shuffle(lines)
    down = set()
    for i, line in enumerate(lines[:count]):
        listing = orjson.loads(line)
        if i % 2:
            listing["name"] = listing["name"] + " 新版"
            log.append("listing_put", listing["appid"], listing)
        else:
            log.append("listing_delete", listing["appid"], None)
            down.add(listing["appid"])
    return down


def catch_up(
    cluster: Cluster, deployment: Deployment, version: str, log: PostgresChangeLog
) -> dict[str, Any]:
    """Fetch, verify and replay timed apart in this process; then a replica end to end."""
    store = deployment.store
    assert isinstance(store, S3Versions)
    dicts = Dictionaries.load(deployment.settings.dictionaries)
    with tempfile.TemporaryDirectory(dir=bench_root()) as tmp:
        cache = IndexStore(Path(tmp))
        staging = cache.staging_dir(version)
        started = time.perf_counter()
        manifest = store.download(version, staging)
        fetch_s = time.perf_counter() - started
        started = time.perf_counter()
        assert tree_sha256(staging) == manifest.files_sha256
        verify_s = time.perf_counter() - started
        size = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
        cache.commit(staging, manifest)
        cache.point_at(version, None)
        applier = Applier(Path(tmp), dicts, log)
        assert applier.try_lock()
        started = time.perf_counter()
        applier.prepare(version)
        replay_s = time.perf_counter() - started
        applier.close()
    replica = Replica("catch-up", cluster.root / "catch-up", cluster.env())
    started = time.perf_counter()
    replica.start()
    try:
        replica.wait_ready(timeout=1800)
        ready_s = time.perf_counter() - started
    finally:
        replica.stop()
    out = {
        "version_bytes": size,
        "changes_replayed": log.last_seq(),
        "fetch_s": round(fetch_s, 2),
        "fetch_mib_per_s": round(size / fetch_s / 2**20, 1),
        "verify_s": round(verify_s, 2),
        "replay_s": round(replay_s, 2),
        "replica_start_to_ready_s": round(ready_s, 2),
    }
    print(
        f"catch-up from empty: {size / 2**20:.0f} MiB, fetch {fetch_s:.2f} s "
        f"({out['fetch_mib_per_s']} MiB/s), verify {verify_s:.2f} s, prepare + replay of "
        f"{out['changes_replayed']} changes {replay_s:.2f} s; a replica started empty is "
        f"ready after {ready_s:.2f} s",
        flush=True,
    )
    return out


def propagation(cluster: Cluster, appids: list[str]) -> dict[str, Any]:
    """Takedown through replica i (in turn) → 404 on every replica; seconds per trial."""
    clients = [httpx.Client(base_url=r.url, timeout=5.0) for r in cluster.replicas]
    seconds: list[float] = []
    try:
        for i, appid in enumerate(appids):
            for c in clients:  # every replica has it before the trial
                assert c.get(f"/v1/listings/{appid}").status_code == 200, appid
            ack = clients[i % len(clients)].delete(f"/v1/admin/listings/{appid}", headers=AUTH)
            assert ack.status_code == 200, ack.text
            acked = time.perf_counter()
            done: list[float] = []
            threads = [threading.Thread(target=_gone, args=(c, appid, done)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seconds.append(max(done) - acked)
    finally:
        for c in clients:
            c.close()
    ms = [s * 1000 for s in seconds]
    out = {
        "trials": len(ms),
        "replicas": len(clients),
        "p50_ms": round(percentile(ms, 50), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
    }
    print(
        f"takedown gone from all {len(clients)} replicas: p50 {out['p50_ms']} ms, "
        f"p99 {out['p99_ms']} ms, max {out['max_ms']} ms ({len(ms)} trials)",
        flush=True,
    )
    return out


def _gone(client: httpx.Client, appid: str, done: list[float]) -> None:
    """Poll one replica until the appid is gone; note when."""
    while client.get(f"/v1/listings/{appid}").status_code != 404:
        pass
    done.append(time.perf_counter())


def serving(replica: Replica) -> str:
    version: str = httpx.get(f"{replica.url}/readyz", timeout=5.0).json()["index_version"]
    return version


def convergence(cluster: Cluster, deployment: Deployment, a: str, b: str) -> dict[str, Any]:
    """Seconds from each publication's commit to every replica serving it."""

    def switch(target: str, act: Any) -> float:
        act()
        started = time.perf_counter()
        for r in cluster.replicas:
            wait_until(f"{r.name} serving {target}", lambda r=r: serving(r) == target, 600)
        return time.perf_counter() - started

    first = switch(b, lambda: deployment.log.publish(b))
    cached = []
    for _ in range(3):
        cached.append(switch(a, deployment.log.rollback))
        cached.append(switch(b, deployment.log.rollback))
    out = {
        "new_version_s": round(first, 2),
        "cached_versions_s": [round(s, 2) for s in cached],
        "cached_median_s": round(statistics.median(cached), 2),
    }
    print(
        f"publish convergence (all {len(cluster.replicas)} replicas serving): a new version "
        f"{first:.2f} s (fetch, verify, prepare); publish/rollback between cached versions "
        f"median {out['cached_median_s']} s",
        flush=True,
    )
    return out


def throughput(cluster: Cluster, paths: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """wrk through haproxy over the first 1, 2, 3 replicas."""
    out: dict[str, Any] = {}
    for k in range(1, len(cluster.replicas) + 1):
        proxy = Haproxy([(r.name, r.port) for r in cluster.replicas[:k]])
        proxy.start()
        try:
            wait_until("haproxy ready", lambda p=proxy: _ok(f"{p.url}/readyz"), 30)
            warm = argparse.Namespace(**{**vars(args), "seconds": args.warmup_seconds})
            load(proxy.port, paths[:400], warm)
            result = load(proxy.port, paths, args)
        finally:
            proxy.stop()
        out[str(k)] = result
        print(
            f"{k} replica(s) behind haproxy: {result['req_per_s']:.0f} req/s, p99 "
            f"{result['latency_ms']['p99']:.1f} ms, non-2xx {result['non2xx']}, "
            f"errors {result['errors']}",
            flush=True,
        )
    base = out["1"]["req_per_s"]
    out["ratio_to_1"] = {k: round(v["req_per_s"] / base, 2) for k, v in out.items() if k != "1"}
    return out


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100k")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--changes", type=int, default=1000, help="changes to replay on catch-up")
    ap.add_argument("--trials", type=int, default=100, help="takedown propagation trials")
    ap.add_argument("--catch-up-only", action="store_true")
    ap.add_argument("--seconds", type=int, default=15, help="wrk run per replica count")
    ap.add_argument("--warmup-seconds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--synthetic", type=int, default=300)
    ap.add_argument("--ecom", type=int, default=2000)
    ap.add_argument("--name", help="result file name (default cluster-<size>)")
    args = ap.parse_args()
    args.python_client = False
    n = parse_count(args.size)
    info = machine()
    cluster = Cluster(replicas=3, workers=1, root=Path(tempfile.mkdtemp(dir=bench_root())))
    result: dict[str, Any] = {"listings": n, "replica_workers": 1}
    try:
        cluster.start_services()
        deployment, version = operator(cluster, n, args.seed)
        deployment.publish(version)
        log = PostgresChangeLog(cluster.postgres.url)
        down = log_changes(log, n, args.seed, args.changes)
        result["catch_up"] = catch_up(cluster, deployment, version, log)
        if not args.catch_up_only:
            cluster.start_replicas()
            listings, _ = ensure_catalog(n, args.seed)
            candidates = []
            with listings.open("rb") as fh:
                for line in fh:
                    appid = orjson.loads(line)["appid"]
                    if appid not in down and len(candidates) < args.changes * 2 + args.trials:
                        candidates.append(appid)
            result["takedown"] = propagation(cluster, candidates[-args.trials :])
            result["publish"] = convergence(
                cluster, deployment, version, clone(deployment, version)
            )
            mix = query_mix(n, args.seed, args.synthetic, args.ecom)
            paths = ["/v1/search?" + urlencode({"q": q, "host": h}) for _, q, h in mix]
            result["throughput"] = throughput(cluster, paths, args)
            result["throughput"]["queries"] = len(paths)
        log.close()
        deployment.close()
    finally:
        cluster.destroy()
    save_result("cluster", args.name, info, result)


if __name__ == "__main__":
    main()
