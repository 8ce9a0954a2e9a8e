"""Unit tests for indexer.document: a validated listing → tantivy document + stored card.

Listings and brands come from ``tests/data/bad/_base_*.jsonl`` (10 real sample
listings of louis-vuitton, apple, samsung, hellobike and two brandless ones),
analysed by an Analyzer that knows their names, as a build would.

Properties checked:

1. Each word field holds the space-joined index-mode tokens of its source
   texts; the brand field those of the brand name and every alias.
2. Pinyin and initials are derived from name and brand; character grams (each with
   its field's code) from name, brand, keywords, categories and showcase, never from
   the description; the Latin field holds the Latin tokens of name, brand and keywords,
   once each and nothing else (typo matching looks there); the cover fields hold the
   words and grams of the first-tier fields but the brand.
3. Filter fields carry the raw appid, brand_id (as official or dealer), categories and
   category paths, the regions served, hosts, status, official flag, popularity and its
   bands, the facet category and the brand key.
4. The stored card survives a real (in-memory) tantivy index: ``load_listing`` gives the
   listing as validated, and the titles field the showcase titles normalised, one a line.
5. The exact keys are the compact name and every compact brand name/alias, once each;
   their spellings the full pinyin and initials of the Chinese ones.
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
from indexer.document import analyse_listing, field_texts, load_listing
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


def _stored(doc: tantivy.Document) -> tantivy.Document:
    """Write ``doc`` to an in-memory index with the real schema and read it back."""
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
    return searcher.doc(hits[0][1])


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
    assert fields[f.CATEGORY] == ["箱包"]  # its own (last) category
    assert fields[f.CATEGORY_TOP] == ["奢侈品 奢侈"]  # the top-level one above it
    covered = [t for fn in f.COVERED_FIELDS for t in fields[fn][0].split()]
    assert fields[f.COVER_WORDS] == [" ".join(dict.fromkeys(covered))]
    assert "驴牌" not in fields[f.COVER_WORDS][0].split()  # the brand is not covered


def test_derived_fields(analyzer: Analyzer) -> None:
    fields = _analyse(LV_MAIN, analyzer).to_dict()
    pinyin = fields[f.PINYIN][0].split()
    initials = fields[f.INITIALS][0].split()
    grams = fields[f.GRAMS][0].split()
    assert pinyin[0] == "luyiweidengguanfangjingpindian"
    assert {"luyiweideng", "jingpindian", "lvpai", "louisvuitton"} <= set(pinyin)
    assert {"lywdgfjpd", "lywd", "jpd", "lp"} <= set(initials)
    coded = {
        (f.NAME, "路"), (f.NAME, "路易"), (f.NAME, "精品"), (f.BRAND, "驴牌"),
        (f.KEYWORDS, "丝巾"), (f.CATEGORY, "箱包"), (f.CATEGORY_TOP, "奢侈"),
        (f.SHOWCASE, "中号"),
    }  # fmt: skip
    assert {f.gram_term(field, g) for field, g in coded} <= set(grams)
    assert f.gram_term(f.NAME, "驴牌") not in grams  # a brand gram, not a name gram
    assert not any(g[1:] == "丰" for g in grams)  # only in the description (顺丰配送)
    cover_grams = set(fields[f.COVER_GRAMS][0].split())
    assert {"路易", "丝巾", "箱包", "中号"} <= cover_grams and "驴牌" not in cover_grams
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
    assert fields[f.BRAND_ID] == fields[f.BRAND_OFFICIAL] == ["louis-vuitton"]
    assert f.BRAND_DEALER not in fields
    assert fields[f.BRAND_KEY] == [f.brand_key("louis-vuitton")] != [0]
    assert fields[f.CATEGORIES] == ["奢侈品", "箱包"]
    assert fields[f.CATEGORY_PATH] == ["奢侈品", "奢侈品/箱包"]
    assert fields[f.CATEGORY_FACET] == ["奢侈品"]
    band = fields[f.POPULARITY_BAND][0]
    assert fields[f.CATEGORY_BAND] == [f.category_band_term(c, band) for c in ("奢侈品", "箱包")]
    assert fields[f.REGION] == [f.NATIONAL]  # sold everywhere
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
    assert f.BRAND_ID not in fields and f.BRAND_OFFICIAL not in fields
    assert f.BRAND_DEALER not in fields
    assert fields[f.BRAND] == [""]
    assert fields[f.BRAND_KEY] == [0]
    assert fields[f.OFFICIAL] == [0]
    assert fields[f.NAME][0].split()[0] == "lv"


def test_dealer_listing(analyzer: Analyzer) -> None:
    """A brand's listing that is not official is the brand's dealer, not its official."""
    fields = _analyse(DEALER, analyzer).to_dict()
    assert fields[f.BRAND_ID] == fields[f.BRAND_DEALER] == ["apple"]
    assert f.BRAND_OFFICIAL not in fields
    assert fields[f.OFFICIAL] == [0]


# ------------------------------------------------------------------ 4 the stored card


def test_stored_card_and_titles(analyzer: Analyzer) -> None:
    doc = _analyse(LV_MAIN, analyzer)
    stored = _stored(doc)
    item = LISTINGS[LV_MAIN]
    card = stored.get_first(f.CARD)
    assert isinstance(card, bytes)
    assert load_listing(card) == item.model_dump(mode="json") == orjson.loads(LINES[0])
    titles = stored.get_first(f.TITLES)
    assert isinstance(titles, bytes)
    assert titles.decode().split("\n") == [normalize(i.title) for i in item.showcase]
    assert stored.get_first(f.NAME) is None  # indexed words are not stored


# ------------------------------------------------------------------ 5 exact keys


def test_exact_keys(analyzer: Analyzer) -> None:
    main = _analyse(LV_MAIN, analyzer).to_dict()
    # 路易·威登 compacts to the brand name: kept once
    assert main[f.EXACT] == ["路易威登官方精品店", "路易威登", "lv", "louisvuitton", "驴牌"]
    spelled = [s for k in main[f.EXACT] if not k.isascii() for s in spell_key(k)]
    assert main[f.EXACT_SPELLED] == [s for s in spelled if s != "lp"]  # 2 initials: too few
    second = _analyse(LV_SECOND, analyzer).to_dict()
    # the name "LOUIS VUITTON 精品店预约" compacts to a new key; the brand keys follow
    assert second[f.EXACT] == ["louisvuitton精品店预约", "路易威登", "lv", "louisvuitton", "驴牌"]
    dealer = _analyse(DEALER, analyzer).to_dict()
    assert dealer[f.EXACT] == ["apple授权专营店迅捷数码", "苹果", "apple", "applestore"]
    assert _analyse(RESELLER, analyzer).to_dict()[f.EXACT] == ["lv二手奢品回收"]
    alone = _analyse(LV_MAIN, analyzer, with_brand=False).to_dict()
    assert alone[f.EXACT] == ["路易威登官方精品店"]  # a brand the build rejected adds none
