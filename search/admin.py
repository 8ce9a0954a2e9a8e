"""Admin API: live upserts, takedowns and brand updates, index status, publish and rollback.

Every update is validated with the catalog models, appended to the change log
(fsynced) and acknowledged with its sequence number; the applier makes it
searchable on every worker. The routes exist only when ``MPSEARCH_ADMIN_TOKEN``
is set and need ``Authorization: Bearer <token>`` (401 without, 403 wrong).
"""

from __future__ import annotations

import asyncio
import hmac
import os
from datetime import datetime
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, FastAPI, Header, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from indexer.applier import read_state
from indexer.catalog import _cross_check, rejects_from_error
from indexer.changelog import ChangeKind, ChangeLog, SqliteChangeLog
from indexer.errors import IndexerError
from indexer.models import Brand, Listing, Slug, platform_of_appid
from indexer.settings import Settings
from indexer.store import IndexStore
from search.engine import Depth, Engine
from search.errors import BadRequest, NotFound, SearchError
from search.models import ErrorBody
from search.serving import EngineHolder

MAX_BODY_BYTES = 1_000_000
_SLUG_MAX = 64
_SLUG = TypeAdapter(Slug)
M = TypeVar("M", bound=BaseModel)
AppId = Annotated[str, Path(min_length=1, max_length=64)]
BrandId = Annotated[str, Path(min_length=1, max_length=_SLUG_MAX)]


class AdminAuthError(SearchError):
    """A missing (401) or wrong (403) admin token."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Ack(BaseModel):
    """An update stored in the change log: visible in search within a second."""

    seq: int
    kind: ChangeKind
    key: str
    at: datetime


class ServingInfo(BaseModel):
    version: str
    build_seq: int
    applied_seq: int


class IndexStatus(BaseModel):
    """Versions, the change log and what this worker serves."""

    current: str | None
    previous: str | None
    build_seq: int | None  # change_seq of the current version
    applied_seq: int | None  # last change applied to the serving copy
    last_seq: int  # last change in the log
    lag: int | None  # changes in the log not yet served
    serving: ServingInfo | None  # what this worker answers with
    worker: int  # pid of the worker that answered
    applier: bool  # this worker holds the applier lock (the one tantivy writer)


class PublishRequest(BaseModel):
    version: str


class PublishResult(BaseModel):
    current: str
    previous: str | None


def _auth(settings: Settings) -> Any:
    expected = (settings.admin_token or "").encode()

    def check(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AdminAuthError(401, "unauthorized", "send Authorization: Bearer <admin token>")
        if not hmac.compare_digest(token.strip().encode(), expected):
            raise AdminAuthError(403, "forbidden", "the admin token is not valid")

    return check


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("body", f"body is {len(body)} bytes; at most {MAX_BODY_BYTES}")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("body", f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("body", "body must be a JSON object")
    return data


def _validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = rejects_from_error("body", 0, exc)[0]
        raise BadRequest(first.field, f"{first.field}: {first.reason}") from None


def _check_appid(appid: str) -> str:
    if platform_of_appid(appid) is None:
        raise BadRequest(
            "appid",
            f"{appid!r} is not an appid (wechat wx+16 hex, alipay 2021+12 digits, baidu 32)",
        )
    return appid


def _check_brand_id(brand_id: str) -> str:
    try:  # the catalog's slug rule, before anything uses the name
        _SLUG.validate_python(brand_id)
    except ValidationError:
        raise BadRequest(
            "brand_id", f"{brand_id!r} is not a brand id (a lowercase slug like 'louis-vuitton')"
        ) from None
    return brand_id


def include_admin(app: FastAPI, settings: Settings, holder: EngineHolder) -> None:
    """Add the admin routes to ``app``, only when an admin token is configured."""
    if not settings.admin_token:
        return
    store = IndexStore(settings.home)
    logs: dict[int, ChangeLog] = {}

    def changelog() -> ChangeLog:
        # One connection per worker process, opened on first use.
        pid = os.getpid()
        if pid not in logs:
            logs[pid] = SqliteChangeLog.in_home(settings.home)
        return logs[pid]

    @app.exception_handler(AdminAuthError)
    async def on_auth(_: Request, exc: AdminAuthError) -> Response:
        body = ErrorBody(error=exc.code, message=str(exc)).model_dump(exclude_none=True)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return Response(orjson.dumps(body), exc.status, headers, "application/json")

    router = APIRouter(
        prefix="/v1/admin",
        tags=["admin"],
        dependencies=[Depends(_auth(settings))],
        responses={
            401: {"model": ErrorBody},
            403: {"model": ErrorBody},
            422: {"model": ErrorBody},
        },
    )

    def append(kind: ChangeKind, key: str, payload: dict[str, Any] | None) -> Ack:
        change = changelog().append(kind, key, payload)
        return Ack(seq=change.seq, kind=change.kind, key=change.key, at=change.at)

    @router.put("/listings/{appid}", response_model=Ack)
    async def put_listing(appid: AppId, request: Request) -> Ack:
        """Insert or replace a listing (validated like a catalog line)."""
        _check_appid(appid)
        listing = _validated(Listing, await _json_object(request))
        if listing.appid != appid:
            raise BadRequest("appid", f"body appid {listing.appid!r} differs from the path")
        brands = dict(holder.get().table.brands)
        if listing.brand_id is not None and listing.brand_id not in brands:
            # A brand PUT a moment ago may not be applied yet: the log has it.
            pending = changelog().latest("brand_put", listing.brand_id)
            if pending is not None:
                brands[listing.brand_id] = Brand.model_validate(pending.payload)
        problem = _cross_check(listing, brands, {})
        if problem is not None:
            raise BadRequest(problem[0], f"{problem[0]}: {problem[1]}")
        payload = listing.model_dump(mode="json")
        return await asyncio.to_thread(append, "listing_put", appid, payload)

    @router.delete("/listings/{appid}", response_model=Ack)
    def delete_listing(appid: AppId) -> Ack:
        """Take a listing down (gone from search and /v1/listings, and stays gone)."""
        _check_appid(appid)
        return append("listing_delete", appid, None)

    @router.put("/brands/{brand_id}", response_model=Ack)
    async def put_brand(brand_id: BrandId, request: Request) -> Ack:
        """Insert or replace a brand: names and aliases reach query resolution at once."""
        _check_brand_id(brand_id)
        brand = _validated(Brand, await _json_object(request))
        if brand.brand_id != brand_id:
            raise BadRequest("brand_id", f"body brand_id {brand.brand_id!r} differs from the path")
        _check_officials(holder.get(), brand)
        payload = brand.model_dump(mode="json")
        return await asyncio.to_thread(append, "brand_put", brand_id, payload)

    @router.get("/index", response_model=IndexStatus)
    def index_status() -> IndexStatus:
        """Current and previous version, the change log position, and the lag."""
        state = read_state(settings.home)
        last = changelog().last_seq()
        current = store.current()
        build_seq = None
        if current is not None:
            try:
                build_seq = store.manifest(current).change_seq
            except IndexerError:
                build_seq = None
        served = holder.state
        applied = state.applied_seq if state is not None and state.version == current else None
        return IndexStatus(
            current=current,
            previous=store.previous(),
            build_seq=build_seq,
            applied_seq=applied,
            last_seq=last,
            lag=None if applied is None else max(0, last - applied),
            serving=None
            if served is None
            else ServingInfo(
                version=served.version,
                build_seq=served.build_seq,
                applied_seq=served.applied_seq,
            ),
            worker=os.getpid(),
            applier=holder.is_applier,
        )

    @router.post("/index/publish", response_model=PublishResult)
    def publish(body: PublishRequest) -> PublishResult:
        """Publish a built version (verified; use `mpsearch index publish --golden` to gate)."""
        try:
            store.check_name(body.version)
            Engine.open(store, body.version, holder.dictionaries(), Depth.of(settings))
            store.publish(body.version)
        except IndexerError as exc:
            raise BadRequest("version", str(exc)) from None
        return PublishResult(current=body.version, previous=store.previous())

    @router.post("/index/rollback", response_model=PublishResult)
    def rollback() -> PublishResult:
        """Publish the previous version again."""
        try:
            target, _ = store.rollback()
        except IndexerError as exc:
            raise NotFound(str(exc)) from None
        return PublishResult(current=target, previous=store.previous())

    app.include_router(router)


def _check_officials(engine: Engine, brand: Brand) -> None:
    """An official appid already in the index must be a listing of this brand."""
    for index, appid in enumerate(brand.official_appids):
        try:
            listing = engine.listing(appid)
        except NotFound:
            continue  # to be added with PUT /v1/admin/listings/{appid}
        if listing.get("brand_id") != brand.brand_id:
            raise BadRequest(
                f"official_appids.{index}",
                f"official_appids.{index}: {appid} is a listing of brand "
                f"{listing.get('brand_id')!r}, not {brand.brand_id!r}",
            )
