"""A replica following the shared publication history (indexer.replica), in process: a
builder home and a replica home sharing a change log (SQLite through its URL, the same
interface as PostgreSQL) and a version store (a shared folder).

Properties checked:
1. A replica started empty fetches the published version into its cache (verified), points
   its `current` at it, and its applier serves it; its heartbeat lists it in the log with
   the version and applied sequence.
2. A takedown through the log, then a rebuild from an export that still lists the appid,
   uploaded and published: the replica follows, and the new version is served without it.
3. A corrupt version published in the store is refused by name; `current` keeps naming
   the served version, `live/follower.json` and the heartbeat say why; a rollback in the
   history is followed again.
4. One follower per home: a second one cannot take the lock while the first holds it.
5. `gc` on the shared store keeps the current and previous versions of the history and
   the version a replica reported serving, and removes the rest from the store and the
   operator's cache.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.applier import Applier, copy_path, read_state
from indexer.build import build_index
from indexer.changelog import ReplicaReport
from indexer.decisions import StandingDecisions
from indexer.deployment import Deployment
from indexer.dictionaries import Dictionaries
from indexer.replica import Follower, read_follower
from indexer.settings import Settings
from tests.test_applier import BRANDS, LISTINGS, LV2, docs


def settings(tmp_path: Path, name: str) -> Settings:
    return Settings(
        home=tmp_path / name,
        changelog_url=f"sqlite:///{tmp_path / 'shared-log.sqlite3'}",
        store_url=f"file://{tmp_path / 'store'}",
    )


def build_and_publish(builder: Deployment, dicts: Dictionaries) -> str:
    result = build_index(
        builder.cache,
        LISTINGS,
        BRANDS,
        dicts,
        change_seq=builder.log.last_seq(),
        decisions=StandingDecisions.read(builder.log),
    )
    assert result.version is not None
    builder.upload(result.version)
    builder.publish(result.version)
    return result.version


def test_follow_publications(tmp_path: Path, dicts: Dictionaries) -> None:
    builder = Deployment(settings(tmp_path, "builder"))
    v1 = build_and_publish(builder, dicts)

    replica = Deployment(settings(tmp_path, "replica"))
    home = replica.settings.home
    follower = Follower(replica, dicts, "replica-1")
    assert follower.try_lock()
    applier = Applier(home, dicts, replica.log)
    assert applier.try_lock()

    def serve() -> dict[str, dict[str, object]]:
        follower.step()
        applier.step()
        follower.heartbeat()
        state = read_state(home)
        assert state is not None
        return docs(copy_path(home, state))

    assert len(serve()) == 10
    assert replica.cache.current() == v1
    replica.cache.verify(v1)
    (r,) = replica.log.replicas()
    assert (r.name, r.version, r.applied_seq, r.error) == ("replica-1", v1, 0, None)

    down = builder.log.append("listing_delete", LV2, None)
    v2 = build_and_publish(builder, dicts)
    served = serve()
    assert replica.cache.current() == v2 and LV2 not in served and len(served) == 9
    (r,) = replica.log.replicas()
    assert (r.version, r.applied_seq) == (v2, down.seq)

    v3 = build_and_publish(builder, dicts)  # then damaged in the store
    (tmp_path / "store" / v3 / "brands.json").write_bytes(b"{}")
    replica_v3 = replica.cache.path(v3)
    assert not replica_v3.exists()
    serve()
    assert replica.cache.current() == v2  # keeps serving what it has
    state = read_follower(home)
    assert state is not None and state.refused == v3
    assert state.error is not None and f"refused version {v3}" in state.error
    assert "corrupt" in state.error
    (r,) = replica.log.replicas()
    assert r.version == v2 and r.error == state.error

    assert builder.rollback() == v2
    serve()
    state = read_follower(home)
    assert state is not None and (state.target, state.refused, state.error) == (v2, None, None)

    second = Follower(Deployment(settings(tmp_path, "replica")), dicts, "replica-1b")
    assert not second.try_lock()
    follower.close()
    assert second.try_lock()
    second.close()
    applier.close()
    for d in (builder, replica, second.deployment):
        d.close()


@pytest.mark.slow  # four builds
def test_gc_keeps_what_is_published_or_served(tmp_path: Path, dicts: Dictionaries) -> None:
    builder = Deployment(settings(tmp_path, "builder"))
    served, old, previous, current = (build_and_publish(builder, dicts) for _ in range(4))
    builder.log.heartbeat(
        ReplicaReport(name="r", version=served, applied_seq=0, started_at=datetime.now(UTC))
    )
    assert builder.gc(keep=0) == [old]
    assert builder.versions() == [served, previous, current]
    assert old not in builder.cache.versions()
    builder.close()
