"""A first-stage hit with its stored ranking blob; the listing and pinyin sets decoded lazily."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from indexer.document import StoredDoc, load_listing


class Candidate:
    """One listing returned by retrieval, ready for re-ranking.

    ``card`` is the stored listing (``schema.CARD``), decoded only when a card or the
    listing is asked for.
    """

    __slots__ = ("__dict__", "bm25", "card", "doc")

    def __init__(self, doc: StoredDoc, bm25: float, card: bytes) -> None:
        self.doc = doc
        self.bm25 = bm25
        self.card = card

    @cached_property
    def listing(self) -> dict[str, Any]:
        return load_listing(self.card)

    @property
    def appid(self) -> str:
        return self.doc["appid"]

    @property
    def brand_id(self) -> str | None:
        return self.doc["brand_id"]

    @property
    def official(self) -> bool:
        return self.doc["official"]

    @property
    def monthly_active_users(self) -> int:
        return self.doc["mau"]

    @property
    def where(self) -> dict[str, str]:
        """Index token → codes of the word fields holding it (``FIELD_CODES``)."""
        return self.doc["where"]

    @cached_property
    def pinyin(self) -> frozenset[str]:
        return frozenset(self.doc["py"])

    @cached_property
    def initials(self) -> frozenset[str]:
        return frozenset(self.doc["pi"])
