"""ASGI middleware of the app that is not operations or the request guard.

- :class:`WorkerHeader`: ``x-mpsearch-worker: <pid>`` on every response (which worker
  answered).
- :class:`SafetyNet`: an exception no handler expected becomes a logged JSON 500 in
  the documented error shape, inside the operations middleware, so it is counted and
  logged like every other answer. (FastAPI's own handler for ``Exception`` answers from
  the outermost layer, where no other middleware sees the response.)

``search.http.app`` orders them with the rest.
"""

from __future__ import annotations

import logging
import os

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search.http.responses import error_response

log = logging.getLogger("mpsearch.api")


class WorkerHeader:
    """Adds ``x-mpsearch-worker: <pid>`` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app  # built by the worker's app, on its first request: the worker's pid
        self.header = (b"x-mpsearch-worker", str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = self.header

        async def send_with_worker(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_worker)


class SafetyNet:
    """Answers an unexpected exception with a JSON 500 (logged with its traceback)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as exc:
            log.error("unexpected error on %s %s", scope["method"], scope["path"], exc_info=exc)
            if started:  # part of the answer is out: only dropping the connection is left
                raise
            response = error_response(
                500, "internal_error", "unexpected server error; it has been logged"
            )
            await response(scope, receive, send)
