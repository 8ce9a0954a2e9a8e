"""Where errors become HTTP answers: every exception a request can raise on purpose is
mapped to its status here, and answered with :func:`search.http.responses.error_response`.

=======================  ======  ============================================
raised                   status  body ``error``
=======================  ======  ============================================
RequestValidationError   422     ``invalid_request``, ``field`` from pydantic
BadRequest               422     ``invalid_request``, its field (and allowed)
NotAuthorized            401     ``unauthorized`` + ``WWW-Authenticate`` (its challenge)
Forbidden                403     ``forbidden``
NotFound                 404     ``not_found``
DecisionNotFound         404     ``not_found`` (no such application, not live there)
DecisionConflict         409     ``conflict``, the reason
NotReady                 503     ``not_ready``
ChangeLogUnavailable     503     ``changelog_unavailable``, naming the log
StoreUnavailable         503     ``store_unavailable``, naming the store
Starlette HTTPException  as is   ``http_error`` (unknown route, wrong method)
=======================  ======  ============================================

Refusals of the request guard (400, 413, 414) and the safety net's 500
(``search.http.middleware``) use the same builder.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.errors import (
    ChangeLogUnavailable,
    DecisionConflict,
    DecisionNotFound,
    StoreUnavailable,
)
from search.errors import BadRequest, Forbidden, NotAuthorized, NotFound, NotReady
from search.http.responses import JSONBody, error_response


async def _invalid(_: Request, exc: Exception) -> JSONBody:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body", "header")]
    field = ".".join(loc) or None
    return error_response(422, "invalid_request", f"{field}: {first.get('msg', 'invalid')}", field)


async def _bad(_: Request, exc: Exception) -> JSONBody:
    assert isinstance(exc, BadRequest)
    return error_response(422, "invalid_request", str(exc), exc.field, exc.allowed)


async def _unauthorized(_: Request, exc: Exception) -> JSONBody:
    assert isinstance(exc, NotAuthorized)
    return error_response(
        401, "unauthorized", str(exc), headers={"WWW-Authenticate": exc.challenge}
    )


async def _forbidden(_: Request, exc: Exception) -> JSONBody:
    return error_response(403, "forbidden", str(exc))


async def _not_found(_: Request, exc: Exception) -> JSONBody:
    return error_response(404, "not_found", str(exc), getattr(exc, "field", None))


async def _conflict(_: Request, exc: Exception) -> JSONBody:
    return error_response(409, "conflict", str(exc))


async def _not_ready(_: Request, exc: Exception) -> JSONBody:
    return error_response(503, "not_ready", str(exc))


async def _log_unavailable(_: Request, exc: Exception) -> JSONBody:
    # Nothing was acknowledged: the client may retry the same update once the log is back.
    return error_response(503, "changelog_unavailable", f"{exc}; the update was not recorded")


async def _store_unavailable(_: Request, exc: Exception) -> JSONBody:
    return error_response(503, "store_unavailable", str(exc))


async def _http(_: Request, exc: Exception) -> JSONBody:
    assert isinstance(exc, StarletteHTTPException)
    # Starlette's own refusals (no such route, method not allowed with its `Allow`).
    return error_response(exc.status_code, "http_error", str(exc.detail), headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map the errors above to their answers in ``app``."""
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(BadRequest, _bad)
    app.add_exception_handler(NotAuthorized, _unauthorized)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(DecisionNotFound, _not_found)
    app.add_exception_handler(DecisionConflict, _conflict)
    app.add_exception_handler(NotReady, _not_ready)
    app.add_exception_handler(ChangeLogUnavailable, _log_unavailable)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(StarletteHTTPException, _http)
