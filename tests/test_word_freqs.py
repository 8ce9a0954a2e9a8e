"""Fast analyzer start: a version's saved analyzer state gives the same tokenizer.

Properties checked:
1. Catalog words added with the frequencies recorded at build time give the same jieba state.
2. The saved state (a word trie plus frequencies) gives the same DAGs, cuts in every jieba
   mode, tokens, pinyin forms, word frequencies and common-word flags as the analyzer
   that saved it, on fixed and on generated texts.
3. A state made for other words, other dictionaries, or damaged files is refused with
   ValueError; the loader then builds the analyzer from the words (same tokens).
4. Versions without the state, or without the frequencies too, still open with the same tokens.
5. One process holds one analyzer per words list: the version and its serving copy share it.
6. A serving copy made without the saved state (by older code) loads its version's state.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import _JIEBA_HAN_RE, Analyzer, format_word_freqs, parse_word_freqs
from indexer.analyzers import analyzer_for, load_analyzer
from indexer.applier import make_copy
from indexer.dictionaries import Dictionaries
from indexer.store import (
    ANALYZER_STATE_FILE,
    ANALYZER_TRIE_FILE,
    WORD_FREQS_FILE,
    WORDS_FILE,
    IndexStore,
)
from search.engine import Engine

pytestmark = pytest.mark.slow  # every way of loading an analyzer, each from scratch

WORDS = [
    "星巴克",
    "星巴克咖啡",
    "路易威登",
    "麦当劳甜品站",
    "小米之家",
    "苹果",
    "上海交通卡",
    "交通",
]
TEXTS = [
    "星巴克咖啡和麦当劳甜品站在上海交通卡旁边",
    "小米之家的苹果手机",
    "路易威登包包专卖店",
    "红富士苹果",
    "交通",
    "星",
    "我们在上海交通大学研究生命科学",
    "GUCCI古驰 louis vuitton 路易威登",
]
# Characters of the words and of common text, so generated texts hit the dictionary.
CHARS = sorted(set("".join(WORDS) + "的在了和是我们大学研究生命科学手机包店专卖红富士"))


@pytest.fixture(scope="module")
def built(dicts: Dictionaries) -> Analyzer:
    return Analyzer(dicts, WORDS)


@pytest.fixture(scope="module")
def loaded(
    built: Analyzer, dicts: Dictionaries, tmp_path_factory: pytest.TempPathFactory
) -> Analyzer:
    root = tmp_path_factory.mktemp("state")
    built.save_state(root / ANALYZER_STATE_FILE, root / ANALYZER_TRIE_FILE)
    return Analyzer.from_state(dicts, root / ANALYZER_STATE_FILE, root / ANALYZER_TRIE_FILE)


def same_segmentation(a: Analyzer, b: Analyzer, text: str) -> None:
    assert b._jieba.get_DAG(text) == a._jieba.get_DAG(text)
    assert list(b._jieba.cut(text, HMM=False)) == list(a._jieba.cut(text, HMM=False))
    assert list(b._jieba.cut(text, cut_all=True)) == list(a._jieba.cut(text, cut_all=True))
    assert list(b._jieba.cut(text)) == list(a._jieba.cut(text))
    if _JIEBA_HAN_RE.fullmatch(text):  # one word graph for both cuts, trie or dict
        for x in (a, b):
            jb = x._jieba
            both = (tuple(jb.cut(text, HMM=False)), list(jb.cut(text, cut_all=True)))
            assert x._cut_both(text) == both
    for mode in ("index", "query"):
        assert b.tokens(text, mode) == a.tokens(text, mode)
    assert b.pinyin_forms(text) == a.pinyin_forms(text)


def test_replayed_frequencies_give_the_same_jieba_state(dicts: Dictionaries) -> None:
    built = Analyzer(dicts, WORDS)
    assert list(built.word_freqs) == sorted(set(WORDS))
    replayed = Analyzer(dicts, WORDS, parse_word_freqs(format_word_freqs(built.word_freqs)))
    assert replayed.word_freqs == built.word_freqs
    assert replayed._jieba.FREQ == built._jieba.FREQ
    assert replayed._jieba.total == built._jieba.total
    text = "星巴克咖啡和麦当劳甜品站在上海交通卡旁边"
    assert replayed.tokens(text, "index") == built.tokens(text, "index")


def test_word_freqs_round_trip() -> None:
    freqs = {"星巴克": 12, "a\tb": 3, "小米之家": 0}
    assert parse_word_freqs(format_word_freqs(freqs)) == freqs


def test_saved_state_gives_the_same_analyzer(built: Analyzer, loaded: Analyzer) -> None:
    assert loaded.extra_words == built.extra_words == sorted(WORDS)
    assert loaded.word_freqs == built.word_freqs
    assert loaded.fingerprint == built.fingerprint
    assert loaded._jieba.total == built._jieba.total
    for word in [*WORDS, "苹果", "手机", "的"]:
        assert loaded.is_common_word(word) == built.is_common_word(word)
        assert loaded._jieba.FREQ.get(word) == (built._jieba.FREQ.get(word) or None)
    assert loaded.is_common_word("苹果")  # a general word too: the flag survives the state
    for text in TEXTS:
        same_segmentation(built, loaded, text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(CHARS), min_size=1, max_size=40))
def test_saved_state_segments_generated_text_alike(
    built: Analyzer, loaded: Analyzer, text: str
) -> None:
    same_segmentation(built, loaded, text)


def test_a_loaded_analyzer_takes_no_new_words(loaded: Analyzer) -> None:
    with pytest.raises(TypeError, match="saved state"):
        loaded._jieba.add_word("新词语", 5)


def test_state_for_other_words_or_dictionaries_is_refused(
    built: Analyzer, dicts: Dictionaries, tmp_path: Path
) -> None:
    state, trie = tmp_path / ANALYZER_STATE_FILE, tmp_path / ANALYZER_TRIE_FILE
    built.save_state(state, trie)
    words = "\n".join(sorted(WORDS)) + "\n"
    assert Analyzer.from_state(dicts, state, trie, words).extra_words == sorted(WORDS)
    with pytest.raises(ValueError, match="other catalog words"):
        Analyzer.from_state(dicts, state, trie, words + "新词语\n")
    other = replace(dicts, _digest="0" * 64)
    with pytest.raises(ValueError, match="fingerprint"):
        Analyzer.from_state(other, state, trie)
    trie.write_bytes(b"not a trie")
    with pytest.raises(ValueError, match="not a word trie"):
        Analyzer.from_state(dicts, state, trie)
    state.write_bytes(state.read_bytes()[:100])
    with pytest.raises(ValueError, match="not an analyzer state"):
        Analyzer.from_state(dicts, state, trie)


def _version_root(sample_home: Path) -> Path:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    return store.path(version)


def test_engine_opens_with_the_saved_state(
    sample_home: Path, dicts: Dictionaries, engine: Engine
) -> None:
    root = _version_root(sample_home)
    assert (root / ANALYZER_STATE_FILE).is_file() and (root / ANALYZER_TRIE_FILE).is_file()
    words = (root / WORDS_FILE).read_text(encoding="utf-8").split()
    assert list(parse_word_freqs((root / WORD_FREQS_FILE).read_text("utf-8"))) == words
    slow = Analyzer(dicts, words)
    fast = engine.analyzer
    assert fast.word_freqs == slow.word_freqs
    for text in [*TEXTS, *words[:300]]:
        same_segmentation(slow, fast, text)


def test_every_way_of_loading_gives_the_same_tokens(
    sample_home: Path, dicts: Dictionaries, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "version"
    shutil.copytree(_version_root(sample_home), root)
    words = (root / WORDS_FILE).read_text(encoding="utf-8").split()
    from_state = load_analyzer(dicts, root)
    (root / ANALYZER_STATE_FILE).write_bytes(b"damaged")
    damaged = load_analyzer(dicts, root)
    assert "building the analyzer from the words instead" in caplog.text
    (root / ANALYZER_STATE_FILE).unlink()
    replayed = load_analyzer(dicts, root)  # a version built before the state existed
    (root / WORD_FREQS_FILE).unlink()
    from_words = load_analyzer(dicts, root)  # ... and before the frequencies did
    assert isinstance(damaged._jieba.FREQ, dict) and isinstance(from_words._jieba.FREQ, dict)
    assert damaged._jieba.FREQ == replayed._jieba.FREQ == from_words._jieba.FREQ
    assert not isinstance(from_state._jieba.FREQ, dict)
    for other in (damaged, replayed, from_words):
        assert other.word_freqs == from_state.word_freqs
        for text in [*TEXTS, *words[:200]]:
            same_segmentation(other, from_state, text)


def test_a_version_and_its_serving_copy_share_one_analyzer(
    sample_home: Path, dicts: Dictionaries, tmp_path: Path
) -> None:
    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    copy = make_copy(store, version, tmp_path / "home")
    try:
        assert (copy / ANALYZER_STATE_FILE).is_file() and (copy / ANALYZER_TRIE_FILE).is_file()
        first = analyzer_for(dicts, store.path(version))
        assert analyzer_for(dicts, copy) is first
        other = tmp_path / "other"
        other.mkdir()
        (other / WORDS_FILE).write_text("星巴克\n路易威登\n", encoding="utf-8")
        assert analyzer_for(dicts, other) is not first
    finally:
        shutil.rmtree(copy)


def test_a_version_without_the_saved_files_still_opens(
    dicts: Dictionaries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    from indexer import build
    from tests.conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS

    # As if built before the frequencies and the state existed.
    monkeypatch.setattr(build, "WORD_FREQS_FILE", "elsewhere.tsv")
    monkeypatch.setattr(build, "ANALYZER_STATE_FILE", "elsewhere.state")
    monkeypatch.setattr(build, "ANALYZER_TRIE_FILE", "elsewhere.trie")
    store = IndexStore(tmp_path / "home")
    result = build.build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
    assert result.version is not None
    root = store.path(result.version)
    for name in (WORD_FREQS_FILE, ANALYZER_STATE_FILE, ANALYZER_TRIE_FILE):
        assert not (root / name).exists()
    old = Engine.open(store, result.version, dicts)
    assert old.ranked_appids("星巴克", "jd") == engine.ranked_appids("星巴克", "jd")
    slow = load_analyzer(dicts, root)
    assert slow.word_freqs == engine.analyzer.word_freqs
    for text in TEXTS:
        same_segmentation(slow, engine.analyzer, text)


def test_a_copy_without_the_state_uses_its_versions(
    sample_home: Path, dicts: Dictionaries, tmp_path: Path
) -> None:
    version_dir = _version_root(sample_home)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy2(version_dir / WORDS_FILE, copy / WORDS_FILE)  # as older copies were made
    from_version = load_analyzer(dicts, copy, version_dir=version_dir)
    assert not isinstance(from_version._jieba.FREQ, dict)  # the saved state, not a rebuild
    (copy / WORDS_FILE).write_text("星巴克\n路易威登\n", encoding="utf-8")
    other = load_analyzer(dicts, copy, version_dir=version_dir)  # not that version's words
    assert isinstance(other._jieba.FREQ, dict)
    assert other.extra_words == ["星巴克", "路易威登"]
