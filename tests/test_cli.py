"""Tests for search.cli (the `mpsearch` command) through typer's CliRunner.

Properties checked:
1. `index build` of the sample catalog exits 0, the summary shows the 624 listings read and
   indexed, and a complete version appears under $MPSEARCH_HOME/indexes.
2. `index list` shows the full version name (also on an 80-column console) and marks the
   published one current.
3. `index publish --latest` points `current` at the newest version; then `search LV --host jd`
   prints the brand-zone card 路易威登官方精品店 with its full appid.
4. `search 星巴克 --explain` prints one explanation line per card (appid, name, matched
   field/form, score parts); of several needs, one that is not the request is marked
   with its role (``(circumstance)``).
5. `index publish` with a bad name, or with neither a name nor --latest, exits 2 with an
   error message and leaves `current` unset.
6. A catalog with bad lines (invalid JSON, string monthly_active_users) still builds (exit 0)
   and reports `file:line field: reason` for each bad listing line on stderr; `--rejects F`
   writes them as JSON Lines; with `--strict` it exits 1 and builds no version. A missing
   catalog file, or a rejects path that cannot be written, exits 2 before building.
7. `search` with nothing published, or with an unknown host, exits 2 with a message.
8. `eval --golden GOLDEN --json` prints exactly one JSON object on stdout with keys
   overall / per_tag / must_not_violations / worst and the metric keys; its exit status is
   1 exactly when there are must_not violations; `eval --min-ndcg 1.01` exits 1; a missing
   golden file exits 2 with a message, not a traceback.
9. User text is never read as rich markup: `search '[/red]'` does not crash and shows the
   query as typed.
10. A takedown made through the API holds across a rebuild with default flags from an export
    that still lists it: the summary counts it as held back and the published rebuild does
    not find it; `--change-seq` past the log's last sequence exits 2 before building.
11. `golive apply|list|approve|reject|withdraw` run the go-live workflow on the change log:
    an application is pending, recorded as `cli:USER` or `--who`; approving it prints it
    approved; approving again exits 1 naming who decided; an unknown id or a listing not
    live in the host exits 2; `list --json` is one JSON object; a rebuild from the export
    (which does not list samsung) then serves the approved listing in samsung and not the
    withdrawn one in jd.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from conftest import GOLDEN, SAMPLE_BRANDS, SAMPLE_LISTINGS
from rich.console import Console
from typer.testing import CliRunner

from indexer.changelog import SqliteChangeLog
from indexer.settings import get_settings
from indexer.store import IndexStore
from search.cli import commands as cli

pytestmark = pytest.mark.slow  # the CLI end to end, a build per test

LV_OFFICIAL = "wxc2c943090d2ec70a"
METRIC_KEYS = {"ndcg@10", "mrr@10", "p@1", "recall@10", "queries"}


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings are cached per process: clear them around every test."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture()
def runner() -> CliRunner:
    # click >= 8.2 keeps stderr apart: result.stdout, result.stderr (result.output mixes both)
    return CliRunner()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty MPSEARCH_HOME."""
    path = tmp_path / "home"
    monkeypatch.setenv("MPSEARCH_HOME", str(path))
    return path


def plain_console(width: int, stderr: bool = False) -> Console:
    return Console(stderr=stderr, width=width, color_system=None, force_terminal=False)


@pytest.fixture(autouse=True)
def consoles(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain consoles of a known width (the test terminal's width and colors are unknown)."""
    monkeypatch.setattr(cli, "out", plain_console(120))
    monkeypatch.setattr(cli, "err", plain_console(120, stderr=True))


def console_width(monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    monkeypatch.setattr(cli, "out", plain_console(width))


def table_column(stdout: str, index: int) -> list[str]:
    """The cells of one column of the (only) table, rows folded over lines joined."""
    cells: list[str] = []
    for line in stdout.splitlines():
        parts = line.split("│")
        if len(parts) < 3:
            continue
        if parts[1].strip():  # the first column is filled on the first line of a row
            cells.append("")
        cells[-1] += parts[index].strip()
    return cells


def invoke(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli.app, [str(a) for a in args])


def build(runner: CliRunner, *extra: str) -> Result:
    return invoke(
        runner, "index", "build", "--listings", SAMPLE_LISTINGS, "--brands", SAMPLE_BRANDS, *extra
    )


# 1-3. build, list, publish, search


def test_build_shows_summary(runner: CliRunner, home: Path) -> None:
    result = build(runner)
    assert result.exit_code == 0, result.output
    listings_row = next(line for line in result.stdout.splitlines() if "listings" in line)
    assert [c.strip() for c in listings_row.split("│")[1:5]] == ["listings", "624", "624", "0"]
    assert "by status: offline 46, online 561, suspended 17" in result.stdout
    versions = IndexStore(home).versions()
    assert len(versions) == 1
    assert f"built version {versions[0]}" in result.stdout
    assert IndexStore(home).current() is None


def test_list_publish_search(
    runner: CliRunner, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build(runner).exit_code == 0
    (version,) = IndexStore(home).versions()

    console_width(monkeypatch, 80)
    listed = invoke(runner, "index", "list")
    assert listed.exit_code == 0, listed.output
    assert version in listed.stdout
    assert "current" not in listed.stdout

    published = invoke(runner, "index", "publish", "--latest")
    assert published.exit_code == 0, published.output
    assert f"published {version}" in published.stdout
    assert IndexStore(home).current() == version
    relisted = invoke(runner, "index", "list")
    row = next(line for line in relisted.stdout.splitlines() if version in line)
    assert "current" in row

    # appids are folded, never cut, on a narrow console
    narrow = invoke(runner, "search", "LV", "--host", "jd")
    assert narrow.exit_code == 0, narrow.output
    appids = table_column(narrow.stdout, 2)
    assert appids[0] == LV_OFFICIAL
    assert len(appids) >= 2
    assert all("…" not in a for a in appids)
    assert table_column(narrow.stdout, 3)[0] == "路易威登官方精品店"

    console_width(monkeypatch, 200)
    found = invoke(runner, "search", "LV", "--host", "jd")
    assert found.exit_code == 0, found.output
    assert "路易威登官方精品店" in found.stdout
    zone_row = next(line for line in found.stdout.splitlines() if "zone" in line)
    assert LV_OFFICIAL in zone_row
    assert "路易威登官方精品店" in zone_row
    assert f"index {version}" in found.stdout
    assert "'LV' on jd" in found.stdout


def test_search_explain(runner: CliRunner, home_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    console_width(monkeypatch, 200)
    result = invoke(runner, "search", "星巴克", "--explain")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "星巴克→" in line]
    assert lines, result.stdout
    first = lines[0]
    assert first.startswith("wx9426f5912f0aad45 星巴克: 星巴克→name/original | ")
    assert "text=" in first
    assert "popularity=" in first
    # one explanation line per card shown in the table
    table_rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    assert len(lines) == len(table_rows)


def test_search_explain_marks_a_need_s_role(
    runner: CliRunner, home_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console_width(monkeypatch, 200)
    result = invoke(runner, "search", "演唱会散场了叫个车", "--explain")
    assert result.exit_code == 0, result.output
    (needs,) = [line for line in result.stdout.splitlines() if line.startswith("needs: ")]
    assert needs.startswith("needs: 演唱会 (circumstance) → ")
    assert ", 叫个车 → " in needs


# 5. publish errors


def test_publish_bad_name(runner: CliRunner, home: Path) -> None:
    assert build(runner).exit_code == 0
    result = invoke(runner, "index", "publish", "not-a-version")
    assert result.exit_code == 2
    assert "error:" in result.stderr
    assert "'not-a-version' is not a version name" in result.stderr
    assert IndexStore(home).current() is None


def test_publish_missing_version(runner: CliRunner, home: Path) -> None:
    assert build(runner).exit_code == 0
    version = IndexStore(home).versions()[0]
    missing = version[:-6] + ("000000" if version[-6:] != "000000" else "111111")
    result = invoke(runner, "index", "publish", missing)
    assert result.exit_code == 2
    assert missing in result.stderr
    assert IndexStore(home).current() is None


def test_publish_needs_exactly_one(runner: CliRunner, home: Path) -> None:
    result = invoke(runner, "index", "publish")
    assert result.exit_code == 2
    assert "exactly one of VERSION or --latest" in result.stderr


# 6. rejects


@pytest.fixture()
def bad_listings(tmp_path: Path) -> Path:
    """The first 20 sample listings, an invalid JSON line (21), a string MAU (22)."""
    lines = SAMPLE_LISTINGS.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[20])
    row["monthly_active_users"] = "12000"
    path = tmp_path / "listings.jsonl"
    body = [*lines[:20], '{"appid": "wx1", "name": ', json.dumps(row, ensure_ascii=False)]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def build_bad(runner: CliRunner, listings: Path, *extra: str) -> Result:
    args = ("index", "build", "--listings", listings, "--brands", SAMPLE_BRANDS, *extra)
    return invoke(runner, *args)


def test_bad_lines_are_reported(runner: CliRunner, home: Path, bad_listings: Path) -> None:
    result = build_bad(runner, bad_listings)
    assert result.exit_code == 0, result.output
    err_lines = result.stderr.splitlines()
    listing_rejects = [line for line in err_lines if line.startswith(f"{bad_listings}:")]
    assert listing_rejects == [
        f"{bad_listings}:21 (line): invalid JSON: unexpected end of data (column 26)",
        f'{bad_listings}:22 monthly_active_users: Input should be a valid integer, got "12000"',
    ]
    listings_row = next(line for line in result.stdout.splitlines() if "listings" in line)
    assert [c.strip() for c in listings_row.split("│")[1:5]] == ["listings", "22", "20", "2"]
    (version,) = IndexStore(home).versions()
    assert IndexStore(home).manifest(version).counts["listings_indexed"] == 20


def test_rejects_file(runner: CliRunner, home: Path, bad_listings: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = build_bad(runner, bad_listings, "--rejects", out)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    listing_rows = [r for r in rows if r["file"] == str(bad_listings)]
    assert listing_rows == [
        {
            "file": str(bad_listings),
            "line": 21,
            "field": "(line)",
            "reason": "invalid JSON: unexpected end of data (column 26)",
        },
        {
            "file": str(bad_listings),
            "line": 22,
            "field": "monthly_active_users",
            "reason": 'Input should be a valid integer, got "12000"',
        },
    ]
    # every reject printed on stderr is in the file, and nothing else
    printed = [line for line in result.stderr.splitlines() if line.startswith("/")]
    assert printed == [f"{r['file']}:{r['line']} {r['field']}: {r['reason']}" for r in rows]
    # brands whose official listings are missing are rejected too, from the brands file
    assert {r["file"] for r in rows} == {str(bad_listings), str(SAMPLE_BRANDS)}


def test_strict_builds_nothing(runner: CliRunner, home: Path, bad_listings: Path) -> None:
    result = build_bad(runner, bad_listings, "--strict")
    assert result.exit_code == 1
    assert f"{bad_listings}:22 monthly_active_users:" in result.stderr
    assert "--strict is set: no version built" in result.stderr
    assert IndexStore(home).versions() == []
    assert "built version" not in result.stdout


def test_unwritable_rejects_file_fails_before_building(
    runner: CliRunner, home: Path, bad_listings: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-dir" / "out.jsonl"
    result = build_bad(runner, bad_listings, "--rejects", target)
    assert result.exit_code == 2
    assert f"cannot write the rejects report {target}" in result.stderr
    assert IndexStore(home).versions() == []


def test_missing_catalog_file(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    result = build_bad(runner, missing)
    assert result.exit_code == 2
    assert f"{missing}: catalog file not found" in result.stderr
    assert IndexStore(home).versions() == []


def test_strict_clean_catalog_builds(runner: CliRunner, home: Path) -> None:
    result = build(runner, "--strict")
    assert result.exit_code == 0, result.output
    assert len(IndexStore(home).versions()) == 1


# 7. search errors


def test_search_without_published_index(runner: CliRunner, home: Path) -> None:
    result = invoke(runner, "search", "LV")
    assert result.exit_code == 2
    assert "no index is published" in result.stderr
    assert "mpsearch index publish --latest" in result.stderr


def test_search_unknown_host(runner: CliRunner, home_env: Path) -> None:
    result = invoke(runner, "search", "LV", "--host", "wechat")
    assert result.exit_code == 2
    assert "unknown host 'wechat'" in result.stderr
    assert result.stdout == ""


# 8. eval


def test_eval_json(runner: CliRunner, home_env: Path) -> None:
    result = invoke(runner, "eval", "--golden", GOLDEN, "--json")
    assert result.exit_code in (0, 1), result.output
    assert result.stdout.count("\n") == 1
    report = json.loads(result.stdout)
    assert set(report) == {"overall", "per_tag", "must_not_violations", "worst"}
    assert set(report["overall"]) == METRIC_KEYS
    n_golden = sum(1 for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip())
    assert report["overall"]["queries"] == n_golden
    for metric in METRIC_KEYS - {"queries"}:
        assert 0.0 <= report["overall"][metric] <= 1.0
    assert report["per_tag"]
    for tag, metrics in report["per_tag"].items():
        assert set(metrics) == METRIC_KEYS, tag
        assert 1 <= metrics["queries"] <= n_golden
    assert isinstance(report["must_not_violations"], int)
    assert isinstance(report["worst"], list)
    # without --min-ndcg, the only failure is a must_not violation
    assert result.exit_code == (1 if report["must_not_violations"] else 0)


def test_eval_under_threshold_fails(runner: CliRunner, home_env: Path) -> None:
    result = invoke(runner, "eval", "--golden", GOLDEN, "--min-ndcg", "1.01")
    assert result.exit_code == 1
    assert "< 1.0100" in result.stderr
    assert "nDCG@10" in result.stderr


def test_eval_missing_golden(runner: CliRunner, home_env: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    result = invoke(runner, "eval", "--golden", missing, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"error: cannot read {missing}: No such file or directory" in result.stderr


# 9. markup


def test_query_is_not_markup(
    runner: CliRunner, home_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console_width(monkeypatch, 200)
    result = invoke(runner, "search", "[/red]")
    assert result.exit_code == 0, result.output
    assert "'[/red]' on jd" in result.stdout
    bold = invoke(runner, "search", "[bold]LV")
    assert bold.exit_code == 0, bold.output
    assert "'[bold]LV' on jd" in bold.stdout


# 10. takedowns hold across rebuilds


def test_rebuild_keeps_a_takedown(runner: CliRunner, home: Path) -> None:
    assert build(runner).exit_code == 0
    assert invoke(runner, "index", "publish", "--latest").exit_code == 0
    assert LV_OFFICIAL in invoke(runner, "search", "LV", "--host", "jd").stdout
    log = SqliteChangeLog.in_home(home)
    log.append("listing_delete", LV_OFFICIAL, None)  # what DELETE /v1/admin/listings does
    log.close()
    rebuilt = build(runner)
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "held back by decisions made through the API: 1" in rebuilt.stdout
    assert invoke(runner, "index", "publish", "--latest").exit_code == 0
    found = invoke(runner, "search", "LV", "--host", "jd")
    assert found.exit_code == 0 and LV_OFFICIAL not in found.stdout
    too_far = build(runner, "--change-seq", "2")
    assert too_far.exit_code == 2
    assert "past the change log's last sequence 1" in too_far.stderr


# 11. go live per host from the command line

STARBUCKS = "wx9426f5912f0aad45"  # online in jd and qqbrowser, not samsung


def test_golive_commands(runner: CliRunner, home: Path) -> None:
    assert build(runner).exit_code == 0
    assert invoke(runner, "index", "publish", "--latest").exit_code == 0
    applied = invoke(runner, "golive", "apply", STARBUCKS, "samsung", "--note", "launcher")
    assert applied.exit_code == 0, applied.output
    assert table_column(applied.stdout, 4) == ["pending"]
    assert table_column(applied.stdout, 6)[0].startswith("cli:")
    twice = invoke(runner, "golive", "apply", STARBUCKS, "samsung")
    assert twice.exit_code == 1 and "application 1 pending in samsung" in twice.stderr
    approved = invoke(runner, "golive", "approve", "1", "--who", "ops-alice")
    assert approved.exit_code == 0, approved.output
    assert table_column(approved.stdout, 4) == ["approved"]
    again = invoke(runner, "golive", "reject", "1", "--reason", "late")
    assert again.exit_code == 1 and "already approved by ops-alice" in again.stderr
    assert invoke(runner, "golive", "approve", "7").exit_code == 2
    listed = invoke(runner, "golive", "list", "--json", "--status", "approved")
    assert listed.exit_code == 0
    (app,) = json.loads(listed.stdout)["applications"]
    assert (app["id"], app["host"], app["decided_by"], app["note"]) == (
        1,
        "samsung",
        "ops-alice",
        "launcher",
    )
    withdrawn = invoke(runner, "golive", "withdraw", STARBUCKS, "jd", "--reason", "complaints")
    assert withdrawn.exit_code == 0 and f"withdrew {STARBUCKS} from jd" in withdrawn.stdout
    not_live = invoke(runner, "golive", "withdraw", STARBUCKS, "jd")  # withdrawn already
    assert not_live.exit_code == 2 and "not live in jd" in not_live.stderr
    assert invoke(runner, "golive", "list", "--status", "done").exit_code == 2
    assert build(runner).exit_code == 0  # the export lists jd and qqbrowser only
    assert invoke(runner, "index", "publish", "--latest").exit_code == 0
    assert STARBUCKS in invoke(runner, "search", "星巴克", "--host", "samsung").stdout
    assert STARBUCKS not in invoke(runner, "search", "星巴克", "--host", "jd").stdout
