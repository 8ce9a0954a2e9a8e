"""Operations side of the API: the preview page, ``/metrics``, ``/v1/analytics``, the query
log and the request log, wired into the app by :func:`install_ops`.

Per request the cost is a middleware that times the call, two metric updates, one queued
log record and, for searches and suggests, one deque append to the query log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime
from importlib import resources
from typing import Annotated, Any, Protocol
from urllib.parse import unquote

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.models import KNOWN_HOSTS
from indexer.settings import Settings
from search import metrics
from search.analytics import AnalyticsReport, parse_since, report
from search.engine import Engine
from search.errors import BadRequest
from search.jsonlog import AccessLog
from search.models import ErrorBody, SearchResponse, SuggestResponse
from search.querylog import QueryLog

GAUGE_SECONDS = 1.0
MAX_ANALYTICS_ROWS = 200
STATIC_TYPES = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


class HolderLike(Protocol):
    """What ops reads from ``search.serving.EngineHolder``."""

    @property
    def engine(self) -> Engine | None: ...

    def changelog_lag(self) -> int: ...


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
        # The ticker and /metrics both refresh: one at a time, so a scrape never shows a
        # value read before its own refresh and written after it.
        self._gauges = threading.RLock()

    def on_search(self, resp: SearchResponse) -> None:
        served = resp.total + (1 if resp.brand_zone else 0)
        metrics.QUERIES.labels("search", resp.host).inc()
        metrics.RESULTS.inc(len(resp.results) + (1 if resp.brand_zone else 0))
        if served == 0:
            metrics.ZERO_RESULTS.labels("search", resp.host).inc()
        self.querylog.record_search(resp)

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

    def __init__(self, app: ASGIApp, access: AccessLog, log_queries: bool = False) -> None:
        self.app = app
        self.access = access
        self.log_queries = log_queries

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
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            code = str(status)
            metrics.REQUESTS.labels(endpoint, code).inc()
            metrics.LATENCY.labels(endpoint, code).observe(elapsed)
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


def record_search(request: Request, resp: SearchResponse) -> None:
    """Count and log one search (no-op in an app without ops)."""
    ops: Ops | None = getattr(request.app.state, "ops", None)
    if ops is not None:
        ops.on_search(resp)


def record_suggest(request: Request, resp: SuggestResponse, host: str, took_ms: float) -> None:
    """Count and log one suggest call (no-op in an app without ops)."""
    ops: Ops | None = getattr(request.app.state, "ops", None)
    if ops is not None:
        ops.on_suggest(resp, host, took_ms)


def _asset(name: str) -> bytes:
    return resources.files("search").joinpath("static", name).read_bytes()


def _page() -> bytes:
    hosts = orjson.dumps(list(KNOWN_HOSTS)).decode().replace('"', "&quot;")
    return _asset("index.html").replace(b"__HOSTS__", hosts.encode())


def make_router(ops: Ops) -> APIRouter:
    """Routes of the operations side; the router's lifespan runs ops' background work."""
    settings = ops.settings

    @contextlib.asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        async with ops.running():
            yield

    router = APIRouter(lifespan=lifespan)
    page = _page()
    assets = {name: _asset(name) for name in STATIC_TYPES}

    def admin_only(authorization: Annotated[str | None, Header()] = None) -> None:
        """With MPSEARCH_ADMIN_TOKEN set, analytics need `Authorization: Bearer <token>`."""
        token = settings.admin_token
        if not token:
            return
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                401,
                "analytics need the admin token: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @router.get("/", include_in_schema=False)
    def preview() -> Response:
        """The preview page."""
        return Response(page, media_type="text/html; charset=utf-8")

    @router.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        """The page's script and style sheet (nothing else is served from here)."""
        if name not in assets:
            raise HTTPException(404, f"no static file {name!r}")
        return Response(
            assets[name], media_type=STATIC_TYPES[name], headers={"Cache-Control": "no-cache"}
        )

    @router.get("/metrics", include_in_schema=False)
    def metrics_text() -> Response:
        """Prometheus text exposition."""
        body, content_type = ops.exposition()
        return Response(body, media_type=content_type)

    @router.get(
        "/v1/analytics",
        response_model=AnalyticsReport,
        responses={401: {"model": ErrorBody}, 422: {"model": ErrorBody}},
        dependencies=[Depends(admin_only)],
    )
    def analytics(
        since: Annotated[
            str | None, Query(max_length=40, description="30m, 24h, 7d or an ISO 8601 time")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_ANALYTICS_ROWS)] = 20,
    ) -> Response:
        """Top, zero-result and slowest queries from the query log."""
        start: datetime | None = None
        if since:
            try:
                start = parse_since(since)
            except ValueError as exc:
                raise BadRequest("since", str(exc)) from None
        ops.querylog.flush()  # this worker's latest queries; others flush every second
        body = report(settings.querylog_dir, start, limit)
        return Response(orjson.dumps(body.model_dump(mode="json")), media_type="application/json")

    return router


def install_ops(app: FastAPI, holder: HolderLike, settings: Settings) -> Ops:
    """Add the operations middleware and routes to ``app``."""
    ops = Ops(settings, holder)
    app.state.ops = ops
    app.add_middleware(OpsMiddleware, access=ops.access, log_queries=settings.log_queries)
    app.include_router(make_router(ops))
    return ops
