"""The multi-worker server socket: connections accepted on it get TCP_NODELAY."""

from __future__ import annotations

import asyncio
import socket

from search.serving import tcp_socket


def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection asyncio accepts on ``listener`` (as uvicorn workers do)."""

    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    return asyncio.run(main())


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET)  # how uvicorn binds for several workers: protocol 0
    sock.bind(("127.0.0.1", 0))
    return sock


def test_uvicorn_style_socket_leaves_nagle_on() -> None:
    assert _accepted_nodelay(_listener()) == 0


def test_tcp_socket_turns_nagle_off_on_accepted_connections() -> None:
    plain = _listener()
    address = plain.getsockname()
    fixed = tcp_socket(plain)
    assert fixed.proto == socket.IPPROTO_TCP
    assert fixed.getsockname() == address
    assert _accepted_nodelay(fixed) != 0


def test_tcp_socket_keeps_sockets_that_need_no_change() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    assert tcp_socket(sock) is sock
    sock.close()
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    assert tcp_socket(unix) is unix
    unix.close()
