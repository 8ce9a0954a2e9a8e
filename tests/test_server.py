"""search.http.server: uvicorn with TCP_NODELAY on every accepted connection, also with workers.

Properties checked:
1. ``TcpConfig.bind_socket`` gives a bound, listening-ready, inheritable TCP socket whose
   ``proto`` is IPPROTO_TCP (uvicorn's own leaves 0, which makes asyncio skip TCP_NODELAY
   and adds a delayed-ACK wait to every keep-alive response).
2. A connection accepted by an asyncio server on that socket, as uvicorn workers do, has
   TCP_NODELAY set.
3. `mpsearch serve --workers 2` (the real console script) serves the published index:
   /readyz is 200 with the version, a search answers, and SIGTERM stops it.
4. Its workers are forked children of the server process; a worker killed with SIGKILL is
   replaced by a new one that serves, and SIGTERM then stops every worker (exit code 0).
5. SIGKILL of the server process alone stops its workers too (none left serving).
6. Under `mpsearch serve --workers 2` (httptools, uvloop), a connection a worker accepted
   has TCP_NODELAY, read from the worker's own socket.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from devcluster.ports import free_port
from search.http.server import APP, TcpConfig

pytestmark = pytest.mark.slow  # real `mpsearch serve` processes, killed and stopped

MPSEARCH = Path(sys.executable).parent / "mpsearch"
_SYS_PIDFD_OPEN = 434  # x86-64 and arm64 syscall numbers
_SYS_PIDFD_GETFD = 438


def test_bound_socket_is_tcp() -> None:
    port = free_port()
    sock = TcpConfig(APP, factory=True, host="127.0.0.1", port=port, workers=2).bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.family == socket.AF_INET and sock.type == socket.SOCK_STREAM
        assert sock.getsockname() == ("127.0.0.1", port)
        assert sock.get_inheritable()
    finally:
        sock.close()


def test_accepted_connections_get_tcp_nodelay() -> None:
    sock = TcpConfig(APP, host="127.0.0.1", port=free_port()).bind_socket()
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection(*sock.getsockname())
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.05)
            writer.close()

    asyncio.run(main())
    assert seen == [1]


def test_serve_with_two_workers(sample_home: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MPSEARCH_HOME": str(sample_home)}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(MPSEARCH), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while True:
                assert proc.poll() is None, log.read_text()
                try:
                    ready = client.get("/readyz")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            assert ready.json()["status"] == "ready"
            body = client.get("/v1/search", params={"q": "LV", "host": "jd"}).json()
            assert body["brand_zone"]["brand_id"] == "louis-vuitton"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert log.read_text().count("Application startup complete") == 2
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_malloc_arenas_capped_for_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers inherit MALLOC_ARENA_MAX (2 unless the operator set another value)."""
    from search.http.server import limit_malloc_arenas

    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    limit_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    limit_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "4"


def _children(pid: int) -> set[int]:
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.update(int(c) for c in (task / "children").read_text().split())
    return children


def _serving_workers(client: httpx.Client, count: int, deadline: float) -> set[str]:
    """Pids (x-mpsearch-worker) seen answering /readyz 200 on fresh connections."""
    seen: set[str] = set()
    while len(seen) < count and time.monotonic() < deadline:
        try:
            resp = client.get("/readyz", headers={"connection": "close"})
            if resp.status_code == 200:
                seen.add(resp.headers["x-mpsearch-worker"])
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return seen


def test_killed_worker_is_replaced_and_sigterm_stops_all(sample_home: Path, tmp_path: Path) -> None:
    from tests.server_support import home_serving, serving

    home = tmp_path / "home"
    home_serving(sample_home, home)
    with serving(home, "--workers", "2") as server:
        workers = _children(server.proc.pid)
        assert len(workers) == 2
        for pid in workers:  # forked: the same program, started by the server process
            status = Path(f"/proc/{pid}/status").read_text()
            assert f"PPid:\t{server.proc.pid}\n" in status
        host, port = server.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as client:
            client.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(65536)
            worker = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"x-mpsearch-worker:")
            )
            assert worker in workers  # the answering worker's end of it:
            assert _worker_side_nodelay(worker, client) == 1
        with httpx.Client(base_url=server.base_url, timeout=5) as client:
            assert _serving_workers(client, 2, time.monotonic() + 30) == {str(p) for p in workers}
            victim = min(workers)
            os.kill(victim, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while len(_children(server.proc.pid) - {victim}) < 2:
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.1)
            now = _children(server.proc.pid)
            assert victim not in now and len(now) == 2
            assert _serving_workers(client, 2, time.monotonic() + 30) == {str(p) for p in now}
        assert f"worker [{victim}] exited (signal SIGKILL)" in server.log()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=20) == 0, server.log()
    for pid in now:  # waited for by the server process: gone, not left as zombies
        assert not Path(f"/proc/{pid}").exists()


def test_workers_stop_when_the_server_process_is_killed(sample_home: Path, tmp_path: Path) -> None:
    from tests.server_support import home_serving, serving

    home = tmp_path / "home"
    home_serving(sample_home, home)
    with serving(home, "--workers", "2") as server:
        workers = _children(server.proc.pid)
        assert len(workers) == 2
        server.proc.kill()  # the parent only, not its process group
        server.proc.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        assert "Finished server process" in server.log()  # a graceful stop, not a kill


def _worker_side_nodelay(worker: int, client: socket.socket) -> int:
    """TCP_NODELAY of the worker's end of ``client``'s connection, from a duplicate of the
    worker's own file descriptor (pidfd_getfd)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = libc.syscall(_SYS_PIDFD_OPEN, worker, 0)
    assert pidfd >= 0, os.strerror(ctypes.get_errno())
    try:
        for name in os.listdir(f"/proc/{worker}/fd"):
            try:
                if not os.readlink(f"/proc/{worker}/fd/{name}").startswith("socket:"):
                    continue
            except OSError:
                continue
            fd = libc.syscall(_SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                continue
            with socket.socket(fileno=fd) as theirs:  # closes the duplicate only
                try:
                    if theirs.getpeername() != client.getsockname():
                        continue
                except OSError:
                    continue
                return theirs.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        os.close(pidfd)
    raise AssertionError(f"worker {worker} holds no socket connected to {client.getsockname()}")
