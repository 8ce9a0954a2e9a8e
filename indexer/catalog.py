"""Streaming ingest of the catalog files (brands.jsonl, listings.jsonl).

Every bad record becomes a :class:`Reject` in an :class:`IngestReport` instead
of an exception, so one broken line never stops a build and every problem is
reported with ``file:line field: reason``.

The three steps compose like this (listings are streamed, never held)::

    report = IngestReport()
    brands = read_brands(brands_path, report)
    seen: dict[str, SeenListing] = {}
    for listing in iter_listings(listings_path, brands, report, seen):
        writer.add(listing)
    brands = check_brands(brands, report, seen)

:func:`ingest_catalog` does exactly that with a callback.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Final, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field

from indexer.errors import CatalogError
from indexer.models import Brand, Listing

MAX_LINE_BYTES: Final = 1_000_000
"""Longest accepted line, in bytes without the line terminator."""

WHOLE_LINE: Final = "(line)"
"""``Reject.field`` for problems with the line itself (encoding, JSON, size)."""

_BOM: Final = b"\xef\xbb\xbf"
_NOT_UTF8_JSONL: Final = {
    b"\xff\xfe": "is UTF-16/UTF-32 (byte order mark FF FE); save it as UTF-8",
    b"\xfe\xff": "is UTF-16 (byte order mark FE FF); save it as UTF-8",
    b"\x1f\x8b": "is gzip-compressed; decompress it first",
}
"""File openings that make every line unreadable: a fatal error, not one reject per line."""
_SKIP_CHUNK: Final = 1 << 16
_MAX_SHOWN: Final = 60
"""Longest offending value quoted in a reject reason."""

RecordKind = Literal["listing", "brand"]
JsonObject = dict[str, Any]


class Reject(BaseModel):
    """One reason why one line of a catalog file was not accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    line: int
    field: str
    """Dotted pydantic location (``showcase.0.price_cents``) or ``(line)``."""
    reason: str

    def render(self) -> str:
        """``file:line field: reason``, the form used in logs and CLI output."""
        return f"{self.file}:{self.line} {self.field}: {self.reason}"


class IngestReport(BaseModel):
    """Counters and rejects of one ingest run.

    ``*_read`` counts non-skipped lines, ``*_ok`` accepted records and
    ``*_rejected`` rejected records (a record can have several entries in
    ``rejects``). After a full run, read == ok + rejected for each file.
    """

    model_config = ConfigDict(extra="forbid")

    listings_read: int = 0
    listings_ok: int = 0
    listings_rejected: int = 0
    brands_read: int = 0
    brands_ok: int = 0
    brands_rejected: int = 0
    by_status: dict[str, int] = Field(default_factory=dict)
    """Accepted listings per status."""
    by_platform: dict[str, int] = Field(default_factory=dict)
    """Accepted listings per platform."""
    rejects: list[Reject] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rejected(self) -> int:
        """Rejected records (listings and brands)."""
        return self.listings_rejected + self.brands_rejected

    def add_rejects(self, kind: RecordKind, rejects: Sequence[Reject]) -> None:
        """Record one rejected record of ``kind`` with one or more reasons."""
        if kind == "listing":
            self.listings_rejected += 1
        else:
            self.brands_rejected += 1
        self.rejects.extend(rejects)

    def add_reject(self, kind: RecordKind, file: str, line: int, field: str, reason: str) -> Reject:
        """Record one rejected record of ``kind`` with a single reason."""
        reject = Reject(file=file, line=line, field=field, reason=reason)
        self.add_rejects(kind, [reject])
        return reject

    def summary(self) -> str:
        """One line of counts, for logs."""
        return (
            f"listings: {self.listings_read} read, {self.listings_ok} ok, "
            f"{self.listings_rejected} rejected; brands: {self.brands_read} read, "
            f"{self.brands_ok} ok, {self.brands_rejected} rejected"
        )


class SeenListing(NamedTuple):
    """What the cross-file checks need to remember about a listing line."""

    line: int
    brand_id: str | None
    official: bool
    accepted: bool


class BrandTable(dict[str, Brand]):
    """brand_id -> Brand, plus the file and line each brand came from.

    A plain dict for every reader; ``file`` and ``lines`` let :func:`check_brands`
    point a late reject at the brand's line.
    """

    def __init__(self, file: str, lines: Mapping[str, int] | None = None) -> None:
        super().__init__()
        self.file = file
        self.lines: dict[str, int] = dict(lines or {})


# --------------------------------------------------------------------------- lines


def _read_line(handle: BinaryIO, max_bytes: int) -> tuple[bytes | None, int] | None:
    """Read the next line without its terminator, holding at most ``max_bytes + 2``.

    Returns None at end of file, ``(content, size)`` for a line within the limit
    and ``(None, size)`` for a longer one, whose remainder is read in chunks and
    dropped.
    """
    limit = max_bytes + 2  # room for CR LF
    chunk = handle.readline(limit)
    if not chunk:
        return None
    if len(chunk) < limit or chunk.endswith(b"\n"):
        content = chunk.removesuffix(b"\n").removesuffix(b"\r")
        return (content if len(content) <= max_bytes else None), len(content)
    size = len(chunk)
    tail = chunk[-1:]
    while True:
        more = handle.readline(_SKIP_CHUNK)
        if not more:
            break
        size += len(more)
        tail = (tail + more)[-2:]
        if more.endswith(b"\n"):
            break
    if tail.endswith(b"\n"):
        size -= 2 if tail == b"\r\n" else 1
    return None, size


def _json_kind(value: object) -> str:
    """JSON name of a parsed value's type, for "expected an object" rejects."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array"


def iter_jsonl(
    path: Path, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, JsonObject | Reject]]:
    """Yield ``(line number, object or Reject)`` for each line of a JSON Lines file.

    Streams the file line by line in binary. Line numbers are 1-based. A UTF-8
    BOM on line 1 and CRLF endings are accepted; a completely empty last line is
    skipped silently. Each line is decoded on its own, so one bad byte only costs
    its line. Whole-line problems (blank line, too long, invalid UTF-8, invalid
    JSON, not an object) come back as a Reject with field ``(line)``. A file that
    is UTF-16 or gzip as a whole raises :class:`CatalogError` before any line.
    """
    file = str(path)

    def reject(number: int, reason: str) -> tuple[int, Reject]:
        return number, Reject(file=file, line=number, field=WHOLE_LINE, reason=reason)

    pending_blank: int | None = None
    number = 0
    with path.open("rb") as handle:
        opening = handle.read(2)
        handle.seek(0)
        if opening in _NOT_UTF8_JSONL:
            raise CatalogError(f"{file}: {_NOT_UTF8_JSONL[opening]} (catalog files are UTF-8)")
        while (read := _read_line(handle, max_line_bytes)) is not None:
            number += 1
            content, size = read
            if pending_blank is not None:
                yield reject(pending_blank, "blank line")
                pending_blank = None
            if number == 1 and content is not None and content.startswith(_BOM):
                content = content[len(_BOM) :]
            if content is None:
                yield reject(number, f"line too long ({size} bytes, max {max_line_bytes})")
                continue
            if not content:
                pending_blank = number  # forgiven if it turns out to be the last line
                continue
            if not content.strip():
                yield reject(number, "blank line")
                continue
            try:
                content.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield reject(number, f"invalid UTF-8 at byte {exc.start}")
                continue
            try:
                value = orjson.loads(content)
            except orjson.JSONDecodeError as exc:
                yield reject(number, f"invalid JSON: {exc.msg} (column {exc.colno})")
                continue
            if not isinstance(value, dict):
                yield reject(number, f"expected a JSON object, got {_json_kind(value)}")
                continue
            yield number, value


# --------------------------------------------------------------------------- records


def _shown(value: Any) -> str | None:
    """Short JSON rendering of a scalar offending value, None for containers."""
    if not isinstance(value, str | int | float | bool) and value is not None:
        return None
    text = orjson.dumps(value).decode()
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def rejects_from_error(file: str, line: int, error: ValidationError) -> list[Reject]:
    """One Reject per pydantic error, located by the dotted error loc."""
    rejects = []
    for detail in error.errors(include_url=False, include_context=False):
        field = ".".join(str(part) for part in detail["loc"]) or WHOLE_LINE
        reason = detail["msg"]
        if detail["type"] not in ("catalog_rule", "missing", "extra_forbidden"):
            shown = _shown(detail["input"])
            if shown is not None:
                reason = f"{reason}, got {shown}"
        rejects.append(Reject(file=file, line=line, field=field, reason=reason))
    return rejects


def read_brands(path: Path, report: IngestReport) -> BrandTable:
    """Read and validate brands.jsonl; later duplicates of a brand_id are rejected."""
    file = str(path)
    table = BrandTable(file)
    for line, item in iter_jsonl(path):
        report.brands_read += 1
        if isinstance(item, Reject):
            report.add_rejects("brand", [item])
            continue
        try:
            brand = Brand.model_validate(item)
        except ValidationError as exc:
            report.add_rejects("brand", rejects_from_error(file, line, exc))
            continue
        first = table.lines.get(brand.brand_id)
        if first is not None:
            reason = f"duplicate brand_id, first seen on line {first}"
            report.add_reject("brand", file, line, "brand_id", reason)
            continue
        table[brand.brand_id] = brand
        table.lines[brand.brand_id] = line
        report.brands_ok += 1
    return table


def cross_check(
    listing: Listing,
    brands: Mapping[str, Brand],
    item_lines: Mapping[str, int],
) -> tuple[str, str] | None:
    """First (field, reason) that ties ``listing`` to a bad brand or showcase item."""
    if listing.brand_id is not None:
        brand = brands.get(listing.brand_id)
        if brand is None:
            return "brand_id", f"unknown brand_id {listing.brand_id!r}"
        if listing.official and listing.appid not in brand.official_appids:
            reason = f"{listing.appid} is not in official_appids of brand {brand.brand_id!r}"
            return "official", reason
    for index, item in enumerate(listing.showcase):
        first = item_lines.get(item.item_id)
        if first is not None:
            return f"showcase.{index}.item_id", f"duplicate item_id, first seen on line {first}"
    return None


def iter_listings(
    path: Path,
    brands: Mapping[str, Brand],
    report: IngestReport,
    seen: dict[str, SeenListing] | None = None,
) -> Iterator[Listing]:
    """Stream the accepted listings of listings.jsonl, recording rejects in ``report``.

    Besides the model rules, a listing is rejected when its appid repeats an
    earlier valid line, its brand_id is not in ``brands``, it claims ``official``
    without being in the brand's ``official_appids``, or a showcase item_id
    repeats one of an accepted listing. ``seen`` (pass a dict to keep it for
    :func:`check_brands`) gets an entry for the first line of each appid, rejected
    lines included, so a later copy of a rejected line is still a duplicate. The
    listings themselves are not kept.
    """
    file = str(path)
    seen = {} if seen is None else seen
    item_lines: dict[str, int] = {}
    for line, item in iter_jsonl(path):
        report.listings_read += 1
        if isinstance(item, Reject):
            report.add_rejects("listing", [item])
            continue
        try:
            listing = Listing.model_validate(item)
        except ValidationError as exc:
            report.add_rejects("listing", rejects_from_error(file, line, exc))
            appid = item.get("appid")
            if isinstance(appid, str) and appid not in seen:
                seen[appid] = SeenListing(line, None, False, accepted=False)
            continue
        first = seen.get(listing.appid)
        if first is not None:
            reason = f"duplicate appid, first seen on line {first.line}"
            report.add_reject("listing", file, line, "appid", reason)
            continue
        problem = cross_check(listing, brands, item_lines)
        accepted = problem is None
        seen[listing.appid] = SeenListing(line, listing.brand_id, listing.official, accepted)
        if problem is not None:
            report.add_reject("listing", file, line, *problem)
            continue
        for showcase_item in listing.showcase:
            item_lines[showcase_item.item_id] = line
        report.listings_ok += 1
        report.by_status[listing.status] = report.by_status.get(listing.status, 0) + 1
        report.by_platform[listing.platform] = report.by_platform.get(listing.platform, 0) + 1
        yield listing


def _official_problem(brand: Brand, appid: str, seen: Mapping[str, SeenListing]) -> str | None:
    """Why ``appid`` is not an accepted official listing of ``brand``, or None."""
    listing = seen.get(appid)
    if listing is None:
        return f"unknown appid {appid}"
    if not listing.accepted:
        return f"listing {appid} on line {listing.line} was rejected"
    if listing.brand_id != brand.brand_id or not listing.official:
        return f"{appid} is not an official listing of this brand (line {listing.line})"
    return None


def check_brands(
    brands: BrandTable, report: IngestReport, seen: Mapping[str, SeenListing]
) -> BrandTable:
    """Reject brands whose official_appids are not accepted official listings of theirs.

    Run after :func:`iter_listings` has been consumed, with the same ``seen``.
    Returns the surviving brands. Listings already streamed are not revisited:
    an official listing of a brand rejected here stays accepted.
    """
    survivors = BrandTable(brands.file)
    for brand_id, brand in brands.items():
        line = brands.lines.get(brand_id, 0)
        rejects = [
            Reject(file=brands.file, line=line, field=f"official_appids.{index}", reason=problem)
            for index, appid in enumerate(brand.official_appids)
            if (problem := _official_problem(brand, appid, seen)) is not None
        ]
        if rejects:
            report.add_rejects("brand", rejects)
            report.brands_ok -= 1
            continue
        survivors[brand_id] = brand
        survivors.lines[brand_id] = line
    return survivors


def ingest_catalog(
    brands_path: Path,
    listings_path: Path,
    on_listing: Callable[[Listing], object],
    report: IngestReport | None = None,
) -> tuple[BrandTable, IngestReport]:
    """Run the whole ingest, handing each accepted listing to ``on_listing``."""
    report = IngestReport() if report is None else report
    brands = read_brands(brands_path, report)
    seen: dict[str, SeenListing] = {}
    for listing in iter_listings(listings_path, brands, report, seen):
        on_listing(listing)
    return check_brands(brands, report, seen), report
