"""The bare endpoint with the search route's seven parameters: what FastAPI's handling of
them costs per request (``http_parts.py``), by difference with ``bare_app.py``.

(No postponed annotations here: FastAPI reads these at definition time.)
"""

from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.responses import Response

from benchmarks.bare_app import SEARCH_BODY
from search.http.limits import MAX_CATEGORY_CHARS, MAX_LIMIT, MAX_OFFSET
from search.http.routes import HostParam, RecentParam, SearchText


def create_app() -> FastAPI:
    app = FastAPI(title="parameters")

    @app.get("/v1/search")
    async def search(
        q: SearchText,
        host: HostParam,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        category: Annotated[str | None, Query(max_length=MAX_CATEGORY_CHARS)] = None,
        recent: RecentParam = None,
        debug: bool = False,
    ) -> Response:
        return Response(SEARCH_BODY, media_type="application/json")

    return app
