"""Unit tests for indexer.needs: the need lexicon and its lookups in query tokens.

Properties checked:

1. Need words and service words are folded as the analyzer folds text (case, width,
   traditional characters): ``ETC``, ``ｅｔｃ`` and ``etc`` are one need word, 叫車 is 叫车.
2. A need word written on several lines gets the service words and categories of all of
   them, in file order, without repeats; a need word is never its own service word.
3. ``match`` finds need words of one token and of several adjacent tokens (查 + 快递),
   with their token span; the longest need word wins at a position; matches do not
   overlap; tokens that spell no need word give no match. A gap token may stand inside
   one; a doubled character reads as the character (查查 / 快递 spells 查快递). Matching
   leaves no cyclic garbage (it runs on every query; only the cyclic collector could
   free a cycle).
4. ``match`` works on the analyzer's own tokens, stop words included: 快递到哪了,
   我饿了 and 帮我叫个车 find their need words.
5. The repo's lexicon: every category it names and every service word it lists occurs
   in the sample catalog (it was seeded from it), and every sub-category of the sample
   catalog is named by some line (every sub-category is reachable from a need word). A
   line whose first category is a government one (政务/…) names 政务/综合服务 too, and
   one whose first is second-hand goods (二手/数码 …) the general marketplace,
   生活服务/二手交易.
6. Editing ``needs.txt`` changes the analyzer fingerprint (an index must be rebuilt).
"""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import orjson
import pytest

from indexer.analysis import Analyzer, analyzer_fingerprint, compact
from indexer.dictionaries import Dictionaries, NeedEntry, default_dictionaries_dir
from indexer.needs import NeedLexicon, NeedMatch
from tests.conftest import SAMPLE_LISTINGS


def entry(needs: str, services: str = "", categories: str = "", line: int = 1) -> NeedEntry:
    def split(text: str) -> tuple[str, ...]:
        return tuple(w.strip() for w in text.split(",") if w.strip())

    return NeedEntry(line, split(needs), split(services), split(categories))


LEXICON = NeedLexicon(
    [
        entry("叫车, 打车, 叫个车", "网约车, 出租车", "出行/打车"),
        entry("快递, 查快递, 快递到哪了", "快递查询", "生活服务/快递"),
        entry("ETC", "etc, 高速通行费", "汽车/ETC"),
        entry("饿了", "外卖", "生活服务/外卖"),
        entry("打车", "专车, 网约车", "出行/出租车", line=9),
        entry("叫車", "出租车", "出行"),
    ]
)


@pytest.fixture(scope="module")
def repo_lexicon(dicts: Dictionaries) -> NeedLexicon:
    return NeedLexicon.from_dictionaries(dicts)


@pytest.fixture(scope="module")
def query_analyzer(dicts: Dictionaries) -> Analyzer:
    return Analyzer(dicts)


# ------------------------------------------------------------------ 1-2 folding, merging


@pytest.mark.parametrize("word", ["ETC", "etc", "ｅｔｃ", "Etc"])
def test_need_words_folded(word: str) -> None:
    hit = LEXICON.lookup(word)
    assert hit is not None
    assert hit.word == "etc"
    assert hit.service_words == ("高速通行费",)  # "etc" is the need word itself
    assert hit.categories == ("汽车/ETC",)


def test_traditional_need_word_is_simplified() -> None:
    hit = LEXICON.lookup("叫车")
    assert hit is not None
    assert hit.service_words == ("网约车", "出租车")
    assert hit.categories == ("出行/打车", "出行")  # 叫車 folded into 叫车 and merged


def test_lines_merged_in_file_order() -> None:
    hit = LEXICON.lookup("打车")
    assert hit is not None
    assert hit.service_words == ("网约车", "出租车", "专车")
    assert hit.categories == ("出行/打车", "出行/出租车")
    assert LEXICON.lookup("网约车") is None  # a service word is not a need word
    assert "打车" in LEXICON and "网约车" not in LEXICON
    assert len(LEXICON) == len(LEXICON.need_words) == 8
    assert "高速通行费" in LEXICON.service_words
    assert LEXICON.categories == {
        "出行/打车",
        "出行/出租车",
        "出行",
        "生活服务/快递",
        "汽车/ETC",
        "生活服务/外卖",
    }


# ------------------------------------------------------------------ 3-4 matching


def test_single_and_joined_tokens() -> None:
    assert LEXICON.match(["我", "要", "打车"]) == [
        NeedMatch("打车", 2, 3, ("网约车", "出租车", "专车"), ("出行/打车", "出行/出租车"))
    ]
    matches = LEXICON.match(["帮", "我", "查", "快递"])
    assert [(m.word, m.start, m.end) for m in matches] == [("查快递", 2, 4)]


def test_longest_wins_without_overlap() -> None:
    matches = LEXICON.match(["快递", "到", "哪", "了", "饿", "了"])
    assert [(m.word, m.start, m.end) for m in matches] == [("快递到哪了", 0, 4), ("饿了", 4, 6)]


def test_a_measure_word_may_stand_inside_a_need_word() -> None:
    """送 / 束 / 花 spells 送花 when 束 is a gap; never first, once per match, and the
    match covers the gap's token too."""
    lexicon = NeedLexicon([entry("送花, 打车", "鲜花", "生活服务/鲜花")])
    matches = lexicon.match(["给", "她", "送", "束", "花"], gaps={"束"})
    assert [(m.word, m.start, m.end) for m in matches] == [("送花", 2, 5)]
    assert lexicon.match(["送", "束", "花"]) == []  # 束 is no gap here
    assert lexicon.match(["束", "送", "花"], gaps={"束"})[0][1:3] == (1, 3)
    assert lexicon.match(["打", "个", "一", "车"], gaps={"个", "一"}) == []  # one gap at most


def test_a_doubled_verb_states_the_verb() -> None:
    """查查 / 快递 spells 查快递 (a verb said twice: "a little"), and 看看 alone 看; a
    doubled character that ends or starts no need word matches nothing (宝宝 / 奶粉: 奶粉
    only)."""
    lexicon = NeedLexicon([entry("查快递, 看, 奶粉", "快递", "生活服务/快递")])
    matches = lexicon.match(["帮", "查查", "快递"])
    assert [(m.word, m.start, m.end) for m in matches] == [("查快递", 1, 3)]
    assert [(m.word, m.start, m.end) for m in lexicon.match(["看看"])] == [("看", 0, 1)]
    matches = lexicon.match(["宝宝", "奶粉"])
    assert [(m.word, m.start, m.end) for m in matches] == [("奶粉", 1, 2)]


def test_matching_leaves_no_cyclic_garbage() -> None:
    gc.collect()
    gc.disable()
    try:
        for _ in range(20):
            LEXICON.match(["快递", "到", "哪", "了", "饿", "了"])
            LEXICON.match(["给", "她", "送", "束", "花"], gaps={"束"})
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_no_match() -> None:
    assert LEXICON.match(["星巴克", "咖啡"]) == []
    assert LEXICON.match([]) == []
    assert NeedLexicon([]).match(["打车"]) == []


@pytest.mark.parametrize(
    ("query", "need"),
    [
        ("快递到哪了", "快递到哪了"),
        ("我饿了", "饿了"),
        ("帮我叫个车", "叫个车"),
        ("违章怎么查", "违章"),
    ],
)
def test_matches_analyzer_tokens(
    query_analyzer: Analyzer, repo_lexicon: NeedLexicon, query: str, need: str
) -> None:
    tokens = query_analyzer.tokens(query, "query", keep_stopwords=True)
    assert need in [m.word for m in repo_lexicon.match(tokens)]


# ------------------------------------------------------------------ 5 the repo's lexicon


@pytest.fixture(scope="module")
def sample_catalog() -> tuple[set[str], str]:
    """The sample catalog's categories (tops and Top/sub) and its text, compact."""
    categories: set[str] = set()
    texts: list[str] = []
    for line in SAMPLE_LISTINGS.read_bytes().splitlines():
        listing = orjson.loads(line)
        categories.add(listing["category"][0])
        categories.add("/".join(listing["category"]))
        showcase = [item["title"] for item in listing["showcase"]]
        fields = [listing["name"], listing["description"], *listing["keywords"], *showcase]
        texts.append(compact(" ".join(fields + listing["category"])))
    return categories, "\n".join(texts)


def test_repo_categories_are_sample_categories(
    repo_lexicon: NeedLexicon, sample_catalog: tuple[set[str], str]
) -> None:
    categories, _ = sample_catalog
    assert repo_lexicon.categories <= categories


def test_repo_service_words_occur_in_sample(
    repo_lexicon: NeedLexicon, sample_catalog: tuple[set[str], str]
) -> None:
    _, text = sample_catalog
    assert sorted(w for w in repo_lexicon.service_words if w not in text) == []


def test_every_sample_sub_category_reachable(
    repo_lexicon: NeedLexicon, sample_catalog: tuple[set[str], str]
) -> None:
    categories, _ = sample_catalog
    subs = {c for c in categories if "/" in c}
    assert len(subs) == 277
    assert sorted(subs - repo_lexicon.categories) == []


def test_a_government_affair_names_the_integrated_apps_too(dicts: Dictionaries) -> None:
    """A province's or city's integrated government app (粤省事, 浙里办: 政务/综合服务)
    handles every affair of its place: a line whose first category is a 政务 one names it."""
    lines = [n for n in dicts.needs if n.categories and n.categories[0].startswith("政务/")]
    assert len(lines) > 40
    assert [n.line for n in lines if "政务/综合服务" not in n.categories] == []


SECOND_HAND_GOODS = ("数码", "数码回收", "奢侈品", "奢侈品回收", "名表", "家具", "户外", "收藏")


def test_second_hand_goods_name_the_general_marketplace_too(dicts: Dictionaries) -> None:
    """Second-hand goods of any kind are bought and sold on the general second-hand
    marketplace (闲鱼: 生活服务/二手交易): a line whose first category is a 二手 goods one
    names it."""
    goods = {f"二手/{sub}" for sub in SECOND_HAND_GOODS}
    lines = [n for n in dicts.needs if n.categories and n.categories[0] in goods]
    assert len(lines) > 40
    assert [n.line for n in lines if "生活服务/二手交易" not in n.categories] == []


# ------------------------------------------------------------------ 6 fingerprint


def test_fingerprint_follows_needs(tmp_path: Path, dicts: Dictionaries) -> None:
    copy = tmp_path / "dictionaries"
    shutil.copytree(default_dictionaries_dir(), copy)
    assert analyzer_fingerprint(Dictionaries.load(copy)) == analyzer_fingerprint(dicts)
    path = copy / "needs.txt"
    path.write_text(path.read_text("utf-8") + "奶茶店 => 奶茶 | 咖啡茶饮/新式茶饮\n", "utf-8")
    assert analyzer_fingerprint(Dictionaries.load(copy)) != analyzer_fingerprint(dicts)


def test_the_reading_covering_most_of_the_query_wins() -> None:
    """奢侈品 / 包包 / 清洗: 奢侈品包包 (a bag to buy) would leave 清洗 unread; 奢侈品 and
    包包清洗 (bag care) read every character."""
    lexicon = NeedLexicon(
        [
            entry("奢侈品包包", "手袋", "奢侈品/箱包"),
            entry("包包清洗", "清洗", "生活服务/皮具护理"),
            entry("奢侈品", "奢侈品", "奢侈品/特卖"),
        ]
    )
    matches = lexicon.match(["奢侈品", "包包", "清洗"])
    assert [(m.word, m.start, m.end) for m in matches] == [("奢侈品", 0, 1), ("包包清洗", 1, 3)]
    # on equal coverage, fewer and longer words
    assert [m.word for m in lexicon.match(["奢侈品", "包包"])] == ["奢侈品包包"]
