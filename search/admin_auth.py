"""The admin guard: ``Authorization: Bearer <MPSEARCH_ADMIN_TOKEN>`` on every ``/v1/admin`` route.

Use it as a route (or router) dependency: ``dependencies=[Depends(require_admin)]``.

- No token configured (unset or blank): admin routes answer 404, as if absent, so
  a deployment without a token exposes nothing to write with.
- Missing, malformed or wrong credentials: 401 with ``WWW-Authenticate: Bearer``.
- The comparison is constant-time over bytes (``hmac.compare_digest``), so neither
  timing nor non-ASCII input (a ``str`` compare would raise) reveals anything.
- Neither the expected nor the offered token is ever logged or echoed in a body.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import HTTPException, Request

from indexer.settings import Settings, get_settings

log = logging.getLogger("mpsearch.admin")
SCHEME = "bearer"


def configured_token(settings: Settings) -> bytes | None:
    """The admin token as bytes, or None when admin routes are disabled."""
    token = settings.admin_token
    if token is None or not token.strip():
        return None
    return token.encode("utf-8")


def offered_token(authorization: str | None) -> bytes | None:
    """The token of a ``Bearer`` Authorization header, or None."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != SCHEME or not credentials:
        return None
    return credentials.encode("utf-8", "surrogateescape")


def token_matches(expected: bytes, offered: bytes | None) -> bool:
    """Constant-time comparison (no early exit on the first differing byte)."""
    return offered is not None and hmac.compare_digest(expected, offered)


def _settings(request: Request) -> Settings:
    holder = getattr(request.app.state, "holder", None)
    settings = getattr(holder, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def require_admin(request: Request) -> None:
    """FastAPI dependency: pass for the right bearer token, else 404 (disabled) or 401."""
    expected = configured_token(_settings(request))
    if expected is None:
        raise HTTPException(404, "Not Found")
    if not token_matches(expected, offered_token(request.headers.get("authorization"))):
        log.warning("refused admin request %s %s", request.method, request.url.path)
        raise HTTPException(
            401, "missing or wrong admin token", headers={"WWW-Authenticate": "Bearer"}
        )
