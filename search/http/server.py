"""Running the API under granian: HTTP in Rust, the ASGI app in forked worker processes.

Guarantees of :func:`run`:

- Workers are forked from a parent that has imported the app's modules and frozen them
  (``gc.freeze``): they start without importing anything again, and the pages of those
  modules stay shared between them (the collector of a worker never writes to them).
- glibc's malloc arenas are capped (``MALLOC_ARENA_MAX``, default 2) in the parent before
  the fork, so in every worker too.
- A worker that dies is replaced (granian's ``respawn_failed_workers``); one that dies again
  within seconds of its replacement stops the server (exit code 1) rather than spin.
- SIGINT or SIGTERM stops every worker gracefully (requests finish, each worker's lifespan
  shutdown flushes its query log), killing those still running after ``STOP_SECONDS``; the
  parent then exits 0. SIGHUP replaces the workers one by one (granian's reload).
- A worker gets SIGTERM when the parent dies, even by SIGKILL: no worker is left orphaned.
- Every accepted connection has TCP_NODELAY (granian sets it), so keep-alive responses
  never wait for the client's delayed ACK.
"""

from __future__ import annotations

import ctypes
import gc
import importlib
import os
import signal
from functools import partial
from typing import Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.log import LogLevels

APP = "search.http.app:create_app"
MALLOC_ARENAS = "2"
STOP_SECONDS = 30  # a worker still running this long after SIGTERM is killed
_M_ARENA_MAX = -8  # glibc mallopt parameter
_PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for this process when its parent dies


def limit_malloc_arenas() -> None:
    """Cap glibc malloc arenas (``MALLOC_ARENA_MAX``, default 2) here and in the workers.

    Worker threads (request handlers, writers) each get an arena with glibc's default of up
    to eight per core; freed memory stays spread over them and a server's RSS creeps up
    under steady load (soak: +14 % in two minutes, flat with two arenas). Forked workers
    inherit the setting made here with ``mallopt``; the variable is for child programs.
    """
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, int(os.environ["MALLOC_ARENA_MAX"]))
    except (OSError, AttributeError, ValueError):  # not glibc, or a bad value: keep defaults
        return


def run(
    host: str,
    port: int,
    workers: int,
    log_level: str = "info",
    app: str = APP,
    log_config: dict[str, Any] | None = None,
    loop: str = "uvloop",
) -> None:
    """Serve an app factory (``module:function``, by default the API) until stopped.

    ``log_config``: a ``logging.config.dictConfig`` for granian's loggers and the app's.
    ``loop``: the workers' event loop, uvloop (about 13 µs less CPU per request than
    asyncio's, ``benchmarks/bench_http.py``) or asyncio.
    """
    limit_malloc_arenas()
    module, _, _ = app.partition(":")
    importlib.import_module(module)  # before the fork: the workers share these pages
    gc.collect()
    gc.freeze()
    server = Granian(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops(loop),
        http=HTTPModes.http1,
        websockets=False,
        log_level=LogLevels(log_level),
        log_dictconfig=log_config,
        log_access=False,  # one JSON line per request comes from search.ops.wiring instead
        respawn_failed_workers=True,
        workers_kill_timeout=STOP_SECONDS,
    )
    server.serve(target_loader=partial(_worker_app, os.getpid()))


def _worker_app(parent: int, target: str) -> Any:
    """In a worker: stop with the parent, then build the app of ``target``."""
    _stop_with_parent(parent)
    module, _, factory = target.partition(":")
    return getattr(importlib.import_module(module), factory)()


def _stop_with_parent(parent: int) -> None:
    """Ask Linux for SIGTERM when the parent dies (even by SIGKILL): no orphaned workers."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux/glibc: workers outlive a killed parent
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
