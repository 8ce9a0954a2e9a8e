"""Query analytics (search/analytics.py), `GET /v1/analytics` and `mpsearch analytics`.

Properties checked:
1. Top queries group by normalised text (ＬＶ and lv count together), most frequent first;
   zero-result queries list only searches that returned nothing, with their counts;
   suggest calls count separately and never enter the top or zero-result lists; the
   slowest list holds the slowest single requests of both kinds, slowest first.
2. `--since` accepts 30m / 24h / 7d / 2w and ISO times and filters by time; anything else
   is a clear error naming `since` (HTTP 422) or `--since` (CLI exit 2).
3. `/v1/analytics` over a real app reports the searches just sent; with an admin token
   set it needs `Authorization: Bearer <token>` (401 JSON otherwise).
4. `mpsearch analytics` prints the three tables; `--json` prints the same report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search.http.app import create_app
from search.ops.analytics import parse_since, summarize
from search.ops.querylog import QueryRecord
from tests.server_support import home_serving

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MPSEARCH = Path(sys.executable).parent / "mpsearch"


def rec(q: str, norm: str, results: int, took: float, *, ts: float = 0.0, **kw: str) -> QueryRecord:
    return QueryRecord(
        ts=ts or NOW.timestamp(),
        endpoint=kw.get("endpoint", "search"),  # type: ignore[arg-type]
        query=q,
        normalized=norm,
        host=kw.get("host", "jd"),
        results=results,
        top_appid=None,
        took_ms=took,
    )


def test_summarize() -> None:
    records = [
        rec("LV", "lv", 9, 1.0),
        rec("ＬＶ", "lv", 9, 2.0, host="samsung"),
        rec("lv", "lv", 9, 1.5),
        rec("星巴克", "星巴克", 5, 0.5),
        rec("星巴克", "星巴克", 5, 0.7),
        rec("龘龘", "龘龘", 0, 3.0),
        rec("龘龘", "龘龘", 0, 0.2, host="qqbrowser"),
        rec("qzx", "qzx", 0, 0.1),
        rec("xingba", "xingba", 0, 9.0, endpoint="suggest"),
        rec("xing", "xing", 4, 0.3, endpoint="suggest"),
    ]
    r = summarize(records, limit=3)
    assert (r.searches, r.suggests, r.zero_result_searches) == (8, 2, 3)
    assert [(t.query, t.count, t.hosts) for t in r.top] == [
        ("lv", 3, ["jd", "samsung"]),
        ("星巴克", 2, ["jd"]),
        ("龘龘", 2, ["jd", "qqbrowser"]),
    ]
    assert r.top[0].example == "lv"
    assert [(z.query, z.zero_results) for z in r.zero_results] == [("龘龘", 2), ("qzx", 1)]
    assert [(s.query, s.endpoint, s.took_ms) for s in r.slowest] == [
        ("xingba", "suggest", 9.0),
        ("龘龘", "search", 3.0),
        ("lv", "search", 2.0),
    ]


def test_slowest_kept_while_streaming() -> None:
    records = [rec(f"q{i}", f"q{i}", 1, float(i % 97)) for i in range(1000)]
    r = summarize(records, limit=5)
    assert [s.took_ms for s in r.slowest] == [96.0] * 5
    assert len(r.top) == 5


def test_parse_since() -> None:
    assert parse_since("30m", NOW) == NOW - timedelta(minutes=30)
    assert parse_since("24h", NOW) == NOW - timedelta(hours=24)
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert parse_since("2w", NOW) == NOW - timedelta(weeks=2)
    assert parse_since("2026-11-20T08:00:00", NOW) == datetime(2026, 11, 20, 8, tzinfo=UTC)
    for bad in ("yesterday", "5y", "-3h", ""):
        with pytest.raises(ValueError, match="since"):
            parse_since(bad, NOW)


@pytest.fixture()
def home(sample_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home_serving(sample_home, home)
    return home


def test_api_reports_recent_searches(home: Path) -> None:
    app = create_app(Settings(home=home))
    with TestClient(app) as client:
        for q in ("LV", "ＬＶ", "龘龘", "星巴克"):
            assert client.get("/v1/search", params={"q": q, "host": "jd"}).status_code == 200
        assert client.get("/v1/suggest", params={"q": "xingba", "host": "jd"}).status_code == 200
        resp = client.get("/v1/analytics", params={"since": "1h", "limit": 5})
        assert resp.status_code == 200
        body = resp.json()
        assert (body["searches"], body["suggests"], body["zero_result_searches"]) == (4, 1, 1)
        assert body["top"][0]["query"] == "lv" and body["top"][0]["count"] == 2
        assert [z["query"] for z in body["zero_results"]] == ["龘龘"]
        assert len(body["slowest"]) == 5
        bad = client.get("/v1/analytics", params={"since": "soon"})
        assert bad.status_code == 422
        assert bad.json()["field"] == "since"
        assert client.get("/v1/analytics", params={"limit": 0}).json()["field"] == "limit"


def test_api_needs_admin_token_when_set(home: Path) -> None:
    """The admin rule: no credentials 401 (WWW-Authenticate), a wrong token 403, the scheme
    in any case."""
    app = create_app(Settings(home=home, admin_token="s3cret-token"))
    with TestClient(app) as client:
        for headers in ({}, {"Authorization": "s3cret-token"}, {"Authorization": "Bearer "}):
            resp = client.get("/v1/analytics", headers=headers)
            assert resp.status_code == 401
            assert resp.headers["www-authenticate"] == "Bearer"
            assert resp.json()["error"] == "unauthorized"
            assert "admin token" in resp.json()["message"]
        wrong = client.get("/v1/analytics", headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 403
        assert wrong.json()["error"] == "forbidden"
        for scheme in ("Bearer", "bearer", "BEARER"):
            ok = client.get("/v1/analytics", headers={"Authorization": f"{scheme} s3cret-token"})
            assert ok.status_code == 200


def write_log(directory: Path, records: list[QueryRecord]) -> None:
    directory.mkdir(parents=True)
    body = b"".join(orjson.dumps(r.model_dump()) + b"\n" for r in records)
    (directory / "seg-20261125T000000000000-1.jsonl").write_bytes(body)


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPSEARCH_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [str(MPSEARCH), "analytics", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow  # the CLI in a subprocess
def test_cli(tmp_path: Path) -> None:
    now = datetime.now(UTC).timestamp()
    old = now - 3 * 86400
    write_log(
        tmp_path / "querylog",
        [
            rec("LV", "lv", 9, 1.0, ts=now),
            rec("无此小程序", "无此小程序", 0, 4.5, ts=now),
            rec("旧的无结果", "旧的无结果", 0, 2.0, ts=old),
        ],
    )
    everything = run(tmp_path)
    assert everything.returncode == 0, everything.stderr
    assert "top queries" in everything.stdout and "slowest queries" in everything.stdout
    assert "无此小程序" in everything.stdout and "旧的无结果" in everything.stdout
    recent = run(tmp_path, "--since", "1d", "--json")
    assert recent.returncode == 0, recent.stderr
    body = orjson.loads(recent.stdout)
    assert [z["query"] for z in body["zero_results"]] == ["无此小程序"]
    assert body["searches"] == 2 and body["slowest"][0]["took_ms"] == 4.5
    bad = run(tmp_path, "--since", "last tuesday")
    assert bad.returncode == 2
    assert "--since" in bad.stderr and "last tuesday" in bad.stderr


def test_cli_without_log(tmp_path: Path) -> None:
    empty = run(tmp_path, "--json")
    assert empty.returncode == 0, empty.stderr
    body = orjson.loads(empty.stdout)
    assert body["searches"] == 0 and body["top"] == []


def test_querylog_off_by_setting(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPSEARCH_QUERYLOG", "off")
    settings = Settings(home=home)
    assert settings.querylog == "off"
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/search", params={"q": "LV", "host": "jd"}).status_code == 200
        assert client.get("/v1/suggest", params={"q": "xing", "host": "jd"}).status_code == 200
        body = client.get("/v1/analytics").json()
    assert (body["searches"], body["suggests"]) == (0, 0)
    assert not settings.querylog_dir.exists()


def test_querylog_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPSEARCH_QUERYLOG", "sometimes")
    with pytest.raises(ValueError, match="querylog"):
        Settings()
