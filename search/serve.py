"""Running the API under uvicorn, with TCP_NODELAY on every connection also with workers.

With ``--workers N`` uvicorn binds the listening socket itself and leaves its
``proto`` at 0; accepted sockets inherit it, and asyncio only sets TCP_NODELAY
when ``proto`` is IPPROTO_TCP. Nagle's algorithm then holds back the response
body until the client's delayed ACK: about 40 ms more on every keep-alive
request (uvicorn issue #3149). :class:`TcpConfig` binds the same socket with
``proto`` set, so multi-worker serving answers as fast as a single worker.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

APP = "search.api:create_app"
MALLOC_ARENAS = "2"
_M_ARENA_MAX = -8  # glibc mallopt parameter


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
    host: str, port: int, workers: int, log_level: str = "info", app: str = APP, **options: Any
) -> None:
    """Serve an app factory (the API, ``search.api:create_app``) until interrupted.

    ``options`` go to ``uvicorn.Config`` (log configuration, access log).
    """
    limit_malloc_arenas()
    config = TcpConfig(
        app, factory=True, host=host, port=port, workers=workers, log_level=log_level, **options
    )
    try:
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
            return
        server = uvicorn.Server(config)  # binds through asyncio, which sets TCP_NODELAY
        server.run()
    except KeyboardInterrupt:
        return
    if not server.started:
        sys.exit(STARTUP_FAILURE)
