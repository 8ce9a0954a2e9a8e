"""Serve an app factory under one of the HTTP servers the benchmark compares.

    python benchmarks/serve_app.py --server uvicorn --app bare --port 8001 --workers 2

``--app``: ``bare`` (``benchmarks/bare_app.py``), ``mpsearch`` (the API, set up as
``mpsearch serve`` sets it up: Prometheus multiprocess folder, JSON logs, no server access
log) or ``mpsearch-fixed`` (the same, but every search answered with the answer to one
query: the whole HTTP path of a search without the search). ``--server``:

- ``uvicorn``: ``search.http.server.run``, the code of ``mpsearch serve`` (uvicorn with
  httptools and uvloop, workers forked after the app's modules are imported, the socket
  bound as TCP so that every connection gets TCP_NODELAY);
- ``uvicorn-h11``: the same code with uvicorn's pure-Python defaults, h11 and asyncio;
- ``granian``: granian 2.8 (HTTP in Rust, ASGI), workers forked after the app's modules
  are imported (as ``mpsearch serve`` does), uvloop, failed workers respawned;
- ``granian-asyncio``: the same with asyncio's own event loop.

Every server runs every app the same way, so their difference is the app's own cost.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

APPS = {
    "bare": "benchmarks.bare_app:create_app",
    "mpsearch": "search.http.app:create_app",
    "mpsearch-fixed": "benchmarks.serve_app:fixed_answer_app",
}
SERVERS = ("uvicorn", "uvicorn-h11", "granian", "granian-asyncio")


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


def _granian(app: str, port: int, workers: int, loop: str) -> None:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops

    from search.http.server import limit_malloc_arenas

    limit_malloc_arenas()
    importlib.import_module(app.partition(":")[0])  # before the fork: shared pages
    gc.collect()
    gc.freeze()
    Granian(
        app,
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        loop=Loops(loop),
        http=HTTPModes.http1,
        websockets=False,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=30,
    ).serve()


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
    if args.server.startswith("granian"):
        _granian(app, args.port, args.workers, "asyncio" if "asyncio" in args.server else "uvloop")
        return
    from search.http.server import run
    from search.ops.jsonlog import uvicorn_log_config

    fast = args.server == "uvicorn"
    run(
        "127.0.0.1",
        args.port,
        args.workers,
        app=app,
        http="httptools" if fast else "h11",
        loop="uvloop" if fast else "asyncio",
        log_config=uvicorn_log_config("info"),
        access_log=False,
    )


if __name__ == "__main__":
    main()
