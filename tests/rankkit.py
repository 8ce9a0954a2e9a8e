"""Small hand-made catalogs for unit tests of the ranking rules (search/rank/, search/query.py).

A handful of brands and listings, analysed by the real analyzer through the real
document path (``indexer.document.analyse_fields``), so each test scores exactly the
listings it needs with the Python reference of the ranking, or builds a real
in-memory index of them for the engine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import tantivy

from indexer.analysis import Analyzer, analyzer_fingerprint
from indexer.brands import BrandTable
from indexer.dictionaries import Dictionaries
from indexer.document import analyse_fields, analyse_listing
from indexer.models import Brand, Listing
from indexer.schema import SCHEMA_VERSION, build_schema
from indexer.settings import known_hosts
from indexer.store import Manifest
from search.engine import Engine
from search.query import ParsedQuery, parse
from search.rank import WEIGHTS, Weights, ranking
from search.rank.reference import ListingTerms, Scored, score


def appid(key: str) -> str:
    """A valid WeChat appid derived from ``key`` (stable across runs)."""
    return "wx" + hashlib.sha256(key.encode()).hexdigest()[:16]


def brand(brand_id: str, name: str, *aliases: str, officials: Sequence[str] = ()) -> Brand:
    return Brand(
        brand_id=brand_id,
        name=name,
        aliases=aliases,
        category="零售商超",
        official_appids=tuple(officials) or (appid(brand_id + "-main"),),
    )


BRANDS: tuple[Brand, ...] = (
    brand(
        "starbucks",
        "星巴克",
        "Starbucks",
        "星爸爸",
        officials=(appid("starbucks-main"), appid("starbucks-second")),
    ),
    brand("louis-vuitton", "路易威登", "LV", "Louis Vuitton", "驴牌"),
    brand("apple", "苹果", "Apple", "蘋果"),
    brand("dove-care", "多芬", "Dove"),
    brand("dove-chocolate", "德芙", "Dove", "德芙巧克力"),
    brand("mcdonalds", "麦当劳", "McDonald's", "金拱门", "M记"),
)
BY_ID = {b.brand_id: b for b in BRANDS}
# Names of the hand-made listings, added to segmentation as a build adds catalog names.
NAMES: tuple[str, ...] = (
    *("星巴克用户中心", "星巴克臻选", "星巴克咖啡", "星巴克门店", "咖啡店", "经典咖啡"),
    *("星巴克优惠券代下单", "星巴克优惠代下单", "星巴克拿铁代下单", "拿铁工坊", "拿铁外卖"),
    *("外卖小铺", "快递小助手", "缴费助手", "水果铺", "某店", "麦当劳点餐", "路易威登精品店"),
    *("全民K歌", "Coffee Lab", "Apple Store"),
)


@dataclass
class Kit:
    """The analyzer and brand table the hand-made listings and queries share."""

    analyzer: Analyzer
    table: BrandTable

    def parse(self, q: str) -> ParsedQuery:
        return parse(q, self.analyzer, self.table)


@cache
def make_kit(dicts: Dictionaries) -> Kit:
    """Analyzer with the brand words and listing names added to segmentation, as a build
    does (cached: one jieba set-up for every test module)."""
    table = BrandTable.build(BRANDS)
    return Kit(Analyzer(dicts, Analyzer.catalog_words([*table.words(), *NAMES])), table)


def listing(
    name: str,
    *,
    key: str | None = None,
    aid: str | None = None,
    brand_id: str | None = None,
    official: bool = False,
    category: Sequence[str] = ("工具",),
    keywords: Sequence[str] = (),
    showcase: Sequence[str] = (),
    description: str = "一个小程序",
    mau: int = 1000,
    hosts: Sequence[str] = ("jd",),
    status: str = "online",
) -> Listing:
    """A valid listing with only the fields ranking reads chosen by the caller; its appid
    is ``aid`` or derived from ``key`` (default: the name)."""
    aid = aid or appid(key or name)
    data: dict[str, Any] = {
        "appid": aid,
        "platform": "wechat",
        "name": name,
        "brand_id": brand_id,
        "official": official,
        "category": list(category),
        "description": description,
        "keywords": list(keywords),
        "icon_url": f"https://img.example-cdn.cn/icons/{aid}.png",
        "entry_path": "pages/index/index",
        "showcase": [
            {
                "item_id": f"{i:010d}",
                "title": title,
                "path": f"pages/goods/detail?id={i:010d}",
                "image_url": f"https://img.example-cdn.cn/showcase/{aid}/{i}.jpg",
                "price_cents": 100,
            }
            for i, title in enumerate(showcase, start=1)
        ],
        "hosts": list(hosts),
        "status": status,
        "monthly_active_users": mau,
        "rating": None,
        "updated_at": "2025-03-14T10:22:05+08:00",
    }
    return Listing.model_validate(data)


def terms(kit: Kit, item: Listing) -> ListingTerms:
    """What an index holds for ``item``: its terms per field and its users."""
    brand_ = kit.table.brands.get(item.brand_id) if item.brand_id else None
    return ListingTerms.of(analyse_fields(item, brand_, kit.analyzer))


def scored(
    kit: Kit,
    q: str | ParsedQuery,
    item: Listing,
    recent: frozenset[str] = frozenset(),
    second_tier: bool = True,
    weights: Weights = WEIGHTS,
) -> Scored:
    """``item`` scored for ``q`` by the Python reference of the ranking."""
    parsed = kit.parse(q) if isinstance(q, str) else q
    return score(ranking(parsed, kit.table, recent, weights), terms(kit, item), second_tier)


def memory_index(kit: Kit, items: Iterable[Listing]) -> tantivy.Index:
    """A real in-memory tantivy index of ``items``, written as a build writes them."""
    index = tantivy.Index(build_schema())
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    for item in items:
        brand_ = kit.table.brands.get(item.brand_id) if item.brand_id else None
        writer.add_document(analyse_listing(item, brand_, kit.analyzer))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


def memory_engine(
    kit: Kit, items: Iterable[Listing], hosts: tuple[str, ...] | None = None
) -> Engine:
    """An engine over ``memory_index(kit, items)``, as if opened from a version built for
    ``hosts`` (default: the settings' host apps)."""
    manifest = Manifest(
        version="test",
        created_at=datetime.now(UTC),
        schema_version=SCHEMA_VERSION,
        fingerprint=analyzer_fingerprint(kit.analyzer.dicts),
        sources={},
        counts={},
        by_status={},
        by_platform={},
        files_sha256="",
        hosts=known_hosts() if hosts is None else hosts,
    )
    return Engine(manifest, memory_index(kit, items), kit.analyzer, kit.table)
