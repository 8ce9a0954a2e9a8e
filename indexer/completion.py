"""Completion keys: the edge prefixes through which typing reaches a name, brand or alias.

A completable string is reached by a prefix of its compact form (星巴 → 星巴克) and, when
it holds Chinese, by a prefix of its full pinyin (xingba) or of its initials (xbk). The
index holds every such prefix up to ``PREFIX_CAP`` characters as one term, so a
keystroke is one term lookup; longer input looks up its first ``PREFIX_CAP`` characters
and the searcher keeps the strings that ``reaches`` the whole input.

Short prefixes (one character, a few letters) match a large share of the catalog, and
ordering every match by popularity is most of a keystroke's cost. So short prefixes
are also indexed per popularity tier (``tier_term``): a listing with at least
``TIERS[i]`` monthly active users carries the tier-``i`` terms. The most popular
matches of a prefix are the most popular matches of its highest well-filled tier,
which is much smaller; the searcher falls back tier by tier when one runs out.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import orjson

from indexer.analysis import compact, has_cjk, pinyin_full, pinyin_initials
from indexer.models import Listing

PREFIX_CAP = 12
"""Longest indexed prefix, in characters (a 4-character Chinese name is 12+ pinyin letters)."""
TIER_PREFIX_CAP = 6
"""Longest prefix also indexed per popularity tier."""
TIERS = (10**6, 10**5, 10**4)
"""Monthly active users from which a listing's short prefixes join each tier, highest first."""
_TIER_MARK = "~"  # never in a compact form (letters and digits only)


class Spellings(NamedTuple):
    """How a completable string may be typed: compact form, full pinyin, initials.

    The pinyin forms are empty for strings without Chinese.
    """

    compact: str
    full: str
    initials: str


@lru_cache(maxsize=65_536)
def spellings(form: str) -> Spellings:
    """A completable string's compact form, full pinyin and initials."""
    c = compact(form)
    if not has_cjk(c):
        return Spellings(c, "", "")
    return Spellings(c, pinyin_full(c), pinyin_initials(c))


def reaches(key: str, spelled: Spellings) -> bool:
    """Whether typing ``key`` (compact) leads to the string: as written, by pinyin or initials."""
    if spelled.compact.startswith(key):
        return True
    if not spelled.full or has_cjk(key):
        return False
    return spelled.full.startswith(key) or spelled.initials.startswith(key)


def lookup_key(key: str) -> str:
    """The completion term a compact input is looked up by."""
    return key[:PREFIX_CAP]


def tier_term(prefix: str, tier: int) -> str:
    """The term of ``prefix`` (at most ``TIER_PREFIX_CAP`` long) in popularity tier ``tier``."""
    return f"{prefix}{_TIER_MARK}{tier}"


def tier_count(monthly_active_users: int) -> int:
    """How many tiers a listing belongs to: the lowest ``n`` of ``TIERS``."""
    return sum(1 for floor in TIERS if monthly_active_users >= floor)


@lru_cache(maxsize=16_384)
def completion_text(forms: tuple[str, ...], tiers: int = 0) -> str:
    """Every indexed prefix of the given completable strings, each once, space-joined,
    and the short ones again in each of the lowest ``tiers`` popularity tiers.

    Cached: a brand's name and aliases come back with every one of its listings.
    """
    keys: dict[str, None] = {}
    for form in forms:
        for spelled in spellings(form):
            for i in range(1, min(len(spelled), PREFIX_CAP) + 1):
                keys[spelled[:i]] = None
    short = [k for k in keys if len(k) <= TIER_PREFIX_CAP]
    lowest = len(TIERS) - tiers
    tiered = [tier_term(k, t) for t in range(lowest, len(TIERS)) for k in short]
    return " ".join([*keys, *tiered])


class CompletionDoc(NamedTuple):
    """What suggest reads back for a listing: small, so it never decodes the ranking blob."""

    appid: str
    name: str
    brand_id: str | None
    spelled: Spellings  # of the name


def completion_doc(listing: Listing) -> bytes:
    """The stored completion record of a listing (orjson)."""
    return orjson.dumps([listing.appid, listing.name, listing.brand_id, *spellings(listing.name)])


def load_completion_doc(blob: bytes) -> CompletionDoc:
    """Decode a stored completion record."""
    appid, name, brand_id, c, full, initials = orjson.loads(blob)
    return CompletionDoc(appid, name, brand_id, Spellings(c, full, initials))
