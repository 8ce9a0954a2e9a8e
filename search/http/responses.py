"""JSON responses of the HTTP API, and the one builder of every error body.

Every refusal the service sends, from the request guard, a route, a dependency, an
exception handler or the safety net, is built by :func:`error_response`, so each
answers in the same ``{"error", "message", "field"?, "allowed"?}`` shape
(:class:`search.models.ErrorBody`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi.responses import Response

from search.models import ErrorBody


class JSONBody(Response):
    """JSON rendered with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    allowed: list[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONBody:
    """The JSON error answer: what was wrong (``code``, ``message``) and where (``field``)."""
    body = ErrorBody(error=code, message=message, field=field, allowed=allowed)
    return JSONBody(body.model_dump(exclude_none=True), status_code=status, headers=headers)
