"""What operations add to one request: metrics, the query log append, the request log line.

Prints microseconds per call (best of 5 runs) for the pieces on the request path and the
query log writer's throughput; compare with a search itself. Needs a published index
(`make index`); run with `.venv/bin/python benchmarks/ops_overhead.py`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from indexer.dictionaries import Dictionaries
from indexer.settings import get_settings
from indexer.store import IndexStore
from search.engine import Engine, SearchRequest
from search.ops.wiring import Ops, OpsMiddleware

N = 20_000


def best_us(fn: Callable[[], object], n: int = N) -> float:
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t) / n * 1e6)
    return min(runs)


class Holder:
    def __init__(self, engine: Engine) -> None:
        self.engine: Engine | None = engine


def main() -> None:
    settings = get_settings()
    store = IndexStore(settings.home)
    version = store.current()
    if version is None:
        sys.exit(f"no index published under {settings.home}: run `make index`")
    engine = Engine.open(store, version, Dictionaries.load(settings.dictionaries))
    tmp = Path(tempfile.mkdtemp())
    ops = Ops(settings.model_copy(update={"home": tmp, "querylog_buffer": 10**7}), Holder(engine))
    resp = engine.search(SearchRequest(q="LV", host="jd"))
    sug = engine.suggest("xingba", "jd")

    search_us = best_us(lambda: engine.search(SearchRequest(q="LV", host="jd")), 300)
    print(f"engine.search('LV', jd)                 {search_us:9.2f} us")
    print(f"ops.on_search (counters + log append)   {best_us(lambda: ops.on_search(resp)):9.2f} us")
    print(
        f"ops.on_suggest                          "
        f"{best_us(lambda: ops.on_suggest(sug, 'jd', 0.1)):9.2f} us"
    )

    async def endpoint(
        scope: object, receive: object, send: Callable[[dict[str, object]], object]
    ) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[misc]

    async def noop_send(message: dict[str, object]) -> None:
        return None

    async def noop_receive() -> dict[str, object]:
        return {"type": "http.request"}

    scope = {"type": "http", "method": "GET", "path": "/v1/search", "query_string": b"q=LV"}
    mw = OpsMiddleware(endpoint, ops.access)  # type: ignore[arg-type]
    stderr, sys.stderr = sys.stderr, open("/dev/null", "w")  # noqa: SIM115
    ops.access.start()
    loop = asyncio.new_event_loop()

    def one() -> None:
        loop.run_until_complete(mw(dict(scope), noop_receive, noop_send))  # type: ignore[arg-type]

    def bare() -> None:
        loop.run_until_complete(endpoint(dict(scope), noop_receive, noop_send))

    mw_us = best_us(one, 5000) - best_us(bare, 5000)
    ops.access.stop()
    sys.stderr = stderr
    print(f"middleware (histogram, counter, log)    {mw_us:9.2f} us")

    pending = len(ops.querylog._pending)
    t = time.perf_counter()
    written = ops.querylog.flush()
    took = time.perf_counter() - t
    print(
        f"query log writer: {written} of {pending} records in {took * 1000:.0f} ms "
        f"({written / took:,.0f} records/s, off the request path)"
    )
    logging.shutdown()


if __name__ == "__main__":
    main()
