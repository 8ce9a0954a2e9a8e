"""Unit tests for regions: ``dictionaries/regions.txt``, its parser and the analyzer.

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
4. The analyzer keeps every place name of the file whole (唐山, 鄂尔多斯, 黔东南州, 高雄),
   also inside a query; only the names jieba would cut are added to its dictionary.
5. Editing ``regions.txt`` changes the analyzer fingerprint (an index must be rebuilt); a
   folder without the file loads with no regions.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.analysis import Analyzer, analyzer_fingerprint
from indexer.dictionaries import Dictionaries, RegionEntry, default_dictionaries_dir
from indexer.errors import DictionaryError

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


# ------------------------------------------------------------------ 3 the repo's file


def test_repo_file(dicts: Dictionaries) -> None:
    provinces = [entry.names[0] for entry in dicts.regions]
    assert len(provinces) == 34
    assert provinces[:3] == ["北京", "天津", "河北"]
    assert {"广西", "新疆", "宁夏", "西藏", "内蒙古", "香港", "澳门", "台湾"} <= set(provinces)
    by_province = {entry.names[0]: entry for entry in dicts.regions}
    assert by_province["广西"].names == ("广西", "广西壮族自治区")
    assert by_province["新疆"].names == ("新疆", "新疆维吾尔自治区")
    assert by_province["北京"].cities == ()  # districts are not listed
    assert ("延边", "延边州", "延边朝鲜族自治州") in by_province["吉林"].cities
    assert ("吉林市",) in by_province["吉林"].cities  # 吉林 names the province
    assert ("日照市",) in by_province["山东"].cities  # 日照 is left out
    assert sum(len(entry.cities) for entry in dicts.regions) > 340


# ------------------------------------------------------------------ 4 whole words


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


# ------------------------------------------------------------------ 5 fingerprint


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
