"""Shared fixtures: the bundled sample catalog and a real index built from it in a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devcluster.postgres import Postgres
from devcluster.s3 import MotoS3
from indexer.build import build_index
from indexer.dictionaries import Dictionaries, default_dictionaries_dir
from indexer.store import IndexStore
from search.engine import Engine

DATA = Path(__file__).parent / "data"
SAMPLE_LISTINGS = DATA / "catalog" / "listings.jsonl"
SAMPLE_BRANDS = DATA / "catalog" / "brands.jsonl"
GOLDEN = Path(__file__).parent / "golden" / "dev.jsonl"


@pytest.fixture(scope="session")
def dicts() -> Dictionaries:
    return Dictionaries.load(default_dictionaries_dir())


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> Path:
    """An MPSEARCH_HOME with the sample catalog built and published (read-only for tests)."""
    home = tmp_path_factory.mktemp("home")
    store = IndexStore(home)
    result = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
    assert result.version is not None
    store.publish(result.version)
    return home


@pytest.fixture(scope="session")
def engine(sample_home: Path, dicts: Dictionaries) -> Engine:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    return Engine.open(store, version, dicts)


@pytest.fixture()
def home_env(sample_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """MPSEARCH_HOME pointing at the sample home, with cached settings cleared."""
    from indexer.settings import get_settings

    monkeypatch.setenv("MPSEARCH_HOME", str(sample_home))
    get_settings.cache_clear()
    yield sample_home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL server of the test run's own (initdb in a temp folder, a free port)."""
    with Postgres() as server:
        yield server


@pytest.fixture()
def pg_url(postgres: Postgres, request: pytest.FixtureRequest) -> str:
    """The URL of a fresh, empty database on the test run's PostgreSQL."""
    return postgres.new_database(request.node.name)


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[MotoS3]:
    """moto's S3 server for the test run, with one bucket."""
    with MotoS3() as server:
        yield server
