"""Unit tests for indexer.analysis: the one analyzer shared by indexing and querying.

Properties checked:

1. ``normalize`` folds width (ＬＶ→lv), case, traditional→simplified (麥當勞→麦当劳)
   and accents (Hermès→hermes); drops in-word punctuation (L.V., H&M, McDonald's);
   turns other punctuation into spaces (「海底捞」, 星巴克!!!) and collapses spaces.
2. ``normalize`` is idempotent and never leaves double, leading or trailing spaces.
3. ``compact`` is the normalised text without any space.
4. ``runs`` splits normalised text into CJK runs and Latin/digit words
   (星巴克coffee → 星巴克 | coffee, LV包 → lv | 包) and loses no character.
5. Every query-mode token is also an index-mode token (index ⊇ query), for
   hand-picked texts, texts made only of stop words, and random mixes of CJK,
   Latin, digits, punctuation and spaces.
6. Stop words are dropped in both modes, unless nothing else would remain;
   ``keep_stopwords=True`` keeps them, and changes nothing else.
7. Extra catalog words given to the Analyzer are kept whole as one query token.
8. Index mode adds the concatenation of adjacent Latin words (louisvuitton).
9. ``pinyin_full`` / ``pinyin_initials`` (星巴克 → xingbake / xbk) and
   ``pinyin_forms`` (whole runs, index sub-words, Latin kept in mixed text).
10. ``ngrams`` gives CJK unigrams and bigrams only; ``latin_words`` skips numbers.
11. ``synonyms`` returns the other words of the group, in compact form.
12. ``analyzer_fingerprint`` is stable for identical dictionaries in another
    folder and changes when any dictionary file changes (the need lexicon too).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import (
    Analyzer,
    Mode,
    Run,
    analyzer_fingerprint,
    compact,
    has_cjk,
    is_cjk,
    normalize,
    pinyin_full,
    pinyin_initials,
    runs,
)
from indexer.dictionaries import Dictionaries, default_dictionaries_dir


@pytest.fixture(scope="module")
def analyzer(dicts: Dictionaries) -> Analyzer:
    """One jieba analyzer for the module (building one takes most of a second)."""
    return Analyzer(dicts)


@pytest.fixture(scope="module")
def catalog_analyzer(dicts: Dictionaries) -> Analyzer:
    """An analyzer with catalog words (one jieba splits, two out of length limits)
    and two extra synonym groups sharing a word."""
    groups = (*dicts.synonym_groups, ("星巴克", "Starbucks"), ("星巴克", "星爸爸"))
    return Analyzer(
        replace(dicts, synonym_groups=groups), extra_words=["茶颜悦色", "星", "星" * 13]
    )


# ------------------------------------------------------------------ 1-3 normalize, compact


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＬＶ", "lv"),  # full-width (NFKC)
        ("Ｌ.Ｖ. 包包!!", "lv 包包"),
        ("GUCCI", "gucci"),  # case folding
        ("Straße", "strasse"),  # casefold, not lower
        ("麥當勞", "麦当劳"),  # traditional → simplified
        ("蘋果", "苹果"),
        ("Hermès", "hermes"),  # accents stripped
        ("BANDOULIÈRE", "bandouliere"),
        ("L.V.", "lv"),  # in-word punctuation dropped
        ("H&M", "hm"),
        ("McDonald's", "mcdonalds"),
        ("McDonald’s", "mcdonalds"),
        ("SK-II", "skii"),
        ("「海底捞」", "海底捞"),  # other punctuation becomes space
        ("星巴克!!!", "星巴克"),
        ("路易·威登", "路易 威登"),  # · only joins Latin letters
        ("  louis \t\u3000 vuitton  ", "louis vuitton"),  # spaces collapsed
        ("麥當勞 McDonald's", "麦当劳 mcdonalds"),
        ("H & M", "h m"),
        ("!!!", ""),
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Louis Vuitton", "louisvuitton"),
        ("L.V.", "lv"),
        ("路易 威登", "路易威登"),
        ("Apple Store 零售店", "applestore零售店"),
        ("  !! ", ""),
    ],
)
def test_compact(raw: str, expected: str) -> None:
    assert compact(raw) == expected


def test_cjk_detection() -> None:
    assert is_cjk("星") and is_cjk("㐀") and is_cjk("𠀀")
    assert not is_cjk("a") and not is_cjk("あ") and not is_cjk("，")
    assert has_cjk("LV包") and not has_cjk("Louis Vuitton")


# ------------------------------------------------------------------ 4 runs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("星巴克coffee", [Run("cjk", "星巴克"), Run("word", "coffee")]),
        ("LV包", [Run("word", "lv"), Run("cjk", "包")]),
        ("iPhone16 苹果", [Run("word", "iphone16"), Run("cjk", "苹果")]),
        ("a包b 星", [Run("word", "a"), Run("cjk", "包"), Run("word", "b"), Run("cjk", "星")]),
        ("", []),
    ],
)
def test_runs(text: str, expected: list[Run]) -> None:
    assert runs(normalize(text)) == expected


# ------------------------------------------------------------------ 5 index ⊇ query

VARIED_TEXTS = [
    "星巴克",
    "星巴克coffee",
    "LV包",
    "louis vuitton 手袋",
    "麥當勞 McDonald's 全家桶",
    "我想去附近的星巴克喝一杯拿铁",
    "中华人民共和国国务院办公厅",
    "附近有什么好吃的火锅店吗，最好能在线排队",
    "路易威登官方精品店",
    "LOUIS VUITTON 精品店预约",
    "Apple授权专营店·迅捷数码",
    "Samsung Members 三星盖乐世社区",
    "番茄ToDo",
    "LV二手奢品回收",
    "哈啰出行 顺风车 共享单车",
    "SK-II 神仙水 230ml",
    "iPhone 16 Pro Max 256GB",
    "12306 火车票 高铁票",
    "「海底捞」火锅 外卖!!!",
    "查快递 寄件 物流查询",
]


@pytest.mark.parametrize("text", VARIED_TEXTS)
def test_index_tokens_cover_query_tokens(analyzer: Analyzer, text: str) -> None:
    query = analyzer.tokens(text, "query")
    index = analyzer.tokens(text, "index")
    assert query, text
    assert set(query) <= set(index)


_CJK_COMMON = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_CJK_MEANINGFUL = st.sampled_from(
    list("星巴克咖啡路易威登官方精品店麦當勞外卖打车快递手袋的了我在是有和去想附近")
)
_LATIN = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzLVGUCIèÉüＬ"))
_DIGITS = st.sampled_from(list("0123456789１"))
_PUNCT = st.sampled_from(list(".&'’-·+!?,，。、「」()#/"))
_SPACES = st.sampled_from([" ", "  ", "\t", "\u3000"])
_STOP_WORDS = st.sampled_from(
    ["的", "了", "我的", "在", "去", "如何", "一下", "附近", "带", "怎样"]
)
RANDOM_TEXT = st.one_of(
    st.lists(
        st.one_of(_CJK_COMMON, _CJK_MEANINGFUL, _LATIN, _DIGITS, _PUNCT, _SPACES), max_size=30
    ).map("".join),
    # texts of stop words only, where the "keep them if nothing else" rule applies
    st.lists(st.one_of(_STOP_WORDS, _SPACES, _PUNCT), min_size=1, max_size=6).map("".join),
)


@settings(max_examples=200, deadline=None, database=None)
@given(text=RANDOM_TEXT)
def test_index_tokens_cover_query_tokens_random(analyzer: Analyzer, text: str) -> None:
    query = analyzer.tokens(text, "query")
    index = analyzer.tokens(text, "index")
    assert set(query) <= set(index)
    assert bool(query) == bool(normalize(text))


_HAN_RUN = st.lists(st.one_of(_CJK_COMMON, _CJK_MEANINGFUL), min_size=1, max_size=30).map("".join)


def jieba_cuts(analyzer: Analyzer, run: str) -> tuple[tuple[str, ...], list[str]]:
    """What jieba itself gives for ``run``: precise words (no HMM) and full-mode words."""
    jb = analyzer._jieba
    return tuple(jb.cut(run, HMM=False)), list(jb.cut(run, cut_all=True))


@settings(max_examples=300, deadline=None, database=None)
@given(run=_HAN_RUN)
def test_one_word_graph_gives_jiebas_cuts(
    analyzer: Analyzer, catalog_analyzer: Analyzer, run: str
) -> None:
    """Index-mode cuts build jieba's word graph once for both modes: same words as jieba."""
    for a in (analyzer, catalog_analyzer):
        assert a._cut_both(run) == jieba_cuts(a, run)
        precise, inner = jieba_cuts(a, run)
        index = a._cut(run, "index")
        assert index[: len(precise)] == precise
        assert set(index) == set(precise) | set(inner)
        assert a._cut(run, "query") == precise


@settings(max_examples=200, deadline=None, database=None)
@given(text=RANDOM_TEXT)
def test_normalize_is_idempotent(text: str) -> None:
    norm = normalize(text)
    assert normalize(norm) == norm
    assert norm == norm.strip() and "  " not in norm
    assert "".join(run.text for run in runs(norm)) == norm.replace(" ", "")
    assert compact(text) == norm.replace(" ", "")


@pytest.mark.parametrize("text", ["如何在", "一下附近", "带去", "的了", "我的"])
def test_stopword_only_text_keeps_coverage(analyzer: Analyzer, text: str) -> None:
    """Only stop words: query mode keeps them, so index mode must keep them too
    (it once kept only its extra sub-words: 如何在 → query 如何/在, index 何在)."""
    query = analyzer.tokens(text, "query")
    assert query and set(query) <= analyzer.dicts.stopwords
    assert set(query) <= set(analyzer.tokens(text, "index"))


# ------------------------------------------------------------------ 6-8 stop words, extra words


def test_stop_words_dropped(analyzer: Analyzer) -> None:
    assert analyzer.tokens("我想去附近的星巴克", "query") == ["星巴克"]
    assert "的" not in analyzer.tokens("我的星巴克", "index")


@pytest.mark.parametrize("mode", ["query", "index"])
def test_stop_words_kept_when_nothing_else_remains(analyzer: Analyzer, mode: Mode) -> None:
    assert analyzer.tokens("的了", mode) == ["的", "了"]
    assert analyzer.tokens("吗", mode) == ["吗"]


@pytest.mark.parametrize("text", ["我想去附近的星巴克", "帮我叫个车", "请问 LV 包包", "的了"])
def test_keep_stopwords(analyzer: Analyzer, text: str) -> None:
    kept = analyzer.tokens(text, "query", keep_stopwords=True)
    assert [t for t in kept if t not in analyzer.dicts.stopwords] == [
        t for t in analyzer.tokens(text, "query") if t not in analyzer.dicts.stopwords
    ]
    assert "".join(kept) == normalize(text).replace(" ", "")  # every word, in order


def test_punctuation_only_has_no_tokens(analyzer: Analyzer) -> None:
    assert analyzer.tokens("!!! 。。", "query") == []
    assert analyzer.tokens("", "index") == []


def test_extra_words_kept_whole(analyzer: Analyzer, catalog_analyzer: Analyzer) -> None:
    assert analyzer.tokens("茶颜悦色", "query") != ["茶颜悦色"]  # jieba alone splits it
    assert catalog_analyzer.tokens("茶颜悦色", "query") == ["茶颜悦色"]
    assert catalog_analyzer.tokens("长沙茶颜悦色", "query") == ["长沙", "茶颜悦色"]
    assert "茶颜悦色" in catalog_analyzer.tokens("茶颜悦色奶茶", "index")
    # single characters and words over MAX_WORD_LEN are not added
    assert catalog_analyzer.extra_words == ["茶颜悦色"]


def test_catalog_words_are_cjk_runs() -> None:
    words = Analyzer.catalog_words(["LV二手奢品回收", "Apple Store 零售店", "哈", "Louis Vuitton"])
    assert words == {"二手奢品回收", "零售店"}


def test_index_mode_adds_latin_concatenation(analyzer: Analyzer) -> None:
    assert analyzer.tokens("louis vuitton", "query") == ["louis", "vuitton"]
    assert analyzer.tokens("Louis Vuitton", "index") == ["louis", "vuitton", "louisvuitton"]
    # a CJK run breaks the Latin streak
    assert analyzer.tokens("apple 苹果 store", "index") == ["apple", "苹果", "store"]
    assert "neverfullmm" in analyzer.tokens("NEVERFULL MM 手袋", "index")


def test_index_mode_adds_sub_words(analyzer: Analyzer) -> None:
    assert analyzer.tokens("星巴克咖啡", "query") == ["星巴克", "咖啡"]
    assert analyzer.tokens("星巴克咖啡", "index") == ["星巴克", "咖啡", "巴克"]
    index = analyzer.tokens("中华人民共和国", "index")
    assert index[0] == "中华人民共和国"
    assert {"中华", "人民", "共和国"} <= set(index)


def test_tokens_are_normalised(analyzer: Analyzer) -> None:
    assert analyzer.tokens("麥當勞 ＬＶ", "query") == ["麦当劳", "lv"]


# ------------------------------------------------------------------ 9-10 pinyin, n-grams


@pytest.mark.parametrize(
    ("cjk", "full", "initials"),
    [
        ("星巴克", "xingbake", "xbk"),
        ("路易威登", "luyiweideng", "lywd"),
        ("麦当劳", "maidanglao", "mdl"),
        ("驴牌", "lvpai", "lp"),  # ü written as v
    ],
)
def test_pinyin(cjk: str, full: str, initials: str) -> None:
    assert pinyin_full(cjk) == full
    assert pinyin_initials(cjk) == initials


def test_pinyin_forms(analyzer: Analyzer) -> None:
    assert analyzer.pinyin_forms("星巴克") == (["xingbake", "bake"], ["xbk", "bk"])
    full, initials = analyzer.pinyin_forms("路易威登")
    assert full[0] == "luyiweideng" and initials[0] == "lywd"
    # mixed text: the Latin word is kept in the joined forms
    assert analyzer.pinyin_forms("GUCCI古驰") == (["guchi", "gucciguchi"], ["gc", "guccigc"])
    assert analyzer.pinyin_forms("Louis Vuitton") == (["louisvuitton"], ["louisvuitton"])
    assert analyzer.pinyin_forms("!!!") == ([], [])


def test_ngrams(analyzer: Analyzer) -> None:
    assert analyzer.ngrams("星巴克 coffee 咖啡") == [
        "星",
        "巴",
        "克",
        "星巴",
        "巴克",
        "咖",
        "啡",
        "咖啡",
    ]
    assert analyzer.ngrams("星星") == ["星", "星星"]  # deduplicated
    assert analyzer.ngrams("Louis Vuitton") == []


def test_latin_words(analyzer: Analyzer) -> None:
    assert analyzer.latin_words("iPhone 16 Pro 星巴克 L.V.") == ["iphone", "pro", "lv"]


# ------------------------------------------------------------------ 11 synonyms


def test_synonyms(analyzer: Analyzer) -> None:
    assert analyzer.synonyms("打车") == ["叫车", "网约车", "约车"]
    assert analyzer.synonyms("约车") == ["打车", "叫车", "网约车"]
    assert analyzer.synonyms("咖啡") == ["coffee"]
    assert analyzer.synonyms("coffee") == ["咖啡"]
    assert analyzer.synonyms("星巴克") == []


def test_synonyms_merge_groups_in_compact_form(catalog_analyzer: Analyzer) -> None:
    assert catalog_analyzer.synonyms("星巴克") == ["starbucks", "星爸爸"]
    assert catalog_analyzer.synonyms("starbucks") == ["星巴克"]
    assert catalog_analyzer.synonyms("Starbucks") == []  # lookups take normalised tokens


# ------------------------------------------------------------------ 12 fingerprint


def test_fingerprint_changes_with_dictionaries(tmp_path: Path, dicts: Dictionaries) -> None:
    copy = tmp_path / "dictionaries"
    shutil.copytree(default_dictionaries_dir(), copy)
    same = Dictionaries.load(copy)
    assert analyzer_fingerprint(same) == analyzer_fingerprint(dicts)

    for name, extra in [
        ("userdict.txt", "茶颜悦色 100\n"),
        ("synonyms.txt", "奶茶, 茶饮\n"),
        ("stopwords.txt", "哦\n"),
        ("needs.txt", "奶茶店 => 奶茶 | 咖啡茶饮/新式茶饮\n"),
    ]:
        path = copy / name
        original = path.read_bytes()
        path.write_bytes(original + extra.encode())
        edited = Dictionaries.load(copy)
        assert analyzer_fingerprint(edited) != analyzer_fingerprint(dicts), name
        assert len(analyzer_fingerprint(edited)) == 16
        path.write_bytes(original)

    assert analyzer_fingerprint(Dictionaries.load(copy)) == analyzer_fingerprint(dicts)


def test_analyzer_carries_fingerprint(analyzer: Analyzer, dicts: Dictionaries) -> None:
    assert analyzer.fingerprint == analyzer_fingerprint(dicts)
