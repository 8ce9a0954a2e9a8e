"""Helpers for lifecycle tests: homes with built versions, real `mpsearch serve` processes."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.server_support import free_port

ROOT = Path(__file__).resolve().parent.parent
MPSEARCH = Path(sys.executable).parent / "mpsearch"
TOKEN = "test-admin-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LV_OFFICIAL = "wxc2c943090d2ec70a"
READY_TIMEOUT = 60.0
WAIT_TIMEOUT = 10.0


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
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def fresh_get(
    base: str, path: str, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to any worker."""
    with httpx.Client(base_url=base, timeout=5.0, headers=headers) as client:
        return client.get(path, params=params)


class Server:
    """`mpsearch serve --workers N` in its own process group (SIGKILL takes all of it)."""

    def __init__(self, home: Path, workers: int = 2, token: str | None = TOKEN) -> None:
        self.home = home
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = home / f"serve-{self.port}.log"
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                str(MPSEARCH),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env_for(home, token),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        """Until every worker answers /readyz with 200 (seen by its pid header)."""
        ready: set[str] = set()

        def all_ready() -> bool:
            assert self.proc.poll() is None, self.log()
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

    def kill(self) -> None:
        """SIGKILL the whole server (supervisor and workers) at once."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


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
