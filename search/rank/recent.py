"""Recently used: a small lift for the mini-programs the caller says the user opened lately."""

from __future__ import annotations

from search.rank.candidate import Candidate


def recent_use(cand: Candidate, recent: frozenset[str]) -> float:
    """1 when the candidate's appid is in ``recent``."""
    return 1.0 if cand.appid in recent else 0.0
