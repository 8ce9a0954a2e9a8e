"""Path-safe identifiers: index version names, appids and brand ids.

Any identifier that becomes part of a file path or a URL path segment is checked
here first, so that no value a client or an operator sends (``../``, an absolute
path, NUL, a newline, full-width digits) can name a file outside ``$MPSEARCH_HOME``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final, Literal

from indexer.errors import UserError, VersionError

IdKind = Literal["appid", "brand_id", "version"]

VERSION_RE: Final = re.compile(r"v[0-9]{8}-[0-9]{6}-[0-9a-f]{6}", re.ASCII)
"""``vYYYYMMDD-HHMMSS-xxxxxx`` (see :func:`indexer.store.new_version_id`)."""
MAX_APPID_CHARS: Final = 64
APPID_RE: Final = re.compile(rf"[a-z0-9]{{1,{MAX_APPID_CHARS}}}", re.ASCII)
"""Any platform's appid shape (wx + hex, 2021 + digits, baidu [a-z0-9]{32}), no more."""
BRAND_ID_RE: Final = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*", re.ASCII)
"""The catalog's brand slug (``louis-vuitton``)."""
MAX_BRAND_ID_CHARS: Final = 64

_RULES: Final[dict[IdKind, tuple[re.Pattern[str], int, str]]] = {
    "version": (VERSION_RE, 23, "vYYYYMMDD-HHMMSS-xxxxxx (see `mpsearch index list`)"),
    "appid": (APPID_RE, MAX_APPID_CHARS, f"1 to {MAX_APPID_CHARS} characters a-z and 0-9"),
    "brand_id": (BRAND_ID_RE, MAX_BRAND_ID_CHARS, "a lowercase slug like 'louis-vuitton'"),
}


class InvalidIdentifier(UserError):
    """An identifier that is not of its kind's shape (and so may not become a path)."""

    def __init__(self, kind: IdKind, value: object, expected: str) -> None:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        super().__init__(f"{shown} is not a valid {kind}; expected {expected}")
        self.kind = kind
        self.expected = expected


def is_valid(kind: IdKind, value: object) -> bool:
    """True when ``value`` is a string of ``kind``'s shape."""
    pattern, max_chars, _ = _RULES[kind]
    return (
        isinstance(value, str) and len(value) <= max_chars and pattern.fullmatch(value) is not None
    )


def check_id(kind: IdKind, value: object) -> str:
    """``value`` when it is a valid ``kind``, else :class:`InvalidIdentifier`."""
    if not is_valid(kind, value):
        raise InvalidIdentifier(kind, value, _RULES[kind][2])
    assert isinstance(value, str)
    return value


def check_version(name: object) -> str:
    """A version name, or :class:`~indexer.errors.VersionError` (also a ``UserError``)."""
    if not is_valid("version", name):
        raise VersionError(f"{name!r} is not a version name; expected {_RULES['version'][2]}")
    assert isinstance(name, str)
    return name


def child_path(root: Path, kind: IdKind, name: object) -> Path:
    """``root / name`` for a valid identifier, checked once more to stay directly in ``root``.

    The shape check already excludes separators, dots-only names and NUL; the
    lexical containment check keeps this true if a pattern is ever loosened.
    """
    checked = check_version(name) if kind == "version" else check_id(kind, name)
    path = root / checked
    if os.path.dirname(os.path.normpath(path)) != os.path.normpath(root):
        if kind == "version":
            raise VersionError(f"{name!r} is not a version name inside {root}")
        raise InvalidIdentifier(kind, name, _RULES[kind][2])
    return path
