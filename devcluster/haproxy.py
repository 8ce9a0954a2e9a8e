"""haproxy (Debian's package) in front of the replicas, health-checking ``/readyz``.

The same configuration as README's "Several machines" shows for real machines: a
replica enters the rotation once ``/readyz`` answers 200 and leaves it after two failed
checks (a check waits up to 5 s for its answer: under full load a replica's answers
queue, and a tighter limit would take busy replicas out of the rotation); a search
whose connection fails or gets no answer (a replica killed mid-request) is sent again
to another replica (other methods are not retried by haproxy).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from devcluster.ports import free_port, wait_port

CONFIG = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 5s
    retries 3
    option redispatch 1
    retry-on all-retryable-errors

frontend search
    bind 127.0.0.1:{port}
    # Searches may be sent again to another replica; admin writes never are by haproxy.
    http-request disable-l7-retry unless METH_GET
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1
{servers}
"""


def haproxy_config(port: int, replicas: Sequence[tuple[str, int]]) -> str:
    """The configuration for ``replicas`` (name, port on 127.0.0.1) behind ``port``."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{p} check" for name, p in replicas)
    return CONFIG.format(port=port, servers=servers)


def haproxy_bin() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found is None:
        raise FileNotFoundError("haproxy not found: install Debian's haproxy (make cluster-deps)")
    return found


class Haproxy:
    """haproxy in the foreground (``-db``) on a free port."""

    def __init__(self, replicas: Sequence[tuple[str, int]], port: int | None = None) -> None:
        self.port = port or free_port()
        self.root = Path(tempfile.mkdtemp(prefix="mpsearch-haproxy-"))
        self.config = self.root / "haproxy.cfg"
        self.config.write_text(haproxy_config(self.port, replicas))
        self.log_path = self.root / "haproxy.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        subprocess.run([haproxy_bin(), "-c", "-q", "-f", str(self.config)], check=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [haproxy_bin(), "-db", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        wait_port(self.port, 10.0, self.proc, self.log_path)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)  # soft stop: finish what is running
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)
