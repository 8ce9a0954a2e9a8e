"""The brand lookup table built at index time: every normalised form of every brand name and alias.

A query is resolved to a brand by looking its compact form up here (see
``search.resolve``). Keys are produced by the shared analyzer, so a query and a
brand alias normalise the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from indexer.analysis import compact, has_cjk, is_cjk, pinyin_full, pinyin_initials
from indexer.models import Brand
from indexer.store import BRANDS_FILE, write_atomic

KeyKind = Literal["name", "alias", "pinyin", "initials"]
MIN_INITIALS = 3  # two-letter initials collide too often to name a brand


class BrandKey(BaseModel):
    """One way of writing a brand: the form as published and how the key was derived."""

    brand_id: str
    kind: KeyKind
    form: str


class BrandTable(BaseModel):
    """Brands by id and lookup keys (compact normalised forms) → brand keys."""

    brands: dict[str, Brand]
    keys: dict[str, list[BrandKey]]

    @classmethod
    def build(cls, brands: Iterable[Brand]) -> BrandTable:
        """Index every name and alias of ``brands`` under its compact, pinyin and initials keys."""
        by_id = {b.brand_id: b for b in brands}
        keys: dict[str, list[BrandKey]] = {}

        def add(key: str, entry: BrandKey) -> None:
            bucket = keys.setdefault(key, [])
            if not any(e.brand_id == entry.brand_id and e.kind == entry.kind for e in bucket):
                bucket.append(entry)

        for brand in by_id.values():
            for i, form in enumerate((brand.name, *brand.aliases)):
                key = compact(form)
                if not key:
                    continue
                add(
                    key,
                    BrandKey(
                        brand_id=brand.brand_id, kind="name" if i == 0 else "alias", form=form
                    ),
                )
                if has_cjk(key) and all(is_cjk(ch) for ch in key):
                    add(
                        pinyin_full(key),
                        BrandKey(brand_id=brand.brand_id, kind="pinyin", form=form),
                    )
                    initials = pinyin_initials(key)
                    if len(initials) >= MIN_INITIALS:
                        add(initials, BrandKey(brand_id=brand.brand_id, kind="initials", form=form))
        return cls(brands=by_id, keys=keys)

    @classmethod
    def read(cls, folder: Path) -> BrandTable:
        """The table saved in an index version (or serving copy) folder."""
        return cls.model_validate_json((folder / BRANDS_FILE).read_bytes())

    def write(self, folder: Path) -> None:
        """Save the table in an index version (or serving copy) folder, atomically."""
        write_atomic(folder / BRANDS_FILE, self.model_dump_json().encode())

    def words(self) -> set[str]:
        """Brand names and aliases, for segmentation."""
        out: set[str] = set()
        for brand in self.brands.values():
            out.add(brand.name)
            out.update(brand.aliases)
        return out
