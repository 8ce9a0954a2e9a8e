"""The admin API over a real index in its own home (TestClient; the lifespan runs the applier).

Properties checked:
1. Without MPSEARCH_ADMIN_TOKEN the admin routes do not exist (404).
2. No or a non-Bearer Authorization header is 401 (with WWW-Authenticate), a wrong token 403,
   both as JSON error bodies; nothing is logged to the change log. The admin routes and
   /v1/analytics share the rule, and take the scheme in any case.
3. Bad input is a 422 naming the field: appid in the path, invalid JSON, not an object,
   a catalog rule (missing field, bad hosts), body/path mismatch, unknown brand_id, an
   official listing its brand does not list, a bad brand_id slug, a duplicate alias, an
   official appid that is another brand's listing.
4. PUT of a new listing is acknowledged with the next sequence number and is then found by
   search, suggest and /v1/listings; a second PUT replaces it (old name no longer finds
   or suggests it).
5. DELETE takes a listing down: gone from search, suggest and /v1/listings (404). Taking
   down the leader of a need's sub-category (its most used listing in the host) makes the
   next most used one its leader at once.
6. PUT of a brand with a new alias: a query for the alias resolves to the brand zone. A new
   brand and its official listing PUT right after it (before the brand is applied) are
   accepted, and the brand's name then gives a brand zone with that listing.
7. GET /v1/admin/index reports current/previous, build and applied sequence, lag 0 once
   applied; publish of a bad name is 422 on `version`, rollback without previous is 404.
8. Going live per host: POST /v1/admin/golive is 201 pending (who: the token's name) and
   the listing stays absent from that host; approval makes it found there; approving or
   rejecting again is 409; GET lists by host and status; a withdrawal takes it out of that
   host only. Bad input: unknown appid 404 naming appid, unknown host 422 naming host, an
   offline or suspended listing or one live there already 409 with the reason, an unknown
   application 404, a reject without a reason 422, withdrawing from a host it is not live
   in 404. A token of MPSEARCH_ADMIN_TOKENS is recorded under its own name.
9. With a shared change log that cannot be reached, an admin write is a 503
   `changelog_unavailable` naming the log (never its password) and nothing is
   acknowledged; /readyz is 503 saying it cannot tell what to catch up to; /metrics shows
   mpsearch_changelog_available 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS
from fastapi.testclient import TestClient
from lifecycle_support import AUTH, LV_OFFICIAL, TOKEN, appids_of, new_listing, sample_listing
from lifecycle_support import wait_for as wait_until

from devcluster.ports import free_port
from indexer.build import build_index
from indexer.changelog import SqliteChangeLog
from indexer.dictionaries import Dictionaries
from indexer.settings import Settings
from indexer.store import IndexStore
from search.http.app import create_app

NEW_APPID = "wx00000000000abc01"
LV_BRAND: dict[str, Any] = {
    "brand_id": "louis-vuitton",
    "name": "路易威登",
    "aliases": ["LV", "Louis Vuitton", "驴牌", "路易·威登", "老花箱包屋"],
    "category": "奢侈品",
    "official_appids": ["wxc2c943090d2ec70a", "wxb6979e465ca80716"],
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> Path:
    home = tmp_path_factory.mktemp("admin-home")
    store = IndexStore(home)
    result = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
    assert result.version is not None
    store.publish(result.version)
    return home


@pytest.fixture(scope="module")
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=home, admin_token=TOKEN))) as c:
        yield c


def search(client: TestClient, q: str) -> dict[str, Any]:
    resp = client.get("/v1/search", params={"q": q, "host": "jd", "limit": 50})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def suggested(client: TestClient, q: str) -> list[str | None]:
    """Appids of the listings suggested for ``q`` in jd (None for brand and alias)."""
    resp = client.get("/v1/suggest", params={"q": q, "host": "jd", "limit": 20})
    assert resp.status_code == 200, resp.text
    return [s["appid"] for s in resp.json()["suggestions"]]


def wait_for(client: TestClient, what: str, check: Any) -> None:
    wait_until(what, lambda: bool(check()))


def test_disabled_without_token(home: Path) -> None:
    plain = TestClient(create_app(Settings(home=home, admin_token=None)))
    assert plain.get("/v1/admin/index", headers=AUTH).status_code == 404
    assert plain.delete(f"/v1/admin/listings/{LV_OFFICIAL}", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": f"Basic {TOKEN}"}, 401, "unauthorized"),
        ({"Authorization": "Bearer "}, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong-token"}, 403, "forbidden"),
        ({"Authorization": f"Bearer {TOKEN}x"}, 403, "forbidden"),
    ],
)
def test_auth(
    client: TestClient, home: Path, headers: dict[str, str], status: int, code: str
) -> None:
    before = SqliteChangeLog.in_home(home).last_seq()
    resp = client.delete(f"/v1/admin/listings/{LV_OFFICIAL}", headers=headers)
    assert resp.status_code == status
    assert resp.json()["error"] == code
    if status == 401:
        assert resp.headers["www-authenticate"] == "Bearer"
    assert SqliteChangeLog.in_home(home).last_seq() == before


@pytest.mark.parametrize("path", ["/v1/admin/index", "/v1/analytics"])
def test_one_rule_for_admin_and_analytics(client: TestClient, path: str) -> None:
    missing = client.get(path)
    assert (missing.status_code, missing.json()["error"]) == (401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.get(path, headers={"Authorization": "Bearer wrong-token"})
    assert (wrong.status_code, wrong.json()["error"]) == (403, "forbidden")
    for scheme in ("Bearer", "bearer", "BeArEr"):
        assert client.get(path, headers={"Authorization": f"{scheme} {TOKEN}"}).status_code == 200


def listing_body(**changes: Any) -> dict[str, Any]:
    data = new_listing(sample_listing(SAMPLE_LISTINGS, LV_OFFICIAL), NEW_APPID, "斑马测试小铺")
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/admin/listings/not-an-appid", listing_body(), "appid"),
        (f"/v1/admin/listings/{NEW_APPID}", b"{not json", "body"),
        (f"/v1/admin/listings/{NEW_APPID}", b"[1, 2]", "body"),
        (
            f"/v1/admin/listings/{NEW_APPID}",
            {k: v for k, v in listing_body().items() if k != "name"},
            "name",
        ),
        (f"/v1/admin/listings/{NEW_APPID}", listing_body(hosts=["samsung", "jd"]), "hosts"),
        (f"/v1/admin/listings/{NEW_APPID}", listing_body(appid="wx00000000000abc02"), "appid"),
        (f"/v1/admin/listings/{NEW_APPID}", listing_body(brand_id="no-such-brand"), "brand_id"),
        (
            f"/v1/admin/listings/{NEW_APPID}",
            listing_body(brand_id="louis-vuitton", official=True),
            "official",
        ),
        ("/v1/admin/brands/Bad_Slug", LV_BRAND, "brand_id"),
        ("/v1/admin/brands/louis-vuitton", {**LV_BRAND, "aliases": ["LV", "lv"]}, "aliases.1"),
        ("/v1/admin/brands/gucci", {**LV_BRAND, "brand_id": "gucci"}, "official_appids.0"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, home: Path, path: str, body: Any, field: str
) -> None:
    before = SqliteChangeLog.in_home(home).last_seq()
    if isinstance(body, bytes):
        resp = client.put(path, content=body, headers=AUTH)
    else:
        resp = client.put(path, json=body, headers=AUTH)
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == field
    assert resp.json()["error"] == "invalid_request"
    assert SqliteChangeLog.in_home(home).last_seq() == before


def test_put_then_replace_listing(client: TestClient, home: Path) -> None:
    last = SqliteChangeLog.in_home(home).last_seq()
    resp = client.put(f"/v1/admin/listings/{NEW_APPID}", json=listing_body(), headers=AUTH)
    assert resp.status_code == 200, resp.text
    ack = resp.json()
    assert (ack["seq"], ack["kind"], ack["key"]) == (last + 1, "listing_put", NEW_APPID)
    wait_for(client, "the new listing", lambda: NEW_APPID in appids_of(search(client, "斑马测试")))
    assert NEW_APPID in suggested(client, "斑马") and NEW_APPID in suggested(client, "banma")
    assert client.get(f"/v1/listings/{NEW_APPID}").json()["listing"]["name"] == "斑马测试小铺"

    renamed = listing_body(name="长颈鹿样品店", keywords=["长颈鹿样品店"])
    assert client.put(f"/v1/admin/listings/{NEW_APPID}", json=renamed, headers=AUTH).is_success
    wait_for(client, "the rename", lambda: NEW_APPID in appids_of(search(client, "长颈鹿样品")))
    assert NEW_APPID not in appids_of(search(client, "斑马测试"))
    assert NEW_APPID in suggested(client, "长颈鹿") and NEW_APPID not in suggested(client, "斑马")
    assert client.get(f"/v1/listings/{NEW_APPID}").json()["listing"]["name"] == "长颈鹿样品店"


def test_takedown(client: TestClient) -> None:
    assert LV_OFFICIAL in appids_of(search(client, "LV"))
    assert LV_OFFICIAL in suggested(client, "路易威登官")
    resp = client.delete(f"/v1/admin/listings/{LV_OFFICIAL}", headers=AUTH)
    assert resp.status_code == 200
    assert resp.json()["kind"] == "listing_delete"
    wait_for(client, "the takedown", lambda: LV_OFFICIAL not in appids_of(search(client, "LV")))
    assert client.get(f"/v1/listings/{LV_OFFICIAL}").status_code == 404
    assert LV_OFFICIAL not in suggested(client, "路易威登官")
    # The brand's other official listing takes the zone.
    assert search(client, "LV")["brand_zone"]["card"]["appid"] == "wxb6979e465ca80716"


def sample_listings() -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in SAMPLE_LISTINGS.read_bytes().splitlines()]


def test_taking_down_a_leader_makes_the_next_the_leader(client: TestClient) -> None:
    def read() -> tuple[list[str], dict[str, dict[str, Any]]]:
        params = {"q": "帮我叫个车", "host": "jd", "debug": "true", "limit": 50}
        resp = client.get("/v1/search", params=params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        return body["understanding"]["leaders"], {c["appid"]: c for c in body["results"]}

    def ride_leader(leaders: list[str], cards: dict[str, dict[str, Any]]) -> str:
        (leader,) = [a for a in leaders if a in cards and cards[a]["category"] == ["出行", "打车"]]
        assert cards[leader]["explain"]["parts"]["leader"] > 0
        return leader

    # The sample's ride-hailing listings live in jd, most used first (all national).
    ride = sorted(
        (x for x in sample_listings() if x["category"] == ["出行", "打车"] and "jd" in x["hosts"]),
        key=lambda x: -x["monthly_active_users"],
    )
    first = ride_leader(*read())
    assert first == ride[0]["appid"]
    assert client.delete(f"/v1/admin/listings/{first}", headers=AUTH).status_code == 200
    wait_for(client, "the takedown", lambda: first not in read()[1])
    assert ride_leader(*read()) == ride[1]["appid"]


def test_brand_alias_reaches_resolution(client: TestClient) -> None:
    assert search(client, "老花箱包屋")["brand_zone"] is None
    resp = client.put("/v1/admin/brands/louis-vuitton", json=LV_BRAND, headers=AUTH)
    assert resp.status_code == 200, resp.text
    assert resp.json()["kind"] == "brand_put"

    def zone() -> str | None:
        z = search(client, "老花箱包屋")["brand_zone"]
        return None if z is None else str(z["brand_id"])

    wait_for(client, "the new alias", lambda: zone() == "louis-vuitton")


def test_index_status_and_publish_routes(client: TestClient, home: Path) -> None:
    store = IndexStore(home)
    log = SqliteChangeLog.in_home(home)

    def status() -> dict[str, Any]:
        resp = client.get("/v1/admin/index", headers=AUTH)
        assert resp.status_code == 200
        body: dict[str, Any] = resp.json()
        return body

    wait_for(client, "lag 0", lambda: status()["lag"] == 0)
    body = status()
    assert body["current"] == store.current()
    assert body["previous"] is None
    assert body["build_seq"] == 0
    assert body["applied_seq"] == body["last_seq"] == log.last_seq() > 0
    assert body["serving"]["version"] == store.current()
    bad = client.post("/v1/admin/index/publish", json={"version": "../etc"}, headers=AUTH)
    assert bad.status_code == 422
    assert bad.json()["field"] == "version"
    assert client.post("/v1/admin/index/rollback", headers=AUTH).status_code == 404
    same = client.post("/v1/admin/index/publish", json={"version": store.current()}, headers=AUTH)
    assert same.status_code == 200
    assert same.json()["current"] == store.current()


def test_new_brand_then_its_official_listing(client: TestClient) -> None:
    appid = "wx00000000000abc03"
    brand = {
        "brand_id": "zebra-coffee",
        "name": "斑马咖啡",
        "aliases": ["Zebra Coffee"],
        "category": "咖啡茶饮",
        "official_appids": [appid],
    }
    assert client.put("/v1/admin/brands/zebra-coffee", json=brand, headers=AUTH).is_success
    body = new_listing(sample_listing(SAMPLE_LISTINGS, LV_OFFICIAL), appid, "斑马咖啡官方")
    body.update(brand_id="zebra-coffee", official=True, category=["咖啡茶饮"])
    resp = client.put(f"/v1/admin/listings/{appid}", json=body, headers=AUTH)
    assert resp.status_code == 200, resp.text

    def zone() -> tuple[str, str] | None:
        z = search(client, "Zebra Coffee")["brand_zone"]
        return None if z is None else (z["brand_id"], z["card"]["appid"])

    wait_for(client, "the new brand's zone", lambda: zone() == ("zebra-coffee", appid))


STARBUCKS = "wx9426f5912f0aad45"  # online in jd and qqbrowser
HK_MCDONALDS = "wxb42628c77f86e164"  # online in qqbrowser only


def found_in(client: TestClient, q: str, host: str, appid: str) -> bool:
    resp = client.get("/v1/search", params={"q": q, "host": host, "limit": 50})
    assert resp.status_code == 200, resp.text
    return appid in appids_of(resp.json())


def test_go_live_per_host(client: TestClient, home: Path) -> None:
    assert not found_in(client, "星巴克", "samsung", STARBUCKS)
    resp = client.post(
        "/v1/admin/golive",
        json={"appid": STARBUCKS, "host": "samsung", "note": "launcher slot"},
        headers=AUTH,
    )
    assert resp.status_code == 201, resp.text
    app = resp.json()
    assert {k: app[k] for k in ("appid", "host", "status", "who", "note")} == {
        "appid": STARBUCKS,
        "host": "samsung",
        "status": "pending",
        "who": "admin",
        "note": "launcher slot",
    }
    assert isinstance(app["id"], int) and app["at"]
    pending = client.get("/v1/admin/golive", params={"status": "pending"}, headers=AUTH)
    assert [a["id"] for a in pending.json()["applications"]] == [app["id"]]
    assert client.get("/v1/admin/golive", params={"host": "jd"}, headers=AUTH).json() == {
        "applications": []
    }
    assert not found_in(client, "星巴克", "samsung", STARBUCKS)  # pending: not live yet
    approved = client.post(f"/v1/admin/golive/{app['id']}/approve", headers=AUTH)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "admin")
    wait_for(client, "live in samsung", lambda: found_in(client, "星巴克", "samsung", STARBUCKS))
    for verb, body in (("approve", None), ("reject", {"reason": "late"})):
        again = client.post(f"/v1/admin/golive/{app['id']}/{verb}", json=body, headers=AUTH)
        assert again.status_code == 409 and again.json()["error"] == "conflict"
        assert "already approved by admin" in again.json()["message"]

    out = client.delete(f"/v1/admin/listings/{STARBUCKS}/hosts/jd", headers=AUTH)
    assert out.status_code == 200, out.text
    assert {k: out.json()[k] for k in ("kind", "appid", "host", "who")} == {
        "kind": "host_withdraw",
        "appid": STARBUCKS,
        "host": "jd",
        "who": "admin",
    }
    wait_for(client, "gone from jd", lambda: not found_in(client, "星巴克", "jd", STARBUCKS))
    assert found_in(client, "星巴克", "qqbrowser", STARBUCKS)
    assert found_in(client, "星巴克", "samsung", STARBUCKS)
    again = client.delete(f"/v1/admin/listings/{STARBUCKS}/hosts/jd", headers=AUTH)
    assert again.status_code == 404 and again.json()["field"] == "host"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field", "says"),
    [
        (
            "post",
            "/v1/admin/golive",
            {"appid": "wx00000000000fff01", "host": "jd"},
            404,
            "appid",
            "no listing",
        ),
        (
            "post",
            "/v1/admin/golive",
            {"appid": "not an appid", "host": "jd"},
            422,
            "appid",
            "is not an appid",
        ),
        (
            "post",
            "/v1/admin/golive",
            {"appid": STARBUCKS, "host": "tiktok"},
            422,
            "host",
            "unknown host",
        ),
        ("post", "/v1/admin/golive", {"appid": STARBUCKS}, 422, "host", "Field required"),
        (
            "post",
            "/v1/admin/golive",
            {"appid": "wxededa1df3318a9b8", "host": "samsung"},
            409,
            None,
            "is offline",
        ),
        (
            "post",
            "/v1/admin/golive",
            {"appid": "wx2d83d3f10710f836", "host": "jd"},
            409,
            None,
            "is suspended",
        ),
        (
            "post",
            "/v1/admin/golive",
            {"appid": HK_MCDONALDS, "host": "qqbrowser"},
            409,
            None,
            "already live in qqbrowser",
        ),
        (
            "post",
            "/v1/admin/golive/999999/approve",
            None,
            404,
            "id",
            "no go-live application 999999",
        ),
        ("post", "/v1/admin/golive/0/approve", None, 422, "id", "greater than or equal to 1"),
        ("post", "/v1/admin/golive/1/reject", {}, 422, "reason", "Field required"),
        ("post", "/v1/admin/golive/1/reject", {"reason": "  "}, 422, "reason", "pattern"),
        (
            "delete",
            f"/v1/admin/listings/{HK_MCDONALDS}/hosts/jd",
            None,
            404,
            "host",
            "not live in jd",
        ),
        (
            "delete",
            f"/v1/admin/listings/{HK_MCDONALDS}/hosts/qqbrowser",
            None,
            409,
            None,
            "live only in qqbrowser",
        ),
        (
            "delete",
            f"/v1/admin/listings/{HK_MCDONALDS}/hosts/tiktok",
            None,
            422,
            "host",
            "unknown host",
        ),
        (
            "delete",
            "/v1/admin/listings/wx00000000000fff01/hosts/jd",
            None,
            404,
            "appid",
            "no listing",
        ),
    ],
)
def test_go_live_bad_input(
    client: TestClient,
    home: Path,
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str | None,
    says: str,
) -> None:
    before = SqliteChangeLog.in_home(home).last_seq()
    resp = client.request(method, path, json=body, headers=AUTH)
    assert resp.status_code == status, resp.text
    assert resp.json().get("field") == field
    assert says in resp.json()["message"]
    assert SqliteChangeLog.in_home(home).last_seq() == before


def test_named_admin_tokens(home: Path, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"ops-token-5b7c9d1e3f": "ops-alice"}', encoding="utf-8")
    settings = Settings(home=home, admin_token=TOKEN, admin_tokens=tokens)
    with TestClient(create_app(settings)) as named:
        alice = {"Authorization": "Bearer ops-token-5b7c9d1e3f"}
        resp = named.post(
            "/v1/admin/golive", json={"appid": HK_MCDONALDS, "host": "jd"}, headers=alice
        )
        assert resp.status_code == 201 and resp.json()["who"] == "ops-alice"
        listed = named.get("/v1/admin/golive", params={"host": "jd"}, headers=AUTH)
        assert [a["who"] for a in listed.json()["applications"]] == ["ops-alice"]
        rejected = named.post(
            f"/v1/admin/golive/{resp.json()['id']}/reject", json={"reason": "no"}, headers=AUTH
        )
        assert (rejected.json()["decided_by"], rejected.json()["reason"]) == ("admin", "no")


def test_shared_log_unreachable(home: Path) -> None:
    port = free_port()  # nothing listens there
    settings = Settings(
        home=home / "replica",
        admin_token=TOKEN,
        changelog_url=f"postgresql://mpsearch:s3cret@127.0.0.1:{port}/mpsearch",
    )
    with TestClient(create_app(settings)) as replica:
        down = replica.delete(f"/v1/admin/listings/{LV_OFFICIAL}", headers=AUTH)
        assert down.status_code == 503
        body = down.json()
        assert body["error"] == "changelog_unavailable"
        assert f"change log postgresql://mpsearch@127.0.0.1:{port}/mpsearch" in body["message"]
        assert "not recorded" in body["message"] and "s3cret" not in down.text
        ready = replica.get("/readyz")
        assert ready.status_code == 503
        assert f"127.0.0.1:{port}/mpsearch is unavailable" in ready.json()["message"]
        assert "mpsearch_changelog_available 0.0" in replica.get("/metrics").text
