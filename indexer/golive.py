"""Going live per host: applications, approvals, rejections and withdrawals in the change log.

A listing applies to go live in a host (``golive_apply``); the host's operators approve it
(``golive_approve``: live there within a second, and across rebuilds, ``indexer.decisions``)
or reject it (``golive_reject``, with a reason); a listing live in a host can be withdrawn
from it (``host_withdraw``). Each is a change of the key ``appid/host``, recording who (the
credential's name), when (the change's time) and why (a note or a reason). An
application's id is the sequence number of its ``golive_apply`` change.

Guarantees (every check and its append are one transaction of the log,
``ChangeLog.append_checked``, so they hold with any number of workers and replicas):

- a listing and host have at most one pending application: another is refused until it
  is decided;
- an application is decided once: approving or rejecting it again is refused, whatever
  another writer does at the same moment (an application is decided by the first approval
  or rejection after it);
- a withdrawal is of a host the listing is live in, and never of its last one (a listing
  live nowhere is a takedown: ``DELETE /v1/admin/listings/{appid}``).

Whether a listing is live in a host is the newest decision of that listing and host when
there is one, else what the served listing says (its export or its last upsert).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from indexer.changelog import Change, ChangeKind, ChangeLog
from indexer.decisions import GO_LIVE, host_key, split_host_key
from indexer.errors import DecisionConflict, DecisionNotFound
from indexer.settings import known_hosts

ApplicationStatus = Literal["pending", "approved", "rejected"]
WORKFLOW: tuple[ChangeKind, ...] = ("golive_apply", "golive_approve", "golive_reject")
"""The kinds an application's status follows from."""
MAX_NOTE_CHARS = 500


class Application(BaseModel):
    """One application to go live in a host, and its decision once made."""

    id: int
    appid: str
    host: str
    status: ApplicationStatus
    at: datetime  # when it was made
    who: str
    note: str | None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None  # the rejection's reason, or the approval's note


def _payload(change: Change) -> dict[str, Any]:
    return change.payload or {}


def _applications(changes: list[Change]) -> list[Application]:
    """The applications recorded in ``changes`` (workflow changes in log order)."""
    found: dict[int, Application] = {}
    pending: dict[str, int] = {}  # key -> its pending application
    for change in changes:
        data = _payload(change)
        if change.kind == "golive_apply":
            appid, host = split_host_key(change.key)
            found[change.seq] = Application(
                id=change.seq,
                appid=appid,
                host=host,
                status="pending",
                at=change.at,
                who=str(data.get("who", "")),
                note=data.get("note"),
            )
            pending[change.key] = change.seq
            continue
        decided = pending.pop(change.key, None)
        if decided is None:
            continue
        app = found[decided]
        app.status = "approved" if change.kind == "golive_approve" else "rejected"
        app.decided_at = change.at
        app.decided_by = str(data.get("who", ""))
        app.reason = data.get("reason") if change.kind == "golive_reject" else data.get("note")
    return list(found.values())


def _pending(changes: list[Change]) -> int | None:
    """The pending application among a key's workflow changes, if any."""
    newest = changes[-1] if changes else None
    return newest.seq if newest is not None and newest.kind == "golive_apply" else None


def _decision(changes: list[Change]) -> ChangeKind | None:
    """The newest go-live decision among a key's changes (approve or withdraw), if any."""
    decided = [c.kind for c in changes if c.kind in GO_LIVE.kinds]
    return decided[-1] if decided else None


def _check_host(host: str) -> None:
    if host not in known_hosts():
        hosts = ", ".join(known_hosts())
        raise DecisionNotFound(f"unknown host {host!r} (known: {hosts})", "host")


class GoLive:
    """The go-live workflow over one change log. ``listing`` arguments are the listing as
    served (``Engine.listing``): its status and the hosts it is live in."""

    def __init__(self, log: ChangeLog) -> None:
        self.log = log

    def applications(
        self, host: str | None = None, status: ApplicationStatus | None = None
    ) -> list[Application]:
        """Applications, oldest first, of one host and status if given."""
        return [
            app
            for app in _applications(self.log.changes_of(WORKFLOW))
            if (host is None or app.host == host) and (status is None or app.status == status)
        ]

    def application(self, id_: int) -> Application:
        """One application; DecisionNotFound when ``id_`` is not one."""
        found = self.log.since(id_ - 1, limit=1) if id_ > 0 else []
        if not found or found[0].seq != id_ or found[0].kind != "golive_apply":
            raise DecisionNotFound(f"no go-live application {id_}", "id")
        key = found[0].key
        for app in _applications(self.log.changes_of(WORKFLOW, key)):
            if app.id == id_:
                return app
        raise AssertionError(f"application {id_} not read back")  # pragma: no cover

    def apply(self, listing: dict[str, Any], host: str, who: str, note: str | None) -> Application:
        """Apply for ``listing`` to go live in ``host``: 409 when it is not online, is live
        there already or has an application pending there."""
        _check_host(host)
        appid, status = listing["appid"], listing["status"]
        if status != "online":
            raise DecisionConflict(f"listing {appid} is {status}: only an online listing goes live")
        exported = host in listing["hosts"]

        def check(changes: list[Change]) -> None:
            pending = _pending([c for c in changes if c.kind in WORKFLOW])
            if pending is not None:
                raise DecisionConflict(
                    f"listing {appid} already has application {pending} pending in {host}"
                )
            decision = _decision(changes)
            if decision == "golive_approve" or (decision is None and exported):
                raise DecisionConflict(f"listing {appid} is already live in {host}")

        payload = {"appid": appid, "host": host, "who": who, "note": note}
        change = self.log.append_checked(
            "golive_apply", host_key(appid, host), payload, (*WORKFLOW, *GO_LIVE.kinds), check
        )
        return self.application(change.seq)

    def approve(self, id_: int, who: str, note: str | None = None) -> Application:
        """Approve a pending application: the listing goes live in its host."""
        return self._decide(id_, "golive_approve", {"who": who, "note": note})

    def reject(self, id_: int, who: str, reason: str) -> Application:
        """Reject a pending application, saying why."""
        return self._decide(id_, "golive_reject", {"who": who, "reason": reason})

    def _decide(self, id_: int, kind: ChangeKind, payload: dict[str, Any]) -> Application:
        app = self.application(id_)

        def check(changes: list[Change]) -> None:
            if _pending(changes) != id_:  # the first decision after it decided it
                decision = next(c for c in changes if c.seq > id_ and c.kind != "golive_apply")
                verb = "approved" if decision.kind == "golive_approve" else "rejected"
                raise DecisionConflict(
                    f"application {id_} was already {verb} by {_payload(decision).get('who')} "
                    f"at {decision.at:%Y-%m-%d %H:%M:%S} UTC"
                )

        key = host_key(app.appid, app.host)
        self.log.append_checked(kind, key, {**payload, "application": id_}, WORKFLOW, check)
        return self.application(id_)

    def withdraw(self, listing: dict[str, Any], host: str, who: str, reason: str | None) -> Change:
        """Withdraw ``listing`` from ``host`` (404 when it is not live there, 409 when it is
        its only host)."""
        _check_host(host)
        appid = listing["appid"]
        decided = {
            h: _decision(self.log.changes_of(GO_LIVE.kinds, host_key(appid, h)))
            for h in known_hosts()
        }
        live = [
            h
            for h, decision in decided.items()
            if decision == "golive_approve" or (decision is None and h in listing["hosts"])
        ]
        if host not in live or listing["status"] != "online":
            raise DecisionNotFound(f"listing {appid} is not live in {host}", "host")
        if live == [host]:
            raise DecisionConflict(
                f"listing {appid} is live only in {host}: take it down instead "
                f"(DELETE /v1/admin/listings/{appid})"
            )

        def check(changes: list[Change]) -> None:
            if _decision(changes) == "host_withdraw":
                raise DecisionNotFound(f"listing {appid} is not live in {host}", "host")

        payload = {"who": who, "reason": reason}
        return self.log.append_checked(
            "host_withdraw", host_key(appid, host), payload, GO_LIVE.kinds, check
        )
