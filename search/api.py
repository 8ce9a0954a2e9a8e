"""The HTTP API: thin routes over ``search.engine``; errors are mapped to HTTP only here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.ids import is_valid
from indexer.models import KNOWN_HOSTS
from indexer.settings import Settings, get_settings
from search import guard
from search.admin import include_admin
from search.engine import Engine, SearchRequest
from search.errors import BadRequest, NotFound, NotReady
from search.limits import (
    MAX_APPID_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_HOST_CHARS,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    MAX_RAW_QUERY_CHARS,
    MAX_RECENT,
    MAX_RECENT_CHARS,
    MAX_SUGGEST,
)
from search.models import ErrorBody, ListingResponse, SearchResponse, SuggestResponse
from search.ops import install_ops, record_search, record_suggest
from search.serving import EngineHolder, WorkerHeader

log = logging.getLogger("mpsearch.api")
POLL_SECONDS = 0.1
HOST_DOC = f"host app: {', '.join(KNOWN_HOSTS)}"
# What the OpenAPI document promises (the contract); the routes check it with their own
# messages (q is trimmed first, an unknown host lists the allowed ones).
Q_SCHEMA: dict[str, Any] = {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"}
HOST_SCHEMA: dict[str, Any] = {"enum": list(KNOWN_HOSTS)}
APPID_SCHEMA: dict[str, Any] = {"pattern": f"^[a-z0-9]{{1,{MAX_APPID_CHARS}}}$"}
RECENT_SCHEMA: dict[str, Any] = {"pattern": "^[a-z0-9]{1,64}(,[a-z0-9]{1,64})*$"}
HostParam = Annotated[
    str, Query(description=HOST_DOC, max_length=MAX_HOST_CHARS, json_schema_extra=HOST_SCHEMA)
]


SearchText = Annotated[
    str,
    Query(
        description="what the user typed",
        max_length=MAX_RAW_QUERY_CHARS,
        json_schema_extra=Q_SCHEMA,
    ),
]
PrefixText = Annotated[
    str,
    Query(
        description="what the user has typed so far",
        max_length=MAX_RAW_QUERY_CHARS,
        json_schema_extra=Q_SCHEMA,
    ),
]
NO_EXPLAIN: dict[str, Any] = {
    "results": {"__all__": {"explain"}},
    "brand_zone": {"card": {"explain"}},
}


class JSONBody(Response):
    """JSON rendered with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error(
    status: int, code: str, message: str, field: str | None = None, allowed: list[str] | None = None
) -> JSONBody:
    body = ErrorBody(error=code, message=message, field=field, allowed=allowed)
    return JSONBody(body.model_dump(exclude_none=True), status_code=status)


def _checked(q: str, host: str) -> str:
    """The trimmed query, or BadRequest naming q or host."""
    text = q.strip()
    if not text:
        raise BadRequest("q", "q is empty after trimming spaces; send 1 to 64 characters")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(
            "q", f"q is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed"
        )
    if host not in KNOWN_HOSTS:
        raise BadRequest("host", f"unknown host {host!r}", list(KNOWN_HOSTS))
    return text


async def _engine(request: Request) -> AsyncIterator[Engine]:
    """The request's engine lease. Routes that use it are ``async``: their work is CPU
    bound, so a thread pool would only add hand-offs (three per request), never overlap."""
    holder: EngineHolder = request.app.state.holder
    with holder.lease() as engine:  # the engine stays open until the request is done
        yield engine


EngineDep = Annotated[Engine, Depends(_engine)]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI app (uvicorn factory)."""
    settings = settings or get_settings()
    holder = EngineHolder(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(holder.start)

        async def watch() -> None:
            while True:
                await asyncio.sleep(POLL_SECONDS)
                await asyncio.to_thread(holder.refresh)

        task = asyncio.create_task(watch())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.to_thread(holder.stop)

    app = FastAPI(
        title="mpsearch",
        summary="Search and discovery of mini-programs for host apps",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.holder = holder
    install_ops(app, holder, settings)
    app.add_middleware(WorkerHeader)
    include_admin(app, settings, holder)
    guard.install(app)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONBody:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
        field = ".".join(loc) or None
        return error(422, "invalid_request", f"{field}: {first.get('msg', 'invalid')}", field)

    @app.exception_handler(BadRequest)
    async def on_bad(_: Request, exc: BadRequest) -> JSONBody:
        return error(422, "invalid_request", str(exc), exc.field, exc.allowed)

    @app.exception_handler(NotFound)
    async def on_not_found(_: Request, exc: NotFound) -> JSONBody:
        return error(404, "not_found", str(exc))

    @app.exception_handler(NotReady)
    async def on_not_ready(_: Request, exc: NotReady) -> JSONBody:
        return error(503, "not_ready", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONBody:
        resp = error(exc.status_code, "http_error", str(exc.detail))
        resp.headers.update(exc.headers or {})  # e.g. `Allow` on 405
        return resp

    responses: dict[int | str, dict[str, Any]] = {
        400: {"model": ErrorBody},
        413: {"model": ErrorBody},
        414: {"model": ErrorBody},
        422: {"model": ErrorBody},
        503: {"model": ErrorBody},
    }

    @app.get("/v1/search", response_model=SearchResponse, responses=responses)
    async def search(
        request: Request,
        eng: EngineDep,
        q: SearchText,
        host: HostParam,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        category: Annotated[str | None, Query(max_length=MAX_CATEGORY_CHARS)] = None,
        recent: Annotated[
            str | None,
            Query(
                description="comma-separated appids",
                max_length=MAX_RECENT_CHARS,
                json_schema_extra=RECENT_SCHEMA,
            ),
        ] = None,
        debug: bool = False,
    ) -> JSONBody:
        """Ranked entry cards for a query in one host, with a brand zone when it names a brand."""
        text = _checked(q, host)
        recent_ids = [r.strip() for r in (recent or "").split(",") if r.strip()]
        if len(recent_ids) > MAX_RECENT:
            raise BadRequest(
                "recent", f"recent holds {len(recent_ids)} appids; at most {MAX_RECENT} are allowed"
            )
        for appid in recent_ids:
            if not is_valid("appid", appid):
                raise BadRequest("recent", f"recent: {appid[:70]!r} is not an appid")
        req = SearchRequest(
            q=text,
            host=host,
            limit=limit,
            offset=offset,
            category=category or None,
            recent=frozenset(recent_ids),
            debug=debug,
        )
        # `explain` is only part of a card with debug=true (not even as null).
        exclude = None if debug else NO_EXPLAIN
        resp = eng.search(req)
        record_search(request, resp)
        return JSONBody(resp.model_dump(mode="json", exclude=exclude))

    @app.get("/v1/suggest", response_model=SuggestResponse, responses=responses)
    async def suggest(
        request: Request,
        eng: EngineDep,
        q: PrefixText,
        host: HostParam,
        limit: Annotated[int, Query(ge=1, le=MAX_SUGGEST)] = 8,
    ) -> JSONBody:
        """Completions of listing names, brand names and aliases by Chinese, pinyin or initials."""
        text = _checked(q, host)
        started = time.perf_counter()
        resp = eng.suggest(text, host, limit)
        record_suggest(request, resp, host, round((time.perf_counter() - started) * 1000, 3))
        return JSONBody(resp.model_dump(mode="json"))

    @app.get(
        "/v1/listings/{appid}",
        response_model=ListingResponse,
        responses={**responses, 404: {"model": ErrorBody}},
    )
    async def listing(
        eng: EngineDep,
        appid: Annotated[
            str, Path(min_length=1, max_length=MAX_APPID_CHARS, json_schema_extra=APPID_SCHEMA)
        ],
    ) -> JSONBody:
        """The listing as indexed, whatever its status."""
        if not is_valid("appid", appid):
            raise BadRequest("appid", f"{appid!r} is not an appid (a-z and 0-9 only)")
        body = ListingResponse(listing=eng.listing(appid), index_version=eng.version)
        return JSONBody(body.model_dump(mode="json"))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": ErrorBody}})
    def readyz() -> JSONBody:
        """Ready once an index is open."""
        eng = holder.ready()
        return JSONBody({"status": "ready", "index_version": eng.version, "docs": eng.num_docs})

    return app
