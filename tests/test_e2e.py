"""End to end: the real CLI builds and publishes an index, `mpsearch serve` serves it.

Properties checked:
1. `mpsearch index build` (the venv's console script) of the sample catalog into a fresh
   MPSEARCH_HOME and `index publish --latest` both exit 0 and set `current`.
2. `mpsearch serve` with that MPSEARCH_HOME becomes ready: `/readyz` answers 200 with the
   published version.
3. Over HTTP, `q=LV&host=jd` puts the Louis Vuitton official mini-program
   (wxc2c943090d2ec70a) first, in the brand zone; `q=路易威登` and the full-width `q=ＬＶ` give
   the same brand zone card.
4. An invalid request (unknown host) is a 422 JSON body naming the field.
5. The server is stopped (SIGTERM, then SIGKILL after a timeout) whatever happens.
6. A need query is read with the version's category model (its understanding names
   categories) and answered as the version's engine answers it in process; so is every
   dev golden query (brand zone and results).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import GOLDEN, SAMPLE_BRANDS, SAMPLE_LISTINGS

from indexer.store import IndexStore
from search.engine import Engine, SearchRequest
from search.relevance.eval import load_golden
from tests.server_support import run_cli, serving

pytestmark = pytest.mark.slow  # a real server end to end

LV_OFFICIAL = "wxc2c943090d2ec70a"


@pytest.fixture(scope="module")
def e2e_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-home")


@pytest.fixture(scope="module")
def env(e2e_home: Path) -> dict[str, str]:
    return {**os.environ, "MPSEARCH_HOME": str(e2e_home), "PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def published(e2e_home: Path, env: dict[str, str]) -> str:
    built = run_cli(
        env, "index", "build", "--listings", str(SAMPLE_LISTINGS), "--brands", str(SAMPLE_BRANDS)
    )
    assert built.returncode == 0, built.stderr
    (version,) = IndexStore(e2e_home).versions()
    assert version in built.stdout
    pub = run_cli(env, "index", "publish", "--latest")
    assert pub.returncode == 0, pub.stderr
    assert f"published {version}" in pub.stdout
    assert IndexStore(e2e_home).current() == version
    return version


@pytest.fixture(scope="module")
def server(published: str, e2e_home: Path) -> Iterator[httpx.Client]:
    with (
        serving(e2e_home) as srv,
        httpx.Client(base_url=srv.base_url, timeout=5.0) as client,
    ):
        yield client


def test_readyz_serves_published_version(server: httpx.Client, published: str) -> None:
    resp = server.get("/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ready"
    assert body["index_version"] == published
    assert body["docs"] == 624


def test_lv_brand_zone_first(server: httpx.Client, published: str) -> None:
    resp = server.get("/v1/search", params={"q": "LV", "host": "jd"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert body["index_version"] == published
    zone = body["brand_zone"]
    assert zone["brand_id"] == "louis-vuitton"
    assert zone["card"]["appid"] == LV_OFFICIAL
    assert zone["card"]["name"] == "路易威登官方精品店"
    assert zone["card"]["official"] is True
    assert LV_OFFICIAL not in [c["appid"] for c in body["results"]]


@pytest.mark.parametrize("q", ["路易威登", "ＬＶ"])
def test_other_forms_give_same_zone(server: httpx.Client, q: str) -> None:
    resp = server.get("/v1/search", params={"q": q, "host": "jd"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["query"] == q
    assert body["brand_zone"]["brand_id"] == "louis-vuitton"
    assert body["brand_zone"]["card"]["appid"] == LV_OFFICIAL
    assert LV_OFFICIAL not in [c["appid"] for c in body["results"]]


def test_fullwidth_is_normalized(server: httpx.Client) -> None:
    full = server.get("/v1/search", params={"q": "ＬＶ", "host": "jd"}).json()
    half = server.get("/v1/search", params={"q": "LV", "host": "jd"}).json()
    assert full["normalized"] == half["normalized"] == "lv"
    assert [c["appid"] for c in full["results"]] == [c["appid"] for c in half["results"]]


def test_a_need_query_is_read_with_the_category_model(server: httpx.Client, engine: Engine) -> None:
    """What the server answers for a need query is what the version's engine answers: the
    serving copy reads the query's categories too."""
    q = "想吃水果懒得出门"
    body = server.get("/v1/search", params={"q": q, "host": "jd", "debug": "true"}).json()
    assert body["understanding"]["categories"], body["understanding"]
    local = engine.search(SearchRequest(q=q, host="jd"))
    assert [c["appid"] for c in body["results"]] == [c.appid for c in local.results]


def test_the_server_answers_every_golden_query_as_the_engine_does(
    server: httpx.Client, engine: Engine
) -> None:
    """The serving path (a serving copy, the HTTP layer) changes no answer: every golden
    query, brands and needs, gets the in-process engine's brand zone and results."""
    differ = []
    for g in load_golden(GOLDEN):
        body = server.get("/v1/search", params={"q": g.query, "host": g.host}).json()
        served = [c["appid"] for c in body["results"]]
        zone = (body["brand_zone"] or {}).get("card", {}).get("appid")
        local = engine.search(SearchRequest(q=g.query, host=g.host))
        mine = local.brand_zone.card.appid if local.brand_zone else None
        if (zone, served) != (mine, [c.appid for c in local.results]):
            differ.append(g.id)
    assert differ == []


def test_invalid_request_is_422_json(server: httpx.Client) -> None:
    resp = server.get("/v1/search", params={"q": "LV", "host": "nowhere"})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert body["error"] == "invalid_request"
    assert body["field"] == "host"
    assert body["allowed"] == ["jd", "qqbrowser", "samsung"]
    missing = server.get("/v1/search", params={"host": "jd"})
    assert missing.status_code == 422
    assert missing.json()["field"] == "q"
