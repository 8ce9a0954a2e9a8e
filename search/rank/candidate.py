"""A first-stage hit with its stored blob, and lazily built pinyin sets for matching."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from indexer.document import StoredDoc


class Candidate:
    """One listing returned by retrieval, ready for re-ranking."""

    __slots__ = ("__dict__", "bm25", "doc")

    def __init__(self, doc: StoredDoc, bm25: float) -> None:
        self.doc = doc
        self.bm25 = bm25

    @property
    def listing(self) -> dict[str, Any]:
        return self.doc["listing"]

    @property
    def appid(self) -> str:
        appid: str = self.doc["listing"]["appid"]
        return appid

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
