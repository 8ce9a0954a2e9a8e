"""Dependencies of the routes: the request's engine, the app's state, and credentials.

Routes name what they need with these ``Annotated`` aliases (``EngineDep``,
``SettingsDep``, ``OpsDep``, ``HolderDep``, ``AdminName``, ``ReadHost``, ``KeyHost``) and
stay thin. :func:`require_admin` is the one admin check: the admin routes and
``/v1/analytics`` share its rule. :func:`key_host` is the one host-key check: with
``MPSEARCH_HOST_KEYS`` every read endpoint passes it, and :func:`read_host` is the host a
read asks for (its key's when it names none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Query, Request

from indexer.settings import Settings, known_hosts
from search.engine import Engine
from search.errors import BadRequest, Forbidden, NotAuthorized
from search.http.credentials import Credentials
from search.http.holder import EngineHolder
from search.http.limits import MAX_HOST_CHARS
from search.ops.wiring import Ops

KEY_HEADER = "X-Mpsearch-Key"
OPEN_ADMIN = "anonymous"  # who is recorded when no admin credentials are configured


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _holder(request: Request) -> EngineHolder:
    holder: EngineHolder = request.app.state.holder
    return holder


def _credentials(request: Request) -> Credentials:
    credentials: Credentials = request.app.state.credentials
    return credentials


def _ops(request: Request) -> Ops:
    ops: Ops = request.app.state.ops
    return ops


async def _engine(request: Request) -> AsyncIterator[Engine]:
    """The request's engine lease: the engine stays open until the request is done, even if
    a newer one is swapped in meanwhile. Routes that use it are ``async``: their work is
    CPU bound, so a thread pool would only add hand-offs, never overlap."""
    with _holder(request).lease() as engine:
        yield engine


SettingsDep = Annotated[Settings, Depends(_settings)]
HolderDep = Annotated[EngineHolder, Depends(_holder)]
OpsDep = Annotated[Ops, Depends(_ops)]
EngineDep = Annotated[Engine, Depends(_engine)]
CredentialsDep = Annotated[Credentials, Depends(_credentials)]


def require_admin(
    credentials: CredentialsDep, authorization: Annotated[str | None, Header()] = None
) -> str:
    """``Authorization: Bearer <admin token>``, compared in constant time; the token's name
    (what decisions made with it record as their author).

    The scheme is case-insensitive (RFC 9110); no credentials is 401 (with
    ``WWW-Authenticate: Bearer``), a wrong token 403. Without admin tokens the admin
    routes do not exist and ``/v1/analytics`` is open, so this passes (as ``anonymous``).
    """
    if not credentials.admin_required:
        return OPEN_ADMIN
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorized("send Authorization: Bearer <admin token>")
    name = credentials.admin_name(token)
    if name is None:
        raise Forbidden("the admin token is not valid")
    return name


AdminDep = Depends(require_admin)
AdminName = Annotated[str, Depends(require_admin)]


def key_host(
    credentials: CredentialsDep,
    key: Annotated[
        str | None, Header(alias=KEY_HEADER, description="host key (with MPSEARCH_HOST_KEYS)")
    ] = None,
) -> str | None:
    """The host the request's key pins, or None when read endpoints need no key.

    With ``MPSEARCH_HOST_KEYS``, no key or one that is not a key is 401; compared in
    constant time, never logged.
    """
    if not credentials.keys_required:
        return None
    if not key:
        raise NotAuthorized(f"send {KEY_HEADER}: <host key>", challenge=KEY_HEADER)
    host = credentials.host_of(key)
    if host is None:
        raise NotAuthorized(f"the {KEY_HEADER} is not a valid host key", challenge=KEY_HEADER)
    return host


KeyHost = Annotated[str | None, Depends(key_host)]


def read_host(
    pinned: KeyHost,
    host: Annotated[
        str | None,
        Query(
            description="host app (default: the host of the request's key)",
            max_length=MAX_HOST_CHARS,  # the app's OpenAPI document lists the hosts
        ),
    ] = None,
) -> str:
    """The host a read asks for: ``host``, else its key's; 422 for a host that is not one,
    403 for one its key does not pin."""
    hosts = known_hosts()
    if host is None:
        if pinned is None:
            raise BadRequest("host", "host is required", list(hosts))
        return pinned
    if host not in hosts:
        raise BadRequest("host", f"unknown host {host!r}", list(hosts))
    if pinned is not None and host != pinned:
        raise Forbidden(f"this key reads host {pinned!r}, not {host!r}")
    return host


ReadHost = Annotated[str, Depends(read_host)]
