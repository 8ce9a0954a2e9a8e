"""Test helpers: a fresh MPSEARCH_HOME serving the sample index, and a real `mpsearch serve`."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from devcluster.ports import free_port
from indexer.store import IndexStore

ROOT = Path(__file__).resolve().parent.parent
MPSEARCH = Path(sys.executable).parent / "mpsearch"
OUTPUT = Path(__file__).parent / "output"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def home_serving(sample_home: Path, home: Path) -> str:
    """Make ``home`` serve the sample index (its versions linked, ``current`` copied).

    The server writes its query log and metrics files into ``home``, never into the
    shared read-only sample home.
    """
    home.mkdir(parents=True, exist_ok=True)
    (home / "indexes").symlink_to(sample_home / "indexes", target_is_directory=True)
    version = IndexStore(sample_home).current()
    assert version is not None
    (home / "current").write_text(f"{version}\n", encoding="utf-8")
    return version


@dataclass
class Server:
    """A running `mpsearch serve` and where its output goes."""

    proc: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MPSEARCH), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (graceful: workers flush their query logs), SIGKILL after a timeout."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def serving(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """`mpsearch serve` on a free port with MPSEARCH_HOME=home, ready when yielded."""
    port = free_port()
    env = {
        **os.environ,
        "MPSEARCH_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = home / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(MPSEARCH), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = Server(proc, f"http://127.0.0.1:{port}", log_path, env)
        try:
            with httpx.Client(base_url=server.base_url, timeout=5.0) as client:
                deadline = time.monotonic() + READY_TIMEOUT
                while True:
                    assert proc.poll() is None, server.log()
                    with contextlib.suppress(httpx.TransportError):
                        if client.get("/readyz").status_code == 200:
                            break
                    assert time.monotonic() < deadline, "server not ready in time\n" + server.log()
                    time.sleep(0.1)
            yield server
        finally:
            stop(proc)
