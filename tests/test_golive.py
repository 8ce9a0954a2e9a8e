"""indexer.golive: the go-live workflow over a real SQLite change log.

Properties checked:
1. An application is pending with who, when and its note; it is listed by host and status,
   and read back by its id (the sequence of its change).
2. Applying is refused (409, with the reason) for an offline or suspended listing, for a
   host the listing is live in (by its export, or approved), and while an application of
   that listing and host is pending; after a rejection or a withdrawal it may apply again.
3. Approving records who, when and the note; approving or rejecting a decided application
   again is refused naming who decided it; a rejection records its reason. An id that is no
   application (unknown, or another change's) is not found, naming `id`.
4. Withdrawing from a host the listing is live in (by export or by approval) is recorded;
   from a host it is not live in (never, or already withdrawn) is not found, naming `host`;
   from its only host is refused, pointing to a takedown.
5. An unknown host is not found, naming `host`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.changelog import SqliteChangeLog
from indexer.errors import DecisionConflict, DecisionNotFound
from indexer.golive import GoLive

APPID = "wx9426f5912f0aad45"


def listing(hosts: list[str], status: str = "online", appid: str = APPID) -> dict[str, Any]:
    """What the workflow reads of a served listing."""
    return {"appid": appid, "hosts": hosts, "status": status}


@pytest.fixture()
def golive(tmp_path: Path) -> Iterator[GoLive]:
    log = SqliteChangeLog.in_home(tmp_path)
    yield GoLive(log)
    log.close()


def test_application_is_pending(golive: GoLive) -> None:
    app = golive.apply(listing(["jd", "qqbrowser"]), "samsung", "dev-bot", "launcher slot")
    assert (app.id, app.appid, app.host, app.status) == (1, APPID, "samsung", "pending")
    assert (app.who, app.note, app.decided_by, app.decided_at) == (
        "dev-bot",
        "launcher slot",
        None,
        None,
    )
    assert golive.application(1) == app
    other = golive.apply(listing(["jd"], appid="wx0000000000000002"), "qqbrowser", "dev", None)
    assert [a.id for a in golive.applications()] == [1, other.id]
    assert golive.applications(host="samsung") == [app]
    assert golive.applications(status="approved") == []


@pytest.mark.parametrize(
    ("served", "reason"),
    [
        (listing(["jd"], status="offline"), "is offline: only an online listing goes live"),
        (listing(["jd"], status="suspended"), "is suspended"),
        (listing(["jd", "samsung"]), "is already live in samsung"),
    ],
)
def test_apply_refused(golive: GoLive, served: dict[str, Any], reason: str) -> None:
    with pytest.raises(DecisionConflict, match=reason):
        golive.apply(served, "samsung", "dev", None)
    assert golive.applications() == []


def test_one_pending_application_at_a_time(golive: GoLive) -> None:
    served = listing(["jd"])
    first = golive.apply(served, "samsung", "dev", None)
    with pytest.raises(DecisionConflict, match=f"application {first.id} pending in samsung"):
        golive.apply(served, "samsung", "dev", None)
    golive.reject(first.id, "ops", "no launcher slot this month")
    second = golive.apply(served, "samsung", "dev", "again")  # after a rejection
    golive.approve(second.id, "ops")
    with pytest.raises(DecisionConflict, match="already live in samsung"):  # approved
        golive.apply(served, "samsung", "dev", None)
    golive.withdraw(served, "samsung", "ops", "complaints")
    third = golive.apply(served, "samsung", "dev", None)  # after a withdrawal
    assert [a.status for a in golive.applications()] == ["rejected", "approved", "pending"]
    assert third.status == "pending"


def test_decided_once(golive: GoLive) -> None:
    app = golive.apply(listing(["jd"]), "samsung", "dev", None)
    approved = golive.approve(app.id, "ops-alice", "fits the launcher")
    assert (approved.status, approved.decided_by, approved.reason) == (
        "approved",
        "ops-alice",
        "fits the launcher",
    )
    assert approved.decided_at is not None and approved.decided_at >= approved.at
    for again in (
        lambda: golive.approve(app.id, "ops-bob"),
        lambda: golive.reject(app.id, "x", "y"),
    ):
        with pytest.raises(
            DecisionConflict, match=f"application {app.id} was already approved by ops-alice"
        ):
            again()
    other = golive.apply(listing(["jd"], appid="wx0000000000000002"), "samsung", "dev", None)
    rejected = golive.reject(other.id, "ops-bob", "duplicate of the brand's official")
    assert (rejected.status, rejected.reason) == ("rejected", "duplicate of the brand's official")
    with pytest.raises(DecisionConflict, match="already rejected by ops-bob"):
        golive.approve(other.id, "ops-alice")
    assert [a.status for a in golive.applications()] == ["approved", "rejected"]


def test_unknown_application(golive: GoLive) -> None:
    golive.log.append("listing_delete", APPID, None)  # change 1 is no application
    for id_ in (1, 2, 0, 99):
        with pytest.raises(DecisionNotFound, match=f"no go-live application {id_}") as caught:
            golive.approve(id_, "ops")
        assert caught.value.field == "id"


def test_withdraw(golive: GoLive) -> None:
    served = listing(["jd", "qqbrowser"])
    change = golive.withdraw(served, "qqbrowser", "ops", "policy")
    assert (change.kind, change.key, change.payload) == (
        "host_withdraw",
        f"{APPID}/qqbrowser",
        {"who": "ops", "reason": "policy"},
    )
    for host in ("qqbrowser", "samsung"):  # already withdrawn; never live
        with pytest.raises(DecisionNotFound, match=f"not live in {host}") as caught:
            golive.withdraw(served, host, "ops", None)
        assert caught.value.field == "host"
    with pytest.raises(DecisionConflict, match="live only in jd: take it down instead"):
        golive.withdraw(served, "jd", "ops", None)
    app = golive.apply(served, "samsung", "dev", None)
    golive.approve(app.id, "ops")
    golive.withdraw(served, "samsung", "ops", None)  # live by approval
    with pytest.raises(DecisionNotFound, match="not live in jd"):
        golive.withdraw(listing(["jd"], status="offline"), "jd", "ops", None)


def test_unknown_host(golive: GoLive) -> None:
    for call in (
        lambda: golive.apply(listing(["jd"]), "tiktok", "dev", None),
        lambda: golive.withdraw(listing(["jd"]), "tiktok", "ops", None),
    ):
        with pytest.raises(DecisionNotFound, match="unknown host 'tiktok'") as caught:
            call()
        assert caught.value.field == "host"
