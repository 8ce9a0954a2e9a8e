"""Who may call what: admin tokens, each with the name its decisions are recorded under, and
host keys, each pinning one host app.

Read once at start-up from the settings: ``MPSEARCH_ADMIN_TOKEN`` (recorded as
``MPSEARCH_ADMIN_NAME``), ``MPSEARCH_ADMIN_TOKENS`` (a JSON file ``{token: name}``) and
``MPSEARCH_HOST_KEYS`` (a JSON file ``{key: host}``). A file that cannot be read, is not
such an object, or holds a secret or a value it may not, stops the start-up with
:class:`CredentialsError` naming the file and the line.

Guarantees:

- a presented secret is compared with every known secret of its kind by
  ``hmac.compare_digest``, with no early exit, so the time taken says nothing about which
  known secret, or how much of one, it matches;
- secrets never appear in a repr, an error message or a log line (a file's problems name
  its line and what is wrong, never the secret).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from indexer.settings import Settings

MIN_SECRET_CHARS: Final = 16
"""Shortest key or token a file may hold: 16 characters of the printable ASCII range
carry at least 96 bits when made at random (``openssl rand -hex 16`` makes 32)."""
MAX_SECRET_CHARS: Final = 256
MAX_NAME_CHARS: Final = 64


class CredentialsError(Exception):
    """A credentials file that cannot be used: the message names the file and the line."""


Table = tuple[tuple[bytes, str], ...]


def _find(table: Table, secret: str) -> str | None:
    """The value of ``secret`` in ``table``, comparing with every entry."""
    presented = secret.encode()
    found = None
    for known, value in table:
        if hmac.compare_digest(presented, known):
            found = value
    return found


@dataclass(frozen=True)
class Credentials:
    """The admin tokens (token → name) and host keys (key → host) the service accepts."""

    admins: Table = field(default=(), repr=False)
    host_keys: Table | None = field(default=None, repr=False)  # None: read endpoints are open

    @property
    def admin_required(self) -> bool:
        """Admin routes exist, and ``/v1/analytics`` needs a token."""
        return bool(self.admins)

    @property
    def keys_required(self) -> bool:
        """The read endpoints need ``X-Mpsearch-Key``."""
        return self.host_keys is not None

    def admin_name(self, token: str) -> str | None:
        """The name of an admin token, or None when it is not one."""
        return _find(self.admins, token)

    def host_of(self, key: str) -> str | None:
        """The host a key pins, or None when it is not a key."""
        return _find(self.host_keys or (), key)


def load_credentials(settings: Settings) -> Credentials:
    """The credentials the settings name; CredentialsError for a file that cannot be used."""
    admins: dict[str, str] = {}
    if settings.admin_token:
        admins[settings.admin_token] = settings.admin_name
    if settings.admin_tokens is not None:
        for token, name in read_secrets(settings.admin_tokens, "admin token", _name).items():
            admins.setdefault(token, name)
    host_keys = None
    if settings.host_keys is not None:
        hosts = settings.hosts
        host_keys = read_secrets(settings.host_keys, "host key", lambda v: _host(v, hosts))
    return Credentials(
        admins=_table(admins), host_keys=None if host_keys is None else _table(host_keys)
    )


def _table(secrets: dict[str, str]) -> Table:
    return tuple((secret.encode(), value) for secret, value in secrets.items())


def _name(value: Any) -> str | None:
    """Why ``value`` cannot name an admin token (None when it can)."""
    if not isinstance(value, str) or not value.strip():
        return "the name must be a non-empty string"
    if len(value) > MAX_NAME_CHARS or not value.isprintable():
        return f"the name must be at most {MAX_NAME_CHARS} printable characters"
    return None


def _host(value: Any, hosts: tuple[str, ...]) -> str | None:
    """Why ``value`` cannot be the host of a key (None when it can)."""
    if not isinstance(value, str):
        return "the host must be a string"
    if value not in hosts:
        shown = value[:40]
        return f"host {shown!r} is not a host app (known: {', '.join(hosts)})"
    return None


def _secret(secret: str, what: str) -> str | None:
    """Why ``secret`` cannot be a key or token (None when it can); never quotes it."""
    if not MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS:
        return (
            f"a {what} must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters long "
            f"(this one has {len(secret)})"
        )
    if not all("!" <= ch <= "~" for ch in secret):
        return f"a {what} may hold printable ASCII only, no spaces (it travels in a header)"
    return None


def read_secrets(path: Path, what: str, check: Callable[[Any], str | None]) -> dict[str, str]:
    """A JSON object file of ``{secret: value}``: each secret checked, each value checked by
    ``check`` (a reason, or None); CredentialsError naming the file and line otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        why = exc.strerror or exc
        raise CredentialsError(f"{path}: cannot read the {what} file: {why}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CredentialsError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise CredentialsError(f"{path}:1: must be a JSON object {{{what}: value}}")
    out: dict[str, str] = {}
    for secret, value, line in _pairs(raw.decode()):
        reason = _secret(secret, what) or check(value)
        if reason is None and secret in out:
            reason = f"this {what} is listed twice"
        if reason is not None:
            raise CredentialsError(f"{path}:{line}: {reason}")
        out[secret] = value
    if not out:
        raise CredentialsError(f"{path}:1: holds no {what}")
    return out


def _pairs(text: str) -> list[tuple[str, Any, int]]:
    """The members of the JSON object ``text`` (already known to parse as one) in order,
    with the line each starts on; duplicates kept."""
    decoder = json.JSONDecoder()
    out: list[tuple[str, Any, int]] = []
    pos = _skip(text, text.index("{") + 1)
    while text[pos] != "}":
        line = text.count("\n", 0, pos) + 1
        key, pos = decoder.raw_decode(text, pos)
        value, pos = decoder.raw_decode(text, _skip(text, _skip(text, pos) + 1))  # past ':'
        out.append((key, value, line))
        pos = _skip(text, pos)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
    return out


def _skip(text: str, pos: int) -> int:
    """The position of the first character at or after ``pos`` that is not JSON whitespace."""
    while text[pos] in " \t\r\n":
        pos += 1
    return pos
