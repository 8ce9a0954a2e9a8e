"""The admin guard (search.admin_auth), on a probe route behind it in the real app.

Properties checked:
1. With no token configured, or a blank one, the guarded route answers 404 JSON whatever
   the credentials (admin routes are disabled).
2. With a token: no Authorization header, another scheme, an empty or wrong bearer token,
   a prefix or an extension of the right one, and non-ASCII credentials all get 401 JSON
   with ``WWW-Authenticate: Bearer`` (never a 500); the right token passes, whatever the
   case of the scheme word.
3. The comparison goes through ``hmac.compare_digest`` on bytes.
4. Neither the configured nor an offered token appears in any log record, in a response
   body, or in the repr of the settings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search import admin_auth
from search.admin_auth import require_admin
from search.api import create_app

TOKEN = "s3cr3t-Admin-Token-0123456789abcdef"
PROBE = "/v1/admin/probe"


def client_for(home: Path, token: str | None) -> TestClient:
    app = create_app(Settings(home=home, admin_token=token))

    def probe() -> dict[str, str]:
        return {"status": "ok"}

    app.add_api_route(PROBE, probe, methods=["PUT"], dependencies=[Depends(require_admin)])
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(sample_home: Path) -> Iterator[TestClient]:
    with client_for(sample_home, TOKEN) as c:
        yield c


@pytest.mark.parametrize("token", [None, "", "   "])
def test_disabled_without_token(sample_home: Path, token: str | None) -> None:
    with client_for(sample_home, token) as c:
        for header in (None, f"Bearer {TOKEN}", "Bearer ", "Bearer    "):
            headers = {"Authorization": header} if header is not None else {}
            resp = c.put(PROBE, headers=headers)
            assert resp.status_code == 404, header
            assert resp.json()["error"] == "http_error"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Basic {TOKEN}",
        f"Token {TOKEN}",
        TOKEN,
        "Bearer wrong",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN.upper()}",
        "Bearer 令牌令牌",
        "Bearer \xff\xfe",
    ],
)
def test_refused(client: TestClient, header: str | None) -> None:
    headers: dict[str, bytes] = {}
    if header is not None:
        headers["Authorization"] = header.encode("utf-8")
    resp = client.put(PROBE, headers=headers)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"
    assert resp.json()["error"] == "http_error"
    assert TOKEN not in resp.text


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_accepted(client: TestClient, scheme: str) -> None:
    resp = client.put(PROBE, headers={"Authorization": f"{scheme} {TOKEN}"})
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_compare_is_constant_time(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = admin_auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((type(a), type(b)))
        return real(a, b)

    monkeypatch.setattr(admin_auth.hmac, "compare_digest", spy)
    assert client.put(PROBE, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.put(PROBE, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert calls == [(bytes, bytes), (bytes, bytes)]


def test_tokens_never_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    offered = "Bearer offered-token-value-42"
    with caplog.at_level(logging.DEBUG):
        client.put(PROBE, headers={"Authorization": offered})
        client.put(PROBE, headers={"Authorization": f"Bearer {TOKEN}"})
        client.get("/v1/search", params={"q": "LV", "host": "jd"})
    assert any("refused admin request" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert TOKEN not in text
        assert "offered-token-value-42" not in text
    settings = Settings(home=Path("x"), admin_token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
