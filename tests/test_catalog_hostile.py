"""Hostile catalog files: every defect is a named reject or a clear fatal error, and the valid
lines around it are still indexed.

The corpus in ``tests/data/bad/`` is the 10-line base catalog with one kind of defect each
(see test_catalog.py for the base and the first 20 files); this module adds:

==========================  ==============================================================
gbk_line.jsonl              line 5 encoded in GBK inside a UTF-8 file
latin1_line.jsonl           line 3 encoded in Latin-1 ("Café")
nul_byte.jsonl              a raw NUL byte inside a JSON string (line 6)
null_line.jsonl             a line that is just ``null`` (line 3)
null_fields.jsonl           null platform, official, category, hosts and status (line 7)
wrong_types.jsonl           "true" for a bool, "4.5" for a rating, a string for a list,
                            1.0 and 1e29 for an integer, an object for a list (lines 2-7)
deep_nesting.jsonl          a value nested 2000 levels deep (line 4)
cr_only.jsonl               lines 3 and 4 separated by a lone CR (old Mac line end)
lone_surrogate.jsonl        an escaped lone surrogate ``\\ud800`` in a string (line 9)
key_case.jsonl              an extra ``Name`` key next to ``name`` (line 10)
truncated_multibyte.jsonl   the file ends inside a multi-byte character
utf16.jsonl                 the whole file in UTF-16 with a byte order mark (fatal)
==========================  ==============================================================

Generated at test time (too large to keep in the repository): a 10 MB single line in the
middle of a file, a 10 MB file without any newline, and a gzip-compressed catalog (fatal).

Properties checked:
1. Each file gives exactly the expected listing rejects (file, line, field, reason) and every
   other base listing is accepted.
2. Whole-file encodings that make every line unreadable (UTF-16, gzip) raise CatalogError
   naming the file and what to do; the CLI reports it (exit 2) and builds nothing.
3. A brands file with a GBK line, a ``null`` line and a 10 MB line rejects those three lines
   and keeps all four brands.
4. An end-to-end build of one catalog that mixes every defect with the base listings and with
   valid but hostile listings (escaped NUL, bidi overrides, zero-width characters, emoji,
   combining marks, a 900 KB description) succeeds: every good listing is in the real tantivy
   index, the hostile-but-valid ones are findable by name, and every bad line is a reject.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from conftest import DATA
from typer.testing import CliRunner

from indexer.build import build_index
from indexer.catalog import MAX_LINE_BYTES, Reject, ingest_catalog, iter_jsonl, read_brands
from indexer.catalog import IngestReport as Report
from indexer.dictionaries import Dictionaries
from indexer.errors import CatalogError
from indexer.models import Listing
from indexer.settings import get_settings
from indexer.store import IndexStore
from search.cli import commands as cli
from search.engine import Engine, SearchRequest

pytestmark = pytest.mark.slow  # a hostile catalog corpus through real builds

BAD = DATA / "bad"
BASE_LISTINGS = BAD / "_base_listings.jsonl"
BASE_BRANDS = BAD / "_base_brands.jsonl"
BASE_LINES = BASE_LISTINGS.read_bytes().splitlines()
BASE_OBJECTS = [orjson.loads(line) for line in BASE_LINES]
BASE_APPIDS = [o["appid"] for o in BASE_OBJECTS]
TEN_MB = 10 * 1024 * 1024


def ingest(listings: Path, brands: Path = BASE_BRANDS) -> tuple[list[str], Report]:
    accepted: list[Listing] = []
    _, report = ingest_catalog(brands, listings, accepted.append)
    return [listing.appid for listing in accepted], report


def listing_rejects(report: Report, path: Path) -> list[tuple[int, str, str]]:
    return [(r.line, r.field, r.reason) for r in report.rejects if r.file == str(path)]


def base_without(*lines: int) -> list[str]:
    """Base appids but those on the given 1-based base lines."""
    return [a for i, a in enumerate(BASE_APPIDS, start=1) if i not in lines]


# ------------------------------------------------------------------ 1 one file per defect


CASES: list[tuple[str, list[tuple[int, str, str]], list[int]]] = [
    ("gbk_line.jsonl", [(5, "(line)", "invalid UTF-8 at byte")], [5]),
    ("latin1_line.jsonl", [(3, "(line)", "invalid UTF-8 at byte")], [3]),
    ("nul_byte.jsonl", [(6, "(line)", "invalid JSON: unexpected control character")], [6]),
    ("null_line.jsonl", [(3, "(line)", "expected a JSON object, got null")], []),
    (
        "null_fields.jsonl",
        [
            (7, "platform", "got null"),
            (7, "official", "valid boolean, got null"),
            (7, "category", "valid tuple, got null"),
            (7, "hosts", "valid tuple, got null"),
            (7, "status", "got null"),
        ],
        [7],
    ),
    (
        "wrong_types.jsonl",
        [
            (2, "official", 'valid boolean, got "true"'),
            (3, "rating", 'valid number, got "4.5"'),
            (4, "category", 'valid tuple, got "奢侈品"'),
            (5, "monthly_active_users", "valid integer, got 1.0"),
            (6, "showcase", "valid tuple"),
            (7, "monthly_active_users", "valid integer, got 1e+29"),
        ],
        [2, 3, 4, 5, 6, 7],
    ),
    ("deep_nesting.jsonl", [(4, "(line)", "invalid JSON: depth limit exceeded")], [4]),
    ("cr_only.jsonl", [(3, "(line)", "invalid JSON: unexpected content after document")], [3, 4]),
    ("lone_surrogate.jsonl", [(9, "(line)", "invalid JSON: no low surrogate")], [9]),
    ("key_case.jsonl", [(10, "Name", "Extra inputs are not permitted")], [10]),
    ("truncated_multibyte.jsonl", [(10, "(line)", "invalid UTF-8 at byte 163")], [10]),
]


@pytest.mark.parametrize(("name", "expected", "lost"), CASES, ids=[c[0] for c in CASES])
def test_defect_is_a_named_reject(
    name: str, expected: list[tuple[int, str, str]], lost: list[int]
) -> None:
    path = BAD / name
    appids, report = ingest(path)
    got = listing_rejects(report, path)
    assert [(line, field) for line, field, _ in got] == [(ln, f) for ln, f, _ in expected]
    for (_, _, reason), (_, _, want) in zip(got, expected, strict=True):
        assert want in reason
    assert report.listings_rejected == len({line for line, _, _ in expected})
    assert appids == base_without(*lost)
    assert report.listings_ok == len(appids)


def test_null_line_shifts_nothing_else() -> None:
    """The ``null`` line counts as read and rejected; line numbers after it are the file's."""
    items = list(iter_jsonl(BAD / "null_line.jsonl"))
    assert [n for n, _ in items] == list(range(1, 12))
    assert isinstance(items[2][1], Reject)


# ------------------------------------------------------------------ 10 MB lines


def test_ten_megabyte_line_between_good_lines(tmp_path: Path) -> None:
    path = tmp_path / "listings.jsonl"
    with path.open("wb") as fh:
        for line in BASE_LINES[:5]:
            fh.write(line + b"\n")
        fh.write(b'{"appid": "' + b"x" * (TEN_MB - 13) + b'"}\n')
        for line in BASE_LINES[5:]:
            fh.write(line + b"\r\n")
    appids, report = ingest(path)
    assert listing_rejects(report, path) == [
        (6, "(line)", f"line too long ({TEN_MB} bytes, max {MAX_LINE_BYTES})")
    ]
    assert appids == BASE_APPIDS


def test_ten_megabyte_file_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "listings.jsonl"
    path.write_bytes(b"[" + b"1," * (TEN_MB // 2) + b"1]")
    appids, report = ingest(path)
    assert appids == []
    assert listing_rejects(report, path) == [
        (1, "(line)", f"line too long ({TEN_MB + 3} bytes, max {MAX_LINE_BYTES})")
    ]


# ------------------------------------------------------------------ 2 fatal encodings


@pytest.fixture()
def gzip_catalog(tmp_path: Path) -> Path:
    path = tmp_path / "listings.jsonl"
    path.write_bytes(gzip.compress(BASE_LISTINGS.read_bytes()))
    return path


def test_utf16_file_is_fatal() -> None:
    path = BAD / "utf16.jsonl"
    assert path.read_bytes()[:2] == b"\xff\xfe"
    with pytest.raises(CatalogError, match=r"utf16\.jsonl: is UTF-16.*save it as UTF-8"):
        ingest(path)


def test_gzip_file_is_fatal(gzip_catalog: Path) -> None:
    with pytest.raises(CatalogError, match="is gzip-compressed; decompress it first"):
        ingest(gzip_catalog)


@pytest.mark.parametrize("which", ["utf16", "gzip"])
def test_fatal_file_through_the_cli(
    which: str, gzip_catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("MPSEARCH_HOME", str(home))
    get_settings.cache_clear()
    listings = BAD / "utf16.jsonl" if which == "utf16" else gzip_catalog
    try:
        result = CliRunner().invoke(
            cli.app,
            ["index", "build", "--listings", str(listings), "--brands", str(BASE_BRANDS)],
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "error:" in result.stderr
    assert ("UTF-16" if which == "utf16" else "gzip") in result.stderr
    assert "Traceback" not in result.output
    assert IndexStore(home).versions() == []


# ------------------------------------------------------------------ 3 brands


def test_hostile_brands_file(tmp_path: Path) -> None:
    lines = BASE_BRANDS.read_bytes().splitlines()
    gbk = orjson.loads(lines[0])
    gbk["brand_id"] = "gbk-brand"
    path = tmp_path / "brands.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + lines[0]
        + b"\r\nnull\r\n"
        + orjson.dumps(gbk).decode().encode("gbk")
        + b"\n"
        + b'{"pad": "' + b"y" * TEN_MB + b'"}\n'
        + b"\n".join(lines[1:])
    )  # fmt: skip
    report = Report()
    brands = read_brands(path, report)
    assert sorted(brands) == sorted(o["brand_id"] for o in map(orjson.loads, lines))
    assert [(r.line, r.field) for r in report.rejects] == [
        (2, "(line)"),
        (3, "(line)"),
        (4, "(line)"),
    ]
    assert "got null" in report.rejects[0].reason
    assert "invalid UTF-8" in report.rejects[1].reason
    assert "line too long" in report.rejects[2].reason


# ------------------------------------------------------------------ 4 one build with everything


HOSTILE_NAME = "哈哈零宽测试\x00\u200b\u202e😀\u0301"


def hostile_but_valid() -> list[bytes]:
    """Valid listings whose text is hostile: they must be indexed and findable."""
    template = BASE_OBJECTS[7]  # no brand, online in every host
    texts = [
        HOSTILE_NAME,
        "מבחן עברית RTL שלום",
        "\x07\x1b[31m控制字符\x7f",
        "e\u0301\u0301\u0301组合符号",
    ]
    out = []
    for i, name in enumerate(texts):
        listing = {
            **template,
            "appid": f"wx{i:016x}",
            "name": name,
            "showcase": [],
            "keywords": [name[:20]],
            "description": "长描述" * (100_000 if i == 0 else 1),
        }
        out.append(orjson.dumps(listing))
    return out


def test_build_with_every_defect(tmp_path: Path, dicts: Dictionaries) -> None:
    bad_files = [BAD / name for name, _, _ in CASES]
    bad_lines = []
    for path in bad_files:  # the defective line of each file, by its listed line number
        data = path.read_bytes()
        for line, _, _ in CASES[bad_files.index(path)][1][:1]:
            bad_lines.append(data.split(b"\n")[line - 1])
    good = hostile_but_valid()
    listings = tmp_path / "listings.jsonl"
    with listings.open("wb") as fh:
        # Good lines first: a rejected line that names an appid claims it (see
        # test_catalog.test_duplicate_of_a_rejected_line_is_still_a_duplicate).
        fh.write(b"\xef\xbb\xbf")
        for i, line in enumerate(BASE_LINES):
            fh.write(line + (b"\r\n" if i % 2 else b"\n"))
        fh.write(good[0] + b"\n")
        for line in bad_lines[:5]:
            fh.write(line + b"\n")
        fh.write(b'{"appid": "' + b"z" * TEN_MB + b'"}\n')
        for line in good[1:]:
            fh.write(line + b"\r\n")
        for line in bad_lines[5:]:
            fh.write(line + b"\n")
    store = IndexStore(tmp_path / "home")
    result = build_index(store, listings, BASE_BRANDS, dicts)
    assert result.version is not None
    report = result.report
    # every defective line and the 10 MB line are rejects, nothing else is
    rejected_lines = sorted({r.line for r in report.rejects if r.file == str(listings)})
    first_bad = len(BASE_LINES) + 2
    assert rejected_lines == [
        *range(first_bad, first_bad + 6),
        *range(first_bad + 6 + len(good) - 1, first_bad + 6 + len(good) - 1 + len(bad_lines) - 5),
    ]
    assert report.listings_ok == len(BASE_APPIDS) + len(good)
    assert report.brands_ok == 4

    engine = Engine.open(store, result.version, dicts)
    assert engine.num_docs == len(BASE_APPIDS) + len(good)
    for appid in BASE_APPIDS:
        assert engine.listing(appid)["appid"] == appid
    hostile = engine.search(SearchRequest(q="零宽测试", host="jd"))
    assert "wx0000000000000000" in [c.appid for c in hostile.results]
    rtl = engine.search(SearchRequest(q="שלום", host="jd"))
    assert "wx0000000000000001" in [c.appid for c in rtl.results]
    assert engine.listing("wx0000000000000000")["name"] == HOSTILE_NAME
