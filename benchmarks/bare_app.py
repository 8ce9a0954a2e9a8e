"""The web-stack floor: FastAPI answering /v1/search and /v1/suggest with a fixed body.

Same framework, server, worker count and JSON rendering (orjson) as ``mpsearch serve``,
but no search: the difference between the two is what searching costs over HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, Query
from fastapi.responses import Response

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "catalog" / "listings.jsonl"
CARD_FIELDS = (
    "appid", "platform", "name", "icon_url", "entry_path", "official", "brand_id", "category",
    "description", "showcase",
)  # fmt: skip


def _cards(n: int) -> list[dict[str, Any]]:
    cards = []
    for line in SAMPLE.read_bytes().splitlines()[:n]:
        listing = orjson.loads(line)
        card = {k: listing[k] for k in CARD_FIELDS}
        card.update(name_highlight=listing["name"], recently_used=False, score=1.0)
        cards.append(card)
    return cards


SEARCH_BODY = orjson.dumps(
    {"query": "", "normalized": "", "host": "jd", "brand_zone": None, "results": _cards(10),
     "total": 10, "total_relation": "eq", "took_ms": 0.0, "index_version": "bare"}
)  # fmt: skip
SUGGEST_BODY = orjson.dumps(
    {"query": "", "suggestions": [{"text": c["name"], "kind": "listing", "appid": c["appid"]}
                                  for c in _cards(8)]}
)  # fmt: skip


def create_app() -> FastAPI:
    """An app whose answers are rendered once, at import. Its routes are ``async`` like
    mpsearch's (a plain ``def`` route would add a thread-pool hand-off to every request)."""
    app = FastAPI(title="bare")

    @app.get("/v1/search")
    async def search(q: Annotated[str, Query(max_length=1024)], host: str) -> Response:
        return Response(SEARCH_BODY, media_type="application/json")

    @app.get("/v1/suggest")
    async def suggest(q: Annotated[str, Query(max_length=1024)], host: str) -> Response:
        return Response(SUGGEST_BODY, media_type="application/json")

    @app.get("/readyz")
    async def readyz() -> Response:
        return Response(b'{"status":"ready"}', media_type="application/json")

    return app
