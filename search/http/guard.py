"""Request guards in front of every route: bytes a client can send that must never reach a 500.

Starlette decodes the query string and path leniently (``%ff`` becomes U+FFFD, ``%zz``
stays as typed), so a search for garbage would quietly run. This ASGI middleware
answers such requests itself with a JSON error naming the parameter:

- 400 ``bad_encoding``: malformed percent-encoding or invalid UTF-8 (overlong forms,
  UTF-8-encoded surrogates, truncated sequences) in a query parameter or the path;
- 414 ``uri_too_long``: a query string over ``MAX_QUERY_STRING_BYTES``;
- 413 ``body_too_large``: a body over ``MAX_BODY_BYTES``, by ``Content-Length`` or as
  it streams in (chunked uploads).

It runs inside the operations middleware (``search.http.app``), so every refusal is
counted, logged and carries the worker header like any other answer.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search.http.limits import MAX_BODY_BYTES, MAX_QUERY_STRING_BYTES
from search.http.responses import error_response

_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_SHOWN = 40


def _shown(raw: bytes) -> str:
    text = raw[:_SHOWN].decode("ascii", "backslashreplace")
    return text + ("..." if len(raw) > _SHOWN else "")


def _encoding_problem(raw: bytes) -> str | None:
    """Why ``raw`` (percent-encoded) is not valid UTF-8 text, or None."""
    bad = _BAD_PERCENT.search(raw)
    if bad is not None:
        at = bad.start()
        return f"malformed percent-encoding at byte {at}: '%' must be followed by 2 hex digits"
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not valid UTF-8 once percent-decoded (byte {exc.start})"
    return None


def check_query_string(query: bytes) -> tuple[str, str] | None:
    """(field, reason) for the first badly encoded parameter of a raw query string."""
    if _encoding_problem(query.replace(b"+", b" ")) is None:
        # All of it decodes, so every part does: ``&`` and ``=`` are ASCII, never part of a
        # multi-byte sequence. Only a bad string is taken apart, to name the parameter.
        return None
    for pair in query.split(b"&"):
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition(b"=")
        key = raw_key.replace(b"+", b" ")
        key_problem = _encoding_problem(key)
        if key_problem is not None:
            return _shown(raw_key), f"parameter name {_shown(raw_key)!r}: {key_problem}"
        field = unquote_to_bytes(key).decode("utf-8")
        problem = _encoding_problem(raw_value.replace(b"+", b" "))
        if problem is not None:
            return field, f"{field}: {problem}"
    return None


class RequestGuard:
    """Pure ASGI middleware: encoding, query string length and body size checks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        body_receive = await self._bounded_body(scope, receive)
        if body_receive is None:
            await error_response(
                413, "body_too_large", f"request body over {MAX_BODY_BYTES} bytes", "body"
            )(scope, receive, send)
            return
        await self.app(scope, body_receive, send)

    @staticmethod
    def _refusal(scope: Scope) -> Response | None:
        query: bytes = scope.get("query_string", b"")
        if len(query) > MAX_QUERY_STRING_BYTES:
            return error_response(
                414,
                "uri_too_long",
                f"query string is {len(query)} bytes; at most {MAX_QUERY_STRING_BYTES} are allowed",
            )
        problem = check_query_string(query)
        if problem is not None:
            return error_response(400, "bad_encoding", problem[1], problem[0])
        raw_path: bytes | None = scope.get("raw_path")
        if raw_path is not None:
            path_problem = _encoding_problem(raw_path)
            if path_problem is not None:
                return error_response(400, "bad_encoding", f"path: {path_problem}", "path")
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                if not value.isdigit():
                    return error_response(
                        400, "bad_request", "Content-Length is not a number", "body"
                    )
                if int(value) > MAX_BODY_BYTES:
                    return error_response(
                        413,
                        "body_too_large",
                        f"request body is {int(value)} bytes; at most {MAX_BODY_BYTES} are allowed",
                        "body",
                    )
        return None

    @staticmethod
    async def _bounded_body(scope: Scope, receive: Receive) -> Receive | None:
        """A receive that replays the whole body, or None when it is over the limit.

        Only requests that may carry a body are read ahead; GET and HEAD pass through.
        """
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return receive
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > MAX_BODY_BYTES:
                return None
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        return replay
