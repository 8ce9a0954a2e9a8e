"""The whole cluster on one machine: PostgreSQL, moto's S3, N replicas, haproxy.

Each replica is a real ``mpsearch serve`` process group with its own
``MPSEARCH_HOME`` (started empty) and the same change log and store URLs; the
operator's commands (``index build``, ``publish``, ``rollback``, ``cluster status``)
run from a home of their own with the same URLs, as on an operator's machine.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from devcluster.haproxy import Haproxy
from devcluster.ports import free_port
from devcluster.postgres import Postgres
from devcluster.s3 import MotoS3

REPO = Path(__file__).resolve().parent.parent
MPSEARCH = Path(sys.executable).parent / "mpsearch"
SAMPLE_LISTINGS = REPO / "tests" / "data" / "catalog" / "listings.jsonl"
SAMPLE_BRANDS = REPO / "tests" / "data" / "catalog" / "brands.jsonl"
ADMIN_TOKEN = "devcluster-admin-token"
READY_TIMEOUT = 120.0


def wait_until(what: str, check: Callable[[], bool], timeout: float) -> float:
    """Poll ``check`` until true; the seconds it took, or TimeoutError naming ``what``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


class Replica:
    """``mpsearch serve`` with its own home, in its own process group (SIGKILL takes all)."""

    def __init__(
        self,
        name: str,
        home: Path,
        env: dict[str, str],
        workers: int = 1,
        log_path: Path | None = None,
    ) -> None:
        self.name = name
        self.home = home
        self.workers = workers
        self.port = free_port()
        self.env = {**env, "MPSEARCH_HOME": str(home), "MPSEARCH_REPLICA_NAME": name}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = log_path or home.parent / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                str(MPSEARCH),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n{self.log()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200
        return False

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        return wait_until(f"{self.name} ready", self.ready, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _signal_group(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL the replica's whole process group."""
        self._signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        self._signal_group(signal.SIGTERM)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class Cluster:
    """PostgreSQL + moto S3 + ``replicas`` replicas + haproxy, all on loopback."""

    def __init__(self, replicas: int = 3, workers: int = 1, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="mpsearch-cluster-"))
        self.postgres = Postgres()
        self.s3 = MotoS3()
        self.replicas: list[Replica] = []
        self.haproxy: Haproxy | None = None
        self.n_replicas = replicas
        self.workers = workers
        self.operator_home = self.root / "operator"

    def env(self) -> dict[str, str]:
        """The settings every replica and the operator share."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MPSEARCH_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return {
            **env,
            **self.s3.env(),
            "MPSEARCH_CHANGELOG_URL": self.postgres.url,
            "MPSEARCH_ADMIN_TOKEN": ADMIN_TOKEN,
            "MPSEARCH_LOG_LEVEL": "warning",
            "PYTHONUNBUFFERED": "1",
        }

    def cli(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        """``mpsearch ARGS`` on the operator's machine."""
        return subprocess.run(
            [str(MPSEARCH), *args],
            env={**self.env(), "MPSEARCH_HOME": str(self.operator_home)},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def build(self, listings: Path = SAMPLE_LISTINGS, brands: Path = SAMPLE_BRANDS) -> str:
        """``index build`` into the store; the new version's name."""
        return built_version(self.build_output(listings, brands))

    def build_output(self, listings: Path = SAMPLE_LISTINGS, brands: Path = SAMPLE_BRANDS) -> str:
        """``index build`` into the store; what it printed (the summary)."""
        done = self.cli("index", "build", "--listings", str(listings), "--brands", str(brands))
        if done.returncode != 0:
            raise RuntimeError(f"index build failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def publish(self, version: str) -> None:
        done = self.cli("index", "publish", version)
        if done.returncode != 0:
            raise RuntimeError(f"index publish failed:\n{done.stdout}\n{done.stderr}")

    def start_services(self) -> None:
        self.postgres.start()
        self.s3.start()

    def start_replicas(self, wait: bool = True) -> None:
        self.replicas = [
            Replica(f"replica-{i}", self.root / f"replica-{i}", self.env(), self.workers)
            for i in range(1, self.n_replicas + 1)
        ]
        for replica in self.replicas:
            replica.start()
        if wait:
            for replica in self.replicas:
                replica.wait_ready()

    def start_haproxy(self) -> None:
        self.haproxy = Haproxy([(r.name, r.port) for r in self.replicas])
        self.haproxy.start()

    def start(self) -> None:
        """Everything, with the sample catalog built and published."""
        self.start_services()
        self.publish(self.build())
        self.start_replicas()
        self.start_haproxy()
        assert self.haproxy is not None
        base = self.haproxy.url
        wait_until("haproxy to see a replica", lambda: _answers(f"{base}/readyz"), 30)

    def stop(self) -> None:
        if self.haproxy is not None:
            self.haproxy.stop()
        for replica in self.replicas:
            replica.stop()
        self.s3.stop()
        self.postgres.destroy()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def built_version(summary: str) -> str:
    """The version ``index build`` says it built."""
    for line in summary.splitlines():
        if line.startswith("built version "):
            return line.split()[2]
    raise ValueError(f"no version in the build summary:\n{summary}")


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=2.0).status_code == 200
    return False
