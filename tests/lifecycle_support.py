"""Helpers for lifecycle tests: homes with built versions, real `mpsearch serve` processes."""

from __future__ import annotations

import copy
import os
import random
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from devcluster.ports import free_port
from devcluster.stack import Replica, wait_until

ROOT = Path(__file__).resolve().parent.parent
MPSEARCH = Path(sys.executable).parent / "mpsearch"
TOKEN = "test-admin-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LV_OFFICIAL = "wxc2c943090d2ec70a"
READY_TIMEOUT = 60.0
# How long a change may take to show (a swap, a takedown): a bound that catches one that
# never shows, not a measure of speed. A version swap under test_publish_under_load's load
# takes 1.5-3 s on an idle 2-core machine, and once took over 10 s in a CI run with both
# test workers busy beside the server's two.
WAIT_TIMEOUT = 30.0


def env_for(home: Path, token: str | None = TOKEN) -> dict[str, str]:
    env = {**os.environ, "MPSEARCH_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("MPSEARCH_ADMIN_TOKEN", None)
    if token:
        env["MPSEARCH_ADMIN_TOKEN"] = token
    return env


def run_cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MPSEARCH), *args],
        env=env_for(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def wait_for(what: str, check: Callable[[], bool], timeout: float = WAIT_TIMEOUT) -> float:
    """Poll ``check`` until true; the seconds it took. Fails the test after ``timeout``."""
    try:
        return wait_until(what, check, timeout)
    except TimeoutError as exc:
        raise AssertionError(str(exc)) from None


def fresh_get(
    base: str, path: str, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to any worker."""
    with httpx.Client(base_url=base, timeout=5.0, headers=headers) as client:
        return client.get(path, params=params)


class Server(Replica):
    """`mpsearch serve --workers N` in its own process group (SIGKILL takes all of it)."""

    def __init__(self, home: Path, workers: int = 2, token: str | None = TOKEN) -> None:
        port = free_port()
        super().__init__(
            f"serve-{port}", home, env_for(home, token), workers, home / f"serve-{port}.log"
        )
        self.port = port
        self.base = self.url
        self.start()

    def wait_ready(self) -> None:
        """Until every worker answers /readyz with 200 (seen by its pid header)."""
        ready: set[str] = set()

        def all_ready() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log()
            try:
                resp = fresh_get(self.base, "/readyz")
            except httpx.TransportError:
                return False
            if resp.status_code == 200:
                ready.add(resp.headers["x-mpsearch-worker"])
            return len(ready) >= self.workers

        wait_for("every worker to be ready", all_ready, READY_TIMEOUT)

    def on_every_worker(
        self, what: str, check: Callable[[httpx.Response], bool], path: str, **params: Any
    ) -> float:
        """Wait until ``check`` holds for responses from every worker; the seconds taken."""
        good: set[str] = set()

        def done() -> bool:
            try:
                resp = fresh_get(self.base, path, **params)
            except httpx.TransportError:  # a worker was just killed
                return False
            worker = resp.headers["x-mpsearch-worker"]
            if check(resp):
                good.add(worker)
            else:
                good.discard(worker)
            return len(good) >= self.workers

        return wait_for(what, done)


SEARCH_QUERIES = ["LV", "星巴克", "xbk", "麦当劳", "咖啡", "luyiweideng", "苹果", "打车"]


class Load:
    """Client threads sending searches until stopped, counting every outcome."""

    def __init__(
        self, base: str, threads: int = 4, fresh_connections: bool = True, pause: float = 0.0
    ) -> None:
        """``fresh_connections``: half the threads open a new connection for each search
        (so the kernel may hand it to any worker); ``pause``: seconds between searches."""
        self.fresh = fresh_connections
        self.pause = pause
        self.phase = "start"  # recorded with each error
        self.base = base
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.errors: list[tuple[str, str]] = []  # (phase, error)
        self.versions: Counter[str] = Counter()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def run(self, i: int) -> None:
        rng = random.Random(i)
        client = httpx.Client(base_url=self.base, timeout=10.0)
        try:
            while not self.stop.is_set():
                params = {"q": rng.choice(SEARCH_QUERIES), "host": "jd"}
                try:
                    if self.fresh and i % 2:
                        resp = fresh_get(self.base, "/v1/search", **params)
                    else:
                        resp = client.get("/v1/search", params=params)
                    version = resp.json().get("index_version") if resp.is_success else None
                except (httpx.HTTPError, ValueError) as exc:
                    with self.lock:
                        self.errors.append((self.phase, repr(exc)))
                    continue
                with self.lock:
                    self.statuses[resp.status_code] += 1
                    if version is not None:
                        self.versions[version] += 1
                self.stop.wait(self.pause)
        finally:
            client.close()

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def sample_listing(listings_path: Path, appid: str) -> dict[str, Any]:
    for line in listings_path.read_bytes().splitlines():
        data: dict[str, Any] = orjson.loads(line)
        if data["appid"] == appid:
            return data
    raise KeyError(appid)


def new_listing(template: dict[str, Any], appid: str, name: str) -> dict[str, Any]:
    """A valid listing that is not in the catalog: a copy of ``template`` renamed."""
    data = copy.deepcopy(template)
    data.update(appid=appid, name=name, brand_id=None, official=False, showcase=[])
    data["keywords"] = [name]
    return data


def appids_of(body: dict[str, Any]) -> list[str]:
    zone = [body["brand_zone"]["card"]["appid"]] if body.get("brand_zone") else []
    return zone + [c["appid"] for c in body["results"]]
