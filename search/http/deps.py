"""Dependencies of the routes: the request's engine, the app's state, and admin credentials.

Routes name what they need with these ``Annotated`` aliases (``EngineDep``,
``SettingsDep``, ``OpsDep``, ``HolderDep``) and stay thin. :func:`require_admin` is the
one credential check: the admin routes and ``/v1/analytics`` share its rule.

Search and suggest, called on every keystroke, take the request instead and use
:func:`engine_lease` and :func:`ops_of`: FastAPI's dependency machinery costs about 25 µs
per dependency and request (``benchmarks/http_parts.py``), as much as all the middleware.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Header, Request

from indexer.settings import Settings
from search.engine import Engine
from search.errors import Forbidden, NotAuthorized
from search.http.holder import EngineHolder
from search.ops.wiring import Ops


# Dependencies are `async def`: FastAPI runs a plain `def` dependency in its thread pool,
# a hand-off that cost about 100 µs of CPU a request (`benchmarks/http_parts.py`).
async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _holder(request: Request) -> EngineHolder:
    holder: EngineHolder = request.app.state.holder
    return holder


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


def require_admin(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """``Authorization: Bearer <MPSEARCH_ADMIN_TOKEN>``, compared in constant time.

    The scheme is case-insensitive (RFC 9110); no credentials is 401 (with
    ``WWW-Authenticate: Bearer``), a wrong token 403. Without a configured token the
    admin routes do not exist and ``/v1/analytics`` is open, so this passes.
    """
    expected = settings.admin_token
    if not expected:
        return
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorized("send Authorization: Bearer <admin token>")
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise Forbidden("the admin token is not valid")


AdminDep = Depends(require_admin)
