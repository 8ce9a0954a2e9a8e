"""Structured logs: one JSON object per line on stderr.

The request log (logger ``mpsearch.access``, one line per request at info level) goes
through a queue: the request only builds a LogRecord; formatting and the write happen in
a listener thread. Request lines never carry headers (so never an admin token) and carry
the query string only with ``MPSEARCH_LOG_QUERIES=true``.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

ACCESS = "mpsearch.access"
FIELDS = "fields"


class JSONFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...fields}`` as one line."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = record.__dict__.get(FIELDS)
        if isinstance(fields, dict):
            body.update(fields)
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(body, default=str).decode()


class _RecordQueueHandler(logging.handlers.QueueHandler):
    """Enqueue the record as is: formatting happens in the listener thread."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


def start_access_log(level: str = "info") -> logging.handlers.QueueListener:
    """Send ``mpsearch.access`` through a queue to a JSON stderr handler; stop() when done."""
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(JSONFormatter())
    logger = logging.getLogger(ACCESS)
    for h in list(logger.handlers):
        logger.removeHandler(h)
    logger.addHandler(_RecordQueueHandler(q))
    logger.setLevel(level.upper())
    logger.propagate = False
    listener = logging.handlers.QueueListener(q, out)
    listener.start()
    return listener


def stop_access_log(listener: logging.handlers.QueueListener) -> None:
    """Write what is queued, then detach the queue so nothing piles up after shutdown."""
    listener.stop()
    logger = logging.getLogger(ACCESS)
    for h in list(logger.handlers):
        if isinstance(h, _RecordQueueHandler) and h.queue is listener.queue:
            logger.removeHandler(h)


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """``logging.config.dictConfig`` for ``mpsearch serve``: uvicorn and mpsearch as JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "search.jsonlog.JSONFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "mpsearch": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }
