"""Prometheus metrics of the service (prometheus-client).

With several server workers (``mpsearch serve`` sets ``PROMETHEUS_MULTIPROC_DIR``, see
``search.ops.multiproc``) every worker writes its values to files there and a scrape of any
worker aggregates them all; otherwise values live in this process.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from search.ops.multiproc import ENV

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip

REQUESTS = Counter(
    "mpsearch_http_requests_total", "HTTP requests by route and status", ["endpoint", "status"]
)
LATENCY = Histogram(
    "mpsearch_http_request_duration_seconds",
    "Time from request to response by route and status",
    ["endpoint", "status"],
    buckets=LATENCY_BUCKETS,
)
QUERIES = Counter("mpsearch_queries_total", "Searches and suggests by host", ["endpoint", "host"])
ZERO_RESULTS = Counter(
    "mpsearch_zero_result_queries_total",
    "Searches and suggests that returned nothing",
    ["endpoint", "host"],
)
RESULTS = Counter(
    "mpsearch_results_served_total", "Entry cards (brand zone included) sent in search responses"
)
INDEX_INFO = Gauge(
    "mpsearch_index_info",
    "1 for the index version a live worker serves",
    ["version"],
    multiprocess_mode="livemax",
)
INDEX_DOCUMENTS = Gauge(
    "mpsearch_index_documents",
    "Documents in the served index version",
    multiprocess_mode="livemax",
)
CHANGELOG_LAG = Gauge(
    "mpsearch_changelog_lag_changes",
    "Live updates acknowledged in the change log that the served index does not hold yet",
    multiprocess_mode="livemax",
)
CHANGELOG_AVAILABLE = Gauge(
    "mpsearch_changelog_available",
    "1 when the change log answered the last time it was asked, 0 while it cannot be reached",
    multiprocess_mode="livemin",
)
LOG_DROPPED = Counter(
    "mpsearch_log_records_dropped_total",
    "Query log or request log records dropped (buffer full or write error)",
    ["log"],
)


def is_multiprocess() -> bool:
    return bool(os.environ.get(ENV))


def render() -> tuple[bytes, str]:
    """The exposition text of every metric, and its content type."""
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exit(pid: int) -> None:
    """Drop a stopped worker's live gauges from the aggregate."""
    if is_multiprocess():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
