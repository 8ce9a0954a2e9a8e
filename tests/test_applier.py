"""The applier in process, over a real index of the 10-listing base catalog.

Properties checked:
1. A serving copy replays the changes after the version's change_seq, and applies the
   decisions standing in the log whatever the version's change_seq: a takedown logged
   before the build started holds too (the export that still lists it does not outrank
   it; tests/test_decisions.py has the whole rule).
2. The version directory is untouched by applying (it still verifies) and the serving
   state names the copy, the build sequence and the applied sequence.
3. Applying a change twice (a second applier replaying the same log onto a fresh copy) gives
   the same documents; a PUT of an existing appid replaces it (one document per appid).
4. A brand PUT re-analyses that brand's listings: a new alias becomes a token of their brand
   field, and the copy's brands.json has it.
5. Only one applier holds the lock; it is free again after close().
6. served_versions() lists the served version, so gc keeps it.
7. A serving copy holds every file of its version (the category model too): its engine
   reads a query's categories as the version's does.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import tantivy

from indexer import schema as f
from indexer.applier import Applier, copy_path, read_state, served_versions
from indexer.brands import BrandTable
from indexer.build import build_index
from indexer.categories import MODEL_FILE
from indexer.changelog import SqliteChangeLog
from indexer.dictionaries import Dictionaries
from indexer.document import load_listing
from indexer.store import BRANDS_FILE, INDEX_DIR, IndexStore
from search.engine import Engine

BAD = Path(__file__).parent / "data" / "bad"
LISTINGS = BAD / "_base_listings.jsonl"
BRANDS = BAD / "_base_brands.jsonl"
LV = "wxc2c943090d2ec70a"
LV2 = "wxb6979e465ca80716"
HELLO = "2021226184876860"


def docs(path: Path) -> dict[str, dict[str, Any]]:
    """appid -> the stored listing of every live document in an index folder."""
    index = tantivy.Index.open(str(path / INDEX_DIR))
    searcher = index.searcher()
    out: dict[str, dict[str, Any]] = {}
    hits = searcher.search(tantivy.Query.all_query(), limit=1000).hits
    for _, addr in hits:
        card = searcher.doc(addr).get_first(f.CARD)
        assert isinstance(card, bytes)
        listing = load_listing(card)
        appid = listing["appid"]
        assert appid not in out, f"two documents for {appid}"
        out[appid] = {"listing": listing}
    return out


def holding(path: Path, field: str, term: str) -> set[str]:
    """Appids of the live documents whose ``field`` holds ``term``."""
    index = tantivy.Index.open(str(path / INDEX_DIR))
    searcher = index.searcher()
    query = tantivy.Query.term_query(index.schema, field, term)
    return {
        load_listing(searcher.doc(addr).get_first(f.CARD))["appid"]  # type: ignore[arg-type]
        for _, addr in searcher.search(query, limit=1000).hits
    }


def listing(appid: str) -> dict[str, Any]:
    for line in LISTINGS.read_bytes().splitlines():
        data: dict[str, Any] = orjson.loads(line)
        if data["appid"] == appid:
            return data
    raise KeyError(appid)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> Path:
    """A home whose log has one takedown (seq 1) and a version built after it."""
    home = tmp_path_factory.mktemp("applier-template")
    log = SqliteChangeLog.in_home(home)
    log.append("listing_delete", LV2, None)
    log.close()
    store = IndexStore(home)
    result = build_index(store, LISTINGS, BRANDS, dicts, change_seq=1)
    assert result.version is not None
    store.publish(result.version)
    return home


@pytest.fixture()
def home(template: Path, tmp_path: Path) -> Path:
    """A copy of the template home for one test."""
    return Path(shutil.copytree(template, tmp_path / "home"))


def test_replays_only_after_change_seq(home: Path, dicts: Dictionaries) -> None:
    log = SqliteChangeLog.in_home(home)
    log.append("listing_delete", HELLO, None)  # seq 2: after the build started
    applier = Applier(home, dicts, log)
    assert applier.try_lock()
    assert applier.step()
    state = read_state(home)
    assert state is not None
    store = IndexStore(home)
    assert (state.version, state.build_seq, state.applied_seq) == (store.current(), 1, 2)
    served = docs(copy_path(home, state))
    assert LV2 not in served  # logged before the build: a takedown outranks the export
    assert HELLO not in served
    assert len(served) == 8
    assert len(docs(store.path(state.version))) == 10  # the version itself is untouched
    store.verify(state.version)
    assert served_versions(home) == {state.version}
    applier.close()


def test_a_serving_copy_holds_every_file_of_its_version(home: Path, dicts: Dictionaries) -> None:
    """The engine of a serving copy reads as the version's does: the analyzer state and
    the category model too (a copy without the model served need queries without
    categories)."""
    applier = Applier(home, dicts, SqliteChangeLog.in_home(home))
    assert applier.try_lock()
    assert applier.step()
    state = read_state(home)
    assert state is not None
    store = IndexStore(home)
    copy = copy_path(home, state)

    def files(folder: Path) -> set[str]:
        return {p.name for p in folder.iterdir() if p.is_file()}

    assert MODEL_FILE in files(store.path(state.version))
    assert files(copy) == files(store.path(state.version))
    served = Engine.open(store, state.version, dicts, copy=copy)
    built = Engine.open(store, state.version, dicts)
    assert served.reader.model is not None
    query = "想买个包"
    assert served.reader.read(query).categories == built.reader.read(query).categories
    applier.close()


def test_idempotent_replay_and_replace(home: Path, dicts: Dictionaries) -> None:
    log = SqliteChangeLog.in_home(home)
    renamed = {**listing(LV), "name": "路易威登旗舰店"}
    log.append("listing_put", LV, renamed)
    log.append("listing_put", LV, renamed)
    first = Applier(home, dicts, log)
    assert first.try_lock()
    first.step()
    state = read_state(home)
    assert state is not None
    one = docs(copy_path(home, state))
    first.close()
    second = Applier(home, dicts, SqliteChangeLog.in_home(home))
    assert second.try_lock()
    second.step()
    state2 = read_state(home)
    assert state2 is not None and state2.copy_dir != state.copy_dir
    two = docs(copy_path(home, state2))
    assert one == two
    assert two[LV]["listing"]["name"] == "路易威登旗舰店"
    second.close()


def test_brand_put_reanalyses_its_listings(home: Path, dicts: Dictionaries) -> None:
    log = SqliteChangeLog.in_home(home)
    applier = Applier(home, dicts, log)
    assert applier.try_lock()
    applier.step()
    brand = orjson.loads(BRANDS.read_bytes().splitlines()[0])
    assert brand["brand_id"] == "louis-vuitton"
    brand["aliases"].append("Vuittonique")
    log.append("brand_put", "louis-vuitton", brand)
    assert applier.step()
    state = read_state(home)
    assert state is not None and state.brands_seq == state.applied_seq == 2
    root = copy_path(home, state)
    branded = holding(root, f.BRAND, "vuittonique")
    assert LV in branded  # the brand field of the brand's listings
    assert LV2 not in docs(root)  # taken down before the build (the template's log)
    assert "wx5d5b86f8f9fd1822" not in branded  # a listing without the brand
    table = BrandTable.model_validate(orjson.loads((root / BRANDS_FILE).read_bytes()))
    assert "Vuittonique" in table.brands["louis-vuitton"].aliases
    applier.close()


def test_single_lock_holder(home: Path, dicts: Dictionaries) -> None:
    a = Applier(home, dicts, SqliteChangeLog.in_home(home))
    b = Applier(home, dicts, SqliteChangeLog.in_home(home))
    assert a.try_lock()
    assert not b.try_lock()
    a.close()
    assert b.try_lock()
    b.close()
