"""Unit tests for indexer.catalog: streaming ingest, rejects and cross-file checks.

``tests/data/bad/_base_listings.jsonl`` holds 10 real sample listings (official
listings of louis-vuitton, apple, samsung and hellobike, a null-brand reseller,
an apple dealer and an offline listing with no hosts) and
``_base_brands.jsonl`` the 4 matching brands; together they ingest cleanly.
Every other file there is that base with one defect, and each test checks the
exact rejects (file, line, field) and that every other line was accepted.
"""

from pathlib import Path

import orjson
import pytest

from indexer.catalog import (
    MAX_LINE_BYTES,
    BrandTable,
    IngestReport,
    Reject,
    SeenListing,
    check_brands,
    ingest_catalog,
    iter_jsonl,
    iter_listings,
    read_brands,
)
from indexer.models import Listing

DATA = Path(__file__).parent / "data"
CATALOG = DATA / "catalog"
BAD = DATA / "bad"
BASE_LISTINGS = BAD / "_base_listings.jsonl"
BASE_BRANDS = BAD / "_base_brands.jsonl"
BASE_LINES = BASE_LISTINGS.read_bytes().splitlines()
BASE_APPIDS = [orjson.loads(line)["appid"] for line in BASE_LINES]
BRAND_IDS = ["louis-vuitton", "apple", "samsung", "hellobike"]


class Run:
    """Result of a full ingest: accepted listings, surviving brands, report."""

    def __init__(self, listings: Path, brands: Path = BASE_BRANDS) -> None:
        self.listings: list[Listing] = []
        self.brands, self.report = ingest_catalog(brands, listings, self.listings.append)

    @property
    def appids(self) -> list[str]:
        return [listing.appid for listing in self.listings]

    @property
    def where(self) -> list[tuple[str, int, str]]:
        return [(r.file, r.line, r.field) for r in self.report.rejects]

    @property
    def reasons(self) -> list[str]:
        return [r.reason for r in self.report.rejects]


def _without(*lines: int) -> list[str]:
    """Base appids except those on the given 1-based lines."""
    return [a for i, a in enumerate(BASE_APPIDS, start=1) if i not in lines]


def _assert_one_listing_reject(run: Run, file: Path, line: int, field: str) -> None:
    assert run.where == [(str(file), line, field)]
    assert run.report.listings_rejected == 1
    assert run.report.listings_ok == run.report.listings_read - 1
    assert run.report.brands_ok == 4
    assert sorted(run.brands) == sorted(BRAND_IDS)


def _write(tmp_path: Path, lines: list[bytes], end: bytes = b"\n") -> Path:
    path = tmp_path / "listings.jsonl"
    path.write_bytes(b"".join(line + end for line in lines))
    return path


# ------------------------------------------------------------------ real sample catalog


def test_sample_catalog_ingests_cleanly() -> None:
    run = Run(CATALOG / "listings.jsonl", CATALOG / "brands.jsonl")
    report = run.report
    assert report.rejects == []
    assert report.rejected == 0
    assert (report.listings_read, report.listings_ok, report.listings_rejected) == (624, 624, 0)
    assert (report.brands_read, report.brands_ok, report.brands_rejected) == (159, 159, 0)
    assert report.by_status == {"online": 561, "offline": 46, "suspended": 17}
    assert report.by_platform == {"wechat": 551, "alipay": 52, "baidu": 21}
    assert len(run.listings) == len(set(run.appids)) == 624
    assert len(run.brands) == 159
    assert run.brands["louis-vuitton"].official_appids == (
        "wxc2c943090d2ec70a",
        "wxb6979e465ca80716",
    )
    assert run.brands.lines["louis-vuitton"] == 1


def test_base_files_ingest_cleanly() -> None:
    run = Run(BASE_LISTINGS)
    assert run.report.rejects == []
    assert run.appids == BASE_APPIDS
    assert sorted(run.brands) == sorted(BRAND_IDS)
    assert run.report.by_status == {"online": 9, "offline": 1}
    assert run.report.by_platform == {"wechat": 7, "alipay": 2, "baidu": 1}


# ------------------------------------------------------------------ bad listing files


@pytest.mark.parametrize(
    ("name", "line", "field", "reason"),
    [
        ("invalid_json.jsonl", 8, "(line)", "invalid JSON: unexpected character"),
        ("missing_field.jsonl", 8, "description", "Field required"),
        ("wrong_type_mau.jsonl", 8, "monthly_active_users", 'valid integer, got "588868"'),
        ("null_name.jsonl", 9, "name", "valid string, got null"),
        ("unknown_field.jsonl", 8, "score", "Extra inputs are not permitted"),
        ("unknown_brand.jsonl", 9, "brand_id", "unknown brand_id 'no-such-brand'"),
        ("official_not_listed.jsonl", 8, "official", "not in official_appids of brand"),
        ("online_empty_hosts.jsonl", 9, "hosts", "must not be empty when status is online"),
        ("truncated_last_line.jsonl", 10, "(line)", "invalid JSON: unexpected end of data"),
        ("invalid_utf8.jsonl", 8, "(line)", "invalid UTF-8 at byte 77"),
    ],
)
def test_one_bad_line(name: str, line: int, field: str, reason: str) -> None:
    run = Run(BAD / name)
    _assert_one_listing_reject(run, BAD / name, line, field)
    assert reason in run.reasons[0]
    assert run.appids == _without(line)
    assert run.report.listings_read == 10


def test_duplicate_appid() -> None:
    run = Run(BAD / "duplicate_appid.jsonl")
    _assert_one_listing_reject(run, BAD / "duplicate_appid.jsonl", 11, "appid")
    assert run.reasons == ["duplicate appid, first seen on line 8"]
    assert run.appids == BASE_APPIDS
    assert run.listings[7].name == "LV二手奢品回收"  # the first one wins


def test_bad_appid_format() -> None:
    path = BAD / "bad_appid.jsonl"
    run = Run(path)
    assert run.where == [(str(path), 8, "appid"), (str(path), 9, "appid")]
    assert "not a valid wechat appid" in run.reasons[0]
    assert "not a valid alipay appid" in run.reasons[1]
    assert run.appids == _without(8, 9)
    assert run.report.listings_rejected == 2


def test_not_an_object() -> None:
    path = BAD / "not_object.jsonl"
    run = Run(path)
    _assert_one_listing_reject(run, path, 6, "(line)")
    assert run.reasons == ["expected a JSON object, got array"]
    assert run.appids == BASE_APPIDS
    assert run.report.listings_read == 11


def test_utf8_bom_is_stripped() -> None:
    assert (BAD / "bom.jsonl").read_bytes().startswith(b"\xef\xbb\xbf")
    run = Run(BAD / "bom.jsonl")
    assert run.report.rejects == []
    assert run.appids == BASE_APPIDS


def test_crlf_line_endings() -> None:
    assert (BAD / "crlf.jsonl").read_bytes().count(b"\r\n") == 10
    run = Run(BAD / "crlf.jsonl")
    assert run.report.rejects == []
    assert run.appids == BASE_APPIDS
    assert run.listings[0].updated_at.isoformat() == "2025-05-04T10:50:42+08:00"


def test_blank_line_in_middle_is_rejected_and_empty_last_line_skipped() -> None:
    path = BAD / "blank_line.jsonl"
    assert path.read_bytes().endswith(b"}\n\n")
    run = Run(path)
    _assert_one_listing_reject(run, path, 4, "(line)")
    assert run.reasons == ["blank line"]
    assert run.appids == BASE_APPIDS
    assert run.report.listings_read == 11  # the empty last line is not a record


def test_duplicate_keys_keep_the_last_value() -> None:
    """orjson keeps the last of duplicate keys; ingest neither crashes nor rejects."""
    path = BAD / "duplicate_keys.jsonl"
    assert path.read_text("utf-8").count('"monthly_active_users"') == 11
    run = Run(path)
    assert run.report.rejects == []
    assert run.appids == BASE_APPIDS
    assert run.listings[7].monthly_active_users == 588868  # not the first value, "oops"


# ------------------------------------------------------------------ bad brand files


def test_duplicate_brand_id() -> None:
    path = BAD / "brands_duplicate_id.jsonl"
    run = Run(BASE_LISTINGS, path)
    assert run.where == [(str(path), 5, "brand_id")]
    assert run.reasons == ["duplicate brand_id, first seen on line 2"]
    assert (run.report.brands_read, run.report.brands_ok, run.report.brands_rejected) == (5, 4, 1)
    assert sorted(run.brands) == sorted(BRAND_IDS)
    assert run.brands.lines["apple"] == 2
    assert run.appids == BASE_APPIDS


def test_brand_with_unknown_official_appid() -> None:
    path = BAD / "brands_unknown_official.jsonl"
    run = Run(BASE_LISTINGS, path)
    assert run.where == [(str(path), 4, "official_appids.1")]
    assert run.reasons == ["unknown appid 2021000000000000"]
    assert (run.report.brands_read, run.report.brands_ok, run.report.brands_rejected) == (4, 3, 1)
    assert sorted(run.brands) == ["apple", "louis-vuitton", "samsung"]
    # listings were streamed before the brand check: the official listing stays
    assert run.appids == BASE_APPIDS


def test_brand_pointing_at_a_dealer_listing() -> None:
    """apple's second official appid replaced by its dealer's (base line 9)."""
    path = BAD / "brands_not_official.jsonl"
    run = Run(BASE_LISTINGS, path)
    dealer = BASE_APPIDS[8]
    assert run.where == [(str(BASE_LISTINGS), 4, "official"), (str(path), 2, "official_appids.1")]
    assert run.reasons == [
        f"{BASE_APPIDS[3]} is not in official_appids of brand 'apple'",
        f"{dealer} is not an official listing of this brand (line 9)",
    ]
    assert run.report.listings_rejected == 1
    assert run.report.brands_rejected == 1
    assert run.appids == _without(4)
    assert sorted(run.brands) == ["hellobike", "louis-vuitton", "samsung"]


def test_brand_whose_official_listing_was_rejected(tmp_path: Path) -> None:
    lines = list(BASE_LINES)
    lines[6] = lines[6].replace(b'"monthly_active_users": ', b'"monthly_active_users": -', 1)
    path = _write(tmp_path, lines)
    run = Run(path)
    assert run.where == [
        (str(path), 7, "monthly_active_users"),
        (str(BASE_BRANDS), 4, "official_appids.0"),
    ]
    assert run.reasons[1] == f"listing {BASE_APPIDS[6]} on line 7 was rejected"
    assert run.appids == _without(7)
    assert sorted(run.brands) == ["apple", "louis-vuitton", "samsung"]


# ------------------------------------------------------------------ more cross checks


def test_duplicate_showcase_item_id(tmp_path: Path) -> None:
    copy = orjson.loads(BASE_LINES[0])
    copy.update(appid="wx0123456789abcdef", brand_id=None, official=False)
    path = _write(tmp_path, [*BASE_LINES, orjson.dumps(copy)])
    run = Run(path)
    _assert_one_listing_reject(run, path, 11, "showcase.0.item_id")
    assert run.reasons == ["duplicate item_id, first seen on line 1"]
    assert run.appids == BASE_APPIDS


def test_duplicate_of_a_rejected_line_is_still_a_duplicate(tmp_path: Path) -> None:
    first = orjson.loads(BASE_LINES[7])
    first["brand_id"] = "no-such-brand"
    invalid = orjson.loads(BASE_LINES[8])
    invalid["rating"] = 0.5
    path = _write(tmp_path, [orjson.dumps(first), orjson.dumps(invalid), *BASE_LINES])
    run = Run(path)
    assert run.where == [
        (str(path), 1, "brand_id"),
        (str(path), 2, "rating"),
        (str(path), 10, "appid"),
        (str(path), 11, "appid"),
    ]
    assert run.reasons[2:] == [
        "duplicate appid, first seen on line 1",
        "duplicate appid, first seen on line 2",
    ]
    assert run.appids == _without(8, 9)
    assert sorted(run.brands) == sorted(BRAND_IDS)  # neither line is an official listing


# ------------------------------------------------------------------ line limits


def _long_line(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    head, tail = b'{"pad": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_line_over_the_limit(tmp_path: Path, end: bytes) -> None:
    long_line = _long_line(MAX_LINE_BYTES + 1)
    path = _write(tmp_path, [*BASE_LINES[:4], long_line, *BASE_LINES[4:]], end)
    run = Run(path)
    _assert_one_listing_reject(run, path, 5, "(line)")
    assert run.reasons == [f"line too long ({MAX_LINE_BYTES + 1} bytes, max {MAX_LINE_BYTES})"]
    assert run.appids == BASE_APPIDS


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b""])
def test_line_at_the_limit_is_parsed(tmp_path: Path, end: bytes) -> None:
    path = tmp_path / "limit.jsonl"
    path.write_bytes(_long_line(MAX_LINE_BYTES) + end)
    ((line, item),) = list(iter_jsonl(path))
    assert line == 1
    assert isinstance(item, dict)
    assert len(item["pad"]) == MAX_LINE_BYTES - 11


def test_overlong_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_bytes(BASE_LINES[0] + b"\n" + _long_line(3 * MAX_LINE_BYTES))
    items = list(iter_jsonl(path))
    assert [line for line, _ in items] == [1, 2]
    assert isinstance(items[0][1], dict)
    assert items[1][1] == Reject(
        file=str(path),
        line=2,
        field="(line)",
        reason=f"line too long ({3 * MAX_LINE_BYTES} bytes, max {MAX_LINE_BYTES})",
    )


@pytest.mark.parametrize("end", [b"\n", b"\r\n"])
def test_line_limit_counts_bytes_without_terminator(tmp_path: Path, end: bytes) -> None:
    path = _write(tmp_path, BASE_LINES[:3], end)
    limit = min(len(line) for line in BASE_LINES[:3]) - 1
    items = list(iter_jsonl(path, max_line_bytes=limit))
    assert [(n, r.reason) for n, r in items if isinstance(r, Reject)] == [
        (n, f"line too long ({len(line)} bytes, max {limit})")
        for n, line in enumerate(BASE_LINES[:3], start=1)
    ]


# ------------------------------------------------------------------ iter_jsonl edge cases


def _lines_of(tmp_path: Path, data: bytes) -> list[tuple[int, str]]:
    """(line, reason or 'ok') for each item iter_jsonl yields."""
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    return [(n, r.reason if isinstance(r, Reject) else "ok") for n, r in iter_jsonl(path)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", []),
        (b"\n", []),
        (b"{}", [(1, "ok")]),
        (b"{}\n", [(1, "ok")]),
        (b"{}\n\n", [(1, "ok")]),
        (b"{}\r\n\r\n", [(1, "ok")]),
        (b"{}\n\n\n", [(1, "ok"), (2, "blank line")]),
        (b"\n{}\n", [(1, "blank line"), (2, "ok")]),
        (b"{}\n   \n{}\n", [(1, "ok"), (2, "blank line"), (3, "ok")]),
        (b"{}\n \n", [(1, "ok"), (2, "blank line")]),
        (b"\xef\xbb\xbf{}\n", [(1, "ok")]),
        (b"{}\n\xef\xbb\xbf{}\n", [(1, "ok"), (2, "invalid JSON: UTF-8 byte order mark (BOM)")]),
        (b'{"a": "\xe4\xb8"}\n{}\n', [(1, "invalid UTF-8 at byte 7"), (2, "ok")]),
        (b'[]\n1\nnull\n"s"\ntrue\n', [(n, "expected a JSON object") for n in range(1, 6)]),
        (b'{"a": 1}{"b": 2}\n', [(1, "invalid JSON: unexpected content after document")]),
        (b'{"a": NaN}\n', [(1, "invalid JSON: unexpected character")]),
    ],
)
def test_iter_jsonl_edges(tmp_path: Path, data: bytes, expected: list[tuple[int, str]]) -> None:
    got = _lines_of(tmp_path, data)
    assert [n for n, _ in got] == [n for n, _ in expected]
    for (_, reason), (_, want) in zip(got, expected, strict=True):
        assert reason.startswith(want)


def test_iter_jsonl_reject_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"{}\nnope\n")
    (_, _), (_, reject) = iter_jsonl(path)
    assert isinstance(reject, Reject)
    assert reject.render().startswith(f"{path}:2 (line): invalid JSON: ")
    assert reject.render().endswith("(column 1)")


# ------------------------------------------------------------------ API behaviour


def test_reject_render() -> None:
    reject = Reject(file="a.jsonl", line=3, field="showcase.0.price_cents", reason="too low")
    assert reject.render() == "a.jsonl:3 showcase.0.price_cents: too low"


def test_report_totals_and_dump() -> None:
    report = IngestReport()
    report.add_reject("listing", "l.jsonl", 1, "appid", "bad")
    report.add_rejects(
        "brand",
        [
            Reject(file="b.jsonl", line=2, field="official_appids.0", reason="x"),
            Reject(file="b.jsonl", line=2, field="official_appids.1", reason="y"),
        ],
    )
    assert (report.listings_rejected, report.brands_rejected, report.rejected) == (1, 1, 2)
    assert len(report.rejects) == 3
    dumped = orjson.loads(report.model_dump_json())
    assert dumped["rejected"] == 2
    assert "1 rejected" in report.summary()


def test_validation_errors_become_one_reject_each(tmp_path: Path) -> None:
    bad = orjson.loads(BASE_LINES[7])
    bad.update(monthly_active_users="1", rating=9.5)
    path = _write(tmp_path, [orjson.dumps(bad)])
    report = IngestReport()
    assert list(iter_listings(path, read_brands(BASE_BRANDS, report), report)) == []
    where = [(r.file, r.line, r.field) for r in report.rejects]
    assert where == [(str(path), 1, "monthly_active_users"), (str(path), 1, "rating")]
    assert report.listings_rejected == 1


def test_iter_listings_is_lazy_and_composes() -> None:
    report = IngestReport()
    brands = read_brands(BASE_BRANDS, report)
    assert isinstance(brands, dict)
    assert isinstance(brands, BrandTable)
    assert brands.file == str(BASE_BRANDS)
    seen: dict[str, SeenListing] = {}
    stream = iter_listings(BASE_LISTINGS, brands, report, seen)
    assert report.listings_read == 0
    first = next(stream)
    assert first.appid == BASE_APPIDS[0]
    assert report.listings_read == 1
    rest = list(stream)
    assert [x.appid for x in rest] == BASE_APPIDS[1:]
    assert seen[BASE_APPIDS[8]] == SeenListing(9, "apple", False, True)
    survivors = check_brands(brands, report, seen)
    assert sorted(survivors) == sorted(BRAND_IDS)
    assert survivors.lines == brands.lines
    assert report.rejects == []


def test_check_brands_without_listings_rejects_every_brand() -> None:
    report = IngestReport()
    brands = read_brands(BASE_BRANDS, report)
    assert check_brands(brands, report, {}) == {}
    assert report.brands_ok == 0
    assert report.brands_rejected == 4
    assert len(report.rejects) == 7  # one per official appid
    assert all(r.reason.startswith("unknown appid ") for r in report.rejects)


def test_iter_listings_without_seen_dict() -> None:
    report = IngestReport()
    brands = read_brands(BASE_BRANDS, report)
    assert [x.appid for x in iter_listings(BASE_LISTINGS, brands, report)] == BASE_APPIDS
