"""Query analytics from the query log: top queries, zero-result queries, slowest queries.

Queries are grouped by their normalised text (so ＬＶ and lv count together). Top and
zero-result lists count searches only: suggest calls are keystrokes, not finished queries.
The slowest list holds single requests of either kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel

from search.ops.querylog import QueryRecord, read_records

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class QueryCount(BaseModel):
    """One normalised query and how often it was searched."""

    query: str
    example: str | None
    hosts: list[str]
    count: int
    zero_results: int
    last_seen: datetime


class SlowQuery(BaseModel):
    """One slow request."""

    endpoint: str
    query: str
    host: str
    took_ms: float
    results: int
    at: datetime


class AnalyticsReport(BaseModel):
    """``GET /v1/analytics`` and ``mpsearch analytics --json``."""

    since: datetime | None
    searches: int
    suggests: int
    zero_result_searches: int
    top: list[QueryCount]
    zero_results: list[QueryCount]
    slowest: list[SlowQuery]


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``30m``, ``24h``, ``7d``, ``2w`` back from now, or an ISO 8601 time (UTC if no zone).

    Raises ValueError with what is accepted.
    """
    now = now or datetime.now(UTC)
    m = _DURATION.match(text)
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"since {text!r} is neither a duration like 30m, 24h, 7d nor an ISO 8601 time"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class _Group:
    __slots__ = ("count", "example", "hosts", "last", "zero")

    def __init__(self) -> None:
        self.count = 0
        self.zero = 0
        self.last = 0.0
        self.hosts: dict[str, None] = {}
        self.example: str | None = None


def summarize(
    records: Iterable[QueryRecord], since: datetime | None = None, limit: int = 20
) -> AnalyticsReport:
    """Aggregate records into the three lists, ``limit`` entries each."""
    groups: dict[str, _Group] = {}
    slow: list[QueryRecord] = []
    searches = suggests = zero = 0
    for rec in records:
        slow.append(rec)
        if len(slow) > 4 * limit:  # keep the list short while streaming
            slow.sort(key=lambda r: r.took_ms, reverse=True)
            del slow[limit:]
        if rec.endpoint == "suggest":
            suggests += 1
            continue
        searches += 1
        g = groups.get(rec.normalized)
        if g is None:
            g = groups[rec.normalized] = _Group()
        g.count += 1
        g.hosts[rec.host] = None
        g.last = max(g.last, rec.ts)
        if rec.query is not None:
            g.example = rec.query
        if rec.results == 0:
            g.zero += 1
            zero += 1

    def row(q: str, g: _Group) -> QueryCount:
        return QueryCount(
            query=q,
            example=g.example,
            hosts=list(g.hosts),
            count=g.count,
            zero_results=g.zero,
            last_seen=datetime.fromtimestamp(g.last, UTC),
        )

    by_count = sorted(groups.items(), key=lambda kv: (-kv[1].count, -kv[1].last, kv[0]))
    zero_rows = sorted(
        ((q, g) for q, g in groups.items() if g.zero),
        key=lambda kv: (-kv[1].zero, -kv[1].last, kv[0]),
    )
    slow.sort(key=lambda r: r.took_ms, reverse=True)
    return AnalyticsReport(
        since=since,
        searches=searches,
        suggests=suggests,
        zero_result_searches=zero,
        top=[row(q, g) for q, g in by_count[:limit]],
        zero_results=[row(q, g) for q, g in zero_rows[:limit]],
        slowest=[
            SlowQuery(
                endpoint=r.endpoint,
                query=r.normalized,
                host=r.host,
                took_ms=r.took_ms,
                results=r.results,
                at=r.at,
            )
            for r in slow[:limit]
        ],
    )


def report(directory: Path, since: datetime | None = None, limit: int = 20) -> AnalyticsReport:
    """The analytics of every query logged under ``directory`` since ``since``."""
    return summarize(read_records(directory, since), since, limit)
