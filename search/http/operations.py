"""Routes for operators: Prometheus ``/metrics`` and the query analytics ``/v1/analytics``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from search.errors import BadRequest
from search.http.deps import AdminDep, OpsDep
from search.http.limits import MAX_ANALYTICS_ROWS, MAX_SINCE_CHARS
from search.models import ErrorBody
from search.ops.analytics import AnalyticsReport, parse_since, report

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics_text(ops: OpsDep) -> Response:
    """Prometheus text exposition (every worker's values, in multiprocess mode)."""
    body, content_type = ops.exposition()
    return Response(body, media_type=content_type)


@router.get(
    "/v1/analytics",
    response_model=AnalyticsReport,
    responses={status: {"model": ErrorBody} for status in (401, 403, 422)},
    dependencies=[AdminDep],
)
def analytics(
    ops: OpsDep,
    since: Annotated[
        str | None,
        Query(max_length=MAX_SINCE_CHARS, description="30m, 24h, 7d or an ISO 8601 time"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ANALYTICS_ROWS)] = 20,
) -> Response:
    """Top, zero-result and slowest queries from the query log (behind the admin token)."""
    start: datetime | None = None
    if since:
        try:
            start = parse_since(since)
        except ValueError as exc:
            raise BadRequest("since", str(exc)) from None
    ops.querylog.flush()  # this worker's latest queries; others flush every second
    body = report(ops.settings.querylog_dir, start, limit)
    return Response(orjson.dumps(body.model_dump(mode="json")), media_type="application/json")
