"""Decisions made through the API outrank catalog exports (indexer.decisions), end to end
through a real build and the applier's serving copy of the 10-listing base catalog.

Properties checked:
1. A rebuild from an export that still lists a taken-down appid, recording the log's last
   sequence as its change_seq (the default of `index build`), does not bring it back: the
   serving copy of the new version leaves it out, and so does the version itself; the
   build's manifest counts the listing as held back.
2. A version built before the takedown (change_seq 0), published again later (a rollback),
   leaves it out too.
3. An upsert of the listing through the API lifts the takedown: a rebuild after it serves
   the listing again (from the export, which reflects the upsert's sequence), and one
   taken down, lifted and taken down again stays down.
4. Content upserts keep "newest wins by change_seq": an upsert the export reflects (at or
   below its change_seq) is not replayed over it; one after it is.
5. The log's `standing` view gives, per key, the newest change among the kinds asked for,
   whatever other kinds follow.
6. A go-live approval makes a listing live in a host its export does not list: the
   serving copy has the host (and its live term), a rebuild from the same export keeps it
   (in the version itself and served), and a rollback to a version built before the
   approval serves it too.
7. A withdrawal from one host holds the same way, the listing staying live elsewhere; the
   newest of an approval and a withdrawal of the same listing and host stands.
8. An upsert through the API after an approval (its content listing the export's hosts)
   is served with its new content and still the approved host.
9. Applications and rejections change nothing that is served.
10. A listing whose export names only hosts it was withdrawn from is held back (counted by
    the build, absent from the serving copy).
11. Applied live to a serving copy: an approval after the copy was prepared reaches it at
    the next step, rewriting the version's listing or, for a listing upserted after the
    build, the upsert's content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from indexer import schema as f
from indexer.applier import Applier, copy_path, read_state
from indexer.build import build_index
from indexer.changelog import ChangeKind, SqliteChangeLog
from indexer.decisions import StandingDecisions, host_key
from indexer.dictionaries import Dictionaries
from indexer.store import IndexStore
from tests.test_applier import BRANDS, HELLO, LISTINGS, LV, LV2, docs, holding, listing


def serve(home: Path, dicts: Dictionaries, version: str) -> dict[str, dict[str, Any]]:
    """Publish ``version``, let a fresh applier prepare it; the documents it serves."""
    store = IndexStore(home)
    store.publish(version)
    log = SqliteChangeLog.in_home(home)
    applier = Applier(home, dicts, log)
    try:
        assert applier.try_lock()
        applier.step()
        state = read_state(home)
        assert state is not None and state.version == version
        return docs(copy_path(home, state))
    finally:
        applier.close()
        log.close()


def rebuild(home: Path, dicts: Dictionaries, change_seq: int | None = None) -> str:
    """A build from the base export, at the log's last sequence unless told otherwise."""
    log = SqliteChangeLog.in_home(home)
    try:
        seq = log.last_seq() if change_seq is None else change_seq
        decisions = StandingDecisions.read(log)
    finally:
        log.close()
    result = build_index(
        IndexStore(home), LISTINGS, BRANDS, dicts, change_seq=seq, decisions=decisions
    )
    assert result.version is not None
    return result.version


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_rebuild_does_not_resurrect_a_takedown(home: Path, dicts: Dictionaries) -> None:
    old = rebuild(home, dicts)  # before the takedown: change_seq 0
    log = SqliteChangeLog.in_home(home)
    log.append("listing_delete", LV2, None)
    log.close()
    new = rebuild(home, dicts)  # the export still lists LV2; change_seq 1
    store = IndexStore(home)
    manifest = store.verify(new)
    assert manifest.change_seq == 1
    assert manifest.counts["listings_held_back"] == 1
    assert manifest.counts["listings_indexed"] == 9
    assert LV2 not in docs(store.path(new))  # held back by the build itself
    served = serve(home, dicts, new)
    assert LV2 not in served and len(served) == 9
    rolled_back = serve(home, dicts, old)  # built before the takedown
    assert LV2 not in rolled_back and len(rolled_back) == 9
    assert store.verify(old).counts["listings_held_back"] == 0


def test_upsert_lifts_a_takedown(home: Path, dicts: Dictionaries) -> None:
    log = SqliteChangeLog.in_home(home)
    log.append("listing_delete", LV2, None)
    log.append("listing_delete", HELLO, None)
    log.append("listing_put", LV2, listing(LV2))  # lifts the first takedown
    log.append("listing_put", HELLO, listing(HELLO))
    log.append("listing_delete", HELLO, None)  # and the second one stands again
    log.close()
    version = rebuild(home, dicts)
    assert IndexStore(home).verify(version).counts["listings_held_back"] == 1
    served = serve(home, dicts, version)
    assert LV2 in served
    assert HELLO not in served


def test_content_upserts_newest_wins_by_change_seq(home: Path, dicts: Dictionaries) -> None:
    log = SqliteChangeLog.in_home(home)
    log.append("listing_put", LV, {**listing(LV), "name": "路易威登旧名店"})  # seq 1
    log.close()
    version = rebuild(home, dicts)  # the export reflects seq 1
    served = serve(home, dicts, version)
    assert served[LV]["listing"]["name"] == listing(LV)["name"]  # the export wins
    log = SqliteChangeLog.in_home(home)
    log.append("listing_put", LV, {**listing(LV), "name": "路易威登新名店"})  # seq 2
    log.close()
    served = serve(home, dicts, version)
    assert served[LV]["listing"]["name"] == "路易威登新名店"  # newer than the export


def test_standing_is_the_newest_change_per_key(tmp_path: Path) -> None:
    log = SqliteChangeLog.in_home(tmp_path)
    log.append("listing_delete", "wx0000000000000001", None)  # 1
    log.append("listing_put", "wx0000000000000002", {"appid": "wx0000000000000002"})  # 2
    log.append("listing_delete", "wx0000000000000002", None)  # 3
    log.append("brand_put", "wx0000000000000001", {"brand_id": "x"})  # 4: another kind
    log.append("listing_put", "wx0000000000000003", {"appid": "wx0000000000000003"})  # 5
    standing = log.standing(("listing_put", "listing_delete"))
    assert [(c.seq, c.kind, c.key) for c in standing] == [
        (1, "listing_delete", "wx0000000000000001"),
        (3, "listing_delete", "wx0000000000000002"),
        (5, "listing_put", "wx0000000000000003"),
    ]
    decisions = StandingDecisions.read(log)
    assert [c.seq for c in decisions.changes] == [1, 3]
    log.close()


SAMSUNG_ONLY = "3xspulzely92c2gom914a8d2pc98vp8m"  # Samsung Members: live in samsung only


def decide(home: Path, kind: ChangeKind, appid: str, host: str) -> int:
    """A go-live decision appended as the API appends it; its sequence."""
    log = SqliteChangeLog.in_home(home)
    try:
        return log.append(kind, host_key(appid, host), {"who": "test", "why": None}).seq
    finally:
        log.close()


def hosts_of(served: dict[str, dict[str, Any]], appid: str) -> list[str]:
    hosts: list[str] = served[appid]["listing"]["hosts"]
    return hosts


def served_copy(home: Path) -> Path:
    state = read_state(home)
    assert state is not None
    return copy_path(home, state)


def test_approval_outranks_the_export(home: Path, dicts: Dictionaries) -> None:
    old = rebuild(home, dicts)  # before the approval
    decide(home, "golive_apply", LV2, "samsung")
    assert "samsung" not in hosts_of(serve(home, dicts, old), LV2)  # pending: not live
    decide(home, "golive_approve", LV2, "samsung")
    served = serve(home, dicts, old)
    assert hosts_of(served, LV2) == ["jd", "qqbrowser", "samsung"]
    assert LV2 in holding(served_copy(home), f.LIVE, "samsung")
    new = rebuild(home, dicts)  # the export still lists jd and qqbrowser only
    store = IndexStore(home)
    assert hosts_of(docs(store.path(new)), LV2) == ["jd", "qqbrowser", "samsung"]
    assert store.verify(new).counts["listings_held_back"] == 0
    assert hosts_of(serve(home, dicts, new), LV2) == ["jd", "qqbrowser", "samsung"]
    assert LV2 in holding(served_copy(home), f.LIVE, "samsung")
    assert hosts_of(serve(home, dicts, old), LV2) == ["jd", "qqbrowser", "samsung"]  # rollback


def test_withdrawal_outranks_the_export(home: Path, dicts: Dictionaries) -> None:
    decide(home, "host_withdraw", LV, "jd")
    version = rebuild(home, dicts)
    served = serve(home, dicts, version)
    assert hosts_of(served, LV) == ["qqbrowser", "samsung"]  # still live elsewhere
    copy = served_copy(home)
    assert LV in holding(copy, f.HIDDEN, "jd") and LV not in holding(copy, f.LIVE, "jd")
    decide(home, "golive_approve", LV, "jd")  # the newest stands: live again
    assert hosts_of(serve(home, dicts, version), LV) == ["jd", "qqbrowser", "samsung"]
    decide(home, "host_withdraw", LV, "jd")
    assert hosts_of(serve(home, dicts, rebuild(home, dicts)), LV) == ["qqbrowser", "samsung"]


def test_upsert_keeps_the_approved_host(home: Path, dicts: Dictionaries) -> None:
    version = rebuild(home, dicts)
    decide(home, "golive_approve", LV2, "samsung")
    log = SqliteChangeLog.in_home(home)
    log.append("listing_put", LV2, {**listing(LV2), "name": "路易威登预约新名"})  # hosts: jd, qq
    log.close()
    served = serve(home, dicts, version)
    assert served[LV2]["listing"]["name"] == "路易威登预约新名"
    assert hosts_of(served, LV2) == ["jd", "qqbrowser", "samsung"]
    served = serve(home, dicts, rebuild(home, dicts))  # the export reflects the upsert now
    assert hosts_of(served, LV2) == ["jd", "qqbrowser", "samsung"]


def test_applications_and_rejections_change_nothing(home: Path, dicts: Dictionaries) -> None:
    version = rebuild(home, dicts)
    before = serve(home, dicts, version)
    decide(home, "golive_apply", LV2, "samsung")
    decide(home, "golive_reject", LV2, "samsung")
    decide(home, "golive_apply", HELLO, "samsung")
    assert serve(home, dicts, version) == before


def test_withdrawn_from_every_listed_host_is_held_back(home: Path, dicts: Dictionaries) -> None:
    decide(home, "host_withdraw", SAMSUNG_ONLY, "samsung")
    version = rebuild(home, dicts)
    assert IndexStore(home).verify(version).counts["listings_held_back"] == 1
    served = serve(home, dicts, version)
    assert SAMSUNG_ONLY not in served and len(served) == 9


def test_decisions_applied_live(home: Path, dicts: Dictionaries) -> None:
    store = IndexStore(home)
    store.publish(rebuild(home, dicts))
    log = SqliteChangeLog.in_home(home)
    applier = Applier(home, dicts, log)
    new_appid = "wx00000000000de001"
    try:
        assert applier.try_lock()
        applier.step()  # the serving copy, prepared
        decide(home, "golive_approve", LV2, "samsung")
        log.append("listing_put", new_appid, {**listing(LV2), "appid": new_appid})
        decide(home, "golive_approve", new_appid, "samsung")
        assert applier.step()
        copy = served_copy(home)
        assert {LV2, new_appid} <= holding(copy, f.LIVE, "samsung")
        decide(home, "host_withdraw", LV2, "samsung")
        assert applier.step()
        served = docs(served_copy(home))
        assert hosts_of(served, LV2) == ["jd", "qqbrowser"]
        assert hosts_of(served, new_appid) == ["jd", "qqbrowser", "samsung"]
    finally:
        applier.close()
        log.close()
