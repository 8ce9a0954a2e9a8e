"""Path-safe identifiers (indexer.ids) and their use by the store, the CLI and the API.

Properties checked:
1. Real appids, brand ids and version names are accepted as they are.
2. Hostile values (``../``, absolute paths, NUL, newline, backslash, full-width or Arabic
   digits, upper case, over-long, non-strings) are rejected for every kind, with a message
   naming the kind and the expected shape; version names raise VersionError (a UserError).
3. ``child_path`` only ever returns a direct child of its root.
4. Every store lookup (path, manifest, verify, publish, staging_dir) refuses hostile version
   names and writes nothing.
5. Through the CLI, `index publish`, `search --index` and `eval --index` with such names exit 2
   with an error message (no traceback), and `current` stays unset.
6. A tampered `current` pointer (``../../etc``) makes the CLI exit 2 and the API answer 503
   with a JSON error body, never 500, and nothing outside the home is read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GOLDEN
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from indexer.errors import UserError, VersionError
from indexer.ids import IdKind, InvalidIdentifier, check_id, check_version, child_path, is_valid
from indexer.settings import Settings, get_settings
from indexer.store import IndexStore
from search.cli import commands as cli
from search.http.app import create_app

VALID_VERSION = "v20250314-102205-a1b2c3"
HOSTILE = [
    "",
    ".",
    "..",
    "../etc",
    "../../etc/passwd",
    "/etc/passwd",
    "/",
    "a/b",
    "a\\b",
    "..\\..\\x",
    "x\x00y",
    "\x00",
    "abc\n",
    "abc\r",
    " abc",
    "abc ",
    "~root",
    "%2e%2e",
    "ＡＢＣ",  # full-width
    "wx١٢٣",  # Arabic-Indic digits
    "a" * 65,
    "ABC",
]
HOSTILE_VERSIONS = [
    *HOSTILE,
    "../" + VALID_VERSION,
    VALID_VERSION + "/..",
    "/" + VALID_VERSION,
    VALID_VERSION + "\x00",
    VALID_VERSION + "\n",
    "v２０２５0314-102205-a1b2c3",
]


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# ------------------------------------------------------------------ 1-3 the helper


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("appid", "wxc2c943090d2ec70a"),
        ("appid", "2021004123456789"),
        ("appid", "a" * 32),
        ("brand_id", "louis-vuitton"),
        ("brand_id", "apple"),
        ("version", VALID_VERSION),
    ],
)
def test_valid_ids(kind: IdKind, value: str) -> None:
    assert is_valid(kind, value)
    assert check_id(kind, value) == value
    assert child_path(Path("/srv/home"), kind, value) == Path("/srv/home") / value


@pytest.mark.parametrize("kind", ["appid", "brand_id", "version"])
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_rejected(kind: IdKind, value: str) -> None:
    assert not is_valid(kind, value)
    with pytest.raises(UserError) as info:
        child_path(Path("/srv/home"), kind, value)
    if kind == "version":
        assert isinstance(info.value, VersionError)
        assert "is not a version name" in str(info.value)
    else:
        assert isinstance(info.value, InvalidIdentifier)
        assert f"is not a valid {kind}" in str(info.value)


@pytest.mark.parametrize("value", [None, 12, b"wx00", ["a"]])
def test_non_strings_rejected(value: object) -> None:
    for kind in ("appid", "brand_id"):
        with pytest.raises(InvalidIdentifier):
            check_id(kind, value)  # type: ignore[arg-type]
    with pytest.raises(VersionError):
        check_version(value)


def test_brand_id_shape() -> None:
    assert not is_valid("brand_id", "-apple")
    assert not is_valid("brand_id", "apple-")
    assert not is_valid("brand_id", "louis--vuitton")
    assert is_valid("brand_id", "a" * 64) and not is_valid("brand_id", "a" * 65)


def test_long_value_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        check_id("appid", "x" * 10_000)
    assert len(str(info.value)) < 200


# ------------------------------------------------------------------ 4 the store


@pytest.mark.parametrize("name", HOSTILE_VERSIONS)
def test_store_refuses_hostile_versions(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "manifest.json").write_text("{}")  # bait just outside indexes/
    store = IndexStore(home)
    for call in (store.check_name, store.path, store.manifest, store.verify, store.publish):
        with pytest.raises(VersionError):
            call(name)
    with pytest.raises(VersionError):
        store.staging_dir(name)
    assert not (home / "current").exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) in (
        ["home", "manifest.json"],
        ["home", "indexes", "manifest.json"],
    )


# ------------------------------------------------------------------ 5-6 CLI and API


@pytest.fixture()
def empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("MPSEARCH_HOME", str(home))
    return home


CLI_NAMES = ["../../etc", "/etc/passwd", "x\x00y", VALID_VERSION + "/..", "..\\x"]


@pytest.mark.parametrize("name", CLI_NAMES)
def test_cli_refuses_hostile_versions(empty_home: Path, name: str) -> None:
    runner = CliRunner()
    for args in (
        ["index", "publish", name],
        ["search", "LV", "--index", name],
        ["eval", "--golden", str(GOLDEN), "--index", name],
    ):
        result = runner.invoke(cli.app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "is not a version name" in result.stderr
        assert "Traceback" not in result.output
    assert not (empty_home / "current").exists()


def test_tampered_current_pointer(empty_home: Path) -> None:
    empty_home.mkdir()
    (empty_home / "current").write_text("../../etc\n")
    result = CliRunner().invoke(cli.app, ["search", "LV"])
    assert result.exit_code == 2
    assert "is not a version name" in result.stderr

    app = create_app(Settings(home=empty_home))
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/readyz", "/v1/search?q=LV&host=jd"):
            resp = client.get(path)
            assert resp.status_code == 503, path
            body = resp.json()
            assert body["error"] == "not_ready"
            assert "is not a version name" in body["message"]
