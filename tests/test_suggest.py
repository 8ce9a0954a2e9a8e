"""Search-as-you-type (search/suggest.py) on the sample index.

1. A Chinese prefix, a pinyin prefix and initials all reach the brand (星巴, xingba, xbk → 星巴克).
2. Brand aliases are suggested as such (kind "alias"), listing names carry their appid.
3. Only listings online in the host are suggested.
4. ``limit`` is respected and texts are unique.
5. An unknown host is a BadRequest naming the host.
"""

from __future__ import annotations

import pytest

from search.engine import Engine
from search.errors import UnknownHost


@pytest.mark.parametrize("q", ["星巴", "xingba", "xbk"])
def test_prefix_forms_reach_the_brand(engine: Engine, q: str) -> None:
    texts = [s.text for s in engine.suggest(q, "jd").suggestions]
    assert texts[0] == "星巴克"


def test_kinds(engine: Engine) -> None:
    items = engine.suggest("xingba", "jd").suggestions
    kinds = {s.text: s.kind for s in items}
    assert kinds["星巴克"] == "brand"
    assert kinds["星爸爸"] == "alias"
    listings = [s for s in items if s.kind == "listing"]
    assert listings and all(s.appid for s in listings)
    assert all(s.appid is None for s in items if s.kind != "listing")


@pytest.mark.parametrize("host", ["jd", "qqbrowser", "samsung"])
def test_only_visible_listings(engine: Engine, host: str) -> None:
    for q in ("麦当", "mdl", "星巴", "ke"):
        for s in engine.suggest(q, host, limit=20).suggestions:
            if s.appid is not None:
                listing = engine.listing(s.appid)
                assert listing["status"] == "online"
                assert host in listing["hosts"]


def test_limit_and_unique(engine: Engine) -> None:
    items = engine.suggest("ke", "jd", limit=3).suggestions
    assert len(items) == 3
    texts = [s.text for s in engine.suggest("ke", "jd", limit=20).suggestions]
    assert len(texts) == len(set(texts))


def test_unknown_host(engine: Engine) -> None:
    with pytest.raises(UnknownHost) as info:
        engine.suggest("星巴", "nope")
    assert info.value.field == "host"
