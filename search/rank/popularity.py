"""Popularity prior: log-scaled monthly active users, dampened to a tie-breaker."""

from __future__ import annotations

import math

from search.rank.candidate import Candidate

MAX_LOG_MAU = 8.0  # 10^8 users maps to 1.0


def mau_popularity(mau: int) -> float:
    """log10(1 + MAU) / 8, clipped to [0, 1]."""
    return min(1.0, math.log10(1 + max(0, mau)) / MAX_LOG_MAU)


def popularity(cand: Candidate) -> float:
    """The popularity of a candidate's listing."""
    return mau_popularity(cand.monthly_active_users)
