"""Unit tests for indexer.intent: a query read for its need, on the sample index version.

Properties checked:

1. ``read`` gives the analyzer's tokens with stop words, the lexicon's needs, the
   content words with each dropped word's reason, and the predicted categories:
   帮我叫个车 → need 叫个车, content words 叫 and 车, 出行 and 出行/打车 first.
2. Everyday requests land in the category that serves them (快递到哪了 → 生活服务/快递,
   附近哪里可以挂号 → 医疗健康, 我饿了 → 外卖, 明天天气怎么样 → 工具/天气).
3. Words that carry the need are protected: the catalog's category words (本地 of
   本地生活, which jieba tags as a pronoun) and brand words (even a stop word: a brand
   named 推荐 keeps it).
4. A content word the model does not know is read through its sub-words the model
   knows (电子社保卡 → 社保 …), shown in ``model_words``.
5. ``service_words`` lists the needs' service words once; ``explain`` is JSON-ready and
   names the content words, dropped words with reasons, needs and categories.
6. A version without a model file reads with needs and content words and no
   categories; a corrupt model file raises ValueError. An adverb or the attributive 的
   inside a need word does not hide it (电瓶快没电了 → 电瓶没电, 交的税 → 交税); a need
   word inside a longer word is no need.
7. Of several needs, the last stated is the request (公交停了打个车: 打车, 公交 its
   circumstance), except one naming where the user goes (打车去火车站: 打车, 火车站 its
   destination) or only how the user wants it served (想吃水果懒得出门: 懒得出门 its
   manner); ``explain`` names each need's role. One need is the request by itself.
8. A word built on a place name is read as the place and the rest for need words (北京公交
   / 卡 / 充值 states 公交卡充值, reported on the tokens it covers); the tokens stay the
   analyzer's.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import get_args

import orjson
import pytest

from indexer.categories import MODEL_FILE
from indexer.dictionaries import NeedEntry
from indexer.intent import IntentReader, NeedRole, roles_of
from indexer.needs import NeedLexicon, NeedMatch
from indexer.store import IndexStore
from search.engine import Engine
from search.models import NeedExplain


@pytest.fixture(scope="module")
def version_dir(sample_home: Path) -> Path:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    return store.path(version)


@pytest.fixture(scope="module")
def reader(engine: Engine, version_dir: Path) -> IntentReader:
    return IntentReader.for_version(engine.analyzer, version_dir, engine.table.words())


def top_categories(reader: IntentReader, query: str, n: int = 3) -> list[str]:
    return [c for c, _ in reader.read(query).categories[:n]]


# ------------------------------------------------------------------ 1 one read


def test_read_a_request(reader: IntentReader) -> None:
    intent = reader.read("帮我叫个车")
    assert intent.tokens == ("帮", "我", "叫", "个", "车")
    assert [(n.word, n.start, n.end) for n in intent.needs] == [("叫个车", 2, 5)]
    assert intent.content.kept == ("叫", "车")
    assert [(d.word, d.reason) for d in intent.content.dropped] == [
        ("帮", "stop word"),
        ("我", "stop word"),
        ("个", "stop word"),
    ]
    assert [c for c, _ in intent.categories[:2]] == ["出行", "出行/打车"]


# ------------------------------------------------------------------ 2 everyday requests


@pytest.mark.parametrize(
    ("query", "category"),
    [
        ("快递到哪了", "生活服务/快递"),
        ("附近哪里可以挂号", "医疗健康"),
        ("我饿了", "生活服务/外卖"),
        ("明天天气怎么样", "工具/天气"),
        ("违章怎么查", "汽车/违章查询"),
        ("想看电影", "文娱"),
        ("交电费", "生活服务/生活缴费"),
    ],
)
def test_everyday_requests(reader: IntentReader, query: str, category: str) -> None:
    assert category in top_categories(reader, query, 4)


# ------------------------------------------------------------------ 3 protected words


def test_category_and_brand_words_protected(engine: Engine, version_dir: Path) -> None:
    reader = IntentReader.for_version(engine.analyzer, version_dir, ["推荐"])
    assert reader.model is not None and "本地" in reader.model.category_words
    assert "本地" in reader.read("本地美食").content.kept  # jieba: 本地 is a pronoun (r)
    assert "推荐" in engine.analyzer.dicts.stopwords
    assert reader.read("推荐火锅").content.kept == ("推荐", "火锅")


# ------------------------------------------------------------------ 4 sub-words


def test_service_shares_worked_out_ahead(
    reader: IntentReader, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader for a version has the share of every service word of the lexicon before
    its first query (no query predicts categories for them); a reader for another brand
    table keeps them; the shares are those worked out as a query asks."""
    assert reader.model is not None
    assert set(reader._word_shares) == set(reader.lexicon.expansions)
    lazy = IntentReader(engine.analyzer, reader.lexicon, reader.model)

    def refused(*_: object) -> float:
        raise AssertionError("a share worked out at query time")

    other = reader.with_brand_words(["某品牌"])
    monkeypatch.setattr(reader, "_evidence_share", refused)
    monkeypatch.setattr(other, "_evidence_share", refused)
    for q in ("帮我叫个车", "快递到哪了", "家里空调不制冷了"):
        intent = reader.read(q)
        assert intent.needs and intent.service_shares == lazy.read(q).service_shares
        assert other.read(q).service_shares == intent.service_shares
    assert other._word_shares is reader._word_shares


def test_service_words_cut_once_per_version(
    reader: IntentReader, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every service word of the lexicon is cut when the version opens (its share needs
    its tokens), a query cuts none again, and the tokens it carries are the analyzer's."""
    assert reader.model is not None
    assert set(reader._cuts) == {word for word, _ in reader.lexicon.expansions}
    analyzer = engine.analyzer
    cut = analyzer.tokens
    calls: list[str] = []

    def counted(text: str, *args: object, **kwargs: object) -> list[str]:
        calls.append(text)
        return cut(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(analyzer, "tokens", counted)
    for q in ("上门取件", "帮我叫个车", "家里空调不制冷了"):
        intent = reader.read(q)
        words = {w for need in intent.needs for w in need.service_words}
        assert words and set(intent.service_tokens) == words
        for word in words:
            assert list(intent.service_tokens[word]) == cut(word, "query")
        assert calls[0] == q and not words & set(calls)  # the query cut, no service word
        calls.clear()


def test_unknown_word_read_through_sub_words(reader: IntentReader) -> None:
    intent = reader.read("电子社保卡")
    assert intent.content.kept == ("电子社保卡",)
    assert reader.model is not None and "电子社保卡" not in reader.model.words
    assert "社保" in intent.model_words
    assert "政务" in [c for c, _ in intent.categories]


# ------------------------------------------------------------------ 5 service words, explain


def test_service_words_and_explain(reader: IntentReader) -> None:
    intent = reader.read("我想打车去机场")
    assert [n.word for n in intent.needs] == ["打车", "去机场"]
    assert intent.service_words[:2] == ("网约车", "专车")  # not 打车: in the query already
    assert len(intent.service_words) == len(set(intent.service_words))
    explained = orjson.loads(orjson.dumps(intent.explain()))
    assert explained["content_words"] == list(intent.content.kept)
    assert explained["model_words"] == list(intent.model_words)
    assert {"word": "我", "reason": "stop word"} in explained["dropped"]
    assert explained["needs"][0]["word"] == "打车"
    assert explained["categories"][0]["category"] == intent.categories[0].category


# ------------------------------------------------------------------ 6 no model, bad model


def test_without_model(engine: Engine, version_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "old-version"
    folder.mkdir()
    reader = IntentReader.for_version(engine.analyzer, folder)
    assert reader.model is None
    intent = reader.read("我饿了")
    assert [n.word for n in intent.needs] == ["饿了"]
    assert intent.content.kept == ("饿",)
    assert intent.categories == ()
    shutil.copy(version_dir / MODEL_FILE, folder / MODEL_FILE)
    (folder / MODEL_FILE).write_bytes(b"{broken")
    with pytest.raises(ValueError, match="not a category model"):
        IntentReader.for_version(engine.analyzer, folder)


def test_an_adverb_inside_a_need_word(reader: IntentReader) -> None:
    assert [n.word for n in reader.read("电瓶快没电了").needs] == ["电瓶没电"]
    assert [n.word for n in reader.read("车又没电了").needs] == ["车没电"]


def test_the_attributive_particle_inside_a_need_word(reader: IntentReader) -> None:
    assert [n.word for n in reader.read("上个月交的税能退吗").needs] == ["交税"]


def test_no_need_word_inside_a_longer_word(engine: Engine) -> None:
    """洗衣机 is one token; 洗衣 (laundry) inside it is no need of a washing machine."""
    lexicon = NeedLexicon([NeedEntry(1, ("洗衣",), ("洗衣",), ("生活服务/洗衣",))])
    reader = IntentReader(engine.analyzer, lexicon, None)
    assert engine.analyzer.tokens("洗衣机", "query") == ["洗衣机"]
    assert reader.read("洗衣机不排水").needs == ()
    assert [n.word for n in reader.read("送去洗衣").needs] == ["洗衣"]


# ------------------------------------------------------------------ 7 the request


def test_the_last_need_stated_is_the_request(reader: IntentReader) -> None:
    intent = reader.read("公交停了打个车回家")
    assert [n.word for n in intent.needs] == ["公交", "打个车"]
    assert intent.roles == ("circumstance", "request")
    assert [n["role"] for n in intent.explain()["needs"]] == ["circumstance", "request"]
    concert = reader.read("演唱会散场了叫个车")
    assert [n.word for n in concert.needs] == ["演唱会", "叫个车"]
    assert concert.roles == ("circumstance", "request")
    alone = reader.read("帮我叫个车")
    assert alone.roles == ("request",)
    assert [n["role"] for n in alone.explain()["needs"]] == ["request"]


def test_the_api_names_the_same_roles() -> None:
    assert get_args(NeedExplain.model_fields["role"].annotation) == get_args(NeedRole)


def test_where_the_user_goes_is_not_the_request(reader: IntentReader) -> None:
    intent = reader.read("打车去火车站")
    assert [n.word for n in intent.needs] == ["打车", "去火车站"]
    assert intent.roles == ("request", "destination")


def test_how_the_user_wants_it_served_is_not_the_request(reader: IntentReader) -> None:
    fruit = reader.read("想吃水果懒得出门")
    assert [n.word for n in fruit.needs] == ["吃水果", "懒得出门"]
    assert fruit.roles == ("request", "manner")
    medicine = reader.read("感冒了懒得出门")
    assert medicine.roles == ("request", "manner")
    assert reader.read("懒得出门").roles == ("request",)  # alone, it is the request


def need(word: str, start: int, end: int) -> NeedMatch:
    return NeedMatch(word, start, end, (), ())


def test_roles_by_position() -> None:
    tokens = ("想", "打车", "去", "地铁站")
    # One word after 去 is a place the user goes to.
    assert roles_of(tokens, [need("打车", 1, 2), need("地铁站", 3, 4)]) == (
        "request",
        "destination",
    )
    # Every need a destination: the last is the request.
    assert roles_of(tokens[2:], [need("地铁站", 1, 2), need("去地铁站", 0, 2)]) == (
        "destination",
        "request",
    )
    # A need word made only of manner parts is the manner; one with more is not.
    manner = ("买", "牛奶", "让人", "送")
    assert roles_of(manner, [need("牛奶", 1, 2), need("让人送", 2, 4)]) == ("request", "manner")
    door = ("送", "牛奶", "上门")
    assert roles_of(door, [need("送牛奶", 0, 2), need("上门", 2, 3)]) == ("request", "manner")
    # After 去, a need of several words says what the user goes to do: the request.
    seen = ("周末", "去", "看", "电影")
    assert roles_of(seen, [need("周末", 0, 1), need("看电影", 2, 4)]) == (
        "circumstance",
        "request",
    )
    assert roles_of(seen, [need("看电影", 2, 4)]) == ("request",)
    assert roles_of(seen, []) == ()


# ------------------------------------------------------------------ 8 place compounds


def test_a_need_after_a_place_name_inside_a_word(engine: Engine, reader: IntentReader) -> None:
    """jieba keeps 北京公交 whole; the need 公交卡充值 starts inside it."""
    assert engine.analyzer.tokens("北京公交卡充值", "query") == ["北京公交", "卡", "充值"]
    intent = reader.read("北京公交卡充值")
    assert intent.tokens == ("北京公交", "卡", "充值")
    assert [(n.word, n.start, n.end) for n in intent.needs] == [("公交卡充值", 0, 3)]
    assert "出行/交通卡" in [c for c, _ in intent.categories]
    assert reader.read("北京大学").needs == ()  # the rest of the word states no need
