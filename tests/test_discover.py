"""search.discover through Engine.discover: the sample index, hand-made listings, and a
generated catalog larger than EXACT_TOTAL, each against a Python reference of the order.

Properties checked:
1. Discovery lists exactly the listings a search in the host could return (online, live
   there), of the category asked (top-level or sub) when one is, most used first with
   every reseller after its brand's most used official listing: the same order as the
   reference, page by page (pages are slices of one order), with the exact total.
2. `recent` appids come first, in the order given, flagged recently_used (and only they);
   one that is not listed in the host or category is left out.
3. A reseller with many more users than its brand's official listing comes right after
   it (keyed by the official's users), below unrelated listings between the two; where the
   official listing is not listed (another host), the reseller keeps its own place.
4. Read from the top popularity bands: on 2,400 generated listings, with totals exact up
   to 1,000 (the index is read whole) and, to read it by bands at this size, up to 50:
   every page (first, middle, around the exact limit, deep) equals the reference; above
   the limit the total is a lower bound of at least the limit (`gte`), below it exact.
5. An unknown host is refused naming the field.
6. A category's most used listing (a need's leader, ``Discovery.most_used``) is the most
   used of those the filters let through, resellers not capped, when the top bands hold
   none of them too (read further down), and none for a category the host does not list.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest
from conftest import SAMPLE_LISTINGS
from tantivy import Occur

from indexer import schema as f
from indexer.dictionaries import Dictionaries
from indexer.models import Listing
from search.discover import EXACT_TOTAL, DiscoverRequest
from search.engine import Engine
from search.errors import UnknownHost
from tests.rankkit import Kit, listing, make_kit, memory_engine

HOSTS = ("jd", "qqbrowser", "samsung")


def reference(
    items: Iterable[Listing], host: str, category: str | None = None, recent: tuple[str, ...] = ()
) -> list[tuple[str, int]]:
    """(appid, key) in discovery order, from every listing, in Python."""
    listed = [
        item
        for item in items
        if item.visible_in(host) and (category is None or category in item.category)
    ]
    by_appid = {item.appid: item for item in listed}
    first = [by_appid[a] for a in recent if a in by_appid]
    rest = [item for item in listed if item.appid not in recent]
    most: dict[str, int] = {}
    for item in rest:
        if item.official and item.brand_id:
            most[item.brand_id] = max(most.get(item.brand_id, 0), item.monthly_active_users)

    def key(item: Listing) -> int:
        users = item.monthly_active_users
        if not item.official and item.brand_id in most:
            return min(users, most[item.brand_id])
        return users

    rest.sort(key=lambda item: (-key(item), not item.official, item.appid))
    return [(i.appid, i.monthly_active_users) for i in first] + [(i.appid, key(i)) for i in rest]


def discovered(engine: Engine, req: DiscoverRequest) -> list[tuple[str, int]]:
    return [(c["appid"], int(c["score"])) for c in engine.discover(req).results]


def same_order(got: list[tuple[str, int]], want: list[tuple[str, int]]) -> None:
    """Equal keys in the same order; appids equal within each run of equal keys (the order
    among listings with the same key is the index's)."""
    assert [k for _, k in got] == [k for _, k in want]
    groups: dict[int, tuple[set[str], set[str]]] = {}
    for (a, k), (b, _) in zip(got, want, strict=True):
        pair = groups.setdefault(k, (set(), set()))
        pair[0].add(a)
        pair[1].add(b)
    edges = {want[0][1], want[-1][1]} if want else set()
    for k, (ours, theirs) in groups.items():
        if k not in edges:  # a run cut by the page's ends may hold others of its key
            assert ours == theirs, k


@pytest.fixture(scope="module")
def sample() -> list[Listing]:
    return [Listing.model_validate_json(line) for line in SAMPLE_LISTINGS.read_bytes().splitlines()]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("category", [None, "咖啡茶饮", "咖啡", "出行"])
def test_sample_order(
    engine: Engine, sample: list[Listing], host: str, category: str | None
) -> None:
    want = reference(sample, host, category)
    result = engine.discover(DiscoverRequest(host=host, category=category, limit=50))
    assert (result.total, result.total_relation) == (len(want), "eq")
    assert result.host == host and result.category == category
    for card in result.results:
        assert category is None or category in card["category"]
        assert not card["recently_used"]
    got: list[tuple[str, int]] = []
    for offset in range(0, min(len(want), 150), 50):
        got += discovered(
            engine, DiscoverRequest(host=host, category=category, limit=50, offset=offset)
        )
    same_order(got, want[: len(got)])
    assert len(got) == min(len(want), 150)


def test_jd_most_used_first(engine: Engine, sample: list[Listing]) -> None:
    result = engine.discover(DiscoverRequest(host="jd"))
    users = {item.appid: item.monthly_active_users for item in sample}
    top = sorted((i for i in sample if i.visible_in("jd")), key=lambda i: -i.monthly_active_users)
    assert [c["appid"] for c in result.results] == [i.appid for i in top[:10]]
    assert all(users[c["appid"]] > 10_000_000 for c in result.results)


def test_recent_first(engine: Engine, sample: list[Listing]) -> None:
    starbucks = "wx9426f5912f0aad45"  # not live in samsung
    coffee = [i.appid for i in sample if i.visible_in("jd") and "咖啡" in i.category]
    recent = (coffee[-1], "wxededa1df3318a9b8", coffee[-2])  # the middle one is offline
    req = DiscoverRequest(host="jd", category="咖啡", recent=recent, limit=5)
    result = engine.discover(req)
    assert [c["appid"] for c in result.results[:2]] == [coffee[-1], coffee[-2]]
    assert [c["recently_used"] for c in result.results] == [True, True, False, False, False]
    want = reference(sample, "jd", "咖啡", recent)
    assert result.total == len(want)
    pages = [
        discovered(
            engine, DiscoverRequest(host="jd", category="咖啡", recent=recent, limit=3, offset=o)
        )
        for o in range(0, len(want), 3)
    ]
    same_order([x for page in pages for x in page], want)
    samsung = engine.discover(DiscoverRequest(host="samsung", recent=(starbucks,)))
    assert starbucks not in [c["appid"] for c in samsung.results]


@pytest.fixture(scope="module")
def kit(dicts: Dictionaries) -> Kit:
    return make_kit(dicts)


def test_reseller_after_its_official(kit: Kit) -> None:
    items = [
        listing("星巴克用户中心", brand_id="starbucks", official=True, mau=100, hosts=["jd"]),
        listing("星巴克优惠券代下单", brand_id="starbucks", mau=10_000, hosts=["jd", "samsung"]),
        listing("快递小助手", mau=5_000, hosts=["jd", "samsung"]),
        listing("缴费助手", mau=50, hosts=["jd", "samsung"]),
    ]
    eng = memory_engine(kit, items)
    jd = eng.discover(DiscoverRequest(host="jd"))
    assert [c["name"] for c in jd.results] == [
        "快递小助手",
        "星巴克用户中心",
        "星巴克优惠券代下单",
        "缴费助手",
    ]
    assert [c["score"] for c in jd.results] == [5000.0, 100.0, 100.0, 50.0]
    samsung = eng.discover(DiscoverRequest(host="samsung"))  # no official listing there
    assert [c["name"] for c in samsung.results] == ["星巴克优惠券代下单", "快递小助手", "缴费助手"]


def generated(n: int, seed: int = 7) -> list[Listing]:
    """``n`` listings with log-uniform users, brands with officials and resellers."""
    rng = random.Random(seed)
    brands = ["starbucks", "mcdonalds", "louis-vuitton", "apple", None, None, None]
    tops = ["咖啡茶饮", "餐饮", "工具", "出行"]
    out = []
    for i in range(n):
        brand = rng.choice(brands)
        hosts = [h for h in HOSTS if rng.random() < 0.7] or ["jd"]
        out.append(
            listing(
                f"生成{i}",
                key=f"g{i}",
                brand_id=brand,
                official=brand is not None and rng.random() < 0.05,
                category=(rng.choice(tops), rng.choice(["甲", "乙"])),
                mau=int(10 ** rng.uniform(0, 8)),
                hosts=hosts,
                status="online" if rng.random() < 0.9 else "offline",
            )
        )
    return out


@pytest.fixture(scope="module")
def big(kit: Kit) -> tuple[Engine, list[Listing]]:
    items = generated(2400)
    return memory_engine(kit, items), items


@pytest.mark.parametrize("exact", [EXACT_TOTAL, 50])
@pytest.mark.parametrize(
    ("host", "category"), [("jd", None), ("samsung", None), ("qqbrowser", "咖啡茶饮"), ("jd", "乙")]
)
def test_bands_give_the_reference_order(
    big: tuple[Engine, list[Listing]],
    monkeypatch: pytest.MonkeyPatch,
    exact: int,
    host: str,
    category: str | None,
) -> None:
    monkeypatch.setattr("search.discover.EXACT_TOTAL", exact)
    eng, items = big
    want = reference(items, host, category)
    pages = ((0, 10), (10, 50), (exact - 10, 20), (exact + 40, 50), (len(want) - 5, 10))
    for offset, limit in pages:
        req = DiscoverRequest(host=host, category=category, limit=limit, offset=offset)
        same_order(discovered(eng, req), want[offset : offset + limit])
        result = eng.discover(req)
        if result.total_relation == "gte":
            assert max(exact, offset + limit) <= result.total < len(want)
        else:
            assert result.total == len(want)
    first = eng.discover(DiscoverRequest(host=host, category=category))
    if exact < EXACT_TOTAL:  # a small share of the index holds the page: read by bands
        assert first.total_relation == "gte"


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("path", ["咖啡茶饮/甲", "出行/乙"])
def test_most_used_of_a_category(big: tuple[Engine, list[Listing]], host: str, path: str) -> None:
    eng, items = big
    live = [x for x in items if x.visible_in(host) and "/".join(x.category) == path]
    order = [x.appid for x in sorted(live, key=lambda x: -x.monthly_active_users)]
    assert len(order) > 40
    filters = eng.filters(host)
    assert eng.discovery.most_used(path, filters) == order[0]
    # The first 30 taken away (as a takedown would): the top bands hold none of the rest.
    gone = eng.compiler.any_of(f.APPID, order[:30])
    assert eng.discovery.most_used(path, [*filters, (Occur.MustNot, gone)]) == order[30]
    assert eng.discovery.most_used("出行/丙", filters) is None
    every = eng.compiler.any_of(f.APPID, order)
    assert eng.discovery.most_used(path, [*filters, (Occur.MustNot, every)]) is None


def test_unknown_host(engine: Engine) -> None:
    with pytest.raises(UnknownHost) as caught:
        engine.discover(DiscoverRequest(host="tiktok"))
    assert caught.value.field == "host"
