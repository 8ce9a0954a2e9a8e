"""search.http.holder.EngineHolder in process: hot swap with draining, readiness.

Properties checked:
1. Before anything is published the holder is not ready (NotReady), and a lease fails.
2. After start() (this holder takes the applier lock) the published version is served.
3. A request holding a lease keeps its engine across a publish: the new version is served
   to new leases within the wait, the held engine still answers with the old version, and
   the old engine is closed only when that lease ends (the log says so then, not before).
4. A commit of the same copy (a takedown) swaps in a refreshed engine without closing the
   index copy.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from lifecycle_support import wait_for

from indexer.build import build_index
from indexer.changelog import SqliteChangeLog
from indexer.dictionaries import Dictionaries
from indexer.settings import Settings
from indexer.store import IndexStore
from search.engine import SearchRequest
from search.errors import NotReady
from search.http.holder import EngineHolder

BAD = Path(__file__).parent / "data" / "bad"
LISTINGS = BAD / "_base_listings.jsonl"
BRANDS = BAD / "_base_brands.jsonl"


@pytest.mark.slow  # requests held open across a swap, timed
def test_swap_drains_in_flight_requests(
    tmp_path: Path, dicts: Dictionaries, caplog: pytest.LogCaptureFixture
) -> None:
    store = IndexStore(tmp_path)
    a, b = (build_index(store, LISTINGS, BRANDS, dicts).version for _ in range(2))
    assert a is not None and b is not None
    holder = EngineHolder(Settings(home=tmp_path))
    with pytest.raises(NotReady):
        holder.ready()
    store.publish(a)
    holder.start()
    try:
        assert holder.ready().version == a
        caplog.set_level(logging.INFO, logger="mpsearch.serving")
        with holder.lease() as held:
            store.publish(b)
            wait_for("B to be served", lambda: holder.get().version == b)
            assert held.version == a
            resp = held.search(SearchRequest(q="Apple", host="jd"))
            assert resp.index_version == a and resp.results
            assert not [r for r in caplog.records if r.getMessage().startswith("closed index")]
        closed = [r.getMessage() for r in caplog.records if "closed index" in r.getMessage()]
        assert len(closed) == 1 and a in closed[0]

        caplog.clear()
        before = holder.get()
        SqliteChangeLog.in_home(tmp_path).append("listing_delete", "wxc5f4d54d9066ae66", None)
        wait_for("the takedown", lambda: holder.get() is not before)
        after = holder.get()
        assert after.version == b
        assert after.num_docs == before.num_docs - 1
        time.sleep(0.2)
        assert not [r for r in caplog.records if "closed index" in r.getMessage()]
    finally:
        holder.stop()
