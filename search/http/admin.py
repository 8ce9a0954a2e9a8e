"""Admin routes: live upserts, takedowns and brand updates, going live per host, index status,
publish and rollback.

Every update is validated with the catalog models, appended to the change log
(durably committed: fsynced, or confirmed by the shared PostgreSQL log) and
acknowledged with its sequence number; the applier makes it searchable on every
worker of every replica. While the log cannot be reached an update gets a 503 naming
it and is not acknowledged. Go-live applications and decisions (``indexer.golive``)
record the admin token's name as who made them. The routes exist only when an admin
token is configured, behind :func:`search.http.deps.require_admin`.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from indexer.applier import read_state
from indexer.catalog import cross_check, rejects_from_error
from indexer.changelog import ChangeKind, ChangeLog
from indexer.deployment import ReplicaInfo
from indexer.errors import ChangeLogUnavailable, IndexerError, StoreUnavailable
from indexer.golive import MAX_NOTE_CHARS, Application, ApplicationStatus, GoLive
from indexer.models import Brand, Listing, Slug, platform_of_appid
from indexer.settings import Settings, known_hosts
from search.engine import Engine
from search.errors import BadRequest, NotFound
from search.http.deps import AdminDep, AdminName, HolderDep
from search.http.holder import EngineHolder
from search.http.limits import MAX_APPID_CHARS, MAX_BRAND_ID_CHARS, MAX_HOST_CHARS
from search.models import ErrorBody

_SLUG = TypeAdapter(Slug)
M = TypeVar("M", bound=BaseModel)
AppId = Annotated[str, Path(min_length=1, max_length=MAX_APPID_CHARS)]
BrandId = Annotated[str, Path(min_length=1, max_length=MAX_BRAND_ID_CHARS)]
ApplicationId = Annotated[int, Path(ge=1, le=2**62, description="the application's id")]


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
    """Versions, the change log, what this worker serves and, with a shared log, every
    replica."""

    current: str | None
    previous: str | None
    build_seq: int | None  # change_seq of the current version
    applied_seq: int | None  # last change applied to the serving copy
    last_seq: int  # last change in the log
    lag: int | None  # changes in the log not yet served
    serving: ServingInfo | None  # what this worker answers with
    worker: int  # pid of the worker that answered
    applier: bool  # this worker holds the applier lock (the one tantivy writer)
    changelog: str  # where the change log is
    store: str  # where the versions are
    replicas: list[ReplicaInfo]  # with a shared log; empty otherwise


class PublishRequest(BaseModel):
    version: str


Note = Field(default=None, max_length=MAX_NOTE_CHARS)


class GoLiveRequest(BaseModel):
    """An application of a listing to go live in a host."""

    appid: str = Field(max_length=MAX_APPID_CHARS)
    host: str = Field(max_length=MAX_HOST_CHARS)
    note: str | None = Note


class ApproveRequest(BaseModel):
    note: str | None = Note


class RejectRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=MAX_NOTE_CHARS, pattern=r"\S")


class Applications(BaseModel):
    """Go-live applications, oldest first."""

    applications: list[Application]


class Withdrawal(Ack):
    """A withdrawal from one host, stored in the change log: gone there within a second."""

    appid: str
    host: str
    who: str
    reason: str | None


class PublishResult(BaseModel):
    current: str
    previous: str | None


async def _json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (its size is bounded by the request guard)."""
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest("body", f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("body", "body must be a JSON object")
    return data


async def _record(request: Request, model: type[M], key_field: str, key: str) -> M:
    """The body as a catalog record (validated like a catalog line) whose ``key_field`` is
    the ``key`` in the path."""
    data = await _json_object(request)
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        first = rejects_from_error("body", 0, exc)[0]
        raise BadRequest(first.field, f"{first.field}: {first.reason}") from None
    if getattr(record, key_field) != key:
        raise BadRequest(
            key_field, f"body {key_field} {getattr(record, key_field)!r} differs from the path"
        )
    return record


def _check_appid(appid: str) -> str:
    if platform_of_appid(appid) is None:
        raise BadRequest(
            "appid",
            f"{appid!r} is not an appid (wechat wx+16 hex, alipay 2021+12 digits, baidu 32)",
        )
    return appid


def _check_host(host: str) -> str:
    hosts = known_hosts()
    if host not in hosts:
        raise BadRequest("host", f"unknown host {host!r}", list(hosts))
    return host


def _served_listing(holder: EngineHolder, appid: str) -> dict[str, Any]:
    """The listing as this worker serves it (404 naming appid when there is none)."""
    try:
        return holder.get().listing(_check_appid(appid))
    except NotFound as exc:
        raise NotFound(str(exc), "appid") from None


def _check_brand_id(brand_id: str) -> str:
    try:  # the catalog's slug rule, before anything uses the name
        _SLUG.validate_python(brand_id)
    except ValidationError:
        raise BadRequest(
            "brand_id", f"{brand_id!r} is not a brand id (a lowercase slug like 'louis-vuitton')"
        ) from None
    return brand_id


def make_router(settings: Settings) -> APIRouter:
    """The admin routes over the deployment's versions and change log (each worker's
    holder has its own connection to the log)."""

    router = APIRouter(
        prefix="/v1/admin",
        tags=["admin"],
        dependencies=[AdminDep],
        responses={status: {"model": ErrorBody} for status in (401, 403, 404, 422, 503)},
    )

    def append(log: ChangeLog, kind: ChangeKind, key: str, payload: dict[str, Any] | None) -> Ack:
        change = log.append(kind, key, payload)
        return Ack(seq=change.seq, kind=change.kind, key=change.key, at=change.at)

    @router.put("/listings/{appid}", response_model=Ack)
    async def put_listing(appid: AppId, request: Request, holder: HolderDep) -> Ack:
        """Insert or replace a listing (validated like a catalog line)."""
        listing = await _record(request, Listing, "appid", _check_appid(appid))
        brands = dict(holder.get().table.brands)
        if listing.brand_id is not None and listing.brand_id not in brands:
            # A brand PUT a moment ago may not be applied yet: the log has it.
            pending = holder.deployment.log.latest("brand_put", listing.brand_id)
            if pending is not None:
                brands[listing.brand_id] = Brand.model_validate(pending.payload)
        problem = cross_check(listing, brands, {})
        if problem is not None:
            raise BadRequest(problem[0], f"{problem[0]}: {problem[1]}")
        payload = listing.model_dump(mode="json")
        log = holder.deployment.log
        return await asyncio.to_thread(append, log, "listing_put", appid, payload)

    @router.delete("/listings/{appid}", response_model=Ack)
    def delete_listing(appid: AppId, holder: HolderDep) -> Ack:
        """Take a listing down (gone from search and /v1/listings, and stays gone across
        rebuilds until an upsert of the listing lifts it)."""
        _check_appid(appid)
        return append(holder.deployment.log, "listing_delete", appid, None)

    @router.put("/brands/{brand_id}", response_model=Ack)
    async def put_brand(brand_id: BrandId, request: Request, holder: HolderDep) -> Ack:
        """Insert or replace a brand: names and aliases reach query resolution at once."""
        brand = await _record(request, Brand, "brand_id", _check_brand_id(brand_id))
        _check_officials(holder.get(), brand)
        payload = brand.model_dump(mode="json")
        log = holder.deployment.log
        return await asyncio.to_thread(append, log, "brand_put", brand_id, payload)

    @router.post(
        "/golive",
        response_model=Application,
        status_code=201,
        responses={status: {"model": ErrorBody} for status in (404, 409)},
    )
    def apply_golive(body: GoLiveRequest, holder: HolderDep, who: AdminName) -> Application:
        """Apply for a listing to go live in a host (pending until approved or rejected)."""
        host = _check_host(body.host)
        listing = _served_listing(holder, body.appid)
        return GoLive(holder.deployment.log).apply(listing, host, who, body.note)

    @router.get("/golive", response_model=Applications)
    def list_golive(
        holder: HolderDep,
        host: Annotated[str | None, Query(max_length=MAX_HOST_CHARS)] = None,
        status: ApplicationStatus | None = None,
    ) -> Applications:
        """Go-live applications, oldest first, of one host and status if given."""
        if host is not None:
            _check_host(host)
        found = GoLive(holder.deployment.log).applications(host, status)
        return Applications(applications=found)

    @router.post(
        "/golive/{id}/approve",
        response_model=Application,
        responses={status: {"model": ErrorBody} for status in (404, 409)},
    )
    def approve_golive(
        id: ApplicationId, holder: HolderDep, who: AdminName, body: ApproveRequest | None = None
    ) -> Application:
        """Approve a pending application: the listing is live in that host within a second,
        and stays live there across rebuilds until withdrawn."""
        note = body.note if body is not None else None
        return GoLive(holder.deployment.log).approve(id, who, note)

    @router.post(
        "/golive/{id}/reject",
        response_model=Application,
        responses={status: {"model": ErrorBody} for status in (404, 409)},
    )
    def reject_golive(
        id: ApplicationId, body: RejectRequest, holder: HolderDep, who: AdminName
    ) -> Application:
        """Reject a pending application, saying why."""
        return GoLive(holder.deployment.log).reject(id, who, body.reason)

    @router.delete(
        "/listings/{appid}/hosts/{host}",
        response_model=Withdrawal,
        responses={status: {"model": ErrorBody} for status in (404, 409)},
    )
    def withdraw_host(
        appid: AppId,
        host: Annotated[str, Path(min_length=1, max_length=MAX_HOST_CHARS)],
        holder: HolderDep,
        who: AdminName,
        reason: Annotated[str | None, Query(max_length=MAX_NOTE_CHARS)] = None,
    ) -> Withdrawal:
        """Withdraw a listing from one host: gone there within a second, still live in its
        other hosts, and withdrawn across rebuilds until approved there again."""
        _check_host(host)
        listing = _served_listing(holder, appid)
        change = GoLive(holder.deployment.log).withdraw(listing, host, who, reason)
        return Withdrawal(
            seq=change.seq,
            kind=change.kind,
            key=change.key,
            at=change.at,
            appid=appid,
            host=host,
            who=who,
            reason=reason,
        )

    @router.get("/index", response_model=IndexStatus)
    def index_status(holder: HolderDep) -> IndexStatus:
        """Current and previous version, the change log position, the lag, the replicas."""
        deployment = holder.deployment
        state = read_state(settings.home)
        last = deployment.log.last_seq()
        current = deployment.current()
        build_seq = None
        if current is not None:
            try:
                build_seq = deployment.manifest(current).change_seq
            except (ChangeLogUnavailable, StoreUnavailable):
                raise
            except IndexerError:
                build_seq = None
        served = holder.state
        applied = state.applied_seq if state is not None and state.version == current else None
        return IndexStatus(
            current=current,
            previous=deployment.previous(),
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
            changelog=deployment.log.name,
            store=deployment.store.name,
            replicas=deployment.replicas(last) if deployment.shared else [],
        )

    @router.post("/index/publish", response_model=PublishResult)
    def publish(body: PublishRequest, holder: HolderDep) -> PublishResult:
        """Publish a built version (verified; use `mpsearch index publish --golden` to gate)."""
        deployment = holder.deployment
        try:
            deployment.fetch(deployment.cache.check_name(body.version))
            Engine.open(deployment.cache, body.version, holder.dictionaries())
            deployment.publish(body.version)
        except (ChangeLogUnavailable, StoreUnavailable):
            raise
        except IndexerError as exc:
            raise BadRequest("version", str(exc)) from None
        return PublishResult(current=body.version, previous=deployment.previous())

    @router.post("/index/rollback", response_model=PublishResult)
    def rollback(holder: HolderDep) -> PublishResult:
        """Publish the previous version again."""
        deployment = holder.deployment
        try:
            target = deployment.rollback()
        except (ChangeLogUnavailable, StoreUnavailable):
            raise
        except IndexerError as exc:
            raise NotFound(str(exc)) from None
        return PublishResult(current=target, previous=deployment.previous())

    return router


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
