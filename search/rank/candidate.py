"""A first-stage hit with its stored blob, and lazily built token sets for matching."""

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

    @cached_property
    def token_sets(self) -> dict[str, frozenset[str]]:
        return {name: frozenset(tokens) for name, tokens in self.doc["tok"].items()}

    @cached_property
    def fields_of(self) -> dict[str, list[str]]:
        """Index token → the word fields holding it, in field order."""
        out: dict[str, list[str]] = {}
        for name, tokens in self.doc["tok"].items():
            for token in tokens:
                fields = out.setdefault(token, [])
                if not fields or fields[-1] != name:
                    fields.append(name)
        return out

    @cached_property
    def pinyin(self) -> frozenset[str]:
        return frozenset(self.doc["py"])

    @cached_property
    def initials(self) -> frozenset[str]:
        return frozenset(self.doc["pi"])
