"""Dependencies of the routes: the request's engine, the app's state, and credentials.

Routes name what they need with these ``Annotated`` aliases (``EngineDep``,
``SettingsDep``, ``OpsDep``, ``HolderDep``, ``AdminName``, ``ReadHost``, ``KeyHost``) and
stay thin. :func:`require_admin` is the one admin check: the admin routes and
``/v1/analytics`` share its rule. :func:`pinned_host` is the one host-key check: with
``MPSEARCH_HOST_KEYS`` every read endpoint passes it, and :func:`chosen_host` is the host
a read asks for (its key's when it names none).

Search and suggest, called on every keystroke, take the request instead and use
:func:`engine_lease`, :func:`ops_of` and :func:`host_of`: FastAPI's dependency machinery
costs about 25 µs per dependency and request (``benchmarks/http_parts.py``), as much as
all the middleware.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
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


# Dependencies are `async def`: FastAPI runs a plain `def` dependency in its thread pool,
# a hand-off that cost about 100 µs of CPU a request (`benchmarks/http_parts.py`).
async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _holder(request: Request) -> EngineHolder:
    holder: EngineHolder = request.app.state.holder
    return holder


def credentials_of(request: Request) -> Credentials:
    """The admin tokens and host keys read at start-up."""
    credentials: Credentials = request.app.state.credentials
    return credentials


async def _credentials(request: Request) -> Credentials:
    return credentials_of(request)


def ops_of(request: Request) -> Ops:
    """The worker's operations state."""
    ops: Ops = request.app.state.ops
    return ops


def engine_lease(request: Request) -> AbstractContextManager[Engine]:
    """A lease on the worker's current engine: it stays open until the lease ends, even if a
    newer one is swapped in meanwhile."""
    holder: EngineHolder = request.app.state.holder
    return holder.lease()


async def _ops(request: Request) -> Ops:
    return ops_of(request)


async def _engine(request: Request) -> AsyncIterator[Engine]:
    """The request's engine lease (:func:`engine_lease`) for the whole request. Routes that
    use it are ``async``: their work is CPU bound, so a thread pool would only add
    hand-offs, never overlap."""
    with engine_lease(request) as engine:
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


def pinned_host(credentials: Credentials, key: str | None) -> str | None:
    """The host a request's key pins, or None when read endpoints need no key.

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


def chosen_host(pinned: str | None, host: str | None) -> str:
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


def host_of(request: Request, host: str | None, key: str | None) -> str:
    """:func:`chosen_host` for the request's key, without the dependency machinery."""
    return chosen_host(pinned_host(credentials_of(request), key), host)


KeyHeader = Annotated[
    str | None, Header(alias=KEY_HEADER, description="host key (with MPSEARCH_HOST_KEYS)")
]


async def key_host(credentials: CredentialsDep, key: KeyHeader = None) -> str | None:
    """:func:`pinned_host` as a dependency (the header in the OpenAPI document)."""
    return pinned_host(credentials, key)


KeyHost = Annotated[str | None, Depends(key_host)]
HostParam = Annotated[
    str | None,
    Query(
        description="host app (default: the host of the request's key)",
        max_length=MAX_HOST_CHARS,  # the app's OpenAPI document lists the hosts
    ),
]


async def read_host(pinned: KeyHost, host: HostParam = None) -> str:
    """:func:`chosen_host` as a dependency."""
    return chosen_host(pinned, host)


ReadHost = Annotated[str, Depends(read_host)]
