"""The bare endpoint with the search route's parameters: what FastAPI's handling of them
costs per request (``http_parts.py``), by difference with ``bare_app.py``.

The endpoint takes the parameters of ``search.http.routes.search`` itself (its signature,
less the request), so the two never drift apart.
"""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

from fastapi import FastAPI
from fastapi.responses import Response

from benchmarks.bare_app import SEARCH_BODY
from search.http import routes


def create_app() -> FastAPI:
    hints = get_type_hints(routes.search, include_extras=True)
    signature = inspect.signature(routes.search)
    parameters = [
        p.replace(annotation=hints[p.name])
        for p in signature.parameters.values()
        if p.name != "request"
    ]

    async def search(**_: Any) -> Response:
        return Response(SEARCH_BODY, media_type="application/json")

    search.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=parameters, return_annotation=Response
    )
    app = FastAPI(title="parameters")
    app.get("/v1/search")(search)
    return app
