"""Builds a new immutable index version from catalog files.

Two passes over the listings: the first validates each line (rejects are
reported, never fatal unless strict), spools the good ones and collects names
for segmentation; the spool is then ordered by category (:func:`_order_spool`), and the
second pass analyses it into tantivy. Analysis (jieba,
pinyin) is spread over worker processes forked once the analyzer is ready, so
each worker starts with jieba initialised; documents come back in spool order
and the index holds the same documents, terms and scores as a single-process
build. The parent also counts each listing's analysed words by category for the query →
category model (``indexer.categories``), saved in the version. The version appears under
its final name only once complete.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import orjson
import tantivy

from indexer.analysis import Analyzer, format_word_freqs
from indexer.brands import BrandTable
from indexer.catalog import IngestReport, ingest_catalog
from indexer.categories import CategoryCounts
from indexer.decisions import StandingDecisions
from indexer.dictionaries import Dictionaries
from indexer.document import AnalysisMemo, IndexFields, analyse_fields, to_document
from indexer.errors import CatalogError
from indexer.models import Brand, Listing
from indexer.schema import SCHEMA_VERSION, build_schema
from indexer.settings import known_hosts
from indexer.store import (
    ANALYZER_STATE_FILE,
    ANALYZER_TRIE_FILE,
    INDEX_DIR,
    WORD_FREQS_FILE,
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
# Below this many listings a single process is faster than starting workers.
PARALLEL_MIN_LISTINGS = 5_000
CHUNK_LISTINGS = 256

WRITER_HEAP_BYTES = 1_500_000_000  # tantivy indexing budget: segment size before a flush


def _source(path: Path) -> SourceFile:
    return SourceFile(path=str(path), sha256=file_sha256(path), bytes=path.stat().st_size)


def _iter_spool(path: Path) -> Iterator[Listing]:
    with path.open("rb") as fh:
        for line in fh:
            yield Listing.model_validate_json(line)


def _order_spool(spool: Path, paths: Sequence[int], offsets: Sequence[int]) -> None:
    """Rewrite the spool with its listings ordered by category path (``paths``: each
    line's path as its rank among the catalog's paths; ``offsets``: where each line starts),
    the catalog's order kept within a path.

    The index numbers documents in spool order, so a category's listings sit together:
    a need query's matches (the listings of a few categories) then fall in a few runs of
    document numbers, and tantivy's union of the score's optional clauses, which buffers
    every clause's postings in each window of 4,096 documents a match falls in, reads a
    few windows instead of nearly all of them (need queries at 100k: search 0.59 -> 0.37
    ms, facets 0.22 -> 0.14 ms). Scores do not change; listings of equal score may come
    in another order. Two arrays of machine integers per listing, not the listings, are
    held in memory."""
    order = sorted(range(len(offsets)), key=paths.__getitem__)
    ordered = spool.with_suffix(".ordered")
    with spool.open("rb") as src, ordered.open("wb") as out:
        for i in order:
            src.seek(offsets[i])
            out.write(src.readline())
    ordered.replace(spool)


def _spool_chunks(path: Path, size: int) -> Iterator[list[bytes]]:
    chunk: list[bytes] = []
    with path.open("rb") as fh:
        for line in fh:
            chunk.append(line)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


# What a forked analysis worker inherits from the parent: analyzer, brands, memo.
_WORKER: tuple[Analyzer, Mapping[str, Brand], AnalysisMemo] | None = None


def _analyse_chunk(lines: list[bytes]) -> list[IndexFields]:
    """Worker side: validate spooled lines and analyse them into field values.

    Plain values, not tantivy documents: those are slow to pickle, and the parent,
    which also feeds the index writer, would spend more time unpickling them.
    """
    assert _WORKER is not None, "analysis worker started without its state"
    analyzer, brands, memo = _WORKER
    return [
        analyse_fields(listing, brands.get(listing.brand_id or ""), analyzer, memo)
        for listing in (Listing.model_validate_json(line) for line in lines)
    ]


def resolve_workers(workers: int | None, listings: int) -> int:
    """Analysis processes: as asked, else every core for a catalog worth splitting."""
    if workers is not None:
        return max(1, workers)
    if listings < PARALLEL_MIN_LISTINGS:
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _index_fields(
    stack: ExitStack,
    spool: Path,
    brands: Mapping[str, Brand],
    analyzer: Analyzer,
    workers: int,
) -> Iterator[IndexFields]:
    """Field values of the spooled listings, in spool order, analysed by ``workers`` processes.

    The pool is forked here, before any tantivy writer thread exists.
    """
    global _WORKER
    memo = AnalysisMemo(analyzer)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return (
            analyse_fields(listing, brands.get(listing.brand_id or ""), analyzer, memo)
            for listing in _iter_spool(spool)
        )
    _WORKER = (analyzer, brands, memo)
    try:
        pool = stack.enter_context(multiprocessing.get_context("fork").Pool(workers))
    finally:
        _WORKER = None
    chunks = pool.imap(_analyse_chunk, _spool_chunks(spool, CHUNK_LISTINGS), chunksize=1)
    return (fields for chunk in chunks for fields in chunk)


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
    workers: int | None = None,
    decisions: StandingDecisions | None = None,
) -> BuildResult:
    """Validate, analyse and write a new version; returns it with the ingest report.

    ``change_seq`` is the change log's sequence the catalog export reflects: live
    updates after it are replayed onto this version before it serves. ``workers``
    analysis processes (default: every core for 5,000+ listings). ``decisions``: the
    decisions standing in the change log (``indexer.decisions``); listings they hold back
    are left out and counted as ``listings_held_back``.
    """
    for path in (listings_path, brands_path):
        if not path.is_file():
            raise CatalogError(f"{path}: catalog file not found")
    version = new_version_id()
    staging = store.staging_dir(version)
    try:
        names: list[str] = []
        held_back = 0
        spool = staging / SPOOL
        path_ids: dict[str, int] = {}  # each category path, numbered as first seen
        line_paths, offsets = array("I"), array("Q")
        with spool.open("wb") as out:

            def keep(exported: Listing) -> None:
                nonlocal held_back
                listing = exported if decisions is None else decisions.admit(exported)
                if listing is None:
                    held_back += 1
                    return
                offsets.append(out.tell())
                line_paths.append(path_ids.setdefault("/".join(listing.category), len(path_ids)))
                out.write(orjson.dumps(listing.model_dump(mode="json")) + b"\n")
                names.append(listing.name)

            good_brands, report = ingest_catalog(brands_path, listings_path, keep)
        if strict and report.rejects:
            shutil.rmtree(staging, ignore_errors=True)
            return BuildResult(None, report, None)
        rank = {i: r for r, (_, i) in enumerate(sorted(path_ids.items()))}
        _order_spool(spool, array("I", (rank[i] for i in line_paths)), offsets)
        table = BrandTable.build(good_brands.values())
        words = Analyzer.catalog_words([*table.words(), *names])
        analyzer = Analyzer(dicts, words)

        n_workers = resolve_workers(workers, len(names))
        done = 0
        categories = CategoryCounts()  # query → category, learned from the listings
        with ExitStack() as stack:
            analysed = _index_fields(stack, spool, good_brands, analyzer, n_workers)
            index = tantivy.Index(build_schema(), path=str(_mkdir(staging / INDEX_DIR)))
            # One indexing thread with a large budget writes one segment up to a few million
            # listings: every query then walks one term dictionary, not one per segment.
            writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            for fields in analysed:
                categories.add_fields(fields)
                writer.add_document(to_document(fields))
                done += 1
                if progress and done % 1000 == 0:
                    progress(done)
            writer.commit()
            writer.wait_merging_threads()
        if progress:
            progress(done)
        spool.unlink()

        table.write(staging)
        (staging / WORDS_FILE).write_text("\n".join(analyzer.extra_words) + "\n", encoding="utf-8")
        (staging / WORD_FREQS_FILE).write_text(
            format_word_freqs(analyzer.word_freqs), encoding="utf-8"
        )
        analyzer.save_state(staging / ANALYZER_STATE_FILE, staging / ANALYZER_TRIE_FILE)
        categories.save(staging)
        manifest = Manifest(
            version=version,
            created_at=datetime.now(UTC),
            schema_version=SCHEMA_VERSION,
            fingerprint=analyzer.fingerprint,
            sources={"listings": _source(listings_path), "brands": _source(brands_path)},
            counts={
                "listings_read": report.listings_read,
                "listings_indexed": done,
                "listings_held_back": held_back,
                "listings_rejected": report.listings_rejected,
                "brands_read": report.brands_read,
                "brands_indexed": len(good_brands),
                "rejected": report.rejected,
            },
            by_status=dict(report.by_status),
            by_platform=dict(report.by_platform),
            files_sha256=tree_sha256(staging),
            change_seq=change_seq,
            hosts=known_hosts(),
        )
        store.commit(staging, manifest)
        return BuildResult(version, report, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
