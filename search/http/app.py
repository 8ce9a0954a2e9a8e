"""The ASGI app: the one place the HTTP service is put together (``create_app``, an app
factory).

A request passes the middleware below from the top, then routing, a route and its
dependencies; errors raised on purpose become answers in ``search.http.errors``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware

from indexer.settings import Settings, get_settings, known_hosts
from search.http import admin, operations, pages, routes
from search.http.credentials import load_credentials
from search.http.errors import install_error_handlers
from search.http.guard import RequestGuard
from search.http.holder import EngineHolder
from search.http.middleware import SafetyNet, WorkerHeader
from search.ops.wiring import Ops, OpsMiddleware

POLL_SECONDS = 0.1  # how often a worker looks for a new serving state
VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API, the preview page, the docs and the operations routes over one engine holder.

    Refuses to start (CredentialsError, naming the file and line) when a credentials file of
    the settings cannot be used.
    """
    settings = settings or get_settings()
    credentials = load_credentials(settings)
    holder = EngineHolder(settings)
    ops = Ops(settings, holder)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(holder.start)

        async def watch() -> None:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                await asyncio.to_thread(holder.refresh)

        task = asyncio.create_task(watch())
        try:
            async with ops.running():
                yield
        finally:
            task.cancel()
            await asyncio.to_thread(holder.stop)

    routers = [routes.router, operations.router, pages.make_router(known_hosts())]
    if credentials.admin_required:  # without a token the admin routes do not exist (404)
        routers.append(admin.make_router(settings))
    # Outermost first: every answer, a refusal or a 500 included, passes all that is above
    # the layer that produced it.
    middleware = [
        # 1. Which worker answered: on every response.
        Middleware(WorkerHeader),
        # 2. Operations: time, count (by route and status) and log every answer.
        Middleware(OpsMiddleware, ops=ops, routes=[r for rt in routers for r in rt.routes]),
        # 3. A bug becomes a logged JSON 500, which (1) and (2) still see.
        Middleware(SafetyNet),
        # 4. Bytes no route should see: bad encodings (400), long query strings (414),
        #    large bodies (413).
        Middleware(RequestGuard),
    ]
    app = FastAPI(
        title="mpsearch",
        summary="Search and discovery of mini-programs for host apps",
        version=VERSION,
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,  # served from installed assets by search.http.pages
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.credentials = credentials
    app.state.holder = holder
    app.state.ops = ops
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    app.openapi = _naming_hosts(app.openapi, known_hosts())  # type: ignore[method-assign]
    return app


def _naming_hosts(
    make: Callable[[], dict[str, Any]], hosts: tuple[str, ...]
) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document with every ``host`` parameter limited to the configured hosts
    (they are settings, so the routes cannot name them when they are defined)."""

    def openapi() -> dict[str, Any]:
        document = make()
        for operations_ in document.get("paths", {}).values():
            for operation in operations_.values():
                for param in operation.get("parameters", ()):
                    if param.get("name") == "host" and param.get("in") in ("query", "path"):
                        schema = param["schema"]
                        branches = schema.get("anyOf", [schema])
                        for branch in branches:
                            if branch.get("type") == "string":
                                branch["enum"] = list(hosts)
        return document

    return openapi
