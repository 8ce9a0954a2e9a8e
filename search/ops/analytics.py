"""Query analytics from the query log: top queries, zero-result queries, slowest queries.

Queries are grouped by their normalised text (so ＬＶ and lv count together). Top and
zero-result lists count searches only: suggest calls are keystrokes, not finished queries.
The slowest list holds single requests of either kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class QueryGroup:
    """The searches of one normalised query: how many, how many found nothing, the hosts
    they came from, the last one's time and the query as last typed."""

    query: str
    count: int = 0
    zero: int = 0
    last: float = 0.0
    hosts: dict[str, None] = field(default_factory=dict)
    example: str | None = None

    def add(self, rec: QueryRecord) -> None:
        """Count one search of the query."""
        self.count += 1
        self.zero += rec.results == 0
        self.hosts[rec.host] = None
        self.last = max(self.last, rec.ts)
        if rec.query is not None:
            self.example = rec.query

    def most_searched(self) -> tuple[int, float, str]:
        """Sort key: most searched first, then the most recent, then by text."""
        return (-self.count, -self.last, self.query)


def add_search(groups: dict[str, QueryGroup], rec: QueryRecord) -> None:
    """Count ``rec`` in its normalised query's group."""
    g = groups.get(rec.normalized)
    if g is None:
        g = groups[rec.normalized] = QueryGroup(rec.normalized)
    g.add(rec)


def summarize(
    records: Iterable[QueryRecord], since: datetime | None = None, limit: int = 20
) -> AnalyticsReport:
    """Aggregate records into the three lists, ``limit`` entries each."""
    groups: dict[str, QueryGroup] = {}
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
        add_search(groups, rec)
        zero += rec.results == 0

    def row(g: QueryGroup) -> QueryCount:
        return QueryCount(
            query=g.query,
            example=g.example,
            hosts=list(g.hosts),
            count=g.count,
            zero_results=g.zero,
            last_seen=datetime.fromtimestamp(g.last, UTC),
        )

    by_count = sorted(groups.values(), key=QueryGroup.most_searched)
    zero_rows = sorted(
        (g for g in groups.values() if g.zero), key=lambda g: (-g.zero, -g.last, g.query)
    )
    slow.sort(key=lambda r: r.took_ms, reverse=True)
    return AnalyticsReport(
        since=since,
        searches=searches,
        suggests=suggests,
        zero_result_searches=zero,
        top=[row(g) for g in by_count[:limit]],
        zero_results=[row(g) for g in zero_rows[:limit]],
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
