"""Decisions made through the API, and the rule that they outrank catalog exports.

Live updates are of two sorts. *Content* (a listing's or a brand's fields) follows
"newest wins by change_seq": a version built from an export that reflects a change (its
``change_seq`` is at or above the change's sequence) is trusted over it. A *decision*
holds whatever export a build read, and whatever content an upsert brings, until a later
change of its family through the API replaces it: for each key, the newest change among
its family's kinds is the one that stands. Two families:

- takedowns (key: appid): ``listing_delete`` holds the listing back everywhere; an upsert
  of that listing through the API lifts it, nothing else;
- go-live decisions per host (key: ``appid/host``, :func:`host_key`): ``golive_approve``
  makes the listing live in that host, ``host_withdraw`` makes it not live there; each
  holds until the other replaces it. A listing an export says is live nowhere else after
  a withdrawal is held back (an online listing is live somewhere, or not served).

Guarantees kept with ``indexer.applier`` and ``indexer.build``:

- every version prepared for serving gets every standing decision applied before the
  log after its ``change_seq`` is replayed onto it, so neither a rebuild from an export
  that says otherwise nor a rollback to a version built before a decision undoes it;
- a listing's content, from an export or from an upsert, is served as the standing
  decisions leave it (:meth:`StandingDecisions.admit`), at build and when applied live;
- a build leaves out, and counts, the listings a standing decision holds back;
- decisions are read from the change log, so they are the same on every replica.

Adding a kind of decision is local: its change kind (``indexer.changelog.ChangeKind``),
a :class:`DecisionFamily` in :data:`FAMILIES` (the kinds that decide the question, the
ones that hold, what a listing becomes under it) and how the applier applies that change
(``Applier._apply``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from indexer.changelog import Change, ChangeKind, ChangeLog
from indexer.models import Listing
from indexer.settings import known_hosts

Admit = Callable[[Listing, Change], Listing | None]
"""A listing under a standing decision: as the decision leaves it, or None when the
decision holds it back."""


def _key(change: Change) -> str:
    return change.key


def host_key(appid: str, host: str) -> str:
    """The key of the go-live decisions of ``appid`` in ``host``."""
    return f"{appid}/{host}"


def split_host_key(key: str) -> tuple[str, str]:
    """The appid and host of a go-live decision's key."""
    appid, _, host = key.partition("/")
    return appid, host


@dataclass(frozen=True, slots=True)
class DecisionFamily:
    """Changes that decide one question per key through the API; the newest stands."""

    name: str  # what the build summary calls what it holds back
    kinds: tuple[ChangeKind, ...]  # every kind that decides the question for a key
    holds: frozenset[ChangeKind]  # kinds that, standing, outrank every export
    admit: Admit
    appid_of: Callable[[Change], str] = field(default=_key)  # the listing a decision is about


def _taken_down(_listing: Listing, _change: Change) -> None:
    return None


def _host_decided(listing: Listing, change: Change) -> Listing | None:
    """The listing live in the decision's host (approved) or not (withdrawn)."""
    hosts = known_hosts()
    host = split_host_key(change.key)[1]
    if host not in hosts:  # a host no longer configured: nothing to decide there
        return listing
    live = set(listing.hosts)
    if change.kind == "golive_approve":
        live.add(host)
    else:
        live.discard(host)
    decided = tuple(h for h in hosts if h in live)
    if decided == listing.hosts:
        return listing
    if not decided and listing.status == "online":
        return None  # withdrawn from every host the export names
    return listing.model_copy(update={"hosts": decided})


TAKEDOWNS = DecisionFamily(
    name="takedown",
    kinds=("listing_put", "listing_delete"),  # an upsert of the listing lifts a takedown
    holds=frozenset({"listing_delete"}),
    admit=_taken_down,
)
GO_LIVE = DecisionFamily(
    name="go-live decision",
    kinds=("golive_approve", "host_withdraw"),
    holds=frozenset({"golive_approve", "host_withdraw"}),
    admit=_host_decided,
    appid_of=lambda change: split_host_key(change.key)[0],
)
FAMILIES: tuple[DecisionFamily, ...] = (TAKEDOWNS, GO_LIVE)


class StandingDecisions:
    """The decisions standing in a change log when read, kept current by :meth:`note`."""

    def __init__(self, found: Iterable[Change] = ()) -> None:
        # Per listing, per (family, key): the newest change of the family (holding or not).
        self._by_appid: dict[str, dict[tuple[str, str], tuple[DecisionFamily, Change]]] = (
            defaultdict(dict)
        )
        for change in found:
            self.note(change)

    @classmethod
    def read(cls, log: ChangeLog) -> StandingDecisions:
        return cls(change for family in FAMILIES for change in log.standing(family.kinds))

    def note(self, change: Change) -> None:
        """Count a change appended after the read (the newest of a family and key stands)."""
        for family in FAMILIES:
            if change.kind not in family.kinds:
                continue
            decided = self._by_appid[family.appid_of(change)]
            slot = (family.name, change.key)
            known = decided.get(slot)
            if known is None or known[1].seq <= change.seq:
                decided[slot] = (family, change)

    def _holding(self, appid: str) -> list[tuple[DecisionFamily, Change]]:
        decided = self._by_appid.get(appid)
        if not decided:
            return []
        found = [(f, c) for f, c in decided.values() if c.kind in f.holds]
        return sorted(found, key=lambda fc: fc[1].seq)

    @property
    def changes(self) -> list[Change]:
        """The standing decisions as changes to apply, in log order."""
        found = [c for appid in self._by_appid for _, c in self._holding(appid)]
        return sorted(found, key=lambda c: c.seq)

    def admit(self, listing: Listing) -> Listing | None:
        """A listing as the standing decisions leave it (None: held back)."""
        current: Listing | None = listing
        for family, change in self._holding(listing.appid):
            if current is None:
                break
            current = family.admit(current, change)
        return current
