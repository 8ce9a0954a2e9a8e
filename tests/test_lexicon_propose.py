"""Need-lexicon proposals from the query log (search/relevance/proposals.py) through
`mpsearch lexicon propose`.

The module's home is the sample catalog built with a small lexicon of the test's own
(``LEXICON``: the repo's needs.txt is edited by people, and what it reads would change
under the test), and a query log written by the real writer from real searches of it.

Properties checked:
1. A food-delivery query the lexicon does not read proposes a 外卖 sub-category first, above
   unrelated ones; a weather query proposes 工具/天气: the ranking follows the query.
2. A zero-result query the lexicon already reads as a need is skipped and counted, never
   proposed; gibberish scores under --min-score and is counted, not proposed.
3. Only searches with at most --max-results results are candidates (the default, 1: zero-
   and one-result searches); suggest calls never are; counts are per normalised query;
   --limit takes the most searched.
4. A proposal's need word is the query's content words as the analyzer reads them, and
   the line, added to the lexicon, is found in the query it came from; its service words
   are keywords of the proposed categories' listings.
5. `--json` is one object that validates as ProposalReport; `--out FILE` writes lines that
   parse as needs.txt lines (and writes nothing else: needs.txt is untouched).
6. A bad --since exits 2 naming --since; an empty log says there is nothing to propose and
   exits 0 (with --json, an empty report).
7. The command's option defaults are ProposalOptions's.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS
from rich.console import Console
from typer.testing import CliRunner

from indexer.build import build_index
from indexer.dictionaries import Dictionaries, default_dictionaries_dir
from indexer.needs import NeedLexicon
from indexer.settings import get_settings
from indexer.store import IndexStore
from search.cli import commands as cli
from search.engine import Engine, SearchRequest
from search.ops.querylog import QueryLog
from search.relevance.proposals import (
    ProposalOptions,
    ProposalReport,
    need_word,
    sentence_encoder,
)

pytestmark = pytest.mark.slow  # a build, the sentence encoder, the CLI end to end

LEXICON = """\
打车, 叫车 => 网约车, 打车 | 出行/打车
叫飞艇 => 飞艇 | 出行/飞艇
"""
FOOD = "外卖骑手送饭"  # few results (the catalog's 外卖 listings): not a need here
WEATHER = "weather tomorrow"  # zero results: no listing says it in English
KNOWN = "叫飞艇"  # a need of LEXICON, zero results: nothing in the catalog serves it
GIBBERISH = "龘龘"  # zero results, like nothing in the catalog
# (query, host, times searched)
SEARCHES = [
    (FOOD, "jd", 3),
    (FOOD, "qqbrowser", 1),
    (WEATHER, "jd", 2),
    (KNOWN, "jd", 2),
    (GIBBERISH, "samsung", 1),
    ("LV", "jd", 2),  # the brand zone and its listings: never a candidate
]
FEW = "20"  # --max-results that takes FOOD in


@pytest.fixture(scope="module")
def dicts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's dictionaries with LEXICON as needs.txt."""
    copy = tmp_path_factory.mktemp("dicts") / "dictionaries"
    shutil.copytree(default_dictionaries_dir(), copy)
    (copy / "needs.txt").write_text(LEXICON, encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, dicts_dir: Path) -> Path:
    """The sample catalog built and published with LEXICON, and a query log of real
    searches of it written by the query log's writer."""
    path = tmp_path_factory.mktemp("lexicon-home")
    dicts = Dictionaries.load(dicts_dir)
    store = IndexStore(path)
    built = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
    assert built.version is not None
    store.publish(built.version)
    engine = Engine.open(store, built.version, dicts)
    qlog = QueryLog(path / "querylog")
    for query, host, times in SEARCHES:
        for _ in range(times):
            qlog.record_search(engine.run(SearchRequest(q=query, host=host)))
    suggest = engine.suggest(GIBBERISH, "jd")
    qlog.record_suggest(suggest, "jd", 0.1)
    qlog.close()
    return path


@pytest.fixture(scope="module")
def encoder_loaded() -> None:
    """The encoder, loaded once for the module (the command reuses the process's)."""
    sentence_encoder()


@pytest.fixture()
def env(
    home: Path, dicts_dir: Path, encoder_loaded: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.setenv("MPSEARCH_HOME", str(home))
    monkeypatch.setenv("MPSEARCH_DICTIONARIES", str(dicts_dir))
    monkeypatch.setattr(cli, "out", Console(width=200, color_system=None, force_terminal=False))
    monkeypatch.setattr(cli, "err", Console(stderr=True, width=200, color_system=None))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def engine(home: Path, dicts_dir: Path) -> Engine:
    """The published version, opened as the command opens it."""
    store = IndexStore(home)
    version = store.current()
    assert version is not None
    return Engine.open(store, version, Dictionaries.load(dicts_dir))


@pytest.fixture(scope="module")
def module_env(home: Path, dicts_dir: Path, encoder_loaded: None) -> Iterator[None]:
    """The module's home and dictionaries, for the module-scoped runs of the command."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MPSEARCH_HOME", str(home))
        mp.setenv("MPSEARCH_DICTIONARIES", str(dicts_dir))
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def few(module_env: None) -> ProposalReport:
    """`--json --max-results FEW`: FOOD is a candidate."""
    return report("--max-results", FEW)


@pytest.fixture(scope="module")
def default(module_env: None) -> ProposalReport:
    """`--json` with the defaults: zero- and one-result searches."""
    return report()


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.app, ["lexicon", "propose", *args])


def report(*args: str) -> ProposalReport:
    result = invoke("--json", *args)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    return ProposalReport.model_validate_json(result.stdout)


def test_the_log_is_what_the_test_says(engine: Engine) -> None:
    """The searches the test relies on returned what it says (guards the premises)."""
    found = {q: engine.run(SearchRequest(q=q, host="jd")).found for q, _, _ in SEARCHES}
    assert found[WEATHER] == found[KNOWN] == found[GIBBERISH] == 0
    assert 1 < found[FOOD] <= int(FEW)
    assert engine.reader.read(KNOWN).needs
    assert not engine.reader.read(FOOD).needs


# 1, 4. ranking, need word, service words


def test_food_delivery_query_proposes_takeaway_first(few: ProposalReport) -> None:
    food = next(p for p in few.proposals if p.query == FOOD)
    assert food.categories[0].category.endswith("/外卖"), food
    assert food.score == food.categories[0].score
    assert [c.score for c in food.categories] == sorted(
        (c.score for c in food.categories), reverse=True
    )
    unrelated = ("汽车/", "工具/", "奢侈品/", "金融/", "政务/", "出行/")
    assert not any(c.category.startswith(unrelated) for c in food.categories)
    assert (food.searches, food.zero_results, food.hosts) == (4, 0, ["jd", "qqbrowser"])
    weather = next(p for p in few.proposals if p.query == WEATHER)
    assert weather.categories[0].category == "工具/天气"
    assert weather.zero_results == weather.searches == 2


def test_need_word_is_read_back_by_the_lexicon(
    few: ProposalReport, engine: Engine, tmp_path: Path
) -> None:
    food = next(p for p in few.proposals if p.query == FOOD)
    intent = engine.reader.read(FOOD)
    # the content words, as the search's reader keeps them, make the need word
    assert intent.content.kept == ("外卖", "骑手", "送饭")
    assert food.need_word == "外卖骑手送饭"
    # the proposed line, in a lexicon, is found in the query's tokens
    line = tmp_lexicon_entry(food.entry, tmp_path)
    gaps = engine.reader.content_filter.gaps(intent.tokens)
    assert [m.word for m in line.match(intent.tokens, gaps)] == [food.need_word]
    # service words are keywords of the proposed categories' listings
    assert food.service_words
    assert "外卖" in food.service_words
    assert food.line.startswith(f"{food.need_word} => {', '.join(food.service_words)} | ")
    assert "# score " in food.line and "4 searches, hosts jd qqbrowser" in food.line


def test_need_word_spans_fillers_the_lexicon_cannot_skip(engine: Engine) -> None:
    """送 / 个 / 外卖: 个 is a measure word the lexicon skips inside a need word (送外卖 is
    found); 到 in 送饭 / 到 / 宿舍 is not: the need word then keeps it."""
    cats = ["生活服务/外卖"]
    gap = engine.reader.read("送个外卖")
    assert gap.content.kept == ("送", "外卖")
    assert need_word(engine, gap, cats) == "送外卖"
    filler = engine.reader.read("送饭到宿舍")
    assert "到" not in filler.content.kept
    assert need_word(engine, filler, cats) == "送饭到宿舍"
    assert need_word(engine, engine.reader.read("龘龘"), cats) is None  # one character


def tmp_lexicon_entry(entry: str, folder: Path) -> NeedLexicon:
    """A lexicon of one needs.txt line, parsed by the dictionaries' own parser."""
    lexicon_dir = folder / "one-line"
    lexicon_dir.mkdir(exist_ok=True)
    (lexicon_dir / "needs.txt").write_text(entry + "\n", encoding="utf-8")
    return NeedLexicon.from_dictionaries(Dictionaries.load(lexicon_dir))


# 2, 3. skipped, below the score, candidates


def test_known_needs_skipped_and_counted(default: ProposalReport) -> None:
    rep = default
    assert rep.skipped_known == [KNOWN]
    assert KNOWN not in {p.query for p in rep.proposals}
    assert GIBBERISH in rep.below_min_score
    assert {p.query for p in rep.proposals} == {WEATHER}
    assert FOOD not in {p.query for p in rep.proposals}  # it had more than one result
    searches = sum(times for _, _, times in SEARCHES)
    assert rep.searches == searches  # the suggest call is not a search
    assert (rep.candidates, rep.considered) == (3, 3)
    assert rep.max_results == 1 and rep.index_version is not None


def test_table_says_what_was_skipped(env: Path) -> None:
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "1 skipped (the lexicon reads them as a need)" in result.stdout
    assert "工具/天气" in result.stdout
    assert WEATHER in result.stdout


# 5. --out


def test_out_writes_needs_lines_of_the_most_searched(
    env: Path, tmp_path: Path, dicts_dir: Path
) -> None:
    needs_before = (dicts_dir / "needs.txt").read_bytes()
    target = tmp_path / "proposals" / "needs.txt"
    target.parent.mkdir()
    result = invoke("--max-results", FEW, "--limit", "1", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert "1 considered" in result.stdout
    assert f"wrote 1 proposal(s) to {target}" in result.stdout
    text = target.read_text("utf-8")
    assert text.startswith("# Need-lexicon proposals")
    # --limit 1: FOOD only, the most searched (4 searches)
    lines = [ln for ln in text.splitlines() if ln and ln[0] != "#"]
    assert len(lines) == 1 and lines[0].startswith("外卖骑手送饭 => ")
    (entry,) = Dictionaries.load(target.parent).needs  # the real needs.txt parser
    assert entry.need_words == ("外卖骑手送饭",)
    assert entry.categories[0].endswith("/外卖")
    assert "外卖" in entry.service_words
    assert (dicts_dir / "needs.txt").read_bytes() == needs_before


# 6. errors and an empty log


def test_bad_since_names_the_option(env: Path) -> None:
    result = invoke("--since", "yesterday")
    assert result.exit_code == 2
    assert "--since" in result.stderr
    assert "'yesterday'" in result.stderr


def test_empty_log_is_not_an_error(
    tmp_path: Path, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPSEARCH_HOME", str(tmp_path / "empty-home"))
    get_settings.cache_clear()
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "no searches" in result.stdout
    assert "nothing to propose" in result.stdout
    rep = report()
    assert rep.proposals == [] and rep.searches == 0 and rep.index_version is None


def test_since_after_every_search_is_an_empty_log(env: Path) -> None:
    result = invoke("--since", "2999-01-01T00:00")
    assert result.exit_code == 0, result.output
    assert "nothing to propose" in result.stdout


# 7. defaults


def test_command_defaults_are_the_modules() -> None:
    params = inspect.signature(cli.lexicon_propose).parameters
    defaults = ProposalOptions()
    assert params["max_results"].default == defaults.max_results
    assert params["limit"].default == defaults.limit
    assert params["top"].default == defaults.top
    assert params["min_score"].default == defaults.min_score
