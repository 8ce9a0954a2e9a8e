"""What each part of the HTTP path costs per request, in process (no server, no socket).

    .venv/bin/python benchmarks/http_parts.py

The app is driven through ASGI directly, one request at a time on one event loop, with
the engine's search and suggest replaced by fixed answers (so no search cost is counted):
the full mpsearch app, then the same app without one part at a time, beside the bare
endpoint (``benchmarks/bare_app.py``), the bare endpoint without FastAPI (Starlette alone)
and with the search route's seven parameters (FastAPI validating them). Each figure is CPU
microseconds per request (the process's CPU time, writing out the request and query log
lines the round queued included; the best of ``--rounds`` rounds of ``--requests``
requests, each request a different real query; the rounds interleave the variants); a
part's cost is the full app's figure minus the figure without it. The pieces
the route calls are also timed on their own. The HTTP server's own cost is
``bench_http.py``'s (the bare endpoint under each server).

Prometheus runs in multiprocess mode as under ``mpsearch serve``, the query log and the
request log are on (their writer threads run), and the index is the sample catalog's, built
into a temporary home.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_query import ecom_queries
from benchmarks.common import MPSEARCH, REPO, env_for, machine, save_result
from benchmarks.gen_catalog import DEFAULT_SEED

SAMPLE = REPO / "tests" / "data" / "catalog"
Scope = dict[str, Any]


def _queries(n: int) -> list[bytes]:
    texts = ecom_queries(DEFAULT_SEED)[:n] or [f"星巴克 {i}" for i in range(n)]
    return [urlencode({"q": t, "host": "jd"}).encode("ascii") for t in texts]


def _scope(path: str, query: bytes) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


class Driver:
    """Sends requests to an ASGI app on one loop; CPU µs per request."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queries: list[bytes]) -> None:
        self.loop = loop
        self.queries = queries

    def per_request_us(self, app: Any, path: str, requests: int) -> float:
        """CPU µs per request of one round of ``requests`` requests, the request and query
        log lines they queued written out included; fails unless every answer is 200."""
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        async def batch() -> None:
            qs = self.queries
            for i in range(requests):
                await app(_scope(path, qs[i % len(qs)]), receive, send)

        started = time.process_time()
        self.loop.run_until_complete(batch())
        ops = getattr(app.state, "ops", None)
        if ops is not None:  # the writer threads' share: this round's log lines written
            ops.access.drain()
            ops.querylog.flush()
        took = (time.process_time() - started) / requests * 1e6
        if set(statuses) != {200}:
            raise SystemExit(f"{path}: statuses {sorted(set(statuses))}")
        return took


def best_us(fn: Callable[[], object], n: int, rounds: int) -> float:
    """CPU µs per call of ``fn``, best of ``rounds`` rounds of ``n`` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, (time.thread_time() - started) / n * 1e6)
    return best


def _sample_home(root: Path) -> Path:
    home = root / "home"
    env = env_for(home)
    for args in (
        ["index", "build", "--listings", str(SAMPLE / "listings.jsonl"),
         "--brands", str(SAMPLE / "brands.jsonl")],
        ["index", "publish", "--latest"],
    ):  # fmt: skip
        subprocess.run([*MPSEARCH, *args], env=env, check=True, capture_output=True)
    return home


def _starlette_app() -> Any:
    """The bare endpoint without FastAPI: what its parameter handling costs, by difference."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from benchmarks.bare_app import SEARCH_BODY

    async def search(request: Request) -> Response:
        request.query_params["q"], request.query_params["host"]
        return Response(SEARCH_BODY, media_type="application/json")

    return Starlette(routes=[Route("/v1/search", search)])


def _pieces(ops: Any, res: Any, n: int, rounds: int) -> dict[str, float]:
    """The route's pieces on their own: JSON rendering, metrics and the query log."""
    parts: dict[str, Callable[[], object]] = {
        "  search result to JSON (orjson)": res.json,
        "  metrics + query log (ops.on_search)": lambda: ops.on_search(res),
        "  query log append alone": lambda: ops.querylog.record_search(res),
    }
    out = {}
    for part, fn in parts.items():
        out[part] = round(best_us(fn, n, rounds), 2)
        print(f"{part:<44}{out[part]:9.2f} µs", flush=True)
    return out


@contextlib.contextmanager
def running(app: Any, loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """The app's lifespan (engine holder, writer threads) around the measurements."""
    ctx = app.router.lifespan_context(app)
    loop.run_until_complete(ctx.__aenter__())
    try:
        yield
    finally:
        loop.run_until_complete(ctx.__aexit__(None, None, None))


def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="http-parts-"))
    home = _sample_home(root)
    os.environ["MPSEARCH_HOME"] = str(home)
    from search.ops import multiproc

    multiproc.prepare(root / "metrics")  # before prometheus-client is imported
    import logging

    from benchmarks.bare_app import create_app as bare_app
    from benchmarks.params_app import create_app as parameters_app
    from indexer.settings import Settings
    from search.engine import Engine, SearchRequest
    from search.http.app import create_app
    from search.http.guard import RequestGuard
    from search.http.middleware import SafetyNet, WorkerHeader
    from search.ops.wiring import OpsMiddleware

    logging.getLogger("mpsearch.access").addHandler(logging.FileHandler(root / "access.log"))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    drive = Driver(loop, _queries(args.requests))
    n, rounds = args.requests, args.rounds
    settings = Settings(home=home)

    fixed: dict[str, Any] = {}

    def mpsearch_app(drop: tuple[type, ...] = (), quiet_ops: bool = False) -> Any:
        app = create_app(settings)
        app.user_middleware[:] = [m for m in app.user_middleware if m.cls not in drop]
        if quiet_ops:
            app.state.ops.on_search = lambda res: None
        return app

    every = (WorkerHeader, OpsMiddleware, SafetyNet, RequestGuard)
    full = mpsearch_app()
    cases: list[tuple[str, Any, str]] = [
        ("bare endpoint (FastAPI, fixed body)", bare_app(), "/v1/search"),
        ("bare suggest endpoint (FastAPI)", bare_app(), "/v1/suggest"),
        ("bare endpoint (Starlette only, fixed body)", _starlette_app(), "/v1/search"),
        ("search's 7 parameters (FastAPI, fixed body)", parameters_app(), "/v1/search"),
        ("mpsearch, full", full, "/v1/search"),
        ("mpsearch suggest, full", full, "/v1/suggest"),
        ("  without the worker header", mpsearch_app((WorkerHeader,)), "/v1/search"),
        ("  without operations (middleware)", mpsearch_app((OpsMiddleware,)), "/v1/search"),
        ("  without the safety net", mpsearch_app((SafetyNet,)), "/v1/search"),
        ("  without the request guard", mpsearch_app((RequestGuard,)), "/v1/search"),
        ("  without metrics + query log (route)", mpsearch_app(quiet_ops=True), "/v1/search"),
        ("  without any middleware", mpsearch_app(every), "/v1/search"),
    ]
    results: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        for app in {id(app): app for _, app, _ in cases if hasattr(app.state, "holder")}.values():
            stack.enter_context(running(app, loop))
            engine: Engine = app.state.holder.get()
            if not fixed:
                fixed["search"] = engine.run(SearchRequest(q="LV", host="jd"))
                fixed["suggest"] = engine.suggest("xingba", "jd")
            engine.run = lambda req: fixed["search"]  # type: ignore[method-assign]
            engine.suggest = lambda q, host, limit: fixed["suggest"]  # type: ignore[method-assign]
        for _, app, path in cases:  # warm-up: first-request set-up is not counted
            drive.per_request_us(app, path, 200)
        # Rounds interleave the cases, so a slower minute of the machine falls on all alike.
        for _ in range(rounds):
            for name, app, path in cases:
                us = drive.per_request_us(app, path, n)
                results[name] = round(min(results.get(name, us), us), 1)
        for name, _, _ in cases:
            print(f"{name:<44}{results[name]:9.1f} µs", flush=True)
        results.update(_pieces(full.state.ops, fixed["search"], n, rounds))
    full = results["mpsearch, full"]
    costs = {
        name.strip().removeprefix("without ").removesuffix(" (route)"): round(full - us, 1)
        for name, us in results.items()
        if name.startswith("  without")
    }
    print("cost of each part (full minus without it):")
    for part, us in costs.items():
        print(f"  {part:<42}{us:9.1f} µs")
    return {"requests": n, "rounds": rounds, "per_request_us": results, "part_cost_us": costs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--name", help="result file name (default http-parts)")
    args = ap.parse_args()
    info = machine()
    result = run(args)
    save_result("http-parts", args.name or "http-parts", info, result)


if __name__ == "__main__":
    main()
