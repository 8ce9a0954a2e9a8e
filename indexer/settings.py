"""All settings in one place, read from ``MPSEARCH_*`` environment variables at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.analysis import default_dictionaries_dir


class Settings(BaseSettings):
    """Service and CLI settings; ``MPSEARCH_HOME`` holds index versions and state."""

    model_config = SettingsConfigDict(env_prefix="MPSEARCH_", extra="ignore")

    home: Path = Field(default=Path("var"), description="state folder: indexes/, current")
    dictionaries: Path = Field(default_factory=default_dictionaries_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    candidates: int = Field(default=200, ge=10, le=5000, description="first-stage hits re-ranked")
    admin_token: str | None = Field(default=None, repr=False)  # never in logs or reprs

    @property
    def indexes_dir(self) -> Path:
        return self.home / "indexes"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, validated once."""
    return Settings()
