"""Errors raised by the search side; ``search.http.errors`` maps them to HTTP statuses.

    SearchError               base
    ├── BadRequest            the request names a bad value (→ 422 with the field)
    │   └── UnknownHost       host not served (→ 422 listing the known hosts)
    ├── NotAuthorized         no (valid) credentials (→ 401, WWW-Authenticate: its challenge)
    ├── Forbidden             credentials that do not allow this (→ 403)
    ├── NotFound              no such listing or version (→ 404)
    └── NotReady              no index is published or open yet (→ 503)

Index problems (incompatible fingerprint, missing version) and refused go-live decisions
come from ``indexer.errors`` and are reported as they are.
"""

from __future__ import annotations


class SearchError(Exception):
    """Base of every error this package raises on purpose."""


class BadRequest(SearchError):
    """A request value is not allowed."""

    def __init__(self, field: str, message: str, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.allowed = allowed


class UnknownHost(BadRequest):
    """The host is not one the service knows."""


class NotAuthorized(SearchError):
    """The request carries no credentials where they are needed, or none that are valid."""

    def __init__(self, message: str, challenge: str = "Bearer") -> None:
        super().__init__(message)
        self.challenge = challenge  # the WWW-Authenticate answer


class Forbidden(SearchError):
    """The request's credentials are not valid."""


class NotFound(SearchError):
    """No listing with that appid in the served index, or no such version."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field  # what named the missing thing, when a request field did


class NotReady(SearchError):
    """No index is open yet."""
