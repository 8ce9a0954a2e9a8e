"""`mpsearch lexicon check` (search/relevance/lexicon_check.py): the categories and service
words of needs.txt that do nothing in an index version.

Properties checked, on the sample catalog built with the repo's dictionaries:
1. Lines of the test's own: a category no listing holds and a service word no listing
   holds are found, with their line; a service word the ride-hailing listings do not
   use (上门: repair, parcel and laundry listings say it) is found as saying too little of
   打车's categories, with its share under SERVICE_MIN; a line whose words and category
   the catalog uses has no finding.
2. The repo's lexicon: a category is reported exactly when no listing of the sample
   catalog (any status) has it as its top-level category or its path; a service word
   reported as held by none is held by no listing.
3. `--json` is one object that validates as LexiconCheck; `--strict` exits 1 on a finding,
   0 without one; no published index exits 2 saying so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer import schema as f
from indexer.analysis import compact
from indexer.dictionaries import NeedEntry
from search.cli import commands as cli
from search.engine import Engine
from search.rank.need import SERVICE_MIN
from search.relevance.lexicon_check import LexiconCheck, check
from tests.conftest import SAMPLE_LISTINGS

RIDE = NeedEntry(1, ("打车",), ("网约车", "打车"), ("出行/打车",))
AIRSHIP = NeedEntry(2, ("叫飞艇",), ("飞艇",), ("出行/飞艇",))
DOORSTEP = NeedEntry(3, ("打车",), ("上门",), ("出行/打车",))


def catalog_paths() -> set[str]:
    paths: set[str] = set()
    for line in SAMPLE_LISTINGS.read_text(encoding="utf-8").splitlines():
        category = json.loads(line)["category"]
        paths |= {category[0], "/".join(category)}
    return paths


def test_findings_name_their_line_and_kind(engine: Engine) -> None:
    report = check(engine, [RIDE, AIRSHIP, DOORSTEP])
    found = [(x.line, x.kind, x.value) for x in report.findings]
    assert found == [
        (2, "category", "出行/飞艇"),
        (2, "service_word", "飞艇"),
        (3, "weak_service_word", "上门"),
    ]
    weak = report.findings[-1]
    assert weak.share is not None and 0 <= weak.share < SERVICE_MIN
    assert weak.need_words == ["打车"]
    assert (report.lines, report.categories, report.service_words) == (3, 3, 4)
    assert report.index_version == engine.version


def test_the_repo_lexicon_against_the_sample_catalog(engine: Engine) -> None:
    report = check(engine)
    entries = engine.analyzer.dicts.needs
    assert report.lines == len(entries) > 1000
    paths = catalog_paths()
    unheld = {(x.line, x.value) for x in report.findings if x.kind == "category"}
    for entry in entries:
        for category in entry.categories:
            assert ((entry.line, category) in unheld) == (category not in paths), category
    words = [x for x in report.findings if x.kind == "service_word"]
    assert words  # the sample catalog is small: some service words are in none of it
    for x in words:
        tokens = engine.reader.service_tokens(compact(x.value))
        assert not all(engine.compiler.held(f.COVER_WORDS, t) for t in tokens), x.value


def test_json_and_strict(home_env: Path) -> None:
    result = CliRunner().invoke(cli.app, ["lexicon", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    report = LexiconCheck.model_validate_json(result.stdout)
    assert report.findings  # the repo's lexicon names service words the sample lacks
    strict = CliRunner().invoke(cli.app, ["lexicon", "check", "--strict"])
    assert strict.exit_code == 1
    assert "service words held by none" in strict.stdout


def test_strict_without_findings_exits_0(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import search.relevance.lexicon_check as module

    clean = check(engine, [RIDE])
    assert clean.findings == []
    monkeypatch.setattr(cli, "_open_engine", lambda index: engine)
    monkeypatch.setattr(module, "check", lambda e: clean)
    result = CliRunner().invoke(cli.app, ["lexicon", "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "0 of 1 categories held by no listing" in result.stdout


def test_no_published_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.settings import get_settings

    monkeypatch.setenv("MPSEARCH_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["lexicon", "check"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "no index is published" in result.output
