"""The bare endpoint with the search route's parameters: what FastAPI's handling of them
costs per request (``http_parts.py``), by difference with ``bare_app.py``.

The endpoint takes the query parameters of ``search.http.routes.search`` itself (its
signature less the request and any dependency), so the two never drift apart.
"""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

from fastapi import FastAPI, Request
from fastapi.params import Depends
from fastapi.responses import Response

from benchmarks.bare_app import SEARCH_BODY
from search.http import routes


def create_app() -> FastAPI:
    hints = get_type_hints(routes.search, include_extras=True)
    signature = inspect.signature(routes.search)
    parameters = [
        p.replace(annotation=hints[p.name])
        for p in signature.parameters.values()
        if hints[p.name] is not Request
        and not any(isinstance(m, Depends) for m in getattr(hints[p.name], "__metadata__", ()))
    ]

    async def search(**_: Any) -> Response:
        return Response(SEARCH_BODY, media_type="application/json")

    search.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=Response
    )
    app = FastAPI(title="parameters")
    app.get("/v1/search")(search)
    return app
