"""Takedown freshness: from a DELETE's 200 to the listing's absence from search on all workers.

Builds and publishes the sample catalog into a temporary MPSEARCH_HOME, starts
`mpsearch serve --workers N` with an admin token, then for each trial takes down
one online listing that its own name finds and polls `/v1/search` on fresh
connections (so every worker is sampled; `x-mpsearch-worker` says which one
answered) until every worker has answered without it. Prints p50/p99/max.

    .venv/bin/python benchmarks/freshness.py [--trials 100] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
MPSEARCH = Path(sys.executable).parent / "mpsearch"
LISTINGS = ROOT / "tests" / "data" / "catalog" / "listings.jsonl"
BRANDS = ROOT / "tests" / "data" / "catalog" / "brands.jsonl"
TOKEN = "freshness-benchmark-token"
POLLERS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def appids(body: dict[str, Any]) -> list[str]:
    zone = [body["brand_zone"]["card"]["appid"]] if body.get("brand_zone") else []
    return zone + [c["appid"] for c in body["results"]]


def search(base: str, q: str) -> tuple[str, list[str]]:
    """One search on a new connection: (worker pid, appids)."""
    with httpx.Client(base_url=base, timeout=5.0) as client:
        resp = client.get("/v1/search", params={"q": q, "host": "jd", "limit": 50})
    resp.raise_for_status()
    return resp.headers["x-mpsearch-worker"], appids(resp.json())


def on_all_workers(base: str, q: str, appid: str, present: bool, workers: int) -> float:
    """Poll from several threads until every worker agrees; the monotonic time it happened."""
    agreed: dict[str, float] = {}
    lock = threading.Lock()
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            worker, found = search(base, q)
            now = time.monotonic()
            with lock:
                if (appid in found) == present:
                    agreed.setdefault(worker, now)
                else:
                    agreed.pop(worker, None)
                if len(agreed) >= workers:
                    done.set()

    threads = [threading.Thread(target=poll) for _ in range(POLLERS)]
    for t in threads:
        t.start()
    if not done.wait(30):
        raise SystemExit(f"{appid}: workers did not agree within 30 s")
    for t in threads:
        t.join()
    return max(agreed.values())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="mpsearch-freshness-"))
    env = {**os.environ, "MPSEARCH_HOME": str(home), "MPSEARCH_ADMIN_TOKEN": TOKEN}
    for cmd in (
        ["index", "build", "--listings", str(LISTINGS), "--brands", str(BRANDS)],
        ["index", "publish", "--latest"],
    ):
        subprocess.run([str(MPSEARCH), *cmd], env=env, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (home / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(MPSEARCH), "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        ready: set[str] = set()
        while len(ready) < args.workers:
            if time.monotonic() > deadline:
                raise SystemExit("server not ready within 60 s")
            try:
                with httpx.Client(base_url=base, timeout=2.0) as client:
                    resp = client.get("/readyz")
                if resp.status_code == 200:
                    ready.add(resp.headers["x-mpsearch-worker"])
            except httpx.TransportError:
                time.sleep(0.1)

        candidates = [
            orjson.loads(line) for line in LISTINGS.read_bytes().splitlines() if line.strip()
        ]
        candidates = [c for c in candidates if c["status"] == "online" and "jd" in c["hosts"]]
        latencies: list[float] = []
        admin = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5.0
        )
        for listing in candidates:
            if len(latencies) >= args.trials:
                break
            appid, q = listing["appid"], listing["name"][:64]
            if appid not in search(base, q)[1]:
                continue  # its own name does not find it in the top 50: not measurable
            on_all_workers(base, q, appid, True, args.workers)
            resp = admin.delete(f"/v1/admin/listings/{appid}")
            acked = time.monotonic()
            resp.raise_for_status()
            gone = on_all_workers(base, q, appid, False, args.workers)
            latencies.append(gone - acked)
        admin.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
        log.close()
        shutil.rmtree(home, ignore_errors=True)

    ms = [v * 1000 for v in latencies]
    print(
        f"takedown freshness over {len(ms)} takedowns, {args.workers} workers: "
        f"p50 {percentile(ms, 50):.0f} ms, p99 {percentile(ms, 99):.0f} ms, "
        f"max {max(ms):.0f} ms, mean {statistics.fmean(ms):.0f} ms"
    )


if __name__ == "__main__":
    main()
