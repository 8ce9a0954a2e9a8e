"""The read routes: search, suggest, discover, a listing by appid, health and readiness.

Thin: each checks what the OpenAPI schema cannot say (``q`` trimmed, a known host and the
request's host key, ``recent`` as appids), asks the leased engine and renders its answer
as JSON. Search and suggest take their engine lease, host and operations state from the
request rather than as dependencies (``search.http.deps``: each dependency costs FastAPI
time on every request).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from indexer.ids import is_valid
from search.discover import DiscoverRequest
from search.engine import SearchRequest
from search.errors import BadRequest, NotFound
from search.http.deps import (
    EngineDep,
    HolderDep,
    HostParam,
    KeyHeader,
    KeyHost,
    ReadHost,
    engine_lease,
    host_of,
    ops_of,
)
from search.http.limits import (
    MAX_APPID_CHARS,
    MAX_CATEGORY_CHARS,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    MAX_RAW_QUERY_CHARS,
    MAX_RECENT,
    MAX_RECENT_CHARS,
    MAX_SUGGEST,
)
from search.http.responses import JSONBody
from search.models import (
    DiscoverResponse,
    ErrorBody,
    ListingResponse,
    SearchResponse,
    SuggestResponse,
)

# What the OpenAPI document promises (the contract); the routes check it with their own
# messages (q is trimmed first, an unknown host lists the allowed ones).
Q_SCHEMA: dict[str, Any] = {"minLength": 1, "maxLength": MAX_QUERY_CHARS, "pattern": r"\S"}
APPID_SCHEMA: dict[str, Any] = {"pattern": f"^[a-z0-9]{{1,{MAX_APPID_CHARS}}}$"}
RECENT_SCHEMA: dict[str, Any] = {
    "pattern": f"^[a-z0-9]{{1,{MAX_APPID_CHARS}}}(,[a-z0-9]{{1,{MAX_APPID_CHARS}}})*$"
}
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
RecentParam = Annotated[
    str | None,
    Query(
        description="comma-separated appids",
        max_length=MAX_RECENT_CHARS,
        json_schema_extra=RECENT_SCHEMA,
    ),
]
AppIdPath = Annotated[
    str, Path(min_length=1, max_length=MAX_APPID_CHARS, json_schema_extra=APPID_SCHEMA)
]
REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 413, 414, 422, 503)
}

router = APIRouter(responses=REFUSALS)


def checked_query(q: str) -> str:
    """The trimmed query, or BadRequest naming q."""
    text = q.strip()
    if not text:
        raise BadRequest("q", "q is empty after trimming spaces; send 1 to 64 characters")
    if len(text) > MAX_QUERY_CHARS:
        raise BadRequest(
            "q", f"q is {len(text)} characters long; at most {MAX_QUERY_CHARS} are allowed"
        )
    return text


def recent_appids(recent: str | None) -> tuple[str, ...]:
    """The appids of ``recent`` in the order given (each once), or BadRequest naming it."""
    appids = list(dict.fromkeys(r.strip() for r in (recent or "").split(",") if r.strip()))
    if len(appids) > MAX_RECENT:
        raise BadRequest(
            "recent", f"recent holds {len(appids)} appids; at most {MAX_RECENT} are allowed"
        )
    for appid in appids:
        if not is_valid("appid", appid):
            raise BadRequest("recent", f"recent: {appid[:70]!r} is not an appid")
    return tuple(appids)


@router.get("/v1/search", response_model=SearchResponse)
async def search(
    request: Request,
    q: SearchText,
    host: HostParam = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    category: Annotated[str | None, Query(max_length=MAX_CATEGORY_CHARS)] = None,
    recent: RecentParam = None,
    debug: bool = False,
    key: KeyHeader = None,
) -> Response:
    """Ranked entry cards for a query in one host, with a brand zone when it names a brand."""
    chosen = host_of(request, host, key)
    req = SearchRequest(
        q=checked_query(q),
        host=chosen,
        limit=limit,
        offset=offset,
        category=category or None,
        recent=frozenset(recent_appids(recent)),
        debug=debug,
    )
    with engine_lease(request) as eng:
        result = eng.run(req)
    ops_of(request).on_search(result)
    # Cards carry `explain` only with debug=true (not even as null).
    return Response(result.json(), media_type="application/json")


@router.get("/v1/suggest", response_model=SuggestResponse)
async def suggest(
    request: Request,
    q: PrefixText,
    host: HostParam = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SUGGEST)] = 8,
    key: KeyHeader = None,
) -> Response:
    """Completions of listing names, brand names and aliases by Chinese, pinyin or initials."""
    chosen = host_of(request, host, key)
    text = checked_query(q)
    started = time.perf_counter()
    with engine_lease(request) as eng:
        resp = eng.suggest(text, chosen, limit)
    ops_of(request).on_suggest(resp, chosen, round((time.perf_counter() - started) * 1000, 3))
    return Response(resp.model_dump_json(), media_type="application/json")


@router.get("/v1/discover", response_model=DiscoverResponse)
async def discover(
    eng: EngineDep,
    host: ReadHost,
    category: Annotated[
        str | None,
        Query(max_length=MAX_CATEGORY_CHARS, description="a top-level category or a sub one"),
    ] = None,
    recent: RecentParam = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """The host's online listings, most used first (the caller's recent ones before them):
    for drop-downs and showcase slots."""
    req = DiscoverRequest(
        host=host,
        category=category or None,
        recent=recent_appids(recent),
        limit=limit,
        offset=offset,
    )
    return Response(eng.discover(req).json(), media_type="application/json")


@router.get(
    "/v1/listings/{appid}", response_model=ListingResponse, responses={404: {"model": ErrorBody}}
)
async def listing(eng: EngineDep, appid: AppIdPath, pinned: KeyHost) -> JSONBody:
    """The listing as indexed, whatever its status (with a host key: one listing its host)."""
    if not is_valid("appid", appid):
        raise BadRequest("appid", f"{appid!r} is not an appid (a-z and 0-9 only)")
    found = eng.listing(appid)
    if pinned is not None and pinned not in found["hosts"]:
        raise NotFound(f"no listing with appid {appid!r} in host {pinned!r}")
    body = ListingResponse(listing=found, index_version=eng.version)
    return JSONBody(body.model_dump(mode="json"))


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(holder: HolderDep) -> JSONBody:
    """Ready once an index is open with every change acknowledged before this worker started."""
    eng = holder.ready()
    return JSONBody({"status": "ready", "index_version": eng.version, "docs": eng.num_docs})
