"""Tests for tools/seed_needs.py: need-lexicon proposals from a catalog, for review.

Properties checked:

1. On the sample catalog it proposes one line per sub-category (277), each a valid
   ``needs.txt`` line naming that sub-category; with the THUOCL lists (when
   ``../shared`` is present) it adds food and car words found in the catalog.
2. Need words are everyday words: the sub-category's own name, or words of jieba's
   general dictionary with a content tag, or THUOCL words; never a brand name or alias.
3. Service words are keywords of the category's listings.
4. The output is the same on every run.
5. With ``--needs`` lines already covered are commented out, and the sub-categories no
   lexicon line names and the service words no listing uses are listed; ``--out`` writes
   the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.analysis import compact
from indexer.content_words import jieba_dictionary
from indexer.dictionaries import Dictionaries
from tests.conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS
from tools.seed_needs import THUOCL, Catalog, general_words, main, propose, thuocl_words


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.read(SAMPLE_LISTINGS, SAMPLE_BRANDS)


@pytest.fixture(scope="module")
def everyday() -> dict[str, str]:
    return general_words(jieba_dictionary(), 20)


def _parse(lines: list[str], tmp_path: Path) -> Dictionaries:
    (tmp_path / "needs.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Dictionaries.load(tmp_path)


# ------------------------------------------------------------------ 1-3 proposals


def test_one_valid_line_per_sub_category(
    catalog: Catalog, everyday: dict[str, str], tmp_path: Path
) -> None:
    proposals = propose(catalog, everyday, set())
    assert len(proposals) == 277 == len(catalog.listings)
    assert [p.category for p in proposals] == sorted(catalog.listings)
    parsed = _parse([p.line() for p in proposals], tmp_path)
    assert [e.categories for e in parsed.needs] == [(p.category,) for p in proposals]


def test_need_words_are_everyday_words(catalog: Catalog, everyday: dict[str, str]) -> None:
    for proposal in propose(catalog, everyday, set()):
        sub = compact(proposal.category.split("/", 1)[1])
        for word in proposal.need_words:
            assert word == sub or word in everyday
            assert word not in catalog.brand_words or word == sub
        for word in proposal.service_words:
            assert catalog.keywords[proposal.category][word] >= 1
    taxi = next(p for p in propose(catalog, everyday, set()) if p.category == "出行/打车")
    assert "打车" in taxi.need_words and "网约车" in taxi.service_words


@pytest.mark.skipif(not THUOCL.is_dir(), reason="../shared/data/external/thuocl not present")
def test_thuocl_words_found_in_catalog(
    catalog: Catalog, everyday: dict[str, str], tmp_path: Path
) -> None:
    lexicon = thuocl_words(THUOCL)
    assert len(lexicon) > 5_000
    extra = propose(catalog, everyday, lexicon)[len(catalog.listings) :]
    assert extra and all("THUOCL" in p.evidence for p in extra)
    assert any(p.category == "餐饮/火锅" and "火锅" in p.need_words for p in extra)
    _parse([p.line() for p in extra], tmp_path)


# ------------------------------------------------------------------ 4-5 the command


def test_deterministic_output_and_coverage(tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon"
    lexicon.mkdir()
    (lexicon / "needs.txt").write_text("叫车 => 网约车, 飞船 | 出行/打车\n", encoding="utf-8")
    args = ["--thuocl", str(tmp_path / "none"), "--needs", str(lexicon)]
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    assert main([*args, "--out", str(first)]) == 0
    assert main([*args, "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    lines = first.read_text(encoding="utf-8").splitlines()
    covered = [line for line in lines if "| 出行/打车" in line]
    assert covered and all(line.startswith("# covered: ") for line in covered)
    assert lines[-2].startswith("# 276 sub-categories no lexicon line names: ")
    missing = lines[-2].split(": ", 1)[1].split(", ")
    assert "出行/出租车" in missing and "出行/打车" not in missing
    assert lines[-1] == "# 1 service words no listing uses: 飞船"
