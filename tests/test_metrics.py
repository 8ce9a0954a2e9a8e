"""`GET /metrics` and the JSON request log (search/ops/metrics.py, wiring.py, jsonlog.py).

Properties checked:
1. After traffic, /metrics (Prometheus text, parsed with prometheus-client's parser) shows
   the request counter and latency histogram moved by exactly the requests sent, per
   route template and status (404 and 422 included), zero-result counts per host,
   the served index version, its document count and a change-log lag of 0.
2. The lag gauge shows the holder's change-log lag: changes acknowledged in the log
   that the worker does not serve yet.
3. Every request gives one JSON log line with method, path, route, status and duration;
   it holds no query string and no Authorization header unless MPSEARCH_LOG_QUERIES is on.
4. Every answer takes the same operations path, refusals included: the request guard's
   414, 400 and 413 and the safety net's 500 are counted by route and status, get an
   access-log line each and carry the x-mpsearch-worker header.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from indexer.settings import Settings
from search.http.app import create_app
from search.ops import metrics
from search.ops.jsonlog import ACCESS, JSONFormatter
from search.ops.wiring import Ops
from tests.server_support import home_serving

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture()
def home(sample_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home_serving(sample_home, home)
    return home


@pytest.fixture()
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=home))) as c:
        yield c


def test_counters_move_with_traffic(client: TestClient, sample_home: Path) -> None:
    before = scrape(client)
    for q in ("LV", "星巴克", "龘龘", "龘龘 qzxjvw", "xingbake"):
        assert client.get("/v1/search", params={"q": q, "host": "jd"}).status_code == 200
    assert client.get("/v1/search", params={"q": "龘龘", "host": "samsung"}).status_code == 200
    assert client.get("/v1/suggest", params={"q": "xingba", "host": "jd"}).status_code == 200
    assert client.get("/v1/suggest", params={"q": "龘", "host": "jd"}).status_code == 200
    assert client.get("/v1/search", params={"q": "LV", "host": "nowhere"}).status_code == 422
    assert client.get("/v1/listings/wxc2c943090d2ec70a").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    req = "mpsearch_http_requests_total"
    assert delta(req, endpoint="/v1/search", status="200") == 6
    assert delta(req, endpoint="/v1/search", status="422") == 1
    assert delta(req, endpoint="/v1/suggest", status="200") == 2
    assert delta(req, endpoint="/v1/listings/{appid}", status="200") == 1
    assert delta(req, endpoint="unmatched", status="404") == 1
    assert delta(req, endpoint="/metrics", status="200") == 1  # the first scrape
    lat = "mpsearch_http_request_duration_seconds"
    assert delta(f"{lat}_count", endpoint="/v1/search", status="200") == 6
    assert delta(f"{lat}_bucket", endpoint="/v1/search", status="200", le="+Inf") == 6
    assert delta(f"{lat}_sum", endpoint="/v1/search", status="200") > 0
    zero = "mpsearch_zero_result_queries_total"
    assert delta(zero, endpoint="search", host="jd") == 2
    assert delta(zero, endpoint="search", host="samsung") == 1
    assert delta(zero, endpoint="suggest", host="jd") == 1
    assert delta("mpsearch_queries_total", endpoint="search", host="jd") == 5
    assert delta("mpsearch_results_served_total") > 0

    from indexer.store import IndexStore

    version = IndexStore(sample_home).current()
    assert version is not None
    assert value(after, "mpsearch_index_info", version=version) == 1
    assert value(after, "mpsearch_index_documents") == 624
    assert ("mpsearch_changelog_lag_changes", ()) in after
    assert value(after, "mpsearch_changelog_lag_changes") == 0


def test_lag_gauge_reads_holder(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = client.app.state.holder  # type: ignore[attr-defined]
    ops: Ops = client.app.state.ops  # type: ignore[attr-defined]
    monkeypatch.setattr(holder, "changelog_lag", lambda: 3)
    ops.refresh_gauges()
    assert value(scrape(client), "mpsearch_changelog_lag_changes") == 3
    monkeypatch.undo()
    ops.refresh_gauges()
    assert value(scrape(client), "mpsearch_changelog_lag_changes") == 0


def test_holder_lag_counts_unserved_changes(tmp_path: Path) -> None:
    from indexer.changelog import SqliteChangeLog
    from indexer.settings import Settings
    from search.http.holder import EngineHolder

    holder = EngineHolder(Settings(home=tmp_path))
    assert holder.changelog_lag() == 0
    log = SqliteChangeLog.in_home(tmp_path)
    try:
        log.append("listing_delete", "wx0000000000000001", None)
        log.append("listing_delete", "wx0000000000000002", None)
    finally:
        log.close()
    assert holder.engine is None
    assert holder.changelog_lag() == 2


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []
        self.fmt = JSONFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.fmt.format(record)))


@pytest.mark.parametrize("log_queries", [False, True])
def test_request_log_lines(home: Path, log_queries: bool) -> None:
    app = create_app(Settings(home=home, log_queries=log_queries, admin_token="tok-1234567"))
    collect = Collect()
    logger = logging.getLogger(ACCESS)
    try:
        with TestClient(app) as client:
            logger.addHandler(collect)
            client.get("/v1/search", params={"q": "路易威登", "host": "jd"})
            client.get("/v1/analytics", headers={"Authorization": "Bearer tok-1234567"})
            client.get("/healthz")
        # Lines are written by a thread; shutdown writes what is still queued.
    finally:
        logger.removeHandler(collect)
    # The JSON stderr handler the app added is detached at shutdown.
    assert not [h for h in logger.handlers if isinstance(h.formatter, JSONFormatter)]
    assert [(x["path"], x["status"]) for x in collect.lines] == [
        ("/v1/search", 200),
        ("/v1/analytics", 200),
        ("/healthz", 200),
    ]
    first = collect.lines[0]
    assert first["level"] == "info" and first["logger"] == ACCESS and first["msg"] == "request"
    assert first["method"] == "GET" and first["endpoint"] == "/v1/search"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    text = orjson.dumps(collect.lines).decode()
    assert "tok-1234567" not in text and "authorization" not in text.lower()
    if log_queries:
        assert first["query"] == "q=路易威登&host=jd"
    else:
        assert "路易威登" not in text and "query" not in first


def test_refusals_take_the_operations_path(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(home=home, admin_token="tok-1234567"))
    collect = Collect()
    logger = logging.getLogger(ACCESS)
    admin = {"Authorization": "Bearer tok-1234567"}
    try:
        with TestClient(app) as client:
            before = scrape(client)
            logger.addHandler(collect)
            long_qs = "q=LV&host=jd&pad=" + "x" * (17 * 1024)
            refusals = [
                (client.get(f"/v1/search?{long_qs}"), 414, "/v1/search"),
                (client.get("/v1/search?q=%ff&host=jd"), 400, "/v1/search"),
                (client.get("/v1/suggest?q=LV%&host=jd"), 400, "/v1/suggest"),
                (
                    client.put(
                        "/v1/admin/listings/wxc2c943090d2ec70a",
                        content=b"{" + b" " * 1_000_001 + b"}",
                        headers=admin,
                    ),
                    413,
                    "/v1/admin/listings/{appid}",
                ),
            ]
            holder = client.app.state.holder  # type: ignore[attr-defined]

            def broken(*_: object) -> None:
                raise RuntimeError("a bug")

            monkeypatch.setattr(holder.get(), "run", broken)
            with caplog.at_level(logging.ERROR, logger="mpsearch.api"):
                refusals.append((client.get("/v1/search?q=LV&host=jd"), 500, "/v1/search"))
            assert "a bug" in caplog.text
            after = scrape(client)
    finally:  # lines are written by a thread, at the latest when the app stops
        logger.removeHandler(collect)
    for resp, status, _ in refusals:
        assert resp.status_code == status, resp.text
        assert resp.headers["x-mpsearch-worker"].isdigit()
        assert resp.headers["content-type"] == "application/json"
        assert set(resp.json()) >= {"error", "message"}
    for status, route in {(s, r) for _, s, r in refusals}:
        sent = sum(1 for _, s, r in refusals if (s, r) == (status, route))
        name = "mpsearch_http_requests_total"
        got = value(after, name, endpoint=route, status=str(status))
        assert got - value(before, name, endpoint=route, status=str(status)) == sent, route
    lines = [(x["endpoint"], x["status"]) for x in collect.lines if x["path"] != "/metrics"]
    assert lines == [(r, s) for _, s, r in refusals]


def test_formatter_keeps_exceptions() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("mpsearch.test-formatter")
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("failed %s", "here", extra={"fields": {"appid": "wx1"}})
    finally:
        logger.removeHandler(handler)
    line = orjson.loads(stream.getvalue())
    assert line["msg"] == "failed here" and line["level"] == "error"
    assert line["appid"] == "wx1" and "RuntimeError: boom" in line["exc"]


def test_render_in_one_process() -> None:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain") and b"mpsearch_http_requests_total" in body
