"""All settings in one place, read from ``MPSEARCH_*`` environment variables at start-up,
and the host apps the service knows. Cheap to import: nothing here loads the analyzer.

Host apps are configuration, not code: ``MPSEARCH_HOSTS`` (comma-separated) or
``MPSEARCH_HOSTS_FILE`` (one a line) lists them in their canonical order, the order a
listing's ``hosts`` use; :data:`DEFAULT_HOSTS` without either. Adding a host is a
settings change and a restart: no release, and no rebuild (a version built before the
host existed shows nothing there until listings go live in it through the API or the
next export lists it).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from indexer.dictionaries import default_dictionaries_dir

DEFAULT_HOSTS: Final = ("jd", "qqbrowser", "samsung")
"""The host apps without MPSEARCH_HOSTS or MPSEARCH_HOSTS_FILE, in canonical order."""
HOST_NAME: Final = re.compile(r"[a-z][a-z0-9_-]{0,31}")
"""What a host's name looks like (it is a query parameter, a filter term and a key's
value): a lowercase letter, then up to 31 lowercase letters, digits, ``_`` or ``-``."""

CHANGELOG_SCHEMES: Final = ("postgresql", "postgres", "sqlite")
STORE_SCHEMES: Final = ("s3", "file")


class Settings(BaseSettings):
    """Service and CLI settings; ``MPSEARCH_HOME`` holds index versions and state."""

    # hide_input_in_errors: a refused value may hold a password (a change log URL).
    model_config = SettingsConfigDict(
        env_prefix="MPSEARCH_", extra="ignore", hide_input_in_errors=True
    )

    home: Path = Field(default=Path("var"), description="state folder: indexes/, current")
    dictionaries: Path = Field(default_factory=default_dictionaries_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_HOSTS, description="host apps, comma-separated, in canonical order"
    )
    hosts_file: Path | None = Field(
        default=None, description="host apps, one a line (# comments), instead of hosts"
    )
    admin_token: str | None = Field(default=None, repr=False)  # never in logs or reprs
    admin_name: str = Field(
        default="admin",
        min_length=1,
        max_length=64,
        description="who decisions made with admin_token are recorded as",
    )
    admin_tokens: Path | None = Field(
        default=None, description="a JSON file {token: name}: more admin tokens, each named"
    )
    host_keys: Path | None = Field(
        default=None,
        description="a JSON file {key: host}: the read endpoints then need X-Mpsearch-Key",
    )
    # Several machines: a shared change log and version store (unset: the embedded ones).
    changelog_url: str | None = Field(
        default=None,
        repr=False,  # may hold a password
        description="postgresql://user@host:port/db (or sqlite:////path); unset: SQLite in home",
    )
    store_url: str | None = Field(
        default=None, description="s3://bucket/prefix or file:///path; unset: home/indexes"
    )
    s3_endpoint_url: str | None = Field(default=None, description="S3 endpoint when not AWS")
    replica_name: str | None = Field(
        default=None, description="how cluster status names this replica (default host:port)"
    )
    heartbeat_seconds: float = Field(default=1.0, gt=0, le=60)
    # Operations: query log (querylog/ under home), request logs, metrics.
    querylog: Literal["on", "anonymized", "off"] = Field(
        default="on", description="record searches/suggests; anonymized drops raw text and masks"
    )
    querylog_segment_bytes: int = Field(default=8 << 20, ge=4096, description="rotate at this size")
    querylog_max_bytes: int = Field(default=64 << 20, ge=8192, description="all segments, at most")
    querylog_buffer: int = Field(default=50_000, ge=100, description="records held in memory")
    querylog_flush_seconds: float = Field(default=1.0, gt=0, le=60)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_queries: bool = Field(default=False, description="request log lines carry the query string")

    @field_validator("hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(","))
        return value

    @field_validator("hosts")
    @classmethod
    def _host_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for host in value:
            problem = host_problem(host, value)
            if problem:
                raise ValueError(problem)
        if not value:
            raise ValueError("name at least one host app")
        return value

    @model_validator(mode="after")
    def _read_hosts_file(self) -> Self:
        if self.hosts_file is None:
            return self
        if "hosts" in self.model_fields_set:
            raise ValueError("set MPSEARCH_HOSTS or MPSEARCH_HOSTS_FILE, not both")
        self.hosts = read_hosts_file(self.hosts_file)
        return self

    @field_validator("changelog_url", "store_url")
    @classmethod
    def _known_scheme(cls, url: str | None, info: ValidationInfo) -> str | None:
        if not url:
            return None
        allowed = CHANGELOG_SCHEMES if info.field_name == "changelog_url" else STORE_SCHEMES
        scheme = url.partition("://")[0].lower()
        if "://" not in url or scheme not in allowed:
            shown = scheme + "://" if "://" in url else "no scheme"  # never the password
            expected = ", ".join(s + "://..." for s in allowed)
            raise ValueError(f"unsupported URL ({shown}): expected {expected}")
        return url

    @property
    def shared(self) -> bool:
        """Publications and changes live in a log shared by several replicas."""
        return self.changelog_url is not None

    @property
    def indexes_dir(self) -> Path:
        return self.home / "indexes"

    @property
    def querylog_dir(self) -> Path:
        return self.home / "querylog"

    @property
    def metrics_dir(self) -> Path:
        return self.home / "metrics"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, validated once."""
    return Settings()


def known_hosts() -> tuple[str, ...]:
    """The host apps of this process's settings, in canonical order."""
    return get_settings().hosts


def host_problem(host: str, earlier: tuple[str, ...] = ()) -> str | None:
    """Why ``host`` cannot name a host app (None when it can)."""
    if not HOST_NAME.fullmatch(host):
        return (
            f"{host[:40]!r} is not a host name (a lowercase letter, then up to 31 lowercase "
            "letters, digits, _ or -)"
        )
    if earlier.count(host) > 1:
        return f"host {host!r} is listed twice"
    return None


def read_hosts_file(path: Path) -> tuple[str, ...]:
    """The host apps in ``path``, one a line (blank lines and ``#`` comments skipped);
    ValueError naming the file and line of the first problem."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the hosts file: {exc}") from None
    hosts: list[str] = []
    for number, line in enumerate(lines, start=1):
        host = line.partition("#")[0].strip()
        if not host:
            continue
        problem = host_problem(host, (*hosts, host))
        if problem:
            raise ValueError(f"{path}:{number}: {problem}")
        hosts.append(host)
    if not hosts:
        raise ValueError(f"{path}: names no host app")
    return tuple(hosts)
