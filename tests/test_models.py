"""Unit tests for indexer.models: the sample catalog validates, each rule rejects.

Rule tests start from a real sample record and change one thing, then check
the location pydantic reports, since that location becomes ``Reject.field``.
"""

from copy import deepcopy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from indexer.models import (
    BRAND_CATEGORIES,
    LISTING_TOP_CATEGORIES,
    Brand,
    Listing,
    ShowcaseItem,
    platform_of_appid,
)
from indexer.settings import DEFAULT_HOSTS, get_settings, known_hosts

CATALOG = Path(__file__).parent / "data" / "catalog"


def _records(name: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (CATALOG / name).read_bytes().splitlines()]


LISTINGS = _records("listings.jsonl")
BRANDS = _records("brands.jsonl")
LV = LISTINGS[0]  # wechat, official, 6 showcase items, online in all hosts
ALIPAY = next(r for r in LISTINGS if r["platform"] == "alipay")
BAIDU = next(r for r in LISTINGS if r["platform"] == "baidu")
LV_BRAND = BRANDS[0]


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = deepcopy(base)
    data.update(changes)
    return data


def _locs(model: type[BaseModel], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [".".join(str(p) for p in e["loc"]) for e in info.value.errors()]


def _showcase(**changes: Any) -> dict[str, Any]:
    """LV with its first showcase item changed."""
    data = deepcopy(LV)
    data["showcase"][0].update(changes)
    return data


# ------------------------------------------------------------------ sample catalog


def test_every_sample_listing_validates() -> None:
    listings = [Listing.model_validate(r) for r in LISTINGS]
    assert len(listings) == 624
    assert len({x.appid for x in listings}) == 624


def test_every_sample_brand_validates() -> None:
    brands = [Brand.model_validate(r) for r in BRANDS]
    assert len(brands) == 159
    assert {b.category for b in brands} == set(BRAND_CATEGORIES)


def test_listing_fields_are_typed() -> None:
    listing = Listing.model_validate(LV)
    assert listing.appid == "wxc2c943090d2ec70a"
    assert listing.category == ("奢侈品", "箱包")
    assert listing.hosts == ("jd", "qqbrowser", "samsung")
    assert isinstance(listing.showcase[0], ShowcaseItem)
    assert listing.showcase[0].price_cents == 1550000
    assert listing.updated_at == datetime.fromisoformat("2025-05-04T10:50:42+08:00")
    assert listing.updated_at.utcoffset() == timedelta(hours=8)
    assert listing.visible_in("jd")
    assert not Listing.model_validate(_with(LV, status="offline")).visible_in("jd")


def test_models_are_frozen_and_hashable() -> None:
    listing = Listing.model_validate(LV)
    with pytest.raises(ValidationError):
        listing.name = "x"
    assert hash(listing) == hash(Listing.model_validate(LV))
    with pytest.raises(ValidationError):
        Brand.model_validate(LV_BRAND).name = "x"


def test_constants() -> None:
    assert len(BRAND_CATEGORIES) == 17
    assert LISTING_TOP_CATEGORIES[:17] == BRAND_CATEGORIES
    assert LISTING_TOP_CATEGORIES[17:] == ("工具", "资讯", "二手")
    assert DEFAULT_HOSTS == ("jd", "qqbrowser", "samsung") == known_hosts()


def test_hosts_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host added in the settings is a host a listing can be live in, in the settings'
    order; one dropped from them is not."""
    monkeypatch.setenv("MPSEARCH_HOSTS", "jd,huawei,qqbrowser")
    get_settings.cache_clear()
    try:
        assert Listing.model_validate(_with(LV, hosts=["jd", "huawei", "qqbrowser"])).hosts == (
            "jd",
            "huawei",
            "qqbrowser",
        )
        with pytest.raises(ValidationError, match="in the order jd, huawei, qqbrowser"):
            Listing.model_validate(_with(LV, hosts=["jd", "qqbrowser", "huawei"]))
        with pytest.raises(ValidationError, match="'samsung' is not a host app") as caught:
            Listing.model_validate(_with(LV, hosts=["jd", "samsung"]))
        assert caught.value.errors()[0]["loc"] == ("hosts", 1)
    finally:
        monkeypatch.delenv("MPSEARCH_HOSTS")
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("appid", "platform"),
    [
        ("wxc2c943090d2ec70a", "wechat"),
        ("2021226184876860", "alipay"),
        ("3xspulzely92c2gom914a8d2pc98vp8m", "baidu"),
        ("wxC2C943090D2EC70A", None),
        ("2020226184876860", None),
        ("", None),
    ],
)
def test_platform_of_appid(appid: str, platform: str | None) -> None:
    assert platform_of_appid(appid) == platform


# ------------------------------------------------------------------ listing: accepted


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_with(LV, status="offline", hosts=[]), id="offline-empty-hosts"),
        pytest.param(_with(LV, status="suspended", hosts=[]), id="suspended-empty-hosts"),
        pytest.param(_with(LV, rating=None), id="null-rating"),
        pytest.param(_with(LV, rating=4), id="int-rating"),
        pytest.param(_with(LV, rating=1.0), id="rating-min"),
        pytest.param(_with(LV, rating=5.0), id="rating-max"),
        pytest.param(_with(LV, keywords=[], showcase=[]), id="empty-lists"),
        pytest.param(_with(LV, category=["工具"]), id="single-category"),
        pytest.param(_with(LV, brand_id=None, official=False), id="no-brand"),
        pytest.param(_with(LV, official=False), id="dealer"),
        pytest.param(_with(LV, monthly_active_users=0), id="zero-mau"),
        pytest.param(_with(LV, hosts=["qqbrowser"]), id="one-host"),
        pytest.param(_with(LV, keywords=["LV", "lv"]), id="keywords-case-differs"),
        pytest.param(_with(LV, keywords=[str(i) for i in range(10)]), id="ten-keywords"),
        pytest.param(_with(LV, appid="2021226184876860", platform="alipay"), id="alipay"),
        pytest.param(_with(BAIDU), id="baidu"),
        pytest.param(_with(ALIPAY), id="alipay-sample"),
    ],
)
def test_listing_accepts(data: dict[str, Any]) -> None:
    Listing.model_validate(data)


def test_int_rating_becomes_float() -> None:
    assert Listing.model_validate(_with(LV, rating=4)).rating == 4.0


# ------------------------------------------------------------------ listing: rejected

WECHAT_APPID = LV["appid"]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        # presence and shape
        pytest.param({k: v for k, v in LV.items() if k != "appid"}, "appid", id="missing"),
        pytest.param(_with(LV, score=4.5), "score", id="unknown-field"),
        pytest.param(_with(LV, name=None), "name", id="null-name"),
        pytest.param(_with(LV, name=""), "name", id="empty-name"),
        pytest.param(_with(LV, description=None), "description", id="null-description"),
        pytest.param(_with(LV, official=None), "official", id="null-official"),
        pytest.param(_with(LV, hosts=None), "hosts", id="null-hosts"),
        # appid format per platform
        pytest.param(_with(LV, appid=WECHAT_APPID.upper()), "appid", id="wechat-upper"),
        pytest.param(_with(LV, appid=WECHAT_APPID + "0"), "appid", id="wechat-long"),
        pytest.param(_with(LV, appid="wxc2c943090d2ec70g"), "appid", id="wechat-not-hex"),
        pytest.param(_with(LV, appid=123), "appid", id="appid-int"),
        pytest.param(_with(ALIPAY, appid="2020226184876860"), "appid", id="alipay-prefix"),
        pytest.param(_with(ALIPAY, appid="202122618487686"), "appid", id="alipay-short"),
        pytest.param(_with(ALIPAY, appid=WECHAT_APPID), "appid", id="alipay-gets-wechat"),
        pytest.param(_with(BAIDU, appid=BAIDU["appid"][:-1]), "appid", id="baidu-short"),
        pytest.param(_with(BAIDU, appid=BAIDU["appid"].upper()), "appid", id="baidu-upper"),
        pytest.param(_with(LV, platform="WeChat"), "platform", id="platform"),
        # official and brand
        pytest.param(_with(LV, official="true"), "official", id="official-string"),
        pytest.param(_with(LV, official=1), "official", id="official-int"),
        pytest.param(_with(LV, brand_id=None), "official", id="official-without-brand"),
        pytest.param(_with(LV, brand_id="Louis_Vuitton"), "brand_id", id="brand-slug"),
        pytest.param(_with(LV, brand_id="louis--vuitton"), "brand_id", id="brand-dashes"),
        pytest.param(_with(LV, brand_id=5), "brand_id", id="brand-int"),
        # category
        pytest.param(_with(LV, category=[]), "category", id="category-empty"),
        pytest.param(_with(LV, category=["奢侈品", "箱包", "x"]), "category", id="category-3"),
        pytest.param(_with(LV, category=["购物", "箱包"]), "category.0", id="category-top"),
        pytest.param(_with(LV, category=[123]), "category.0", id="category-int"),
        pytest.param(_with(LV, category="奢侈品"), "category", id="category-string"),
        pytest.param(_with(LV, category=["奢侈品", ""]), "category.1", id="category-blank"),
        # keywords
        pytest.param(_with(LV, keywords=[str(i) for i in range(11)]), "keywords", id="kw-11"),
        pytest.param(_with(LV, keywords=["手袋", "丝巾", "手袋"]), "keywords.2", id="kw-dup"),
        pytest.param(_with(LV, keywords=[""]), "keywords.0", id="kw-empty"),
        pytest.param(_with(LV, keywords=[1]), "keywords.0", id="kw-int"),
        # urls and paths
        pytest.param(_with(LV, icon_url="http://img.example-cdn.cn/i.png"), "icon_url", id="http"),
        pytest.param(_with(LV, icon_url="https://"), "icon_url", id="https-only"),
        pytest.param(_with(LV, icon_url="https://a b"), "icon_url", id="url-space"),
        pytest.param(_with(LV, entry_path="/pages/index/index"), "entry_path", id="slash"),
        pytest.param(_with(LV, entry_path="pages/index?x=1"), "entry_path", id="path-query"),
        pytest.param(_with(LV, entry_path=""), "entry_path", id="path-empty"),
        # showcase
        pytest.param(_with(LV, showcase=LV["showcase"] * 2), "showcase", id="showcase-12"),
        pytest.param(_showcase(item_id="123"), "showcase.0.item_id", id="item-id-short"),
        pytest.param(_showcase(item_id=8172414888), "showcase.0.item_id", id="item-id-int"),
        pytest.param(
            _showcase(item_id="８１７２４１４８８８"), "showcase.0.item_id", id="fw-digits"
        ),
        pytest.param(_showcase(price_cents=0), "showcase.0.price_cents", id="price-0"),
        pytest.param(_showcase(price_cents=10.5), "showcase.0.price_cents", id="price-float"),
        pytest.param(_showcase(price_cents="100"), "showcase.0.price_cents", id="price-str"),
        pytest.param(_showcase(image_url="http://x/y.jpg"), "showcase.0.image_url", id="img"),
        pytest.param(_showcase(path="pages/goods/detail"), "showcase.0.path", id="no-query"),
        pytest.param(_showcase(path="pages/goods/detail?id=1"), "showcase.0.path", id="other-id"),
        pytest.param(_showcase(path="/pages/goods/detail?id=8172414888"), "showcase.0.path"),
        pytest.param(_showcase(color="red"), "showcase.0.color", id="item-unknown-field"),
        pytest.param(_with(LV, showcase=[None]), "showcase.0", id="item-null"),
        # hosts and status
        pytest.param(_with(LV, hosts=[]), "hosts", id="online-no-hosts"),
        pytest.param(_with(LV, hosts=["jd", "jd"]), "hosts", id="host-dup"),
        pytest.param(_with(LV, hosts=["qqbrowser", "jd"]), "hosts", id="host-order"),
        pytest.param(_with(LV, hosts=["tiktok"]), "hosts.0", id="host-unknown"),
        pytest.param(_with(LV, hosts="jd"), "hosts", id="hosts-string"),
        pytest.param(_with(LV, status="deleted"), "status", id="status"),
        # numbers
        pytest.param(_with(LV, monthly_active_users="123"), "monthly_active_users", id="mau-str"),
        pytest.param(_with(LV, monthly_active_users=-1), "monthly_active_users", id="mau-neg"),
        pytest.param(_with(LV, monthly_active_users=12.0), "monthly_active_users", id="mau-flt"),
        pytest.param(_with(LV, monthly_active_users=True), "monthly_active_users", id="mau-bool"),
        pytest.param(_with(LV, rating=0.9), "rating", id="rating-low"),
        pytest.param(_with(LV, rating=5.1), "rating", id="rating-high"),
        pytest.param(_with(LV, rating="4.5"), "rating", id="rating-str"),
        pytest.param(_with(LV, rating=4.25), "rating", id="rating-2-decimals"),
        pytest.param(_with(LV, rating=True), "rating", id="rating-bool"),
        # timestamps
        pytest.param(_with(LV, updated_at="2025-05-04T10:50:42"), "updated_at", id="naive"),
        pytest.param(_with(LV, updated_at="2025-05-04"), "updated_at", id="date-only"),
        pytest.param(_with(LV, updated_at=1700000000), "updated_at", id="unix"),
        pytest.param(_with(LV, updated_at="2025-05-04T02:50:42Z"), "updated_at", id="zulu"),
        pytest.param(_with(LV, updated_at="2025-05-04T02:50:42+00:00"), "updated_at", id="utc"),
        pytest.param(_with(LV, updated_at="2025-05-04 10:50:42+08:00"), "updated_at", id="space"),
        pytest.param(_with(LV, updated_at="2025-05-04T10:50:42.5+08:00"), "updated_at"),
        pytest.param(_with(LV, updated_at="2025-13-04T10:50:42+08:00"), "updated_at", id="month"),
    ],
)
def test_listing_rejects(data: dict[str, Any], loc: str) -> None:
    assert _locs(Listing, data) == [loc]


def test_rule_messages_name_the_value() -> None:
    with pytest.raises(ValidationError) as info:
        Listing.model_validate(_with(LV, appid=WECHAT_APPID.upper()))
    (error,) = info.value.errors()
    assert "WXC2C943090D2EC70A" in error["msg"]
    assert "wechat" in error["msg"]


def test_braces_in_values_do_not_break_messages() -> None:
    with pytest.raises(ValidationError) as info:
        Listing.model_validate(_with(LV, brand_id="{value}"))
    assert "'{value}'" in info.value.errors()[0]["msg"]


def test_several_errors_are_all_reported() -> None:
    locs = _locs(Listing, _with(LV, monthly_active_users="1", rating=9.0, status="x"))
    assert locs == ["status", "monthly_active_users", "rating"]


# ------------------------------------------------------------------ brands


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        pytest.param(_with(LV_BRAND, brand_id="Louis Vuitton"), "brand_id", id="slug"),
        pytest.param(_with(LV_BRAND, brand_id="-lv"), "brand_id", id="slug-dash"),
        pytest.param(_with(LV_BRAND, brand_id=None), "brand_id", id="null-id"),
        pytest.param(_with(LV_BRAND, name=""), "name", id="empty-name"),
        pytest.param(_with(LV_BRAND, aliases=["LV", "lv"]), "aliases.1", id="alias-case-dup"),
        pytest.param(_with(LV_BRAND, aliases=["LV", "路易威登"]), "aliases.1", id="alias-is-name"),
        pytest.param(_with(LV_BRAND, aliases="LV"), "aliases", id="aliases-string"),
        pytest.param(_with(LV_BRAND, aliases=[""]), "aliases.0", id="alias-empty"),
        pytest.param(_with(LV_BRAND, category="工具"), "category", id="not-brand-category"),
        pytest.param(_with(LV_BRAND, official_appids=[]), "official_appids", id="no-appids"),
        pytest.param(
            _with(LV_BRAND, official_appids=[WECHAT_APPID, "2021226184876860", "2021226184876861"]),
            "official_appids",
            id="three-appids",
        ),
        pytest.param(_with(LV_BRAND, official_appids=["wx1"]), "official_appids.0", id="bad"),
        pytest.param(
            _with(LV_BRAND, official_appids=[WECHAT_APPID, WECHAT_APPID]),
            "official_appids.1",
            id="dup-appid",
        ),
        pytest.param(_with(LV_BRAND, website="x"), "website", id="unknown-field"),
        pytest.param({k: v for k, v in LV_BRAND.items() if k != "name"}, "name", id="missing"),
    ],
)
def test_brand_rejects(data: dict[str, Any], loc: str) -> None:
    assert _locs(Brand, data) == [loc]


def test_brand_alias_equal_to_latin_name_differing_in_case() -> None:
    nb = next(b for b in BRANDS if b["name"] == "New Balance")
    assert _locs(Brand, _with(nb, aliases=["NEW BALANCE"])) == ["aliases.0"]


def test_brand_accepts_empty_aliases_and_one_appid() -> None:
    brand = Brand.model_validate(_with(LV_BRAND, aliases=[], official_appids=[WECHAT_APPID]))
    assert brand.official_appids == (WECHAT_APPID,)
