"""A build with analysis spread over worker processes writes the same index as one process.

tantivy's own indexing threads already make document ids vary from build to
build, so "the same" means the same stored documents, terms, frequencies and
scores, compared by appid rather than by document id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tantivy

from indexer import build
from indexer import schema as f
from indexer.analyzers import load_analyzer
from indexer.brands import BrandTable
from indexer.build import build_index, resolve_workers
from indexer.categories import MODEL_FILE
from indexer.dictionaries import Dictionaries
from indexer.document import analyse_fields, field_terms, load_listing
from indexer.models import Listing
from indexer.store import BRANDS_FILE, INDEX_DIR, WORD_FREQS_FILE, WORDS_FILE, IndexStore
from tests.conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS

pytestmark = pytest.mark.slow  # builds of a 5,000-listing catalog, one and several processes


def _build(tmp: Path, dicts: Dictionaries, workers: int) -> tuple[Path, dict[str, Any]]:
    store = IndexStore(tmp / f"home-{workers}")
    result = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts, workers=workers)
    assert result.version is not None and result.manifest is not None
    return store.path(result.version), dict(result.manifest.counts)


def _docs(searcher: tantivy.Searcher) -> list[tuple[int, int, bytes]]:
    """Every document as (segment, doc id, stored blob), in index order."""
    out = []
    for seg in range(searcher.num_segments):
        doc = 0
        while len(out) < searcher.num_docs:
            try:
                stored = searcher.doc(tantivy.DocAddress(seg, doc))
            except (ValueError, IndexError, OSError):
                break
            blob = stored.get_first(f.CARD)
            assert isinstance(blob, bytes)
            out.append((seg, doc, blob))
            doc += 1
    return out


def _terms(root: Path, dicts: Dictionaries, blobs: list[bytes]) -> set[tuple[str, str]]:
    """(field, term) pairs the catalog should have produced: each stored listing analysed
    again, in one process, with the version's own words and brands."""
    analyzer = load_analyzer(dicts, root)
    brands = BrandTable.read(root).brands
    terms: set[tuple[str, str]] = set()
    for blob in blobs:
        listing = Listing.model_validate(load_listing(blob))
        fields = analyse_fields(listing, brands.get(listing.brand_id or ""), analyzer)
        terms.update((name, t) for name, values in field_terms(fields).items() for t in values)
    return terms


@pytest.fixture(scope="module")
def two_builds(
    tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries
) -> tuple[tuple[Path, dict[str, Any]], tuple[Path, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("parallel")
    single = _build(tmp, dicts, 1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build, "CHUNK_LISTINGS", 37)  # many chunks, uneven last one
        parallel = _build(tmp, dicts, 2)
    return single, parallel


def _appid(blob: bytes) -> str:
    appid: str = load_listing(blob)["appid"]
    return appid


def test_parallel_build_stores_the_same_documents(
    two_builds: tuple[tuple[Path, dict[str, Any]], tuple[Path, dict[str, Any]]],
) -> None:
    (root1, counts1), (root2, counts2) = two_builds
    assert counts1 == counts2
    s1 = tantivy.Index.open(str(root1 / INDEX_DIR)).searcher()
    s2 = tantivy.Index.open(str(root2 / INDEX_DIR)).searcher()
    assert s1.num_docs == s2.num_docs == counts1["listings_indexed"] > 600
    docs1, docs2 = _docs(s1), _docs(s2)
    assert len(docs1) == s1.num_docs
    blobs1 = sorted(blob for _, _, blob in docs1)
    assert blobs1 == sorted(blob for _, _, blob in docs2)
    assert len({_appid(b) for b in blobs1}) == len(blobs1)
    for name in (BRANDS_FILE, WORDS_FILE, WORD_FREQS_FILE):
        assert (root1 / name).read_bytes() == (root2 / name).read_bytes()


def test_parallel_build_indexes_the_same_terms_with_the_same_scores(
    two_builds: tuple[tuple[Path, dict[str, Any]], tuple[Path, dict[str, Any]]],
    dicts: Dictionaries,
) -> None:
    (root1, _), (root2, _) = two_builds
    i1 = tantivy.Index.open(str(root1 / INDEX_DIR))
    i2 = tantivy.Index.open(str(root2 / INDEX_DIR))
    s1, s2 = i1.searcher(), i2.searcher()
    terms = sorted(_terms(root1, dicts, [blob for _, _, blob in _docs(s1)]))
    assert len(terms) > 3000
    for field, term in terms:
        assert s1.doc_freq(field, term) == s2.doc_freq(field, term) > 0, (field, term)
    for field, term in terms[::7]:
        hits = []
        for index, searcher in ((i1, s1), (i2, s2)):
            query = tantivy.Query.term_query(index.schema, field, term)
            found = searcher.search(query, limit=searcher.num_docs).hits
            hits.append(sorted((score, _appid(_blob(searcher, a))) for score, a in found))
        assert hits[0] == hits[1], (field, term)


def _blob(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> bytes:
    blob = searcher.doc(address).get_first(f.CARD)
    assert isinstance(blob, bytes)
    return blob


def test_workers_default_to_one_process_for_small_catalogs() -> None:
    assert resolve_workers(None, 10) == 1
    assert resolve_workers(3, 10) == 3
    assert resolve_workers(0, 10) == 1
    assert resolve_workers(None, build.PARALLEL_MIN_LISTINGS) >= 1


def test_same_category_model(
    two_builds: tuple[tuple[Path, dict[str, Any]], tuple[Path, dict[str, Any]]],
) -> None:
    (single, _), (parallel, _) = two_builds
    assert (single / MODEL_FILE).read_bytes() == (parallel / MODEL_FILE).read_bytes()
