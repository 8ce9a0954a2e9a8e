"""Builds a new immutable index version from catalog files.

Two passes over the listings: the first validates each line (rejects are
reported, never fatal unless strict), spools the good ones and collects names
for segmentation; the second analyses the spool into tantivy. The version
appears under its final name only once complete.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import tantivy

from indexer.analysis import Analyzer
from indexer.brands import BrandTable
from indexer.catalog import IngestReport, ingest_catalog
from indexer.dictionaries import Dictionaries
from indexer.document import analyse_listing
from indexer.errors import CatalogError
from indexer.models import Listing
from indexer.schema import SCHEMA_VERSION, build_schema
from indexer.store import (
    BRANDS_FILE,
    INDEX_DIR,
    WORDS_FILE,
    IndexStore,
    Manifest,
    SourceFile,
    file_sha256,
    new_version_id,
    tree_sha256,
)

SPOOL = "listings.spool.jsonl"
Progress = Callable[[int], None]


def _source(path: Path) -> SourceFile:
    return SourceFile(path=str(path), sha256=file_sha256(path), bytes=path.stat().st_size)


def _iter_spool(path: Path) -> Iterator[Listing]:
    with path.open("rb") as fh:
        for line in fh:
            yield Listing.model_validate_json(line)


class BuildResult:
    """The outcome of a build: the version (None when strict mode refused) and the report."""

    def __init__(self, version: str | None, report: IngestReport, manifest: Manifest | None):
        self.version = version
        self.report = report
        self.manifest = manifest


def build_index(
    store: IndexStore,
    listings_path: Path,
    brands_path: Path,
    dicts: Dictionaries,
    *,
    strict: bool = False,
    progress: Progress | None = None,
    change_seq: int = 0,
) -> BuildResult:
    """Validate, analyse and write a new version; returns it with the ingest report.

    ``change_seq`` is the change log's sequence the catalog export reflects: live
    updates after it are replayed onto this version before it serves.
    """
    for path in (listings_path, brands_path):
        if not path.is_file():
            raise CatalogError(f"{path}: catalog file not found")
    version = new_version_id()
    staging = store.staging_dir(version)
    try:
        names: list[str] = []
        spool = staging / SPOOL
        with spool.open("wb") as out:

            def keep(listing: Listing) -> None:
                out.write(orjson.dumps(listing.model_dump(mode="json")) + b"\n")
                names.append(listing.name)

            good_brands, report = ingest_catalog(brands_path, listings_path, keep)
        if strict and report.rejects:
            shutil.rmtree(staging, ignore_errors=True)
            return BuildResult(None, report, None)
        table = BrandTable.build(good_brands.values())
        words = Analyzer.catalog_words([*table.words(), *names])
        analyzer = Analyzer(dicts, words)

        index = tantivy.Index(build_schema(), path=str(_mkdir(staging / INDEX_DIR)))
        writer = index.writer(heap_size=256_000_000)
        done = 0
        for listing in _iter_spool(spool):
            brand = good_brands.get(listing.brand_id or "")
            doc = analyse_listing(listing, brand, analyzer)
            writer.add_document(doc)
            done += 1
            if progress and done % 1000 == 0:
                progress(done)
        writer.commit()
        writer.wait_merging_threads()
        if progress:
            progress(done)
        spool.unlink()

        (staging / BRANDS_FILE).write_bytes(table.model_dump_json().encode())
        (staging / WORDS_FILE).write_text("\n".join(analyzer.extra_words) + "\n", encoding="utf-8")
        manifest = Manifest(
            version=version,
            created_at=datetime.now(UTC),
            schema_version=SCHEMA_VERSION,
            fingerprint=analyzer.fingerprint,
            sources={"listings": _source(listings_path), "brands": _source(brands_path)},
            counts={
                "listings_read": report.listings_read,
                "listings_indexed": done,
                "listings_rejected": report.listings_rejected,
                "brands_read": report.brands_read,
                "brands_indexed": len(good_brands),
                "rejected": report.rejected,
            },
            by_status=dict(report.by_status),
            by_platform=dict(report.by_platform),
            files_sha256=tree_sha256(staging),
            change_seq=change_seq,
        )
        store.commit(staging, manifest)
        return BuildResult(version, report, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
