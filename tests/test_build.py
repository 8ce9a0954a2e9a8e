"""Unit tests for indexer.build: catalog files → a new immutable index version.

The sample catalog is checked through the session's ``sample_home`` (read
only); builds that need other input go to this module's own temp folders.

Properties checked:

1. The sample builds with every listing and brand: 624 listings indexed, 159
   brands, no rejects; the manifest records the schema version, the analyzer
   fingerprint, each source's path, size and sha256, and counts by status and
   platform that add up.
2. A version folder holds exactly the index, brands.json (a loadable brand
   table), words.txt (the catalog words, sorted), the analyzer's state, the
   category model (categories.json) and the manifest; the spool and the staging
   folder are gone.
9. The build writes the query → category model of the listings it indexed: it
   loads, counts every listing, equals the model of the same listings' analysed
   fields counted by hand, and is covered by the version's checksum (an edited
   model makes the version corrupt). (Workers give the same file:
   test_build_parallel.py.)
3. ``Engine.open`` opens the built version and finds every sample listing; what
   it loaded is frozen out of the cyclic collector's walks.
4. A catalog with broken lines still builds: each bad line is a reject naming
   ``file:line field``, every good line is indexed and retrievable by appid,
   and a rejected appid is not in the index.
5. ``strict=True`` with rejects returns ``version is None`` with the report and
   leaves no version or staging folder behind; without rejects it builds.
6. A missing catalog file raises CatalogError before anything is written.
7. Opening a version with dictionaries other than those it was built with, or
   written with another schema version, raises IncompatibleIndexError telling
   to rebuild.
8. ``progress`` is called with the running count, ending at the total.
9. Documents are numbered by category path, the catalog's order kept within one.
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import orjson
import pytest

from indexer.analysis import analyzer_fingerprint
from indexer.brands import BrandTable
from indexer.build import BuildResult, _order_spool, build_index
from indexer.categories import MODEL_FILE, CategoryCounts, CategoryModel
from indexer.dictionaries import Dictionaries, default_dictionaries_dir
from indexer.document import analyse_fields
from indexer.errors import CatalogError, IncompatibleIndexError, VersionError
from indexer.models import Listing
from indexer.schema import SCHEMA_VERSION
from indexer.store import (
    ANALYZER_STATE_FILE,
    ANALYZER_TRIE_FILE,
    BRANDS_FILE,
    INDEX_DIR,
    MANIFEST,
    WORD_FREQS_FILE,
    WORDS_FILE,
    IndexStore,
    file_sha256,
)
from search.engine import Engine
from search.errors import NotFound

DATA = Path(__file__).parent / "data"
SAMPLE_LISTINGS = DATA / "catalog" / "listings.jsonl"
SAMPLE_BRANDS = DATA / "catalog" / "brands.jsonl"
BAD = DATA / "bad"
BASE_LISTINGS = BAD / "_base_listings.jsonl"
BASE_BRANDS = BAD / "_base_brands.jsonl"
BASE_LINES = BASE_LISTINGS.read_bytes().splitlines()
BASE_APPIDS = [orjson.loads(line)["appid"] for line in BASE_LINES]


def _line(name: str, number: int) -> bytes:
    """Line ``number`` (1-based) of ``tests/data/bad/name``, without its terminator."""
    return (BAD / name).read_bytes().split(b"\n")[number - 1].removesuffix(b"\r")


# Line 9 of the base is replaced by a copy whose brand is unknown; bad copies of
# other lines and a blank line follow (lines 11-19), then one more good listing
# (line 20). (file line, field) of each expected reject:
REPLACED = {9: _line("unknown_brand.jsonl", 9)}
APPENDED = [
    (_line("invalid_json.jsonl", 8), "(line)"),
    (_line("wrong_type_mau.jsonl", 8), "monthly_active_users"),
    (_line("null_name.jsonl", 9), "name"),
    (_line("unknown_field.jsonl", 8), "score"),
    (_line("not_object.jsonl", 6), "(line)"),
    (_line("invalid_utf8.jsonl", 8), "(line)"),
    (_line("online_empty_hosts.jsonl", 9), "hosts"),
    (_line("missing_field.jsonl", 8), "description"),
    (b"", "(line)"),  # a blank line that is not the last
]
EXPECTED_REJECTS = [(9, "brand_id")] + [(11 + i, field) for i, (_, field) in enumerate(APPENDED)]
EXTRA_APPID = "wx0000000000000001"
EXTRA_LINE = BASE_LINES[9].replace(BASE_APPIDS[9].encode(), EXTRA_APPID.encode())
GOOD_APPIDS = [a for i, a in enumerate(BASE_APPIDS, start=1) if i not in REPLACED]
GOOD_APPIDS.append(EXTRA_APPID)
REJECTED_APPID = BASE_APPIDS[8]


def _broken_listings(folder: Path) -> Path:
    lines = [REPLACED.get(i, line) for i, line in enumerate(BASE_LINES, start=1)]
    lines += [line for line, _ in APPENDED]
    lines.append(EXTRA_LINE)
    path = folder / "listings.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries
) -> tuple[IndexStore, BuildResult, Path]:
    folder = tmp_path_factory.mktemp("broken")
    listings = _broken_listings(folder)
    store = IndexStore(folder / "home")
    return store, build_index(store, listings, BASE_BRANDS, dicts), listings


@pytest.fixture(scope="module")
def broken_engine(broken: tuple[IndexStore, BuildResult, Path], dicts: Dictionaries) -> Engine:
    store, result, _ = broken
    assert result.version is not None
    return Engine.open(store, result.version, dicts)


# ------------------------------------------------------------------ 1-3 the sample


def test_sample_manifest(sample_home: Path, dicts: Dictionaries) -> None:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None and store.versions() == [version]
    manifest = store.verify(version)
    assert manifest.version == version
    assert manifest.schema_version == SCHEMA_VERSION
    assert manifest.fingerprint == analyzer_fingerprint(dicts)
    assert manifest.counts == {
        "listings_read": 624,
        "listings_indexed": 624,
        "listings_held_back": 0,
        "listings_rejected": 0,
        "brands_read": 159,
        "brands_indexed": 159,
        "rejected": 0,
    }
    assert manifest.by_status == {"online": 561, "offline": 46, "suspended": 17}
    assert manifest.by_platform == {"wechat": 551, "alipay": 52, "baidu": 21}
    assert sum(manifest.by_status.values()) == sum(manifest.by_platform.values()) == 624
    for key, path in (("listings", SAMPLE_LISTINGS), ("brands", SAMPLE_BRANDS)):
        source = manifest.sources[key]
        assert source.path == str(path)
        assert source.sha256 == file_sha256(path)
        assert source.bytes == path.stat().st_size
    assert manifest.created_at.utcoffset() is not None


def test_sample_version_files(sample_home: Path) -> None:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    root = store.path(version)
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [
            ANALYZER_STATE_FILE,
            ANALYZER_TRIE_FILE,
            BRANDS_FILE,
            INDEX_DIR,
            MANIFEST,
            MODEL_FILE,
            WORD_FREQS_FILE,
            WORDS_FILE,
        ]
    )
    assert sorted(p.name for p in store.root.iterdir()) == [version]  # no staging left

    table = BrandTable.model_validate(orjson.loads((root / BRANDS_FILE).read_bytes()))
    assert len(table.brands) == 159
    assert [e.brand_id for e in table.keys["louisvuitton"]] == ["louis-vuitton"]
    assert [(e.brand_id, e.kind) for e in table.keys["麦当劳"]] == [
        ("mcdonalds", "name"),
        ("mcdonalds", "alias"),  # 麥當勞
    ]

    words = (root / WORDS_FILE).read_text(encoding="utf-8").split("\n")
    assert words[-1] == ""
    words = words[:-1]
    assert words == sorted(set(words))
    assert {"路易威登", "麦当劳", "金拱门", "路易威登官方精品店"} <= set(words)
    assert all(2 <= len(w) <= 12 for w in words)


def test_sample_opens(engine: Engine, sample_home: Path) -> None:
    store = IndexStore(sample_home)
    assert engine.version == store.current()
    assert engine.num_docs == 624
    appids = [orjson.loads(line)["appid"] for line in SAMPLE_LISTINGS.read_bytes().splitlines()]
    assert len(set(appids)) == 624
    for appid in appids:
        assert engine.listing(appid)["appid"] == appid


# ------------------------------------------------------------------ 4 broken lines


def test_broken_catalog_builds(broken: tuple[IndexStore, BuildResult, Path]) -> None:
    store, result, listings = broken
    assert result.version is not None
    assert store.versions() == [result.version]
    assert [(r.file, r.line, r.field) for r in result.report.rejects] == [
        (str(listings), line, field) for line, field in EXPECTED_REJECTS
    ]
    assert result.report.rejects[0].reason == "unknown brand_id 'no-such-brand'"
    assert result.report.rejects[-1].reason == "blank line"
    assert result.report.rejects[1].render().startswith(f"{listings}:11 (line): invalid JSON")
    assert result.manifest is not None
    assert result.manifest == store.manifest(result.version)
    assert result.manifest.counts == {
        "listings_read": 20,
        "listings_indexed": 10,
        "listings_held_back": 0,
        "listings_rejected": 10,
        "brands_read": 4,
        "brands_indexed": 4,
        "rejected": 10,
    }
    assert sorted(p.name for p in store.root.iterdir()) == [result.version]


def test_broken_catalog_good_lines_searchable(broken_engine: Engine) -> None:
    assert broken_engine.num_docs == len(GOOD_APPIDS) == 10
    for appid in GOOD_APPIDS:
        assert broken_engine.listing(appid)["appid"] == appid
    # the stored listing is the catalog line as validated
    assert broken_engine.listing(BASE_APPIDS[0]) == orjson.loads(BASE_LINES[0])
    assert broken_engine.listing(EXTRA_APPID) == orjson.loads(EXTRA_LINE)
    with pytest.raises(NotFound, match=REJECTED_APPID):
        broken_engine.listing(REJECTED_APPID)


# ------------------------------------------------------------------ 5 strict


def test_strict_with_rejects_builds_nothing(
    tmp_path: Path, broken: tuple[IndexStore, BuildResult, Path], dicts: Dictionaries
) -> None:
    _, lenient, listings = broken
    store = IndexStore(tmp_path / "home")
    result = build_index(store, listings, BASE_BRANDS, dicts, strict=True)
    assert result.version is None
    assert result.manifest is None
    assert result.report.rejects == lenient.report.rejects
    assert store.versions() == []
    assert list(store.root.iterdir()) == []  # no version, no staging
    with pytest.raises(VersionError, match="no index version"):
        store.latest()


def test_strict_without_rejects_builds(tmp_path: Path, dicts: Dictionaries) -> None:
    store = IndexStore(tmp_path / "home")
    seen: list[int] = []
    result = build_index(
        store, BASE_LISTINGS, BASE_BRANDS, dicts, strict=True, progress=seen.append
    )
    assert result.version is not None
    assert result.report.rejects == []
    assert store.versions() == [result.version]
    assert result.manifest is not None and result.manifest.counts["listings_indexed"] == 10
    assert seen == [10]  # every 1000 listings (none here) and once at the end


# ------------------------------------------------------------------ 6 missing files


@pytest.mark.parametrize("which", ["listings", "brands", "folder"])
def test_missing_catalog_file(tmp_path: Path, dicts: Dictionaries, which: str) -> None:
    missing = tmp_path if which == "folder" else tmp_path / "nope.jsonl"
    listings = BASE_LISTINGS if which == "brands" else missing
    brands = missing if which == "brands" else BASE_BRANDS
    store = IndexStore(tmp_path / "home")
    with pytest.raises(CatalogError, match="catalog file not found") as info:
        build_index(store, listings, brands, dicts)
    assert str(info.value).startswith(f"{missing}:")
    assert not (tmp_path / "home").exists()


# ------------------------------------------------------------------ 7 other dictionaries


def test_open_freezes_the_engine(sample_home: Path, dicts: Dictionaries) -> None:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    engine = Engine.open(store, version, dicts)
    assert gc.get_freeze_count() > 0
    tracked = gc.get_objects()
    assert not any(o is engine or o is engine.analyzer for o in tracked)


def test_open_with_other_dictionaries(sample_home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "dictionaries"
    shutil.copytree(default_dictionaries_dir(), copy)
    with (copy / "userdict.txt").open("a", encoding="utf-8") as fh:
        fh.write("茶颜悦色 100\n")
    edited = Dictionaries.load(copy)
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    with pytest.raises(IncompatibleIndexError) as info:
        Engine.open(store, version, edited)
    message = str(info.value)
    assert version in message
    assert str(copy) in message
    assert analyzer_fingerprint(edited) in message
    assert "Rebuild" in message and "mpsearch index build" in message


def test_open_other_schema_version(sample_home: Path, dicts: Dictionaries, tmp_path: Path) -> None:
    """A serving copy (no checksum to check) whose manifest says another schema is refused."""
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    copy = tmp_path / "copy"
    shutil.copytree(store.path(version), copy)
    older = store.manifest(version).model_copy(update={"schema_version": SCHEMA_VERSION - 1})
    (copy / MANIFEST).write_text(older.model_dump_json(), encoding="utf-8")
    with pytest.raises(IncompatibleIndexError) as info:
        Engine.open(IndexStore(tmp_path), version, dicts, copy=copy)
    message = str(info.value)
    assert f"schema version {SCHEMA_VERSION - 1}" in message
    assert "Rebuild" in message and "mpsearch index build" in message


def test_open_with_other_schema(
    sample_home: Path, dicts: Dictionaries, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code that writes another schema (new fields) refuses a version built before it."""
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    built = store.manifest(version).fingerprint
    monkeypatch.setattr("indexer.analysis.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    assert analyzer_fingerprint(dicts) != built
    with pytest.raises(IncompatibleIndexError) as info:
        Engine.open(store, version, dicts)
    message = str(info.value)
    assert version in message and "schema" in message
    assert "Rebuild" in message and "mpsearch index build" in message


# ------------------------------------------------------------------ 9 the category model


def _counted_by_hand(engine: Engine) -> CategoryModel:
    """The model of the sample listings' analysed fields, counted outside the build."""
    counts = CategoryCounts()
    brands = engine.table.brands
    for line in SAMPLE_LISTINGS.read_bytes().splitlines():
        listing = Listing.model_validate_json(line)
        fields = analyse_fields(listing, brands.get(listing.brand_id or ""), engine.analyzer)
        counts.add_fields(fields)
    return counts.model()


def test_build_writes_the_category_model(sample_home: Path, engine: Engine) -> None:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    model = CategoryModel.load(store.path(version))
    assert model.listings == 624
    assert model.to_json() == _counted_by_hand(engine).to_json()
    assert [c for c, _ in model.predict(["打车"])][:2] == ["出行", "出行/打车"]


def test_category_model_in_checksum(tmp_path: Path, dicts: Dictionaries) -> None:
    store = IndexStore(tmp_path)
    result = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
    assert result.version is not None
    store.verify(result.version)
    path = store.path(result.version) / MODEL_FILE
    path.write_bytes(path.read_bytes().replace("打车".encode(), "打的".encode()))
    with pytest.raises(VersionError, match="corrupt"):
        store.verify(result.version)


def test_the_spool_is_ordered_by_category_path_keeping_the_catalog_order_within(
    tmp_path: Path,
) -> None:
    """Documents are numbered in spool order: a category's listings sit together, in the
    catalog's order within it (``_order_spool``)."""
    spool = tmp_path / "spool.jsonl"
    lines = [b'{"n": 1, "c": "b/x"}\n', b'{"n": 2, "c": "a/y"}\n', b'{"n": 3, "c": "b/x"}\n']
    lines.append(b'{"n": 4, "c": "a/x"}\n')
    spool.write_bytes(b"".join(lines))
    offsets = [sum(len(line) for line in lines[:i]) for i in range(len(lines))]
    ranks = {"a/x": 0, "a/y": 1, "b/x": 2}
    _order_spool(spool, [ranks[orjson.loads(line)["c"]] for line in lines], offsets)
    assert [orjson.loads(line)["n"] for line in spool.read_bytes().splitlines()] == [4, 2, 1, 3]
