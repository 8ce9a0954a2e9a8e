"""Search-as-you-type (search/suggest.py) on the sample index.

1. A Chinese prefix, a pinyin prefix and initials all reach the brand (星巴, xingba, xbk → 星巴克).
2. Brand aliases are suggested as such (kind "alias"), listing names carry their appid.
3. Only listings online in the host are suggested.
4. ``limit`` is respected and texts are unique.
5. An unknown host is a BadRequest naming the host.
6. On a generated catalog (listings of every popularity tier, hosts and status, brands
   with many listings whose names do not start like the brand), suggest gives exactly
   what reading every visible listing in popularity order gives: each listing offers
   its brand and the aliases the input reaches, then its own name if reached. Checked
   with the popularity tiers used from two listings up (every fallback between tiers
   taken) and with the default threshold, for short, long and unmatched inputs.
7. A brand reached by an alias whose hundreds of listings are more popular than any
   listing whose name is reached still leaves room for those names.
"""

from __future__ import annotations

import random

import pytest

import search.suggest
from indexer.analysis import compact
from indexer.completion import PREFIX_CAP, TIERS, reaches, spellings
from indexer.dictionaries import Dictionaries
from indexer.models import Listing
from search.engine import Engine
from search.errors import UnknownHost
from search.suggest import MAX_HITS
from tests.rankkit import BRANDS, Kit, listing, make_kit, memory_engine


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


# ------------------------------------------------------------------ 6 reference model

STEMS = ("星光", "星河", "星巴克", "新华", "信达", "小米", "小熊", "西瓜", "路易", "麦当")
LATIN = ("Star", "Stone", "Sun", "Lumi", "Mango")
TAILS = ("商城", "小铺", "助手", "旗舰店", "服务", "Lab", "Go", "生活馆")
HOSTS = ("jd", "qqbrowser", "samsung")


def generated(seed: int = 7, n: int = 240) -> list[Listing]:
    """Listings with distinct popularity across every tier; a third carry a brand."""
    rng = random.Random(seed)
    maus: set[int] = set()
    while len(maus) < n:
        maus.add(int(10 ** rng.uniform(2.5, 7.5)))
    items = []
    for i, mau in enumerate(sorted(maus)):
        stem = rng.choice(STEMS + LATIN)
        name = (
            f"{stem}{rng.choice(TAILS)}" if rng.random() < 0.3 else f"{stem}{rng.choice(TAILS)}{i}"
        )
        brand = rng.choice(BRANDS).brand_id if rng.random() < 0.35 else None
        hosts = [h for h in HOSTS if rng.random() < 0.6] or [rng.choice(HOSTS)]
        status = rng.choices(("online", "offline", "suspended"), (8, 1, 1))[0]
        items.append(
            listing(name, key=f"gen-{i}", brand_id=brand, mau=mau, hosts=hosts, status=status)
        )
    rng.shuffle(items)
    return items


def reference(
    kit: Kit, items: list[Listing], q: str, host: str, limit: int
) -> list[tuple[str, str]]:
    """Every visible listing read in popularity order: its brand's reached forms, its name."""
    key = compact(q)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()

    def add(text: str, kind: str) -> None:
        if text not in seen:
            seen.add(text)
            out.append((text, kind))

    visible = [x for x in items if x.status == "online" and host in x.hosts]
    for x in sorted(visible, key=lambda x: -x.monthly_active_users):
        brand = kit.table.brands.get(x.brand_id or "")
        if brand is not None:
            if reaches(key, spellings(brand.name)):
                add(brand.name, "brand")
            for alias in brand.aliases:
                if reaches(key, spellings(alias)):
                    add(alias, "alias")
        if reaches(key, spellings(x.name)):
            add(x.name, "listing")
    return out[:limit]


def inputs(items: list[Listing]) -> list[str]:
    """Short prefixes of every spelling of every stem and brand form, some whole long
    spellings (past the indexed prefix length) and inputs nothing starts with."""
    forms = [*STEMS, *LATIN, *(b.name for b in BRANDS), *(a for b in BRANDS for a in b.aliases)]
    keys = {s[:i] for form in forms for s in spellings(form) for i in range(1, 5) if s}
    longs = [s for x in items for s in spellings(x.name) if len(s) > PREFIX_CAP]
    return sorted(keys) + sorted(set(longs))[:20] + ["qqqq", "星星星", "zz"]


@pytest.fixture(scope="module")
def generated_engine(dicts: Dictionaries) -> tuple[Kit, list[Listing], Engine]:
    kit = make_kit(dicts)
    items = generated()
    assert {sum(x.monthly_active_users >= t for t in TIERS) for x in items} == {0, 1, 2, 3}
    return kit, items, memory_engine(kit, items)


@pytest.mark.parametrize("full_tier", [2, search.suggest.FULL_TIER])
def test_matches_reading_every_listing(
    generated_engine: tuple[Kit, list[Listing], Engine],
    full_tier: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search.suggest, "FULL_TIER", full_tier)
    kit, items, eng = generated_engine
    checked = 0
    for q in inputs(items):
        for host in HOSTS:
            for limit in (8, 20):
                got = [(s.text, s.kind) for s in eng.suggest(q, host, limit).suggestions]
                assert got == reference(kit, items, q, host, limit), (q, host, limit)
                checked += bool(got)
    assert checked > 300  # most inputs have completions: the comparison is not vacuous


def test_brand_with_many_listings_leaves_room(dicts: Dictionaries) -> None:
    """A brand reached only by an alias, with hundreds of more popular listings, offers the
    alias once; the less popular listings whose names are reached still follow."""
    kit = make_kit(dicts)
    crowd = [
        listing(f"咖啡店{i}", brand_id="starbucks", mau=10**6 + i) for i in range(3 * MAX_HITS)
    ]
    stones = [listing(f"Stone{i}", mau=1000 + i) for i in range(5)]
    eng = memory_engine(kit, [*crowd, *stones])
    got = [(s.text, s.kind) for s in eng.suggest("st", "jd", 20).suggestions]
    assert got == [("Starbucks", "alias"), *((f"Stone{i}", "listing") for i in range(4, -1, -1))]
