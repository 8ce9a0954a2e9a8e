"""Pages for people: the preview page at ``/`` with its script and style sheet, and the
API docs (``/docs``, Swagger UI; ``/redoc``, ReDoc) from assets installed with the project
(the ``fastapi-offline`` package ships them), so every page works offline and inside an
intranet: nothing is loaded from another origin.
"""

from __future__ import annotations

from importlib import resources

import orjson
from fastapi import APIRouter, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

TITLE = "mpsearch"
OPENAPI_URL = "/openapi.json"
PAGE_ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
DOCS_PREFIX = "/docs-assets"
# The docs pages may load nothing from another origin, even what a bundle asks for on its own
# (ReDoc's footer logo comes from its CDN): the browser does not even try.
DOCS_POLICY = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "worker-src 'self' blob:; font-src 'self' data:"
}


def _page_asset(name: str) -> bytes:
    return resources.files("search.http").joinpath("static", name).read_bytes()


def _docs_asset(name: str) -> bytes:
    return resources.files("fastapi_offline").joinpath("static", name).read_bytes()


def _page(hosts: tuple[str, ...]) -> bytes:
    names = orjson.dumps(list(hosts)).decode().replace('"', "&quot;")
    return _page_asset("index.html").replace(b"__HOSTS__", names.encode())


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(DOCS_POLICY)
    return page


def make_router(hosts: tuple[str, ...]) -> APIRouter:
    """The page (its host selector offers ``hosts``) and docs routes; the assets are read
    once, here."""
    router = APIRouter(include_in_schema=False)
    page = _page(hosts)
    assets = {name: (_page_asset(name), kind) for name, kind in PAGE_ASSETS.items()}
    docs = {name: (_docs_asset(name), kind) for name, kind in DOCS_ASSETS.items()}

    def asset(table: dict[str, tuple[bytes, str]], name: str) -> Response:
        if name not in table:
            raise HTTPException(404, f"no static file {name!r}")
        body, kind = table[name]
        return Response(body, media_type=kind, headers={"Cache-Control": "no-cache"})

    @router.get("/")
    def preview() -> Response:
        """The preview page."""
        return Response(page, media_type="text/html; charset=utf-8")

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        """The page's script and style sheet (nothing else is served from here)."""
        return asset(assets, name)

    @router.get(DOCS_PREFIX + "/{name}")
    def docs_asset(name: str) -> Response:
        """Swagger UI and ReDoc, as installed."""
        return asset(docs, name)

    @router.get("/docs")
    def swagger() -> HTMLResponse:
        return _offline(
            get_swagger_ui_html(
                openapi_url=OPENAPI_URL,
                title=f"{TITLE} API",
                swagger_js_url=f"{DOCS_PREFIX}/swagger-ui-bundle.js",
                swagger_css_url=f"{DOCS_PREFIX}/swagger-ui.css",
                swagger_favicon_url=f"{DOCS_PREFIX}/favicon.png",
                # No badge from the public online validator.
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @router.get("/redoc")
    def redoc() -> HTMLResponse:
        return _offline(
            get_redoc_html(
                openapi_url=OPENAPI_URL,
                title=f"{TITLE} API",
                redoc_js_url=f"{DOCS_PREFIX}/redoc.standalone.js",
                redoc_favicon_url=f"{DOCS_PREFIX}/favicon.png",
                with_google_fonts=False,
            )
        )

    return router
