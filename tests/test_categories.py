"""Unit tests for indexer.categories: query → category, learned from the catalog.

Properties checked:

1. Counting: a listing counts each distinct word once, with the weight of the best
   field holding it (name and category 3, keywords and brand 2, showcase and
   description 1); document frequencies count listings; category-name words are
   collected; a listing without a category is skipped; ``add_fields`` reads the
   build's index field values exactly as ``add`` reads the same words.
2. The model: priors are the listings' shares per level (tops over all listings, paths
   over those with a sub-category); a word's evidence for a category is
   ``log(1 + n / (alpha · prior))``; words outside [min_df, max_df] are left out; each
   word keeps at most ``top_k`` categories per level, strongest first; no listings make
   a model of no categories.
3. On the sample catalog, words its listings use predict their categories: 网约车 and
   专车 → 出行 and 出行/打车; 挂号 → 医疗健康; 天气预报 → 工具/天气; 违章查询 →
   汽车/违章查询; 火锅 → 餐饮/火锅; two words agreeing beat one.
4. Scores: tops and paths are probabilities within their level (each level sums to at
   most 1), best first (ties by name), at least ``min_score``, at most ``limit``;
   unknown words, repeated words and no words change nothing or give no categories.
5. The need lexicon's categories are combined in: a need alone predicts its categories
   (its tops too), a need moves a word's prediction towards its categories; a path the
   catalog lacks counts for its top-level category, an unknown top is ignored.
6. Deterministic: the same listings in another order give the same file.
7. Merging the counts of several workers gives the file of one process fed everything.
8. ``save`` / ``load`` round-trip to the same model and predictions; a missing file
   raises FileNotFoundError, a file that is not a model ValueError naming it.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import orjson
import pytest

from indexer import schema as f
from indexer.categories import (
    FIELD_WEIGHTS,
    MODEL_FILE,
    CategoryCounts,
    CategoryModel,
    CategoryScore,
    ModelSettings,
)
from indexer.document import IndexFields, analyse_fields
from indexer.models import Listing
from indexer.needs import NeedMatch
from search.engine import Engine
from tests.conftest import SAMPLE_LISTINGS


@pytest.fixture(scope="module")
def sample_fields(engine: Engine) -> list[IndexFields]:
    """The analysed index fields of every sample listing (as the build makes them)."""
    out = []
    for line in SAMPLE_LISTINGS.read_bytes().splitlines():
        listing = Listing.model_validate_json(line)
        brand = engine.table.brands.get(listing.brand_id or "")
        out.append(analyse_fields(listing, brand, engine.analyzer))
    return out


def counted(fields: list[IndexFields]) -> CategoryCounts:
    counts = CategoryCounts()
    for one in fields:
        counts.add_fields(one)
    return counts


@pytest.fixture(scope="module")
def model(sample_fields: list[IndexFields]) -> CategoryModel:
    return counted(sample_fields).model()


def need(word: str, *categories: str) -> NeedMatch:
    return NeedMatch(word, 0, 1, (), categories)


def names(scores: list[CategoryScore]) -> list[str]:
    return [s.category for s in scores]


# ------------------------------------------------------------------ 1 counting


def test_best_field_weight_and_document_frequency() -> None:
    counts = CategoryCounts()
    counts.add(
        ("出行", "打车"),
        {
            f.NAME: ["滴滴", "出行"],
            f.DESCRIPTION: ["打车", "出行", "打车"],
            f.KEYWORDS: ["打车", "网约车"],
            f.CATEGORY: ["出行", "打车"],
            "ignored": ["不算"],
        },
    )
    counts.add(("出行",), {f.DESCRIPTION: ["出行"]})
    counts.add((), {f.NAME: ["没有类目"]})
    assert counts.listings == 2
    assert counts.counts[("出行", "打车")] == {"滴滴": 3, "出行": 3, "打车": 3, "网约车": 2}
    assert counts.counts[("出行",)] == {"出行": 1}
    assert counts.df == {"滴滴": 1, "出行": 2, "打车": 1, "网约车": 1}
    assert counts.docs == {("出行", "打车"): 1, ("出行",): 1}
    assert counts.category_words == {"出行", "打车"}
    assert FIELD_WEIGHTS[f.NAME] == FIELD_WEIGHTS[f.CATEGORY] == 3


def test_add_fields_reads_index_fields(sample_fields: list[IndexFields]) -> None:
    one = sample_fields[0]
    by_fields = CategoryCounts()
    by_fields.add_fields(one)
    words = {name: str(value).split() for name, value in one if name in FIELD_WEIGHTS}
    category = [str(value) for name, value in one if name == f.CATEGORIES]
    by_words = CategoryCounts()
    by_words.add(category, words)
    assert category == ["奢侈品", "箱包"]
    assert by_fields.counts == by_words.counts and by_fields.df == by_words.df


# ------------------------------------------------------------------ 2 the model


def _toy() -> CategoryCounts:
    counts = CategoryCounts()
    for _ in range(3):
        counts.add(("出行", "打车"), {f.KEYWORDS: ["打车", "网约车", "常见"]})
    counts.add(("出行", "地铁"), {f.KEYWORDS: ["地铁", "常见"], f.DESCRIPTION: ["打车"]})
    counts.add(("工具",), {f.NAME: ["天气", "常见"]})
    counts.add(("工具", "天气"), {f.NAME: ["天气", "孤词"]})
    return counts


def test_priors_and_evidence() -> None:
    toy = _toy().model(ModelSettings(alpha=2.0, min_df=2, max_df=0.7, top_k=10))
    assert toy.categories == ("出行", "工具", "出行/地铁", "出行/打车", "工具/天气")
    assert toy.tops == 2
    assert toy.prior == (4 / 6, 2 / 6, 1 / 5, 3 / 5, 1 / 5)
    ids = {name: i for i, name in enumerate(toy.categories)}
    evidence = dict(zip(*toy.words["打车"], strict=True))
    assert evidence[ids["出行"]] == round(math.log1p(7 / (2.0 * 4 / 6)), 4)
    assert evidence[ids["出行/打车"]] == round(math.log1p(6 / (2.0 * 3 / 5)), 4)
    assert evidence[ids["出行/地铁"]] == round(math.log1p(1 / (2.0 * 1 / 5)), 4)
    assert names(toy.evidence("打车")) == ["出行", "出行/打车", "出行/地铁"]  # per level
    assert "孤词" not in toy.words  # one listing: below min_df
    assert "常见" not in toy.words  # 5 of 6 listings: above max_df (4.2 listings)
    assert set(toy.words) == {"打车", "网约车", "天气"}


def test_no_listings_no_categories(tmp_path: Path) -> None:
    empty = CategoryCounts()
    empty.save(tmp_path)
    loaded = CategoryModel.load(tmp_path)
    assert (loaded.categories, loaded.words, loaded.listings) == ((), {}, 0)
    assert loaded.predict(["打车"], [need("打车", "出行/打车")]) == []


def test_top_k_per_level() -> None:
    toy = _toy().model(ModelSettings(alpha=2.0, min_df=1, max_df=1.0, top_k=1))
    assert names(toy.evidence("打车")) == ["出行", "出行/打车"]
    for word in toy.words:
        kept = names(toy.evidence(word))
        assert (
            len([c for c in kept if "/" in c]) <= 1 and len([c for c in kept if "/" not in c]) <= 1
        )
    assert (
        len(_toy().model(ModelSettings(min_df=1, max_df=1.0)).evidence("常见")) == 4
    )  # 2 tops, 2 paths


# ------------------------------------------------------------------ 3 the sample catalog


@pytest.mark.parametrize(
    ("words", "top", "path"),
    [
        (["网约车"], "出行", "出行/打车"),
        (["专车", "快车"], "出行", "出行/打车"),
        (["挂号"], "医疗健康", None),
        (["天气预报"], "工具", "工具/天气"),
        (["违章查询"], "汽车", "汽车/违章查询"),
        (["火锅"], "餐饮", "餐饮/火锅"),
        (["公积金"], "政务", None),
    ],
)
def test_catalog_words_predict_their_categories(
    model: CategoryModel, words: list[str], top: str, path: str | None
) -> None:
    scores = model.predict(words)
    tops = [s for s in scores if s.category in model.categories[: model.tops]]
    paths = [s for s in scores if s not in tops]
    assert tops[0].category == top
    assert tops[0].score > 0.5
    if path is not None:
        assert paths[0].category == path


def test_two_words_agreeing_beat_one(model: CategoryModel) -> None:
    one = dict(model.predict(["专车"]))
    two = dict(model.predict(["专车", "网约车"]))
    assert two["出行/打车"] > one["出行/打车"]


# ------------------------------------------------------------------ 4 scores


def test_scores_are_probabilities_per_level(model: CategoryModel) -> None:
    for words in (["打车"], ["外卖", "咖啡"], ["北京", "社保"], ["手机", "维修", "回收"]):
        scores = model.predict(words, limit=100, min_score=0.0)
        tops = [s.score for s in scores if "/" not in s.category]
        paths = [s.score for s in scores if "/" in s.category]
        assert 0.99 <= sum(tops) <= 1 + 1e-9 or len(tops) < model.tops
        assert sum(tops) <= 1 + 1e-9 and sum(paths) <= 1 + 1e-9
        assert [s.score for s in scores] == sorted((s.score for s in scores), reverse=True)


def test_limit_min_score_unknown_and_repeated_words(model: CategoryModel) -> None:
    full = model.predict(["外卖"], limit=100, min_score=0.0)
    assert model.predict(["外卖"], limit=3, min_score=0.0) == full[:3]
    assert all(s.score >= 0.2 for s in model.predict(["外卖"], min_score=0.2))
    assert model.predict(["外卖", "不存在的词", "外卖"]) == model.predict(["外卖"])
    assert model.predict(["不存在的词"]) == []
    assert model.predict([]) == []


# ------------------------------------------------------------------ 5 needs


def test_share_is_the_sum_of_the_predicted_probabilities(
    model: CategoryModel, engine: Engine
) -> None:
    """``share`` is the probability ``predict`` gives the categories (of their level) with
    no limit and no least score, for every service word of the lexicon and its need's
    categories; 0 for no known word; at most 1."""

    def summed(words: list[str], categories: tuple[str, ...]) -> float:
        scores = model.predict(words, limit=len(model.categories), min_score=0.0)
        paths = any("/" in c for c in categories)
        level = [c for c in scores if ("/" in c.category) == paths]
        return min(1.0, sum(c.score for c in level if c.category in categories))

    lexicon = engine.reader.lexicon
    checked = 0
    for word, categories in sorted(lexicon.expansions):
        tokens = [t for t in engine.analyzer.tokens(word, "query") if t in model.words]
        if tokens and categories:
            assert model.share(tokens, categories) == pytest.approx(summed(tokens, categories))
            checked += 1
    assert checked > 1000
    assert model.share(["不在模型里的词"], ("出行/打车",)) == 0.0
    assert 0.0 < model.share(["打车"], ("出行/打车", "出行/出租车")) <= 1.0


def test_need_alone_predicts_its_categories(model: CategoryModel) -> None:
    scores = model.predict([], [need("饿了", "生活服务/外卖", "餐饮/外卖")])
    assert set(names(scores)[:4]) == {"生活服务", "餐饮", "生活服务/外卖", "餐饮/外卖"}


def test_need_moves_a_word(model: CategoryModel) -> None:
    plain = dict(model.predict(["外卖"], min_score=0.0, limit=100))
    with_need = dict(
        model.predict(["外卖"], [need("点外卖", "生活服务/外卖")], min_score=0.0, limit=100)
    )
    assert with_need["生活服务/外卖"] > plain["生活服务/外卖"]
    assert with_need["生活服务"] > plain["生活服务"]


def test_unknown_need_category_ignored(model: CategoryModel) -> None:
    assert model.predict([], [need("太空", "出行/火箭")]) == model.predict(
        [], [need("太空", "出行")]
    )
    toy = _toy().model()  # knows 出行 and 工具 only
    assert toy.predict([], [need("存钱", "金融/银行", "金融")]) == []


# ------------------------------------------------------------------ 6-7 determinism, merging


def test_order_does_not_matter(sample_fields: list[IndexFields], model: CategoryModel) -> None:
    shuffled = list(sample_fields)
    random.Random(7).shuffle(shuffled)
    assert counted(shuffled).model().to_json() == model.to_json()


def test_merged_workers_equal_one_process(
    sample_fields: list[IndexFields], model: CategoryModel
) -> None:
    parts = [counted(sample_fields[i::3]) for i in range(3)]
    merged = CategoryCounts()
    for part in parts:
        merged.merge(part)
    assert merged.listings == len(sample_fields)
    assert merged.model().to_json() == model.to_json()


# ------------------------------------------------------------------ 8 save / load


def test_save_load_round_trip(tmp_path: Path, sample_fields: list[IndexFields]) -> None:
    counts = counted(sample_fields)
    path = counts.save(tmp_path)
    assert path == tmp_path / MODEL_FILE
    loaded = CategoryModel.load(tmp_path)
    assert loaded.to_json() == counts.model().to_json()
    for words in (["打车"], ["外卖", "咖啡"], ["挂号", "北京"]):
        assert loaded.predict(words) == counts.model().predict(words)
    assert loaded.category_words >= {"打车", "外卖", "挂号"}


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        CategoryModel.load(tmp_path)
    path = tmp_path / MODEL_FILE
    for content in (b"not json", b"{}", orjson.dumps({"format": "other"})):
        path.write_bytes(content)
        with pytest.raises(ValueError, match="not a category model") as info:
            CategoryModel.load(tmp_path)
        assert str(path) in str(info.value)
    data = _toy().model(ModelSettings(max_df=1.0)).to_json()
    data["words"]["打车"][0][0] = 99
    path.write_bytes(orjson.dumps(data))
    with pytest.raises(ValueError, match="out of range"):
        CategoryModel.load(tmp_path)
