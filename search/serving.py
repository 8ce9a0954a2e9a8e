"""Running an ASGI app under uvicorn, with several worker processes when asked.

``uvicorn.run`` binds the shared socket of a multi-worker server with protocol
0, and asyncio turns Nagle's algorithm off only on sockets whose protocol is
TCP. Every response is written as headers then body, so with Nagle on, the body
waits for the client's delayed ACK: about 40 ms per request. Here the socket is
re-created with its protocol set, so accepted connections get TCP_NODELAY.
"""

from __future__ import annotations

import contextlib
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess


def tcp_socket(sock: socket.socket) -> socket.socket:
    """The same listening socket, flagged as TCP so asyncio sets TCP_NODELAY per connection."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.proto:
        return sock
    return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())


def run(app: str, *, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve the app factory ``app`` ("module:function") until interrupted."""
    if workers <= 1:
        uvicorn.run(app, factory=True, host=host, port=port, workers=1, log_level=log_level)
        return
    config = uvicorn.Config(
        app, factory=True, host=host, port=port, workers=workers, log_level=log_level
    )
    sock = tcp_socket(config.bind_socket())
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()
