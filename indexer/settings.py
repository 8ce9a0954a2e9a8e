"""All settings in one place, read from ``MPSEARCH_*`` environment variables at start-up,
and the host apps the service knows. Cheap to import: nothing here loads the analyzer."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final, Literal, get_args

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.dictionaries import default_dictionaries_dir

Host = Literal["jd", "qqbrowser", "samsung"]
"""Host app a listing can be live in."""
KNOWN_HOSTS: Final[tuple[Host, ...]] = get_args(Host)
"""Known hosts in their canonical order (the order ``Listing.hosts`` must use)."""


class Settings(BaseSettings):
    """Service and CLI settings; ``MPSEARCH_HOME`` holds index versions and state."""

    model_config = SettingsConfigDict(env_prefix="MPSEARCH_", extra="ignore")

    home: Path = Field(default=Path("var"), description="state folder: indexes/, current")
    dictionaries: Path = Field(default_factory=default_dictionaries_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    admin_token: str | None = Field(default=None, repr=False)  # never in logs or reprs
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
