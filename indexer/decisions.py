"""Decisions made through the API, and the rule that they outrank catalog exports.

Live updates are of two sorts. *Content* (a listing's or a brand's fields) follows
"newest wins by change_seq": a version built from an export that reflects a change (its
``change_seq`` is at or above the change's sequence) is trusted over it. A *decision*
(a takedown today; go-live approvals and per-host withdrawals are the same sort) holds
whatever export a build read, until a later change of its family through the API
replaces it: for each key, the newest change among its family's kinds is the one that
stands (a takedown is lifted by an upsert of that listing, nothing else).

Guarantees kept with ``indexer.applier`` and ``indexer.build``:

- every version prepared for serving gets every standing decision applied before the
  log after its ``change_seq`` is replayed onto it, so neither a rebuild from an export
  that still lists a taken-down appid nor a rollback to a version built before the
  takedown brings it back;
- a build leaves out, and counts, the listings a standing decision holds back;
- decisions are read from the change log, so they are the same on every replica.

Adding a kind of decision is local: its change kind (``indexer.changelog.ChangeKind``),
a :class:`DecisionFamily` in :data:`FAMILIES` (the kinds that decide the question, the
ones that hold, what an export's listing becomes under it) and how the applier applies
that change (``Applier._apply``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from indexer.changelog import Change, ChangeKind, ChangeLog
from indexer.models import Listing

Admit = Callable[[Listing, Change], Listing | None]
"""An export's listing under a standing decision: as the decision leaves it, or None
when the decision holds it back."""


def _key(change: Change) -> str:
    return change.key


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


TAKEDOWNS = DecisionFamily(
    name="takedown",
    kinds=("listing_put", "listing_delete"),  # an upsert of the listing lifts a takedown
    holds=frozenset({"listing_delete"}),
    admit=_taken_down,
)
FAMILIES: tuple[DecisionFamily, ...] = (TAKEDOWNS,)


class StandingDecisions:
    """The decisions standing in a change log when read, oldest first."""

    def __init__(self, found: list[tuple[DecisionFamily, Change]]) -> None:
        self._found = sorted(found, key=lambda fc: fc[1].seq)
        self._by_appid: dict[str, list[tuple[DecisionFamily, Change]]] = defaultdict(list)
        for family, change in self._found:
            self._by_appid[family.appid_of(change)].append((family, change))

    @classmethod
    def read(cls, log: ChangeLog) -> StandingDecisions:
        return cls(
            [
                (family, change)
                for family in FAMILIES
                for change in log.standing(family.kinds)
                if change.kind in family.holds
            ]
        )

    @property
    def changes(self) -> list[Change]:
        """The standing decisions as changes to apply, in log order."""
        return [change for _, change in self._found]

    def admit(self, listing: Listing) -> Listing | None:
        """An export's listing as the standing decisions leave it (None: held back)."""
        current: Listing | None = listing
        for family, change in self._by_appid.get(listing.appid, ()):
            if current is None:
                break
            current = family.admit(current, change)
        return current
