"""Running the API under uvicorn (httptools, uvloop), with TCP_NODELAY on every connection
also with workers.

uvicorn runs with its C parts, httptools for HTTP/1.1 and uvloop as the event loop: with
its pure-Python defaults (h11, asyncio) a worker spent more CPU on each request and served
half as many searches (``benchmarks/bench_http.py``, which also compares granian).

Workers are forked from a parent that has already imported the app's modules
(:class:`Supervisor`): they start serving without importing anything again, and
the pages of those modules stay shared between them.

With ``--workers N`` uvicorn binds the listening socket itself and leaves its
``proto`` at 0; accepted sockets inherit it, and asyncio only sets TCP_NODELAY
when ``proto`` is IPPROTO_TCP. Nagle's algorithm then holds back the response
body until the client's delayed ACK: about 40 ms more on every keep-alive
request (uvicorn issue #3149). :class:`TcpConfig` binds the same socket with
``proto`` set, so multi-worker serving answers as fast as a single worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import logging
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

APP = "search.http.app:create_app"
MALLOC_ARENAS = "2"
_M_ARENA_MAX = -8  # glibc mallopt parameter
RESTART_PAUSE = 1.0  # a worker that dies sooner than this after its start waits this long
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for this process when its parent dies

log = logging.getLogger("uvicorn.error")


def limit_malloc_arenas() -> None:
    """Cap glibc malloc arenas (``MALLOC_ARENA_MAX``, default 2) here and in the workers.

    Request handlers run on a thread pool; with glibc's default of up to eight arenas per
    core, freed memory stays spread over many arenas and a server's RSS creeps up under
    steady load (soak: +14 % in two minutes, flat with two arenas). Workers inherit the
    variable; this process applies it with ``mallopt`` before its threads start.
    """
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))
    except (OSError, AttributeError, ValueError):  # not glibc, or a bad value: keep defaults
        return


class TcpConfig(uvicorn.Config):
    """uvicorn settings whose bound TCP socket says it is TCP (so asyncio sets TCP_NODELAY)."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto != 0:
            return sock
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)
        return tcp


def run(
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    app: str = APP,
    http: str = "httptools",
    loop: str = "uvloop",
    **options: Any,
) -> None:
    """Serve an app factory (the API, ``search.http.app:create_app``) until interrupted.

    ``http`` and ``loop`` choose uvicorn's HTTP parser and event loop; ``options`` go to
    ``uvicorn.Config`` (log configuration, access log).
    """
    limit_malloc_arenas()
    config = TcpConfig(
        app,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        http=http,
        loop=loop,
        **options,
    )
    try:
        if config.workers > 1:
            Supervisor(config, config.bind_socket(), config.workers).run()
            return
        server = uvicorn.Server(config)  # binds through asyncio, which sets TCP_NODELAY
        server.run()
    except KeyboardInterrupt:
        return
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Forks ``workers`` uvicorn servers on one listening socket and keeps them running.

    The parent imports the app's module first (no app is created and no thread is
    started here, so forking is safe), freezes what it loaded so the collector of a
    worker never writes to those shared pages, then forks. A worker that dies is
    replaced; SIGINT, SIGTERM or SIGHUP is passed on (as SIGTERM) to every worker, which
    finish their requests and shut down, and the parent returns once they have. Workers
    also get SIGTERM if the parent is killed.
    """

    def __init__(self, config: uvicorn.Config, sock: socket.socket, workers: int) -> None:
        self.config = config
        self.sock = sock
        self.workers = workers
        self.children: dict[int, float] = {}  # pid -> monotonic start
        self.stopping = False

    def run(self) -> None:
        if isinstance(self.config.app, str):
            importlib.import_module(self.config.app.partition(":")[0])
        gc.collect()
        gc.freeze()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        log.info("Started parent process [%d]", os.getpid())
        try:
            for _ in range(self.workers):
                self._fork()
            while not self.stopping:
                self._reap()
                time.sleep(0.1)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("Stopping parent process [%d]", os.getpid())

    def _on_signal(self, sig: int, _: FrameType | None) -> None:
        self.stopping = True

    def _fork(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: serve, then leave without running the parent's exit code
            code = 1
            try:
                for sig in STOP_SIGNALS:  # uvicorn installs its own while it serves
                    signal.signal(sig, signal.SIG_DFL)
                _stop_with_parent(parent)
                server = uvicorn.Server(self.config)
                server.run(sockets=[self.sock])
                code = 0 if server.started else STARTUP_FAILURE
            except BaseException:
                log.exception("worker [%d] failed", os.getpid())
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children[pid] = time.monotonic()

    def _reap(self) -> None:
        """Replace workers that have exited (crashed, killed)."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:  # nothing left to wait for
                self.children.clear()
                return
            if pid == 0:
                return
            started = self.children.pop(pid, None)
            if started is None or self.stopping:
                continue
            log.warning("worker [%d] exited (%s); starting another", pid, _describe(status))
            if time.monotonic() - started < RESTART_PAUSE:
                time.sleep(RESTART_PAUSE)  # a worker failing at start-up: do not spin
            self._fork()

    def _stop_all(self) -> None:
        """SIGTERM every worker; SIGKILL those still running after the graceful timeout."""
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        timeout = self.config.timeout_graceful_shutdown
        deadline = time.monotonic() + (timeout if timeout is not None else 30.0) + 5.0
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05)
            else:
                self.children.pop(pid, None)
        for pid in self.children:
            log.warning("worker [%d] did not stop in time; killing it", pid)
            _signal(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.children.clear()


def _stop_with_parent(parent: int) -> None:
    """Ask Linux for SIGTERM when the parent dies (even by SIGKILL): no orphaned workers."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux/glibc: workers outlive a killed parent
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:  # already gone
        return


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
