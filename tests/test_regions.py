"""Unit tests for regions: ``dictionaries/regions.txt``, its parser and indexer.regions.

Properties checked:

1. A ``regions.txt`` line ``province = full => city = full, city`` is parsed into the
   province's names and each city's names (short form first, repeats dropped, line number
   kept); a municipality has no ``=>``; full-width separators and traditional characters
   read as ASCII and simplified.
2. A malformed line raises DictionaryError naming ``file:line`` and the reason: no
   province name, two ``=>``, nothing after ``=>``, an empty name, a name that is not two
   or more Chinese characters, a name already used (on the same or an earlier line, whose
   number is given).
3. The repo's file loads: 34 provinces (香港, 澳门, 台湾 included), short forms people type
   (广西, 新疆, 内蒙古, 延边) beside the full names, ambiguous short forms left out.
4. Lookups: a city names its province (成都 → 四川, 延边州 → 吉林), a province itself;
   spellings fold (臺北, 成都市); 中国, 全国, 国家, ordinary words that are also place
   names (东方, 开封, 日照, 阿里) and a municipality's districts (朝阳, 和平, 通州) name none.
5. The analyzer keeps every place name of the file whole (唐山, 鄂尔多斯, 黔东南州, 高雄),
   also inside a query; only the names jieba would cut are added to its dictionary.
6. ``places`` finds place names in query tokens with their token span: whole tokens,
   compounds jieba does not know (深圳通, 爱山东) by their start or end, jieba's
   compounds only when the rest is a word or an area word (北京大学, 北京地区; not 大理石,
   南京路, 大同小异, 孙中山). ``split`` reads such a compound as the place and the rest
   (北京公交 → 北京, 公交) when the rest is two or more characters and no area word.
7. ``of_text`` on real sample listings, tokenised as the build does: 天府通办 → 四川,
   浙里办 → 浙江, i深圳 → 广东 (via 深圳), 宜停车 → 广东 (深圳 in its keywords);
   国家政务服务平台, 滴滴出行, 美团 → none. Index-mode tokens would name 江西 in 浙江西湖.
8. ``of_listing``: the name, keywords and brand decide; the description only when they
   name none, and not when the listing serves everywhere or sells a place's produce
   (全国, 产地 …), names more than two provinces, or uses a word built on a place name
   (北京烤鸭). On the sample catalog it marks exactly the listings measured when the rule
   was chosen.
9. Editing ``regions.txt`` changes the analyzer fingerprint (an index must be rebuilt); a
   folder without the file loads with no regions.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexer import schema as f
from indexer.analysis import Analyzer, analyzer_fingerprint
from indexer.brands import BrandTable
from indexer.catalog import ingest_catalog
from indexer.dictionaries import Dictionaries, RegionEntry, default_dictionaries_dir
from indexer.document import field_texts
from indexer.errors import DictionaryError
from indexer.models import Brand, Listing
from indexer.regions import RegionTable, region_terms, says_nationwide
from indexer.schema import NATIONAL
from tests.conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS

SYNTAX = "province = full name => city = full name, city = full name"


def _load(tmp_path: Path, text: str) -> Dictionaries:
    folder = tmp_path / "dicts"
    folder.mkdir(exist_ok=True)
    (folder / "regions.txt").write_text(text, encoding="utf-8")
    return Dictionaries.load(folder)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(DictionaryError) as info:
        _load(tmp_path, text)
    return str(info.value)


@pytest.fixture(scope="module")
def table(dicts: Dictionaries) -> RegionTable:
    return RegionTable.from_dictionaries(dicts)


@pytest.fixture(scope="module")
def analyzer(dicts: Dictionaries) -> Analyzer:
    return Analyzer(dicts)


# ------------------------------------------------------------------ 1-2 parsing


def test_lines_parsed(tmp_path: Path) -> None:
    regions = _load(
        tmp_path,
        "# header\n"
        "北京 = 北京市  # a municipality\n"
        "\n"
        "四川 = 四川省 => 成都 = 成都市 = 成都, 阿坝 = 阿坝州 = 阿坝藏族羌族自治州,\n"
        "臺灣 ＝ 臺灣省 ＝> 臺北 ＝ 臺北市， 高雄市\n",
    ).regions
    assert regions == (
        RegionEntry(2, ("北京", "北京市"), ()),
        RegionEntry(
            4,
            ("四川", "四川省"),
            (("成都", "成都市"), ("阿坝", "阿坝州", "阿坝藏族羌族自治州")),
        ),
        RegionEntry(5, ("台湾", "台湾省"), (("台北", "台北市"), ("高雄市",))),
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (" => 成都 = 成都市", "no province name before '=>'"),
        ("四川 => 成都 => 绵阳", "more than one '=>'"),
        ("四川 = 四川省 =>  , ", "nothing after '=>'"),
        ("四川 = => 成都", "an empty name in '四川 ='"),
        ("四川 = 四川省 => 成都 = , 绵阳", "an empty name in '成都 ='"),
        ("四川 => 成都, 蓉", "'蓉' is not two or more Chinese characters"),
        ("四川 => 成都, Chengdu", "'Chengdu' is not two or more Chinese characters"),
        ("四川 => 成都, 绵阳, 成都市 = 成都", "'成都' already names 成都 (line 3)"),
        ("河北 = 河北省 => 北京", "'北京' already names 北京 (line 1)"),
    ],
)
def test_malformed_line(tmp_path: Path, line: str, reason: str) -> None:
    text = f"北京 = 北京市\n# comment\n{line}\n"
    message = _error(tmp_path, text)
    assert f"{tmp_path / 'dicts' / 'regions.txt'}:3: {reason}" in message
    assert f"expected '{SYNTAX}'" in message
    assert repr(line.strip()) in message


def test_missing_file_is_empty(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    loaded = Dictionaries.load(folder)
    assert loaded.regions == ()
    table = RegionTable.from_dictionaries(loaded)
    assert len(table) == 0
    assert table.places(["成都"]) == []


# ------------------------------------------------------------------ 3 the repo's file


def test_repo_file(dicts: Dictionaries, table: RegionTable) -> None:
    assert len(dicts.regions) == 34
    assert table.provinces[:3] == ("北京", "天津", "河北")
    assert {"广西", "新疆", "宁夏", "西藏", "内蒙古", "香港", "澳门", "台湾"} <= set(
        table.provinces
    )
    by_province = {entry.names[0]: entry for entry in dicts.regions}
    assert by_province["广西"].names == ("广西", "广西壮族自治区")
    assert by_province["新疆"].names == ("新疆", "新疆维吾尔自治区")
    assert by_province["北京"].cities == ()  # districts are not listed
    assert ("延边", "延边州", "延边朝鲜族自治州") in by_province["吉林"].cities
    assert ("吉林市",) in by_province["吉林"].cities  # 吉林 names the province
    assert ("日照市",) in by_province["山东"].cities  # 日照 is left out
    assert sum(len(entry.cities) for entry in dicts.regions) > 340


# ------------------------------------------------------------------ 4 lookups


@pytest.mark.parametrize(
    ("word", "province", "city"),
    [
        ("成都", "四川", "成都"),
        ("成都市", "四川", "成都"),
        ("四川", "四川", None),
        ("四川省", "四川", None),
        ("杭州", "浙江", "杭州"),
        ("深圳市", "广东", "深圳"),
        ("延边州", "吉林", "延边"),
        ("延边朝鲜族自治州", "吉林", "延边"),
        ("鄂尔多斯", "内蒙古", "鄂尔多斯"),
        ("黔东南", "贵州", "黔东南"),
        ("吉林", "吉林", None),
        ("吉林市", "吉林", "吉林市"),
        ("日照市", "山东", "日照市"),
        ("海南", "海南", None),
        ("海南州", "青海", "海南州"),
        ("臺北", "台湾", "台北"),
        ("香港", "香港", None),
        ("北京市", "北京", None),
    ],
)
def test_lookup(table: RegionTable, word: str, province: str, city: str | None) -> None:
    place = table.lookup(word)
    assert place is not None
    assert (place.province, place.city) == (province, city)
    assert place.kind == ("province" if city is None else "city")


@pytest.mark.parametrize(
    "word",
    ["中国", "全国", "国家", "东方", "平安", "和平", "通州", "朝阳", "开封", "日照", "阿里",
     "万宁", "普洱", "三明", "中国移动", "三明治", "大理石", "成", "", "chengdu"],
)  # fmt: skip
def test_not_places(table: RegionTable, word: str) -> None:
    assert table.lookup(word) is None
    assert table.of_text([word]) == frozenset()


# ------------------------------------------------------------------ 5 whole words


def test_every_name_is_one_token(dicts: Dictionaries, analyzer: Analyzer) -> None:
    names = [n for entry in dicts.regions for group in (entry.names, *entry.cities) for n in group]
    assert len(names) > 800
    assert [n for n in names if analyzer.tokens(n, "query") != [n]] == []


@pytest.mark.parametrize(
    ("query", "word"),
    [
        ("鄂尔多斯公积金", "鄂尔多斯"),
        ("黔东南州社保", "黔东南州"),
        ("唐山打车", "唐山"),
        ("去高雄玩", "高雄"),
        ("乌兰察布医院挂号", "乌兰察布"),
    ],
)
def test_names_whole_in_queries(analyzer: Analyzer, query: str, word: str) -> None:
    assert word in analyzer.tokens(query, "query")


def test_only_cut_names_are_added(dicts: Dictionaries, analyzer: Analyzer) -> None:
    """Names jieba keeps whole keep jieba's frequency; the others are added."""
    plain = Analyzer(replace(dicts, regions=()))
    for word in ("北京", "成都", "鄂尔多斯", "鄂尔多斯市"):
        assert analyzer._jieba.FREQ.get(word) == plain._jieba.FREQ.get(word)
    for word in ("唐山", "湘西州", "高雄"):
        assert plain.tokens(word, "query") != [word]
        assert analyzer._jieba.FREQ.get(word)


# ------------------------------------------------------------------ 6 places in queries


def test_places_with_spans(table: RegionTable, analyzer: Analyzer) -> None:
    tokens = analyzer.tokens("人在上海 想去杭州市", "query", keep_stopwords=True)
    found = table.places(tokens)
    assert [(p.word, p.province, p.kind) for p in found] == [
        ("上海", "上海", "province"),
        ("杭州市", "浙江", "city"),
    ]
    for place in found:
        assert tokens[place.start : place.end] == [place.word]
    assert table.places([]) == []
    assert table.places(["星巴克", "咖啡"]) == []


@pytest.mark.parametrize(
    ("token", "word"),
    [
        ("深圳通", "深圳"),  # catalog words: a place at the start …
        ("北京一卡通", "北京"),
        ("上海迪士尼度假区", "上海"),
        ("广东省人民医院", "广东省"),  # the longest name at the start
        ("爱山东", "山东"),  # … or at the end
        ("我的宁夏", "宁夏"),
        ("北京大学", "北京"),  # jieba's words: a place and a word …
        ("北京公交", "北京"),
        ("北京协和医院", "北京"),
        ("北京地区", "北京"),  # … or an area word
        ("北京市民", "北京"),
        ("青岛港", "青岛"),
        ("大理石", None),  # a place and one more character: a thing of its own
        ("南京路", None),
        ("哈密瓜", None),
        ("北海道", None),
        ("山东人", None),
        ("大同小异", None),  # an idiom
        ("长治久安", None),
        ("孙中山", None),  # jieba's words ending in a place name
        ("马里兰州", None),
    ],
)
def test_compounds(table: RegionTable, token: str, word: str | None) -> None:
    found = table.places(["在", token])
    assert [p.word for p in found] == ([] if word is None else [word])
    assert all((p.start, p.end) == (1, 2) for p in found)


@pytest.mark.parametrize(
    ("token", "parts"),
    [
        ("北京公交", ("北京", "公交")),  # a compound on a place name: the place and the rest
        ("广东省人民医院", ("广东省", "人民医院")),
        ("深圳地铁乘车码", ("深圳", "地铁乘车码")),
        ("北京地区", ("北京地区",)),  # the rest an area word
        ("北京市民", ("北京市民",)),
        ("青岛港", ("青岛港",)),
        ("大理石", ("大理石",)),  # a thing of its own
        ("大同小异", ("大同小异",)),  # an idiom
        ("爱山东", ("爱山东",)),  # the place at its end
        ("马里兰州", ("马里兰州",)),
        ("黑龙江省", ("黑龙江省",)),  # a place name itself
        ("北京", ("北京",)),
        ("外卖红包", ("外卖红包",)),  # no place
    ],
)
def test_split(table: RegionTable, token: str, parts: tuple[str, ...]) -> None:
    assert table.split(token) == parts


def test_split_parts_spell_the_token(table: RegionTable, analyzer: Analyzer) -> None:
    """Whatever the token, its parts spell it: the need reader loses no character."""
    text = "北京公交卡充值上海迪士尼门票广州地铁乘车码浙江大学附近租房深圳通充值大理石台面"
    tokens = analyzer.tokens(text, "index")
    assert any(len(table.split(t)) == 2 for t in tokens)
    for token in tokens:
        assert "".join(table.split(token)) == token


def test_general_words_given(tmp_path: Path) -> None:
    """Which compounds keep their own meaning comes from the general words given."""
    entries = _load(tmp_path, "北京 = 北京市\n").regions
    plain = RegionTable(entries, general_words={})
    assert plain.of_text(["北京烤鸭", "北京的"]) == {"北京"}
    tagged = RegionTable(entries, general_words={"北京烤鸭": "n", "北京的": "n"})
    assert tagged.of_text(["北京烤鸭"]) == {"北京"}  # a place and a word
    assert tagged.of_text(["北京的"]) == frozenset()  # a place and one character
    idiom = RegionTable(entries, general_words={"北京烤鸭": "i"})
    assert idiom.of_text(["北京烤鸭"]) == frozenset()


# ------------------------------------------------------------------ 7-8 listings


class Sample:
    """The sample catalog, tokenised as the build does (catalog words added)."""

    def __init__(self, dicts: Dictionaries) -> None:
        listings: list[Listing] = []
        brands, _ = ingest_catalog(SAMPLE_BRANDS, SAMPLE_LISTINGS, listings.append)
        self.brands: dict[str, Brand] = dict(brands)
        self.listings = {listing.appid: listing for listing in listings}
        names = [listing.name for listing in listings]
        words = Analyzer.catalog_words([*BrandTable.build(brands.values()).words(), *names])
        self.analyzer = Analyzer(dicts, words)

    def words(self, appid: str) -> tuple[list[str], list[str]]:
        """Query-mode tokens of a listing's name, keywords and brand, and of its description."""
        listing = self.listings[appid]
        texts = field_texts(listing, self.brands.get(listing.brand_id or ""))
        own = [*texts[f.NAME], *texts[f.KEYWORDS], *texts[f.BRAND]]
        return self.tokens(own), self.tokens(texts[f.DESCRIPTION])

    def tokens(self, texts: list[str]) -> list[str]:
        return [t for text in texts for t in self.analyzer.tokens(text, "query")]

    def appid(self, name: str) -> Iterator[str]:
        return (a for a, listing in self.listings.items() if listing.name == name)


@pytest.fixture(scope="module")
def sample(dicts: Dictionaries) -> Sample:
    return Sample(dicts)


@pytest.mark.parametrize(
    ("name", "provinces"),
    [
        ("天府通办", {"四川"}),  # 四川 in its keywords
        ("浙里办", {"浙江"}),
        ("i深圳", {"广东"}),  # i + 深圳 in its name
        ("宜停车", {"广东"}),  # 深圳 in its keywords
        ("北京协和医院", {"北京"}),  # a compound of jieba's dictionary
        ("爱山东", {"山东"}),  # a catalog word ending in a place name
        ("国家政务服务平台", set()),
        ("滴滴出行", set()),
        ("美团", set()),
        ("新东方", set()),  # 东方 is no place name
        ("阿里健康大药房", set()),  # nor 阿里
        ("赛百味SUBWAY", set()),  # 三明治 is a sandwich
    ],
)
def test_of_text_on_sample_listings(
    sample: Sample, table: RegionTable, name: str, provinces: set[str]
) -> None:
    appids = list(sample.appid(name))
    assert appids
    for appid in appids:
        own, _ = sample.words(appid)
        assert table.of_text(own) == provinces


def test_of_text_wants_query_tokens(sample: Sample, table: RegionTable) -> None:
    text = "浙江西湖龙井"
    assert table.of_text(sample.analyzer.tokens(text, "query")) == {"浙江"}
    assert "江西" in table.of_text(sample.analyzer.tokens(text, "index"))


def test_of_listing_rule(table: RegionTable) -> None:
    of = table.of_listing
    assert of(["宜", "停车", "深圳"], ["上海", "北京"]) == {"广东"}  # own words decide
    assert of(["享道", "出行"], ["上海地区", "车辆"]) == {"上海"}  # else the description
    assert of(["朴朴", "超市"], ["福州", "深圳", "广州"]) == {"福建", "广东"}
    assert of(["菜鸟"], ["北京", "上海", "广州"]) == frozenset()  # three provinces
    assert of(["颜家", "好物"], ["全国包邮", "长沙"]) == frozenset()  # serves everywhere
    assert of(["苹果", "产地直发"], ["陕西", "洛川"]) == frozenset()  # a place's produce
    assert of(["云南", "特产"], []) == {"云南"}  # own words still decide
    assert of(["塔斯汀"], ["北京烤鸭", "汉堡"]) == frozenset()  # a product named after a place
    assert of(["吴裕泰"], ["北京", "老字号"]) == {"北京"}
    assert of([], []) == frozenset()


# The listings the rule marks regional in the sample catalog, as measured when the rule was
# chosen (name → provinces). Descriptions decide for 平治汽車維修中心, 环球影城攻略, 享道出行,
# 朴朴超市, 吴裕泰茶庄 (right) and 垃圾分类查询 (wrong: a national tool naming examples);
# keywords make 欢乐麻将全集 (四川麻将), 小龙坎火锅 (成都火锅) and 芒果TV (湖南卫视) regional
# though they are not.
SAMPLE_REGIONAL = {
    "麥當勞 McDonald's HK": {"香港"},
    "茶颜悦色": {"湖南"},
    "屈臣氏網店 Watsons HK": {"香港"},
    "上海迪士尼度假区": {"上海"},
    "北京环球度假区": {"北京"},
    "古馳GUCCI中古店（香港）": {"香港"},
    "☕上海咖啡地图": {"上海"},
    "茶颜悦色代购·长沙直发": {"湖南"},
    "免税店美妆代购": {"海南"},
    "烟台苹果批发": {"山东"},
    "蘋果二手機（香港）": {"香港"},
    "平治汽車維修中心": {"香港"},
    "迪士尼门票代订": {"上海"},
    "香港迪士尼樂園度假區": {"香港"},
    "环球影城攻略·排队时间": {"北京"},
    "如祺出行": {"广东"},
    "享道出行": {"上海"},
    "武汉出租车扫码叫车": {"湖北"},
    "朴朴超市": {"广东", "福建"},
    "话剧演出日历": {"北京"},
    "北京协和医院": {"北京"},
    "复旦大学附属华山医院": {"上海"},
    "四川大学华西医院": {"四川"},
    "浙大一院": {"浙江"},
    "广东省人民医院": {"广东"},
    "京医通": {"北京"},
    "北京114预约挂号": {"北京"},
    "健康160": {"广东"},
    "专家号代挂·陪诊": {"北京"},
    "佛山市第一人民医院（旧版）": {"广东"},
    "萬寧 Mannings": {"香港"},
    "Metro大都会": {"上海"},
    "亿通行": {"北京"},
    "广州地铁": {"广东"},
    "深圳通": {"广东"},
    "北京一卡通": {"北京"},
    "宜停车": {"广东"},
    "欢乐麻将全集": {"四川"},
    "粤省事": {"广东"},
    "粤商通": {"广东"},
    "广东人社": {"广东"},
    "i深圳": {"广东"},
    "穗好办": {"广东"},
    "随申办市民云": {"上海"},
    "浙里办": {"浙江"},
    "渝快办": {"重庆"},
    "闽政通": {"福建"},
    "苏服办": {"江苏"},
    "皖事通": {"安徽"},
    "鄂汇办": {"湖北"},
    "湘易办": {"湖南"},
    "赣服通": {"江西"},
    "爱山东": {"山东"},
    "豫事办": {"河南"},
    "冀时办": {"河北"},
    "京通": {"北京"},
    "北京通": {"北京"},
    "津心办": {"天津"},
    "辽事通": {"辽宁"},
    "吉事办": {"吉林"},
    "全省事": {"黑龙江"},
    "三晋通": {"山西"},
    "蒙速办": {"内蒙古"},
    "天府通办": {"四川"},
    "贵人服务": {"贵州"},
    "一部手机办事通": {"云南"},
    "秦务员": {"陕西"},
    "我的宁夏": {"宁夏"},
    "智桂通": {"广西"},
    "海易办": {"海南"},
    "上海人社": {"上海"},
    "浙江人社": {"浙江"},
    "垃圾分类查询": {"上海", "北京"},
    "芒果TV": {"湖南"},
    "小龙坎火锅": {"四川"},
    "吴裕泰茶庄": {"北京"},
}


def test_served_names_the_city_and_region_terms_say_it(table: RegionTable) -> None:
    served = table.served(["i", "深圳"], [])
    assert served == {("广东", "深圳")}
    assert region_terms(served) == ["广东", "广东/深圳"]
    assert region_terms(table.served(["浙里办", "浙江"], [])) == ["浙江", "浙江/"]
    both = table.served(["广东", "广州"], [])
    assert region_terms(both) == ["广东", "广东/", "广东/广州"]
    assert region_terms(frozenset()) == [NATIONAL]
    # the description decides as of_listing does, city by city
    assert table.served(["享道", "出行"], ["上海地区"]) == {("上海", None)}
    assert table.served(["菜鸟"], ["北京", "上海", "广州"]) == frozenset()


def test_a_place_s_listing_that_serves_the_whole_country_is_national_too(
    table: RegionTable,
) -> None:
    own, description = ["健康160", "挂号", "深圳"], ["全国合作医院", "深圳地区"]
    served = table.served(own, description)
    assert served == {("广东", "深圳")}
    assert says_nationwide(own, description)
    assert region_terms(served, nationwide=True) == [NATIONAL, "广东", "广东/深圳"]
    assert not says_nationwide(["i", "深圳"], ["深圳", "市民", "服务"])


def test_sample_catalog_regions(sample: Sample, table: RegionTable) -> None:
    marked: dict[str, set[str]] = {}
    for appid, listing in sample.listings.items():
        provinces = table.of_listing(*sample.words(appid))
        if provinces:
            marked.setdefault(listing.name, set()).update(provinces)
    assert marked == SAMPLE_REGIONAL
    assert len(sample.listings) > 600  # the rest are national services


# ------------------------------------------------------------------ 9 fingerprint


def test_fingerprint_changes_with_regions(tmp_path: Path, dicts: Dictionaries) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(default_dictionaries_dir(), copy)
    assert analyzer_fingerprint(Dictionaries.load(copy)) == analyzer_fingerprint(dicts)
    path = copy / "regions.txt"
    path.write_text(path.read_text(encoding="utf-8") + "测试 = 测试省\n", encoding="utf-8")
    edited = Dictionaries.load(copy)
    assert edited.regions[-1].names == ("测试", "测试省")
    assert analyzer_fingerprint(edited) != analyzer_fingerprint(dicts)
    path.unlink()
    assert analyzer_fingerprint(Dictionaries.load(copy)) != analyzer_fingerprint(dicts)
