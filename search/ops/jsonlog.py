"""Structured logs: one JSON object per line on stderr.

The request log (logger ``mpsearch.access``, one line per request at info level) goes
through a deque: the request only appends its fields; building the record, formatting
and the write happen in a writer thread. Request lines never carry headers (so never an
admin token) and carry the query string only with ``MPSEARCH_LOG_QUERIES=true``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
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


class AccessLog:
    """Request lines of logger ``mpsearch.access``, written off the request path.

    ``add`` appends (time, fields) to a deque; a thread turns them into log records and
    hands them to the logger's handlers (a JSON stderr handler unless one is set). So a
    request pays for neither building a LogRecord (and its caller lookup) nor the write.
    """

    def __init__(self, level: str = "info", interval: float = 0.2, capacity: int = 100_000):
        self.logger = logging.getLogger(ACCESS)
        self.logger.setLevel(level.upper())
        self.enabled = self.logger.isEnabledFor(logging.INFO)
        self.interval = interval
        self.capacity = capacity
        self.dropped = 0
        self._pending: deque[tuple[float, dict[str, Any]]] = deque()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._own: logging.Handler | None = None

    def add(self, fields: dict[str, Any]) -> None:
        """Queue one line (dropped and counted if the writer is this far behind)."""
        if len(self._pending) >= self.capacity:
            self.dropped += 1
            return
        self._pending.append((time.time(), fields))

    def drain(self) -> int:
        """Hand every queued line to the logger's handlers; returns how many."""
        n = 0
        while True:
            try:
                created, fields = self._pending.popleft()
            except IndexError:
                return n
            record = logging.LogRecord(ACCESS, logging.INFO, __file__, 0, "request", None, None)
            record.created = created
            record.__dict__[FIELDS] = fields
            self.logger.handle(record)
            n += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.drain()

    def start(self) -> None:
        if not self.logger.handlers:  # nobody configured it: JSON lines on stderr
            self._own = logging.StreamHandler(sys.stderr)
            self._own.setFormatter(JSONFormatter())
            self.logger.addHandler(self._own)
        self.logger.propagate = False
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mpsearch-access", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued and detach the handler this object added."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.drain()
        if self._own is not None:
            self.logger.removeHandler(self._own)
            self._own = None


def uvicorn_log_config(level: str = "info") -> dict[str, Any]:
    """``logging.config.dictConfig`` for ``mpsearch serve``: uvicorn and mpsearch as JSON."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "search.ops.jsonlog.JSONFormatter"}},
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
