"""A scripted traffic run against a real `mpsearch serve --workers 2`.

Properties checked:
1. `serve` empties the Prometheus multiprocess folder under $MPSEARCH_HOME at start.
2. /metrics of either worker adds up both workers: the search/suggest request counters
   and zero-result counters equal exactly what the script sent.
3. After a graceful stop, `mpsearch analytics` (table and --json) lists exactly the
   zero-result queries the script sent, with their counts, and the number of searches
   and suggests sent: every worker's buffered query log was written.
4. Every line the server printed is one JSON object; there is one request line per
   search, and none of them carries the query text (MPSEARCH_LOG_QUERIES is off).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.server_support import home_serving, run_cli, serving

pytestmark = pytest.mark.slow  # traffic against a real server

FOUND = ["LV", "星巴克", "xbk", "麥當勞", "luyiweideng"]
ZERO = ["龘龘", "qzxjvw", "龘龘 qzxjvw", "zzzqqq"]
SUGGEST = ["xingba", "星巴", "lyw", "龘"]


def scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{base_url}/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


def test_traffic_run(sample_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home_serving(sample_home, home)
    stale = home / "metrics" / "counter_999999.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left over from an earlier run")

    sent_zero: Counter[str] = Counter()
    searches = suggests = 0
    with serving(home, "--workers", "2") as srv:
        assert not stale.exists()
        for round_ in range(3):
            for q in FOUND:
                # A new connection per request, so both workers take traffic.
                r = httpx.get(f"{srv.base_url}/v1/search", params={"q": q, "host": "jd"})
                assert r.status_code == 200 and r.json()["total"] > 0, q
                searches += 1
            for q in ZERO[: round_ + 2]:
                r = httpx.get(f"{srv.base_url}/v1/search", params={"q": q, "host": "samsung"})
                assert r.status_code == 200
                assert r.json()["total"] == 0 and r.json()["brand_zone"] is None, q
                sent_zero[q] += 1
                searches += 1
            for q in SUGGEST:
                r = httpx.get(f"{srv.base_url}/v1/suggest", params={"q": q, "host": "jd"})
                assert r.status_code == 200
                suggests += 1
        samples = scrape(srv.base_url)
        env = srv.env

    def get(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert get("mpsearch_http_requests_total", endpoint="/v1/search", status="200") == searches
    assert get("mpsearch_http_requests_total", endpoint="/v1/suggest", status="200") == suggests
    assert (
        get("mpsearch_http_request_duration_seconds_count", endpoint="/v1/search", status="200")
        == searches
    )
    assert get("mpsearch_zero_result_queries_total", endpoint="search", host="samsung") == sum(
        sent_zero.values()
    )
    assert get("mpsearch_index_documents") == 624

    table = run_cli(env, "analytics")
    assert table.returncode == 0, table.stderr
    assert "zero-result queries" in table.stdout
    for q in sent_zero:
        assert q in table.stdout
    as_json = run_cli(env, "analytics", "--since", "1h", "--json")
    assert as_json.returncode == 0, as_json.stderr
    report = orjson.loads(as_json.stdout)
    assert report["searches"] == searches and report["suggests"] == suggests
    assert {z["query"]: z["zero_results"] for z in report["zero_results"]} == dict(sent_zero)
    assert all(z["hosts"] == ["samsung"] for z in report["zero_results"])
    top = {t["query"]: t["count"] for t in report["top"]}
    assert top["lv"] == 3 and top["星巴克"] == 3

    lines = [orjson.loads(line) for line in srv.log().splitlines() if line.strip()]
    requests = [x for x in lines if x["logger"] == "mpsearch.access"]
    assert sum(1 for x in requests if x["path"] == "/v1/search") == searches
    assert not any("query" in x for x in requests)
    assert all("龘" not in orjson.dumps(x).decode() for x in requests)
