"""search.http (app, routes, errors) through a TestClient over the sample index (the lifespan
opens the index).

Properties checked:
1. `GET /v1/search?q=LV&host=jd` is 200 with a brand zone for louis-vuitton whose card is
   the official wxc2c943090d2ec70a, and that card is not repeated in `results`.
2. The response has exactly the keys of PRODUCT.md, and every card exactly the card keys
   (no `explain` key at all unless debug=true), also when there is no brand zone.
3. Every returned card is online and live in the requested host (checked through
   `GET /v1/listings/{appid}`); on host samsung, 星巴克 / 麦当劳 / 茶 never return a listing
   that is not live in samsung although such listings match by name.
4. Validation gives 422 with a JSON body naming the field: missing q, q of only spaces,
   q of 65 characters (64 is fine), unknown host (with `allowed`), limit 0 / 51,
   negative offset, 51 recent appids.
5. `recent=appid` marks that card (and only it) `recently_used`.
6. `debug=true` adds `explain` with `matches` and `parts` to every card.
7. `GET /v1/listings/{appid}` is 200 with the listing and the index version; an unknown
   appid is a 404 JSON error body.
8. `/healthz` is 200; `/readyz` is 200 with the served index version.
9. An app whose home has no published index answers /readyz and /v1/search with 503 and a
   JSON error body, while /healthz stays 200.
10. Unknown routes and methods get JSON error bodies; a 405 keeps its `Allow` header.
11. `GET /v1/discover?host=jd` has exactly the keys of PRODUCT.md with full cards, every
    one online and live in jd; `category=` narrows (its cards all have it); `recent=`
    puts that listing first, flagged; a search's `facets` add up to its `total`. Bad
    input is a 422 naming the field (missing or unknown host, limit, offset, recent).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_LISTINGS
from fastapi.testclient import TestClient

from indexer.settings import Settings
from indexer.store import IndexStore
from search.http.app import create_app

LV_OFFICIAL = "wxc2c943090d2ec70a"
RESPONSE_KEYS = {
    "query",
    "normalized",
    "host",
    "brand_zone",
    "results",
    "total",
    "total_relation",
    "facets",
    "took_ms",
    "index_version",
}
ZONE_KEYS = {"brand_id", "brand_name", "matched", "card"}
CARD_KEYS = {
    "appid",
    "platform",
    "name",
    "name_highlight",
    "icon_url",
    "entry_path",
    "official",
    "brand_id",
    "category",
    "description",
    "showcase",
    "recently_used",
    "score",
}
ERROR_KEYS = {"error", "message"}


@pytest.fixture(scope="module")
def client(sample_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=sample_home))) as c:
        yield c


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict[str, Any]]:
    with SAMPLE_LISTINGS.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return {row["appid"]: row for row in rows}


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    resp = client.get("/v1/search", params=params)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json"
    body: dict[str, Any] = resp.json()
    return body


def cards_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    zone = [body["brand_zone"]["card"]] if body["brand_zone"] else []
    return zone + body["results"]


def invalid(client: TestClient, field: str, **params: Any) -> dict[str, Any]:
    resp = client.get("/v1/search", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/json"
    body: dict[str, Any] = resp.json()
    assert body["error"] == "invalid_request"
    assert body["field"] == field
    assert body["message"]
    return body


# 1. brand zone


def test_lv_on_jd_has_louis_vuitton_zone(client: TestClient, sample_home: Path) -> None:
    body = search(client, q="LV", host="jd")
    zone = body["brand_zone"]
    assert zone is not None
    assert zone["brand_id"] == "louis-vuitton"
    assert zone["brand_name"] == "路易威登"
    assert zone["matched"] == "LV"
    assert zone["card"]["appid"] == LV_OFFICIAL
    assert zone["card"]["name"] == "路易威登官方精品店"
    assert zone["card"]["official"] is True
    assert zone["card"]["brand_id"] == "louis-vuitton"
    assert body["query"] == "LV"
    assert body["normalized"] == "lv"
    assert body["host"] == "jd"
    assert body["index_version"] == IndexStore(sample_home).current()
    assert isinstance(body["took_ms"], float)
    assert body["took_ms"] >= 0


def test_zone_card_not_repeated_in_results(client: TestClient) -> None:
    body = search(client, q="LV", host="jd", limit=50)
    appids = [c["appid"] for c in body["results"]]
    assert appids, "LV should have more matches than the zone card"
    assert LV_OFFICIAL not in appids
    assert len(appids) == len(set(appids))
    # total counts the results, without the zone card
    assert body["total"] == len(appids)


def test_zone_card_not_on_later_pages(client: TestClient) -> None:
    first = search(client, q="LV", host="jd", limit=3, offset=0)
    second = search(client, q="LV", host="jd", limit=3, offset=3)
    assert second["brand_zone"]["card"]["appid"] == LV_OFFICIAL
    page1 = [c["appid"] for c in first["results"]]
    page2 = [c["appid"] for c in second["results"]]
    assert len(page1) == 3
    assert page2
    assert not set(page1) & set(page2)
    assert LV_OFFICIAL not in page1 + page2


# 2. response shape


def test_response_and_card_keys(client: TestClient) -> None:
    body = search(client, q="LV", host="jd")
    assert set(body) == RESPONSE_KEYS
    assert set(body["brand_zone"]) == ZONE_KEYS
    cards = cards_of(body)
    assert len(cards) >= 2
    for card in cards:
        assert set(card) == CARD_KEYS, card["appid"]
        assert isinstance(card["score"], float)
        assert isinstance(card["showcase"], list)
        assert isinstance(card["category"], list)
        assert card["recently_used"] is False
    assert body["brand_zone"]["card"]["name_highlight"] == "<em>路易威登</em>官方精品店"


def test_no_zone_response_keys(client: TestClient) -> None:
    body = search(client, q="a" * 64, host="jd")
    assert set(body) == RESPONSE_KEYS
    assert body["brand_zone"] is None
    assert body["results"] == []
    assert body["total"] == 0


def test_cards_without_zone_have_card_keys(client: TestClient) -> None:
    body = search(client, q="茶", host="jd")
    assert body["results"]
    for card in body["results"]:
        assert set(card) == CARD_KEYS


# 3. only online listings live in the host


def test_cards_are_online_and_in_host(client: TestClient) -> None:
    body = search(client, q="LV", host="jd", limit=50)
    for card in cards_of(body):
        resp = client.get(f"/v1/listings/{card['appid']}")
        assert resp.status_code == 200
        listing = resp.json()["listing"]
        assert listing["status"] == "online", card["appid"]
        assert "jd" in listing["hosts"], card["appid"]


@pytest.mark.parametrize("q", ["星巴克", "麦当劳", "茶"])
def test_samsung_only_returns_samsung_listings(
    client: TestClient, catalog: dict[str, dict[str, Any]], q: str
) -> None:
    body = search(client, q=q, host="samsung", limit=50)
    cards = cards_of(body)
    assert cards, f"{q} should match listings live in samsung"
    returned = {c["appid"] for c in cards}
    for appid in returned:
        listing = client.get(f"/v1/listings/{appid}").json()["listing"]
        assert listing["status"] == "online", appid
        assert "samsung" in listing["hosts"], appid
    # listings that match by name but are not live in samsung exist and are filtered out
    not_live = {
        appid
        for appid, row in catalog.items()
        if q in row["name"] and (row["status"] != "online" or "samsung" not in row["hosts"])
    }
    assert not_live
    assert not returned & not_live
    # and those named listings that are live in samsung are found
    live = {
        appid
        for appid, row in catalog.items()
        if q in row["name"] and row["status"] == "online" and "samsung" in row["hosts"]
    }
    assert live <= returned


# 4. validation


def test_missing_q(client: TestClient) -> None:
    invalid(client, "q", host="jd")


def test_blank_q(client: TestClient) -> None:
    body = invalid(client, "q", q="   ", host="jd")
    assert "empty" in body["message"]


def test_q_length_limit(client: TestClient) -> None:
    body = invalid(client, "q", q="a" * 65, host="jd")
    assert "65" in body["message"]
    assert "64" in body["message"]
    assert search(client, q="a" * 64, host="jd")["query"] == "a" * 64


def test_q_is_trimmed_before_the_length_check(client: TestClient) -> None:
    body = search(client, q="  " + "a" * 64 + "  ", host="jd")
    assert body["query"] == "a" * 64


def test_unknown_host(client: TestClient) -> None:
    body = invalid(client, "host", q="LV", host="wechat")
    assert body["allowed"] == ["jd", "qqbrowser", "samsung"]


def test_missing_host(client: TestClient) -> None:
    invalid(client, "host", q="LV")


@pytest.mark.parametrize("limit", [0, 51])
def test_limit_bounds(client: TestClient, limit: int) -> None:
    invalid(client, "limit", q="LV", host="jd", limit=limit)


def test_limit_50_is_fine(client: TestClient) -> None:
    assert search(client, q="LV", host="jd", limit=50)["results"]


def test_negative_offset(client: TestClient) -> None:
    invalid(client, "offset", q="LV", host="jd", offset=-1)


def test_too_many_recent(client: TestClient) -> None:
    ids = ",".join(f"wx{i:016x}" for i in range(51))
    body = invalid(client, "recent", q="LV", host="jd", recent=ids)
    assert "51" in body["message"]
    ok = ",".join(f"wx{i:016x}" for i in range(50))
    assert search(client, q="LV", host="jd", recent=ok)["brand_zone"] is not None


# 5. recent


def test_recent_marks_card(client: TestClient) -> None:
    baseline = search(client, q="LV", host="jd")
    target = baseline["results"][1]["appid"]
    body = search(client, q="LV", host="jd", recent=target)
    flags = {c["appid"]: c["recently_used"] for c in cards_of(body)}
    assert flags[target] is True
    assert [a for a, used in flags.items() if used] == [target]


def test_recent_marks_zone_card(client: TestClient) -> None:
    body = search(client, q="LV", host="jd", recent=f" {LV_OFFICIAL} ,")
    assert body["brand_zone"]["card"]["recently_used"] is True
    assert all(c["recently_used"] is False for c in body["results"])


# 6. debug


def test_debug_adds_explain(client: TestClient) -> None:
    body = search(client, q="LV", host="jd", debug="true")
    cards = cards_of(body)
    assert cards
    for card in cards:
        assert set(card) == CARD_KEYS | {"explain"}
        explain = card["explain"]
        assert explain["matches"]
        assert {"unit", "field", "form", "weight"} <= set(explain["matches"][0])
        assert isinstance(explain["parts"], dict)
        assert explain["parts"]
    zone_explain = body["brand_zone"]["card"]["explain"]
    assert zone_explain["matches"][0]["unit"] == "lv"
    assert zone_explain["parts"]["brand"] > 0


# 7. listings


def test_listing_found(client: TestClient, sample_home: Path) -> None:
    resp = client.get(f"/v1/listings/{LV_OFFICIAL}")
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"listing", "index_version"}
    assert body["index_version"] == IndexStore(sample_home).current()
    listing = body["listing"]
    assert listing["appid"] == LV_OFFICIAL
    assert listing["name"] == "路易威登官方精品店"
    assert listing["brand_id"] == "louis-vuitton"
    assert listing["hosts"] == ["jd", "qqbrowser", "samsung"]


def test_listing_not_found(client: TestClient) -> None:
    resp = client.get("/v1/listings/wx0000000000000000")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert body["error"] == "not_found"
    assert "wx0000000000000000" in body["message"]


def test_listing_appid_too_long(client: TestClient) -> None:
    resp = client.get("/v1/listings/" + "x" * 65)
    assert resp.status_code == 422
    assert resp.json()["field"] == "appid"


# 8. health


def test_healthz(client: TestClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_readyz(client: TestClient, sample_home: Path) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ready"
    assert body["index_version"] == IndexStore(sample_home).current()
    assert body["docs"] == 624


# 9. not ready


def test_no_published_index_is_503(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(home=tmp_path))) as c:
        assert c.get("/healthz").status_code == 200
        for path, params in (("/readyz", {}), ("/v1/search", {"q": "LV", "host": "jd"})):
            resp = c.get(path, params=params)
            assert resp.status_code == 503, path
            assert resp.headers["content-type"] == "application/json"
            body = resp.json()
            assert set(body) >= ERROR_KEYS
            assert body["error"] == "not_ready"
            assert "no index" in body["message"]


# 10. other errors


def test_unknown_route_is_json_404(client: TestClient) -> None:
    resp = client.get("/v1/nothing")
    assert resp.status_code == 404
    assert resp.json()["error"] == "http_error"


def test_wrong_method_is_json_405_with_allow(client: TestClient) -> None:
    resp = client.post("/v1/search")
    assert resp.status_code == 405
    assert resp.json()["error"] == "http_error"
    assert resp.headers["allow"] == "GET"


def test_suggest_endpoint(client: TestClient) -> None:
    r = client.get("/v1/suggest", params={"q": "xbk", "host": "jd", "limit": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == "xbk"
    assert body["suggestions"][0] == {"text": "星巴克", "kind": "brand", "appid": None}
    assert len(body["suggestions"]) <= 3
    bad = client.get("/v1/suggest", params={"q": "x", "host": "jd", "limit": 21})
    assert bad.status_code == 422 and bad.json()["field"] == "limit"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_are_served_from_here(client: TestClient, path: str) -> None:
    """The docs pages name no other origin; the assets they load are served here."""
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert (
        "http://" not in page.text
        and "https://" not in page.text
        and "//" not in (page.text.replace("<!--", "").replace("-->", ""))
    )
    assets = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert assets and all(a.startswith("/docs-assets/") for a in assets)
    for asset in assets:
        resp = client.get(asset)
        assert resp.status_code == 200 and len(resp.content) > 1000, asset
    assert client.get("/docs-assets/nope.js").status_code == 404


# 11. discovery and facets

DISCOVER_KEYS = {"host", "category", "results", "total", "total_relation", "index_version"}


def test_discover(client: TestClient, catalog: dict[str, dict[str, Any]]) -> None:
    resp = client.get("/v1/discover", params={"host": "jd"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == DISCOVER_KEYS
    assert (body["host"], body["category"], body["total_relation"]) == ("jd", None, "eq")
    assert len(body["results"]) == 10
    for card in body["results"]:
        assert set(card) == CARD_KEYS
        listing = catalog[card["appid"]]
        assert listing["status"] == "online" and "jd" in listing["hosts"]
    live = [a for a, row in catalog.items() if row["status"] == "online" and "jd" in row["hosts"]]
    assert body["total"] == len(live)
    coffee = client.get("/v1/discover", params={"host": "jd", "category": "咖啡", "limit": 50})
    assert coffee.json()["results"]
    assert all("咖啡" in c["category"] for c in coffee.json()["results"])
    last = coffee.json()["results"][-1]["appid"]
    mine = client.get("/v1/discover", params={"host": "jd", "category": "咖啡", "recent": last})
    first = mine.json()["results"][0]
    assert (first["appid"], first["recently_used"]) == (last, True)


def test_search_facets_add_up(client: TestClient) -> None:
    body = search(client, q="咖啡", host="jd")
    counts = body["facets"]["category"]
    assert counts and sum(c["count"] for c in counts) == body["total"]
    assert {"value", "count"} == set(counts[0])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "host"),
        ({"host": "xx"}, "host"),
        ({"host": "jd", "limit": 0}, "limit"),
        ({"host": "jd", "limit": 51}, "limit"),
        ({"host": "jd", "offset": -1}, "offset"),
        ({"host": "jd", "recent": "not an appid"}, "recent"),
    ],
)
def test_discover_bad_input(client: TestClient, params: dict[str, Any], field: str) -> None:
    resp = client.get("/v1/discover", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == field
