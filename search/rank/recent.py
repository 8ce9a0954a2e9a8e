"""Recently used: a small lift for the mini-programs the caller says the user opened lately."""

from __future__ import annotations

from indexer import schema as f
from search.rank.clauses import Clause, Group, Match
from search.rank.weights import Weights


def recent_group(recent: frozenset[str], w: Weights) -> Group | None:
    """``recent`` for a listing whose appid the caller sent, or None without any."""
    if not recent:
        return None
    match = Match("any", f.APPID, tuple(sorted(recent)))
    return Group("recent", (Clause(match, w.recent, f.APPID, "recent"),))
