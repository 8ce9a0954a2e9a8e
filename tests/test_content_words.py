"""Unit tests for indexer.content_words: the content words of a query.

Properties checked:

1. jieba's dictionary gives the function words: pronouns and question words, adverbs,
   prepositions, conjunctions, auxiliaries, particles, numerals, measure, locality and
   time words (哪里 r, 还 d, 在 p, 可以 c, 的 uj, 吗 y, 一下 m, 个 q, 附近 f, 今天 t);
   nouns, verbs and verbal nouns (外卖, 打车, 服务) are not among them; it is read once
   per process (the same mapping every time).
2. Fillers are dropped with their reason: stop words as ``stop word``, function words
   by part of speech (``time word (t)``); nouns, verbs, Latin words, numbers and words
   jieba does not know (catalog names) are kept, distinct, in query order.
3. Words that carry the need are never dropped: a protected word (category, brand) or a
   single-token need word even when it is a stop word or tagged as a function word; a
   function-tagged token inside a need phrase; but a stop word inside a longer need
   phrase (了 in 饿了) goes, since the index does not hold it.
4. A query made only of fillers keeps something: its words dropped for their part of
   speech, or, when all are stop words, all of them.
5. Through the real analyzer (stop words included), everyday requests keep their two
   content words: 帮我叫个车 → 叫, 车; 附近哪里可以挂号 → 挂号; 明天天气怎么样 → 天气.
6. Gaps (tokens that may stand inside a need word): measure words and numerals, also
   those jieba tags otherwise (束, 瓶), adverbs (快, 还, 又) but not negations, and the
   attributive 的 (交的税 states 交税).
"""

from __future__ import annotations

import pytest

from indexer.analysis import Analyzer
from indexer.content_words import (
    STOP_WORD,
    ContentFilter,
    ContentWords,
    Dropped,
    function_words,
)
from indexer.dictionaries import Dictionaries
from indexer.needs import NeedLexicon, NeedMatch

TAGS = {"我": "r", "哪里": "r", "还": "d", "一下": "m", "今天": "t", "个": "q", "最近": "f"}
STOP = {"的", "了", "帮", "我", "请问"}


def need(word: str, start: int, end: int) -> NeedMatch:
    return NeedMatch(word, start, end, (), ())


@pytest.fixture(scope="module")
def query_analyzer(dicts: Dictionaries) -> Analyzer:
    return Analyzer(dicts)


# ------------------------------------------------------------------ 1 jieba's part of speech


def test_function_words_from_jieba() -> None:
    words = function_words()
    expected = {
        "哪里": "r",
        "怎么": "r",
        "还": "d",
        "在": "p",
        "可以": "c",
        "的": "uj",
        "吗": "y",
        "一下": "m",
        "个": "q",
        "附近": "f",
        "今天": "t",
    }
    assert {w: words.get(w) for w in expected} == expected
    for content in ("外卖", "打车", "服务", "医院", "北京", "快递"):
        assert content not in words
    assert 15_000 < len(words) < 30_000
    assert function_words() is words  # read once


# ------------------------------------------------------------------ 2 fillers


def test_fillers_dropped_with_reasons() -> None:
    words = ContentFilter(STOP, function_tags=TAGS).select(
        ["请问", "今天", "哪里", "还", "有", "外卖", "lv", "12306", "星巴克", "外卖"]
    )
    assert words == ContentWords(
        ("有", "外卖", "lv", "12306", "星巴克"),
        (
            Dropped("请问", STOP_WORD),
            Dropped("今天", "time word (t)"),
            Dropped("哪里", "pronoun or question word (r)"),
            Dropped("还", "adverb (d)"),
        ),
    )


def test_reason_to_drop() -> None:
    fill = ContentFilter(STOP, protected={"周边"}, function_tags={**TAGS, "周边": "f"})
    assert fill.reason_to_drop("的") == STOP_WORD
    assert fill.reason_to_drop("一下") == "numeral (m)"
    assert fill.reason_to_drop("最近") == "locality word (f)"
    assert fill.reason_to_drop("外卖") is None
    assert fill.reason_to_drop("周边") is None  # protected


# ------------------------------------------------------------------ 3 the need is kept


def test_protected_words_kept() -> None:
    fill = ContentFilter(STOP | {"本地"}, protected={"本地", "我的"}, function_tags=TAGS)
    assert fill.select(["本地", "生活", "我的"]).kept == ("本地", "生活", "我的")


def test_single_token_need_word_kept() -> None:
    fill = ContentFilter(STOP, function_tags=TAGS)
    words = fill.select(["最近", "的", "请问"], [need("最近", 0, 1), need("请问", 2, 3)])
    assert words.kept == ("最近", "请问")
    assert words.dropped == (Dropped("的", STOP_WORD),)


def test_need_phrase_keeps_its_content_tokens() -> None:
    fill = ContentFilter(STOP, function_tags={**TAGS, "饿": "a"})
    words = fill.select(["我", "饿", "了"], [need("饿了", 1, 3)])
    assert words.kept == ("饿",)
    assert words.dropped == (Dropped("我", STOP_WORD), Dropped("了", STOP_WORD))
    # a function-tagged word inside a need phrase carries the need
    words = fill.select(["今天", "天气"], [need("今天天气", 0, 2)])
    assert words.kept == ("今天", "天气")


# ------------------------------------------------------------------ 4 only fillers


def test_only_fillers_keep_part_of_speech_words() -> None:
    words = ContentFilter(STOP, function_tags=TAGS).select(["帮", "我", "哪里", "一下"])
    assert words.kept == ("哪里", "一下")
    assert words.dropped == (Dropped("帮", STOP_WORD), Dropped("我", STOP_WORD))


def test_only_stop_words_keep_all() -> None:
    words = ContentFilter(STOP, function_tags=TAGS).select(["请问", "的", "了"])
    assert words == ContentWords(("请问", "的", "了"), ())
    assert ContentFilter(STOP, function_tags=TAGS).select([]) == ContentWords((), ())


# ------------------------------------------------------------------ 5 real requests


@pytest.mark.parametrize(
    ("query", "kept"),
    [
        ("帮我叫个车", ("叫", "车")),
        ("附近哪里可以挂号", ("挂号",)),
        ("明天天气怎么样", ("天气",)),
        ("请问北京社保怎么查", ("北京", "社保", "查")),
        ("我饿了", ("饿",)),
        ("有没有便宜一点的酒店", ("便宜", "酒店")),
        ("附近哪里", ("附近", "哪里")),
    ],
)
def test_everyday_requests(
    query_analyzer: Analyzer, dicts: Dictionaries, query: str, kept: tuple[str, ...]
) -> None:
    lexicon = NeedLexicon.from_dictionaries(dicts)
    tokens = query_analyzer.tokens(query, "query", keep_stopwords=True)
    fill = ContentFilter(dicts.stopwords, lexicon.need_words)
    words = fill.select(tokens, lexicon.match(tokens))
    assert words.kept == kept
    assert sorted([*words.kept, *(d.word for d in words.dropped)]) == sorted(set(tokens))


# ------------------------------------------------------------------ 6 gaps


def test_gaps_are_measure_words_and_numerals() -> None:
    fill = ContentFilter(STOP, protected={"一点"}, function_tags={**TAGS, "束": "q", "一点": "m"})
    assert fill.gaps(["送", "束", "花", "一点", "我"]) == {"束"}  # 一点 protected, 我 a pronoun


def test_measure_words_jieba_tags_otherwise_are_gaps() -> None:
    """jieba's dictionary tags 束 as a name and 瓶 as a noun; between a verb and its object
    they are measure words all the same (送束花 states 送花)."""
    fill = ContentFilter(STOP)
    assert fill.gaps(["送", "束", "花", "买", "瓶", "水"]) == {"束", "瓶"}


def test_adverbs_are_gaps_but_not_negations() -> None:
    """Between a subject and its verb an adverb is a gap (电瓶快没电 states 电瓶没电: 快 is
    tagged an adjective, 还 and 又 adverbs); a negation is not, it turns the need around."""
    fill = ContentFilter(STOP)
    tokens = ["车", "快", "没", "电", "还", "又", "不", "没有", "别"]
    assert fill.gaps(tokens) == {"快", "还", "又"}


def test_the_attributive_particle_is_a_gap() -> None:
    """交的税 is the tax paid: 的 between the verb and its noun may stand inside 交税."""
    fill = ContentFilter(STOP)
    assert fill.gaps(["交", "的", "税", "了"]) == {"的"}
