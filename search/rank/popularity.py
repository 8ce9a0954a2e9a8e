"""Popularity prior: log-scaled monthly active users, dampened to a tie-breaker."""

from __future__ import annotations

import math

from search.rank.candidate import Candidate

MAX_LOG_MAU = 8.0  # 10^8 users maps to 1.0


def popularity(cand: Candidate) -> float:
    """log10(1 + MAU) / 8, clipped to [0, 1]."""
    mau = max(0, cand.monthly_active_users)
    return min(1.0, math.log10(1 + mau) / MAX_LOG_MAU)
