"""Operations state of one worker process: the query log, gauges, the request log, and the
middleware through which every answer passes.

Per request the cost is a middleware that times the call, two metric updates, one queued
log record and, for searches and suggests, one deque append to the query log: about 15 µs
in all (``benchmarks/http_parts.py``).

Guarantees: every HTTP answer of the app, refusals of the request guard and the safety
net's 500 included, is counted in ``mpsearch_http_requests_total`` by route and status
and gets one access-log line; gauges are refreshed one at a time, so a scrape never shows
a value older than its own refresh. The gauges are the process's (prometheus-client's
registry), so the lock is too: an app made in a process holding another (tests, an
embedding server) scrapes its own values, never one another app's ticker wrote between
its refresh and its render.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol
from urllib.parse import unquote

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.settings import Settings
from search.engine import Engine, SearchResult
from search.models import SuggestResponse
from search.ops import metrics
from search.ops.jsonlog import AccessLog
from search.ops.querylog import QueryLog

GAUGE_SECONDS = 1.0
UNMATCHED = "unmatched"
# The ticker and /metrics of every app in the process refresh the gauges one at a time
# (see the module docstring).
_GAUGES = threading.RLock()


class HolderLike(Protocol):
    """What operations read from ``search.http.holder.EngineHolder``."""

    @property
    def engine(self) -> Engine | None: ...

    def changelog_lag(self) -> int: ...

    @property
    def log_available(self) -> bool: ...


class Ops:
    """Per-process operations state: the query log, gauges and the request log listener."""

    def __init__(self, settings: Settings, holder: HolderLike) -> None:
        self.settings = settings
        self.holder = holder
        self.querylog = QueryLog(
            settings.querylog_dir,
            mode=settings.querylog,
            segment_bytes=settings.querylog_segment_bytes,
            max_bytes=settings.querylog_max_bytes,
            buffer=settings.querylog_buffer,
            flush_seconds=settings.querylog_flush_seconds,
        )
        self.access = AccessLog(settings.log_level)
        self._version: str | None = None
        self._dropped_seen = {"query": 0, "request": 0}
        self._gauges = _GAUGES

    def on_search(self, res: SearchResult) -> None:
        metrics.QUERIES.labels("search", res.host).inc()
        metrics.RESULTS.inc(res.served)
        if res.found == 0:
            metrics.ZERO_RESULTS.labels("search", res.host).inc()
        self.querylog.record_search(res)

    def on_suggest(self, resp: SuggestResponse, host: str, took_ms: float) -> None:
        metrics.QUERIES.labels("suggest", host).inc()
        if not resp.suggestions:
            metrics.ZERO_RESULTS.labels("suggest", host).inc()
        self.querylog.record_suggest(resp, host, took_ms)

    def exposition(self) -> tuple[bytes, str]:
        """Fresh gauges and the Prometheus text (body, content type)."""
        with self._gauges:
            self.refresh_gauges()
            return metrics.render()

    def refresh_gauges(self) -> None:
        """Index version and size, change-log lag, query log drops."""
        with self._gauges:
            self._refresh_gauges()

    def _refresh_gauges(self) -> None:
        eng = self.holder.engine
        if eng is not None:
            if eng.version != self._version:
                if self._version is not None:
                    metrics.INDEX_INFO.labels(self._version).set(0)
                metrics.INDEX_INFO.labels(eng.version).set(1)
                self._version = eng.version
            metrics.INDEX_DOCUMENTS.set(eng.num_docs)
        metrics.CHANGELOG_LAG.set(self.holder.changelog_lag())
        metrics.CHANGELOG_AVAILABLE.set(1 if self.holder.log_available else 0)
        for log, dropped in (("query", self.querylog.dropped), ("request", self.access.dropped)):
            if dropped > self._dropped_seen[log]:
                metrics.LOG_DROPPED.labels(log).inc(dropped - self._dropped_seen[log])
                self._dropped_seen[log] = dropped

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Lifespan part: writer threads and the gauge ticker run while the app serves."""
        self.access.start()
        self.querylog.start()

        async def tick() -> None:
            while True:
                await asyncio.to_thread(self.refresh_gauges)
                await asyncio.sleep(GAUGE_SECONDS)

        task = asyncio.create_task(tick())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await asyncio.to_thread(self.querylog.close)
            self.access.stop()
            metrics.worker_exit(os.getpid())


class OpsMiddleware:
    """Times every HTTP request: latency histogram, request counter, one JSON log line."""

    def __init__(self, app: ASGIApp, ops: Ops, routes: Sequence[BaseRoute] = ()) -> None:
        """``routes``: the app's routes, to name the route of a request refused before
        routing (by the request guard), so a 414 on ``/v1/search`` counts as ``/v1/search``."""
        self.app = app
        self.access = ops.access
        self.log_queries = ops.settings.log_queries
        self.routes = routes
        # The counter and histogram series of each (route, status), looked up once: a
        # prometheus-client label lookup costs about 1 µs. Routes and statuses are few.
        self._series: dict[tuple[str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            endpoint = _route_path(scope, self.routes)
            series = self._series.get((endpoint, status))
            if series is None:
                code = str(status)
                series = (
                    metrics.REQUESTS.labels(endpoint, code),
                    metrics.LATENCY.labels(endpoint, code),
                )
                self._series[(endpoint, status)] = series
            series[0].inc()
            series[1].observe(elapsed)
            if self.access.enabled:
                fields: dict[str, Any] = {
                    "method": scope["method"],
                    "path": scope["path"],
                    "endpoint": endpoint,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                }
                if self.log_queries and scope.get("query_string"):
                    fields["query"] = unquote(scope["query_string"].decode("latin-1"))
                self.access.add(fields)


def _route_path(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The route template a request went to (``/v1/listings/{appid}``), by which metrics
    count it; for a request that was answered before routing, the route it would have
    gone to."""
    path = getattr(scope.get("route"), "path", None)
    if path:
        return str(path)
    for route in routes:
        with contextlib.suppress(Exception):  # e.g. a path the guard found badly encoded
            if route.matches(scope)[0] == Match.FULL:
                return str(getattr(route, "path", UNMATCHED))
    return UNMATCHED
