"""Unit tests for indexer.dictionaries: the plain-text files of ``dictionaries/``.

Properties checked:

1. The repo's dictionaries load: user words with and without a frequency,
   synonym groups of two or more words, stop words, need entries.
2. ``#`` comments (whole-line and trailing) and blank lines are ignored; a UTF-8
   BOM (as some editors save) is not taken for a word.
3. ``word freq`` is parsed into ``(word, int)``, ``word`` alone into ``(word, None)``.
4. A malformed userdict line (three fields, a non-numeric frequency) raises
   DictionaryError naming ``file:line``.
5. A synonym group of one word raises DictionaryError naming ``file:line``.
6. A missing folder raises DictionaryError; a missing file is an empty one.
7. The digest is stable for identical content (wherever the folder is) and
   changes with the content of any of the five files.
8. A ``needs.txt`` line ``need, need => service | Top/sub, Top`` is parsed into
   its need words, service words and categories (stripped, repeats dropped, line
   number kept); service words or categories may be left out, not both; full-width
   separators (，｜) read as ASCII ones.
9. A malformed ``needs.txt`` line raises DictionaryError naming ``file:line`` and
   the reason: no ``=>``, two ``=>`` or ``|``, no need word, nothing after ``=>``,
   a word without a letter or digit, a top-level category the catalog contract
   does not allow, an empty or nested sub-category.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.dictionaries import FILES, Dictionaries, default_dictionaries_dir
from indexer.errors import DictionaryError, UserError


def _write(
    folder: Path, userdict: str = "", synonyms: str = "", stopwords: str = "", needs: str = ""
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "userdict.txt").write_text(userdict, encoding="utf-8")
    (folder / "synonyms.txt").write_text(synonyms, encoding="utf-8")
    (folder / "stopwords.txt").write_text(stopwords, encoding="utf-8")
    (folder / "needs.txt").write_text(needs, encoding="utf-8")
    return folder


def _load_error(folder: Path) -> str:
    """The message of the DictionaryError (a UserError) that loading ``folder`` raises."""
    with pytest.raises(DictionaryError) as info:
        Dictionaries.load(folder)
    assert isinstance(info.value, UserError)
    return str(info.value)


# ------------------------------------------------------------------ 1 the repo's files


def test_repo_dictionaries_load(dicts: Dictionaries) -> None:
    assert dicts.directory == default_dictionaries_dir()
    assert ("小程序", None) in dicts.user_words
    assert ("打车", "叫车", "网约车", "约车") in dicts.synonym_groups
    assert ("咖啡", "coffee") in dicts.synonym_groups
    assert all(len(group) >= 2 for group in dicts.synonym_groups)
    assert {"的", "了", "附近"} <= dicts.stopwords
    assert len(dicts.needs) > 200
    first = dicts.needs[0]
    assert first.need_words[:3] == ("打车", "叫车", "约车")
    assert "网约车" in first.service_words
    assert first.categories == ("出行/打车", "出行/出租车")
    assert not any(word.startswith("#") for word, _ in dicts.user_words)


# ------------------------------------------------------------------ 2-3 format


def test_comments_and_blank_lines_ignored(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        userdict="# header\n\n小程序\n   \n茶颜悦色 100  # trailing comment\n# 注释 3\n",
        synonyms="# groups\n\n打车, 叫车 # comment\n  \n",
        stopwords="# stop\n的\n\n  了  \n# 吗\n",
    )
    loaded = Dictionaries.load(folder)
    assert loaded.user_words == (("小程序", None), ("茶颜悦色", 100))
    assert loaded.synonym_groups == (("打车", "叫车"),)
    assert loaded.stopwords == frozenset({"的", "了"})


def test_word_freq_parsed(tmp_path: Path) -> None:
    folder = _write(tmp_path, userdict="网约车 5000\n顺风车\t20\n代驾\n")
    assert Dictionaries.load(folder).user_words == (
        ("网约车", 5000),
        ("顺风车", 20),
        ("代驾", None),
    )


def test_synonym_words_stripped_and_empty_items_skipped(tmp_path: Path) -> None:
    folder = _write(tmp_path, synonyms=" 包 ,包包,, 手袋 ,\n")
    assert Dictionaries.load(folder).synonym_groups == (("包", "包包", "手袋"),)


def test_bom_is_not_a_word(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        userdict="\ufeff小程序 5\n",
        synonyms="\ufeff# groups\n打车, 叫车\n",
        stopwords="\ufeff的\n",
    )
    loaded = Dictionaries.load(folder)
    assert loaded.user_words == (("小程序", 5),)
    assert loaded.synonym_groups == (("打车", "叫车"),)
    assert loaded.stopwords == frozenset({"的"})


# ------------------------------------------------------------------ 4-5 malformed lines


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("网约车 5000 n", "'网约车 5000 n'"),  # three fields
        ("网约车 lots", "'网约车 lots'"),  # frequency not a number
        ("网约车 -5", "'网约车 -5'"),
        ("网约车 1.5", "'网约车 1.5'"),
        ("网约车 ²", "'网约车 ²'"),  # a digit int() cannot read
    ],
)
def test_malformed_userdict_line(tmp_path: Path, line: str, shown: str) -> None:
    folder = _write(tmp_path, userdict=f"# header\n小程序\n\n{line}\n代驾\n")
    message = _load_error(folder)
    assert f"{folder / 'userdict.txt'}:4:" in message
    assert "word [freq]" in message
    assert shown in message


@pytest.mark.parametrize("line", ["打车", "打车,", " , 打车 , "])
def test_synonym_group_of_one_word(tmp_path: Path, line: str) -> None:
    folder = _write(tmp_path, synonyms=f"快递, 物流\n# comment\n{line}\n")
    with pytest.raises(DictionaryError) as info:
        Dictionaries.load(folder)
    message = str(info.value)
    assert f"{folder / 'synonyms.txt'}:3:" in message
    assert "two or more" in message


# ------------------------------------------------------------------ 6 missing folder / files


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DictionaryError, match="dictionaries folder not found") as info:
        Dictionaries.load(missing)
    assert str(missing) in str(info.value)


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "dictionaries"
    path.write_text("小程序\n", encoding="utf-8")
    with pytest.raises(DictionaryError):
        Dictionaries.load(path)


def test_missing_files_are_empty(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    loaded = Dictionaries.load(folder)
    assert loaded.user_words == ()
    assert loaded.synonym_groups == ()
    assert loaded.stopwords == frozenset()
    assert loaded.needs == ()
    assert len(loaded.digest()) == 64
    (folder / "stopwords.txt").write_text("", encoding="utf-8")
    assert Dictionaries.load(folder).digest() == loaded.digest()  # missing == empty


# ------------------------------------------------------------------ 7 digest


def test_digest_stable_for_same_content(tmp_path: Path, dicts: Dictionaries) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(default_dictionaries_dir(), copy)
    assert Dictionaries.load(copy).digest() == dicts.digest()
    assert Dictionaries.load(default_dictionaries_dir()).digest() == dicts.digest()


@pytest.mark.parametrize("name", FILES)
def test_digest_changes_with_content(tmp_path: Path, dicts: Dictionaries, name: str) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(default_dictionaries_dir(), copy)
    path = copy / name
    path.write_bytes(path.read_bytes() + b"\n# an edit\n")
    assert Dictionaries.load(copy).digest() != dicts.digest()


def test_digest_distinguishes_files(tmp_path: Path) -> None:
    """The same line in another file is another dictionary."""
    as_user = Dictionaries.load(_write(tmp_path / "a", userdict="的\n"))
    as_stop = Dictionaries.load(_write(tmp_path / "b", stopwords="的\n"))
    assert as_user.digest() != as_stop.digest()


# ------------------------------------------------------------------ 8-9 needs.txt


def test_need_lines_parsed(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        needs=(
            "# header\n"
            "叫车, 打车 , 叫车 => 网约车, 出租车 | 出行/打车, 出行 / 出租车  # comment\n"
            "\n"
            "饿了 => 外卖\n"
            "合资车 => | 汽车/合资品牌\n"
            "查快递，快递到哪了 => 查快递 ｜ 生活服务/快递, 工具\n"
        ),
    )
    needs = Dictionaries.load(folder).needs
    assert [n.line for n in needs] == [2, 4, 5, 6]
    assert needs[0].need_words == ("叫车", "打车")
    assert needs[0].service_words == ("网约车", "出租车")
    assert needs[0].categories == ("出行/打车", "出行/出租车")
    assert (needs[1].service_words, needs[1].categories) == (("外卖",), ())
    assert (needs[2].service_words, needs[2].categories) == ((), ("汽车/合资品牌",))
    assert needs[3].need_words == ("查快递", "快递到哪了")
    assert needs[3].categories == ("生活服务/快递", "工具")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("叫车, 打车", "no '=>'"),
        ("叫车 => 网约车 => 出租车", "more than one '=>'"),
        ("叫车 => 网约车 | 出行 | 出行/打车", "more than one '|'"),
        (" => 网约车 | 出行/打车", "no need word"),
        ("叫车 => ", "nothing after '=>'"),
        ("叫车 => | ", "nothing after '=>'"),
        ("叫车, !!! => 网约车", "'!!!' has no letter or digit"),
        ("叫车 => 网约车 | 交通/打车", "'交通' is not a top-level category"),
        ("叫车 => 网约车 | 出行/", "expected 'Top' or 'Top/sub'"),
        ("叫车 => 网约车 | 出行/打车/快车", "expected 'Top' or 'Top/sub'"),
    ],
)
def test_malformed_need_line(tmp_path: Path, line: str, reason: str) -> None:
    folder = _write(tmp_path, needs=f"饿了 => 外卖\n# comment\n{line}\n")
    message = _load_error(folder)
    assert f"{folder / 'needs.txt'}:3: " in message
    assert reason in message
    assert "need, need => service, service | Top/sub, Top" in message
    assert repr(line.strip()) in message
