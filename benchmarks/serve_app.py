"""Serve an app factory under one of the HTTP servers the benchmark compares.

    python benchmarks/serve_app.py --server granian --app bare --port 8001 --workers 2

``--app``: ``bare`` (``benchmarks/bare_app.py``), ``mpsearch`` (the API, set up as
``mpsearch serve`` sets it up: Prometheus multiprocess folder, JSON logs, no server access
log) or ``mpsearch-fixed`` (the same, but every search answered with the answer to one
query: the whole HTTP path of a search without the search). ``--server``:

- ``granian``: ``search.http.server.run``, the code of ``mpsearch serve`` (granian, ASGI,
  forked workers, uvloop as the workers' event loop);
- ``granian-asyncio``: the same with asyncio's own event loop;
- ``uvicorn``: uvicorn with h11 and asyncio (what uvicorn runs without its optional
  packages), its own worker supervisor, the listening socket bound as TCP so that every
  accepted connection gets TCP_NODELAY (uvicorn issue #3149: without it each keep-alive
  response waits about 40 ms for the client's delayed ACK);
- ``uvicorn-httptools``: the same with httptools and uvloop.

Every server runs both apps the same way, so their difference is the app's own cost.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

APPS = {
    "bare": "benchmarks.bare_app:create_app",
    "mpsearch": "search.http.app:create_app",
    "mpsearch-fixed": "benchmarks.serve_app:fixed_answer_app",
}
SERVERS = ("granian", "granian-asyncio", "uvicorn", "uvicorn-httptools")


class TcpConfig(uvicorn.Config):
    """uvicorn settings whose bound socket says it is TCP, so asyncio sets TCP_NODELAY."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        tcp.set_inheritable(True)
        return tcp


def fixed_answer_app() -> Any:
    """The API with every search answered by one precomputed answer (no search cost)."""
    from search.engine import Engine, SearchRequest, SearchResult
    from search.http.app import create_app

    real = Engine.run
    answers: dict[str, SearchResult] = {}

    def run(self: Engine, req: SearchRequest) -> SearchResult:
        if "LV" not in answers:
            answers["LV"] = real(self, SearchRequest(q="LV", host="jd"))
        return answers["LV"]

    Engine.run = run  # type: ignore[method-assign]
    return create_app()


def _uvicorn(app: str, port: int, workers: int, fast: bool) -> None:
    config = TcpConfig(
        app,
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        http="httptools" if fast else "h11",
        loop="uvloop" if fast else "asyncio",
        access_log=False,
    )
    server = uvicorn.Server(config)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server.run()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", choices=SERVERS, required=True)
    ap.add_argument("--app", choices=sorted(APPS), required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    app = APPS[args.app]
    if args.app.startswith("mpsearch"):
        from indexer.settings import get_settings
        from search.ops import multiproc

        multiproc.prepare(get_settings().metrics_dir)
    if args.server.startswith("uvicorn"):
        _uvicorn(app, args.port, args.workers, args.server == "uvicorn-httptools")
        return
    from search.http.server import run
    from search.ops.jsonlog import server_log_config

    loop = "asyncio" if args.server == "granian-asyncio" else "uvloop"
    run("127.0.0.1", args.port, args.workers, app=app, log_config=server_log_config(), loop=loop)


if __name__ == "__main__":
    main()
