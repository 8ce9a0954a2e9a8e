"""Unit tests for indexer.document: a validated listing → tantivy document + stored blob.

Listings and brands come from ``tests/data/bad/_base_*.jsonl`` (10 real sample
listings of louis-vuitton, apple, samsung, hellobike and two brandless ones),
analysed by an Analyzer that knows their names, as a build would.

Properties checked:

1. Each word field holds the space-joined index-mode tokens of its source
   texts; the brand field those of the brand name and every alias.
2. Pinyin, initials and n-gram fields are derived from name and brand (n-grams
   also from keywords, category and showcase, never from the description); the
   Latin field holds the Latin tokens of name, brand and keywords, once each
   and nothing else (typo matching looks there).
3. Filter fields carry the raw appid, brand_id, categories, hosts, status,
   official flag and popularity.
4. The stored ranking blob survives a real (in-memory) tantivy index and decodes
   with ``load_stored``: appid, brand, official flag and user count, tokens and
   normalised text per word field, deduplicated pinyin forms, and the exact keys
   (the compact name and every compact brand name/alias, once each) with their
   pinyin spellings; the stored card (``load_listing``) is the listing as validated.
5. ``main`` is true only for the brand's first official appid: not for its
   second official listing, non-official listings of the brand, brandless
   listings, or an official listing whose brand is missing.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import tantivy

from indexer import schema as f
from indexer.analysis import Analyzer, normalize, spell_key
from indexer.brands import BrandTable
from indexer.dictionaries import Dictionaries
from indexer.document import (
    FIELD_CODES,
    StoredDoc,
    analyse_listing,
    field_texts,
    load_listing,
    load_stored,
)
from indexer.models import Brand, Listing

BAD = Path(__file__).parent / "data" / "bad"
LINES = (BAD / "_base_listings.jsonl").read_bytes().splitlines()
LISTINGS = {listing.appid: listing for listing in map(Listing.model_validate_json, LINES)}
BRANDS = {
    brand.brand_id: brand
    for brand in map(
        Brand.model_validate_json, (BAD / "_base_brands.jsonl").read_bytes().splitlines()
    )
}
LV_MAIN = "wxc2c943090d2ec70a"  # 路易威登官方精品店, first official appid of louis-vuitton
LV_SECOND = "wxb6979e465ca80716"  # LOUIS VUITTON 精品店预约, second official appid
RESELLER = "wx5d5b86f8f9fd1822"  # LV二手奢品回收, no brand
DEALER = "wx9d5e05ebe2844c57"  # Apple授权专营店·迅捷数码, apple but not official


@pytest.fixture(scope="module")
def analyzer(dicts: Dictionaries) -> Analyzer:
    table = BrandTable.build(BRANDS.values())
    names = [listing.name for listing in LISTINGS.values()]
    return Analyzer(dicts, Analyzer.catalog_words([*table.words(), *names]))


def _analyse(appid: str, analyzer: Analyzer, with_brand: bool = True) -> tantivy.Document:
    listing = LISTINGS[appid]
    brand = BRANDS.get(listing.brand_id or "") if with_brand else None
    return analyse_listing(listing, brand, analyzer)


def field_tokens(doc: StoredDoc, field: str) -> list[str]:
    """The distinct tokens of one word field of a stored document."""
    code = FIELD_CODES[field]
    return [token for token, codes in doc["where"].items() if code in codes]


def _stored(doc: tantivy.Document) -> StoredDoc:
    """Write ``doc`` to an in-memory index with the real schema and read its blob back."""
    index = tantivy.Index(f.build_schema())
    writer = index.writer(heap_size=15_000_000, num_threads=1)
    writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    appid = doc.to_dict()[f.APPID][0]
    hits = searcher.search(tantivy.Query.term_query(index.schema, f.APPID, appid), 1).hits
    assert len(hits) == 1
    blob = searcher.doc(hits[0][1]).get_first(f.DOC)
    assert isinstance(blob, bytes)
    return load_stored(blob)


# ------------------------------------------------------------------ 1-3 indexed fields


def test_word_fields(analyzer: Analyzer) -> None:
    fields = _analyse(LV_MAIN, analyzer).to_dict()
    listing = LISTINGS[LV_MAIN]
    assert fields[f.NAME] == ["路易威登官方精品店 路易 路易威登 易威登 威登 官方 精品 精品店"]
    brand_tokens = fields[f.BRAND][0].split()
    assert brand_tokens[:2] == ["路易威登", "路易"]
    assert {"lv", "louis", "vuitton", "louisvuitton", "驴牌", "威登"} <= set(brand_tokens)
    for field, texts in field_texts(listing, BRANDS["louis-vuitton"]).items():
        expected = [t for text in texts for t in analyzer.tokens(text, "index")]
        assert fields[field] == [" ".join(expected)], field
    assert "louisvuitton" in fields[f.KEYWORDS][0].split()
    assert "neverfull" in fields[f.SHOWCASE][0].split()
    assert fields[f.CATEGORY] == ["奢侈品 奢侈 箱包"]


def test_derived_fields(analyzer: Analyzer) -> None:
    fields = _analyse(LV_MAIN, analyzer).to_dict()
    pinyin = fields[f.PINYIN][0].split()
    initials = fields[f.INITIALS][0].split()
    ngrams = fields[f.NGRAM][0].split()
    assert pinyin[0] == "luyiweidengguanfangjingpindian"
    assert {"luyiweideng", "jingpindian", "lvpai", "louisvuitton"} <= set(pinyin)
    assert {"lywdgfjpd", "lywd", "jpd", "lp"} <= set(initials)
    assert {"路", "路易", "精品", "驴牌", "丝巾", "箱包", "中号"} <= set(ngrams)
    assert "丰" not in ngrams  # only in the description (顺丰配送)
    assert "丰" in fields[f.DESCRIPTION][0].split()
    latin = fields[f.LATIN][0].split()
    expected = [t for fn in (f.NAME, f.BRAND, f.KEYWORDS) for t in fields[fn][0].split()]
    assert latin == list(dict.fromkeys(t for t in expected if t.isascii()))
    assert {"lv", "louis", "vuitton", "louisvuitton"} <= set(latin)
    assert "neverfull" not in latin  # a showcase title, not a name, brand or keyword


def test_filter_fields(analyzer: Analyzer) -> None:
    fields = _analyse(LV_MAIN, analyzer).to_dict()
    listing = LISTINGS[LV_MAIN]
    assert fields[f.APPID] == [LV_MAIN]
    assert fields[f.BRAND_ID] == ["louis-vuitton"]
    assert fields[f.CATEGORIES] == ["奢侈品", "箱包"]
    assert fields[f.LIVE] == ["jd", "qqbrowser", "samsung"]
    assert f.HIDDEN not in fields
    assert fields[f.OFFICIAL] == [1]
    assert fields[f.POPULARITY] == [listing.monthly_active_users] == [115203]


def test_live_field_follows_the_visibility_rule(analyzer: Analyzer) -> None:
    """Only an online listing is live in its hosts; it is hidden in every other known
    host, and a listing of any other status in all of them."""
    online = LISTINGS[LV_MAIN]
    some = online.model_copy(update={"hosts": ("jd", "samsung")})
    brand = BRANDS[online.brand_id or ""]
    fields = analyse_listing(some, brand, analyzer).to_dict()
    assert fields[f.LIVE] == ["jd", "samsung"]
    assert fields[f.HIDDEN] == ["qqbrowser"]
    for status in ("offline", "suspended"):
        hidden = online.model_copy(update={"status": status})
        fields = analyse_listing(hidden, brand, analyzer).to_dict()
        assert f.LIVE not in fields
        assert fields[f.HIDDEN] == ["jd", "qqbrowser", "samsung"]


def test_brandless_listing(analyzer: Analyzer) -> None:
    fields = _analyse(RESELLER, analyzer).to_dict()
    assert f.BRAND_ID not in fields
    assert fields[f.BRAND] == [""]
    assert fields[f.OFFICIAL] == [0]
    assert fields[f.NAME][0].split()[0] == "lv"


# ------------------------------------------------------------------ 4 the stored blob


def test_stored_blob(analyzer: Analyzer) -> None:
    doc = _analyse(LV_MAIN, analyzer)
    stored = _stored(doc)
    assert stored == load_stored(doc.to_dict()[f.DOC][0])
    assert set(stored) == {
        *("appid", "brand_id", "official", "mau"),
        *("where", "roman", "norm", "py", "pi", "exact", "spell", "main"),
    }
    item = LISTINGS[LV_MAIN]
    assert (stored["appid"], stored["brand_id"]) == (item.appid, item.brand_id)
    assert (stored["official"], stored["mau"]) == (item.official, item.monthly_active_users)
    card = load_listing(doc.to_dict()[f.CARD][0])
    assert card == item.model_dump(mode="json") == orjson.loads(LINES[0])
    assert stored["spell"] == [list(spell_key(k)) for k in stored["exact"]]
    assert stored["roman"] == [t for t in stored["where"] if t[0].isascii()]
    assert "lv" in stored["roman"] and "路易威登" not in stored["roman"]
    assert list(FIELD_CODES) == list(f.WORD_FIELDS) == list(stored["norm"])
    fields = doc.to_dict()
    for field in f.WORD_FIELDS:
        indexed = fields[field][0].split()
        tokens = field_tokens(stored, field)
        assert len(tokens) == len(set(tokens)) and set(tokens) == set(indexed), field
    # each token lists every field holding it, once, in field order
    assert stored["where"]["路易威登"] == "nbd"  # name, brand, description
    assert stored["where"]["丰"] == "d"
    assert stored["norm"][f.NAME] == "路易威登官方精品店"
    assert stored["norm"][f.BRAND] == "路易威登 | lv | louis vuitton | 驴牌 | 路易 威登"
    assert stored["norm"][f.DESCRIPTION] == normalize(LISTINGS[LV_MAIN].description)
    assert len(stored["py"]) == len(set(stored["py"])) and "luyiweideng" in stored["py"]
    assert len(stored["pi"]) == len(set(stored["pi"])) and "lywd" in stored["pi"]


def test_exact_keys(analyzer: Analyzer) -> None:
    main = _stored(_analyse(LV_MAIN, analyzer))
    # 路易·威登 compacts to the brand name: kept once
    assert main["exact"] == ["路易威登官方精品店", "路易威登", "lv", "louisvuitton", "驴牌"]
    second = _stored(_analyse(LV_SECOND, analyzer))
    # the name "LOUIS VUITTON 精品店预约" compacts to a new key; the brand keys follow
    assert second["exact"] == ["louisvuitton精品店预约", "路易威登", "lv", "louisvuitton", "驴牌"]
    dealer = _stored(_analyse(DEALER, analyzer))
    assert dealer["exact"] == ["apple授权专营店迅捷数码", "苹果", "apple", "applestore"]
    assert _stored(_analyse(RESELLER, analyzer))["exact"] == ["lv二手奢品回收"]


# ------------------------------------------------------------------ 5 main


@pytest.mark.parametrize(
    ("appid", "main"),
    [
        (LV_MAIN, True),
        (LV_SECOND, False),
        ("wxc5f4d54d9066ae66", True),  # Apple Store 零售店
        ("2021922496479933", False),  # Apple 支持 (second official)
        ("wx9fdad21f0e9ad67f", True),  # 三星商城
        ("3xspulzely92c2gom914a8d2pc98vp8m", False),  # Samsung Members (second official)
        ("2021226184876860", True),  # 哈啰 (only official)
        (RESELLER, False),
        (DEALER, False),
        ("wx2a5a0aabe621c3ce", False),  # 番茄ToDo, no brand
    ],
)
def test_main_flag(analyzer: Analyzer, appid: str, main: bool) -> None:
    listing = LISTINGS[appid]
    brand = BRANDS.get(listing.brand_id or "")
    assert (brand is not None and brand.official_appids[0] == appid) == main
    assert _stored(_analyse(appid, analyzer))["main"] is main


def test_main_false_without_brand(analyzer: Analyzer) -> None:
    """An official listing whose brand was rejected by the build is not a main listing."""
    stored = _stored(_analyse(LV_MAIN, analyzer, with_brand=False))
    assert stored["main"] is False
    assert field_tokens(stored, f.BRAND) == []
    assert stored["exact"] == ["路易威登官方精品店"]
