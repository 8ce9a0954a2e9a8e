"""Catalog words added with the frequencies recorded at build time give the same tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.analysis import Analyzer, format_word_freqs, parse_word_freqs
from indexer.dictionaries import Dictionaries
from indexer.store import WORD_FREQS_FILE, WORDS_FILE
from search.engine import Engine

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


def test_engine_opens_with_and_without_the_frequencies_file(
    sample_home: Path, dicts: Dictionaries, tmp_path: Path
) -> None:
    from indexer.store import IndexStore

    store = IndexStore(sample_home)
    version = store.current()
    assert version is not None
    root = store.path(version)
    assert (root / WORD_FREQS_FILE).is_file()
    words = (root / WORDS_FILE).read_text(encoding="utf-8").split()
    assert list(parse_word_freqs((root / WORD_FREQS_FILE).read_text("utf-8"))) == words
    fast = Engine.open(store, version, dicts)
    slow = Analyzer(dicts, words)
    assert fast.analyzer._jieba.FREQ == slow._jieba.FREQ
    assert fast.analyzer.word_freqs == slow.word_freqs


def test_a_version_without_the_frequencies_file_still_opens(
    dicts: Dictionaries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    from indexer import build
    from indexer.store import IndexStore
    from tests.conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS

    monkeypatch.setattr(build, "WORD_FREQS_FILE", "elsewhere.tsv")  # as if built before it
    store = IndexStore(tmp_path / "home")
    result = build.build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
    assert result.version is not None
    assert not (store.path(result.version) / WORD_FREQS_FILE).exists()
    old = Engine.open(store, result.version, dicts)
    assert old.analyzer._jieba.FREQ == engine.analyzer._jieba.FREQ
    assert old.ranked_appids("星巴克", "jd") == engine.ranked_appids("星巴克", "jd")
