"""A PostgreSQL server of its own (Debian's package): ``initdb`` into a temporary folder,
listening on a free loopback port, for tests, benchmarks and ``make cluster``.

initdb and postgres refuse to run as root: as root, both run as the ``postgres`` user
(created by Debian's package; ``nobody`` otherwise), switched to with ``setpriv``, which
execs, so the process started here is the server itself.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from devcluster.ports import free_port, wait_port

USER = "mpsearch"  # the cluster's superuser; trust authentication on loopback
DATABASE = "mpsearch"
START_TIMEOUT = 30.0


def pg_bin(name: str) -> str:
    """A PostgreSQL program: the newest Debian version's, else the one on PATH."""
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        versions = sorted(
            (p for p in root.iterdir() if (p / "bin" / name).is_file()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
        )
        if versions:
            return str(versions[-1] / "bin" / name)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install Debian's postgresql (make pg-deps)")
    return found


def _server_user() -> pwd.struct_passwd | None:
    """The user to run PostgreSQL as, when this process is root (it refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists")


class Postgres:
    """A throwaway PostgreSQL cluster: ``start``, ``stop``, ``restart``, ``url``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="mpsearch-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._serial = itertools.count(1)
        if self.user is not None:
            os.chown(self.root, self.user.pw_uid, self.user.pw_gid)
        self._run(
            pg_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _as_server_user(self, *argv: str) -> list[str]:
        if self.user is None:
            return list(argv)
        return [
            "setpriv",
            f"--reuid={self.user.pw_uid}",
            f"--regid={self.user.pw_gid}",
            "--clear-groups",
            "--",
            *argv,
        ]

    def _run(self, *argv: str) -> None:
        subprocess.run(
            self._as_server_user(*argv),
            check=True,
            capture_output=True,
            cwd=self.root,
            env={**os.environ, "LC_ALL": "C"},
        )

    def start(self) -> None:
        """Start the server (on the same port each time) and create the database."""
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self._as_server_user(
                pg_bin("postgres"),
                "-D",
                str(self.data),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"port={self.port}",
                "-c",
                f"unix_socket_directories={self.root}",
                "-c",
                "shared_buffers=32MB",
                "-c",
                "max_connections=100",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
        )
        log.close()
        wait_port(self.port, START_TIMEOUT, self.proc, self.log_path)
        self._create_database()

    def new_database(self, hint: str = "db") -> str:
        """Create an empty database (named after ``hint``); its URL."""
        name = "t_" + re.sub(r"[^a-z0-9]+", "_", hint.lower())[:40] + f"_{next(self._serial)}"
        self._create_database(name)
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{name}"

    def _create_database(self, name: str = DATABASE) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with psycopg.connect(
                    f"postgresql://{USER}@127.0.0.1:{self.port}/postgres", autocommit=True
                ) as conn:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
                    ).fetchone()
                    if exists is None:
                        conn.execute(f"CREATE DATABASE {name}".encode())
                return
            except psycopg.OperationalError:  # still starting up
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """Fast shutdown (clients are disconnected), waiting until it is down."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Postgres:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.destroy()
