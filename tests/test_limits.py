"""Request limits and hostile request bytes: every one is a clear 4xx JSON error, never a 500.

Properties checked:
1. In process (TestClient): q over MAX_QUERY_CHARS after trimming or over
   MAX_RAW_QUERY_CHARS as sent, limit/offset/suggest limit out of range, too many or too long
   ``recent``, a ``recent`` item that is not an appid, an over-long host or category, a listing
   appid that is not an appid, a non-integer limit, a non-boolean debug: each is a 422 whose
   body names the field.
2. Unknown query parameters are ignored: the response equals the one without them.
3. A query string over MAX_QUERY_STRING_BYTES is a 414; a body over MAX_BODY_BYTES is a 413,
   both when announced by Content-Length and when streamed in chunks; a body within the limit
   reaches the route byte for byte (checked on an echo route added to the app).
4. Against a real `mpsearch serve`, with raw request bytes on a socket (no client library
   re-encoding anything): malformed percent-encoding (``%zz``, ``%``, ``%4``) and invalid UTF-8
   once decoded (``%ff``, a truncated sequence, an overlong form, an encoded surrogate), in a
   value, in a parameter name or in the path, give 400 JSON bodies naming the parameter;
   raw non-ASCII bytes in the request line are refused with a 400 by the HTTP parser itself;
   the 414 and 413 limits hold on the wire; valid percent-encoded Chinese and a NUL character
   are served (200). The server logs no traceback and stays healthy.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import Request
from fastapi.responses import Response
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search.http.app import create_app
from search.http.limits import (
    MAX_BODY_BYTES,
    MAX_LIMIT,
    MAX_OFFSET,
    MAX_QUERY_CHARS,
    MAX_QUERY_STRING_BYTES,
    MAX_RAW_QUERY_CHARS,
    MAX_RECENT,
    MAX_RECENT_CHARS,
    MAX_SUGGEST,
)
from tests.server_support import home_serving, serving

pytestmark = pytest.mark.slow  # hostile bytes against a real server


@pytest.fixture(scope="module")
def client(sample_home: Path) -> Iterator[TestClient]:
    app = create_app(Settings(home=sample_home))

    async def echo(request: Request) -> Response:
        body = await request.body()
        return Response(orjson.dumps({"bytes": len(body), "head": body[:16].hex()}))

    app.add_api_route("/v1/admin/echo", echo, methods=["PUT"])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def invalid(client: TestClient, path: str, field: str, **params: Any) -> dict[str, Any]:
    resp = client.get(path, params=params)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/json"
    body: dict[str, Any] = resp.json()
    assert body["error"] == "invalid_request"
    assert body["field"] == field, body
    assert body["message"]
    return body


# ------------------------------------------------------------------ 1 field limits


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "星" * (MAX_QUERY_CHARS + 1)}, "q"),
        ({"q": "a" + " " * MAX_RAW_QUERY_CHARS + "b"}, "q"),
        ({"q": "\t \u3000 "}, "q"),
        ({"limit": 0}, "limit"),
        ({"limit": MAX_LIMIT + 1}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": MAX_OFFSET + 1}, "offset"),
        ({"offset": "9" * 40}, "offset"),
        ({"host": "jd" * 20}, "host"),
        ({"host": "JD"}, "host"),
        ({"category": "类" * 33}, "category"),
        ({"debug": "maybe"}, "debug"),
        ({"recent": ",".join(f"wx{i:016x}" for i in range(MAX_RECENT + 1))}, "recent"),
        ({"recent": "a" * (MAX_RECENT_CHARS + 1)}, "recent"),
        ({"recent": "wxc2c943090d2ec70a,../../etc"}, "recent"),
        ({"recent": "WXC2C943090D2EC70A"}, "recent"),
    ],
)
def test_search_limits(client: TestClient, params: dict[str, Any], field: str) -> None:
    body = invalid(client, "/v1/search", field, **{"q": "LV", "host": "jd", **params})
    assert len(body["message"]) < 300  # the offending value is never echoed in full


def test_recent_message_names_the_bad_item(client: TestClient) -> None:
    body = invalid(client, "/v1/search", "recent", q="LV", host="jd", recent="wx1,../x")
    assert "'../x'" in body["message"]


def test_query_trimmed_to_the_limit_is_fine(client: TestClient) -> None:
    q = " " * 500 + "星" * MAX_QUERY_CHARS + " " * 400
    assert client.get("/v1/search", params={"q": q, "host": "jd"}).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": MAX_SUGGEST + 1}, "limit"),
        ({"limit": 0}, "limit"),
        ({"q": "x" * (MAX_RAW_QUERY_CHARS + 1)}, "q"),
        ({"host": "nowhere"}, "host"),
    ],
)
def test_suggest_limits(client: TestClient, params: dict[str, Any], field: str) -> None:
    invalid(client, "/v1/suggest", field, **{"q": "xbk", "host": "jd", **params})


@pytest.mark.parametrize("appid", ["WXC2C943090D2EC70A", "wx.c2c9", "wx-1", "wx_1", "ａｂｃ"])
def test_listing_appid_shape(client: TestClient, appid: str) -> None:
    resp = client.get(f"/v1/listings/{appid}")
    assert resp.status_code == 422
    assert resp.json()["field"] == "appid"


# ------------------------------------------------------------------ 2 unknown parameters


def test_unknown_parameters_are_ignored(client: TestClient) -> None:
    plain = client.get("/v1/search", params={"q": "LV", "host": "jd"}).json()
    extra = client.get(
        "/v1/search",
        params={"q": "LV", "host": "jd", "utm_source": "feed", "Q": "x", "page": "-1", "": "z"},
    ).json()
    for body in (plain, extra):
        body.pop("took_ms")
    assert extra == plain
    assert plain["brand_zone"]["brand_id"] == "louis-vuitton"


# ------------------------------------------------------------------ 3 sizes


def test_query_string_too_long(client: TestClient) -> None:
    resp = client.get("/v1/search", params={"q": "LV", "host": "jd", "pad": "x" * 20_000})
    assert resp.status_code == 414
    assert resp.json()["error"] == "uri_too_long"
    assert str(MAX_QUERY_STRING_BYTES) in resp.json()["message"]


def test_body_within_the_limit_reaches_the_route(client: TestClient) -> None:
    body = os.urandom(MAX_BODY_BYTES)
    resp = client.put("/v1/admin/echo", content=body)
    assert resp.status_code == 200
    assert resp.json() == {"bytes": MAX_BODY_BYTES, "head": body[:16].hex()}


def test_body_too_large_by_length(client: TestClient) -> None:
    resp = client.put("/v1/admin/echo", content=b"{" * (MAX_BODY_BYTES + 1))
    assert resp.status_code == 413
    assert resp.json()["error"] == "body_too_large"
    assert resp.json()["field"] == "body"


def test_body_too_large_streamed(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65_536  # 2.5 MB without a Content-Length

    resp = client.put("/v1/admin/echo", content=chunks())
    assert resp.status_code == 413
    assert resp.json()["error"] == "body_too_large"


def test_body_on_a_get_only_route_is_405_not_500(client: TestClient) -> None:
    resp = client.post("/v1/search?q=LV&host=jd", content=b"{}")
    assert resp.status_code == 405
    assert client.post("/v1/search", content=b"x" * (MAX_BODY_BYTES + 1)).status_code == 413


# ------------------------------------------------------------------ 4 real server, raw bytes


@pytest.fixture(scope="module")
def server(
    sample_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, Path]]:
    home = tmp_path_factory.mktemp("limits")
    home_serving(sample_home, home)
    with serving(home) as srv:
        yield int(srv.base_url.rsplit(":", 1)[1]), srv.log_path


def raw_request(
    port: int, target: bytes, method: bytes = b"GET", extra: bytes = b""
) -> tuple[int, bytes]:
    """Send one request with exactly these bytes; (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            method
            + b" "
            + target
            + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            + extra
            + b"\r\n"
        )
        data = b""
        while chunk := sock.recv(65_536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


BAD_QUERY_STRINGS = [
    (b"q=%ff&host=jd", "q"),
    (b"q=%E4%B8&host=jd", "q"),  # truncated sequence
    (b"q=%C0%AF&host=jd", "q"),  # overlong '/'
    (b"q=%ED%A0%80&host=jd", "q"),  # UTF-8-encoded lone surrogate
    (b"q=%F4%90%80%80&host=jd", "q"),  # beyond U+10FFFF
    (b"q=%zz&host=jd", "q"),
    (b"q=LV%&host=jd", "q"),
    (b"q=LV%4&host=jd", "q"),
    (b"q=LV&host=jd&recent=%ff", "recent"),
    (b"q=LV&host=j%ffd", "host"),
    (b"q=LV&host=jd&limit=%zz", "limit"),
    (b"q=LV&host=jd&%ff=1", "%ff"),
    (b"q=LV&host=jd&%zz=1", "%zz"),
]


@pytest.mark.parametrize(("query", "field"), BAD_QUERY_STRINGS)
@pytest.mark.parametrize("route", [b"/v1/search", b"/v1/suggest"])
def test_bad_encoding_on_the_wire(
    server: tuple[int, Path], route: bytes, query: bytes, field: str
) -> None:
    status, body = raw_request(server[0], route + b"?" + query)
    assert status == 400, body
    error = orjson.loads(body)
    assert error["error"] == "bad_encoding"
    assert error["field"] == field
    assert "percent-encoding" in error["message"] or "UTF-8" in error["message"]


@pytest.mark.parametrize(
    "path", [b"/v1/listings/%ff", b"/v1/listings/wx%C0%AF", b"/v1/listings/%zz"]
)
def test_bad_path_encoding_on_the_wire(server: tuple[int, Path], path: bytes) -> None:
    status, body = raw_request(server[0], path)
    assert status == 400, body
    assert orjson.loads(body)["field"] == "path"


def test_raw_non_ascii_request_line_is_refused(server: tuple[int, Path]) -> None:
    """Bytes the HTTP parser refuses never reach the app: a plain 400, not a 500."""
    status, _ = raw_request(server[0], b"/v1/search?q=\xff\xfe&host=jd")
    assert status == 400


def test_sizes_on_the_wire(server: tuple[int, Path]) -> None:
    port = server[0]
    status, body = raw_request(port, b"/v1/search?q=LV&host=jd&pad=" + b"x" * 20_000)
    assert status == 414 and orjson.loads(body)["error"] == "uri_too_long"
    big = str(MAX_BODY_BYTES + 1).encode()
    status, body = raw_request(
        port, b"/v1/admin/listings/wxc2c943090d2ec70a", b"PUT", b"Content-Length: " + big + b"\r\n"
    )
    assert status == 413 and orjson.loads(body)["error"] == "body_too_large"
    status, body = raw_request(port, b"/v1/search", b"PUT", b"Content-Length: 12abc\r\n")
    assert status == 400


@pytest.mark.parametrize(
    "query",
    [
        b"q=%E6%98%9F%E5%B7%B4%E5%85%8B&host=jd",  # 星巴克
        b"q=%00&host=jd",
        b"q=%F0%9F%98%80%E2%80%AE&host=jd",  # emoji, right-to-left override
        b"q=L+V&host=jd&utm=%E2%9C%93",
    ],
)
def test_valid_encodings_are_served(server: tuple[int, Path], query: bytes) -> None:
    status, body = raw_request(server[0], b"/v1/search?" + query)
    assert status == 200, body
    assert orjson.loads(body)["host"] == "jd"


def test_server_stayed_healthy(server: tuple[int, Path]) -> None:
    port, log_path = server
    for query, _ in BAD_QUERY_STRINGS:
        raw_request(port, b"/v1/search?" + query)
    status, _ = raw_request(port, b"/healthz")
    assert status == 200
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log
    assert " 500 " not in log
