"""Real brand names from public data (NSI), with more popular unofficial lookalikes.

Every brand is asked for by its Chinese name, English name (as written and
compacted), traditional form and NSI match names; the brand's official listing
must come first (brand zone) and the gate thresholds hold per spelling kind.
Skipped when ``../shared`` (the public data) is not beside the repository.
"""

from __future__ import annotations

import json

import pytest

from indexer.analysis import compact
from indexer.build import build_index
from indexer.dictionaries import Dictionaries
from indexer.store import IndexStore
from search.engine import Engine
from search.relevance.eval import EvalReport, check_thresholds, evaluate, load_golden
from tests.brandset import NSI_TSV, load_brands, write_catalog
from tests.conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS

pytestmark = pytest.mark.slow  # the relevance gate on real brand names from public data

pytestmark = pytest.mark.skipif(not NSI_TSV.is_file(), reason=f"{NSI_TSV} not present")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> EvalReport:
    taken: set[str] = set()
    for line in SAMPLE_BRANDS.read_text(encoding="utf-8").splitlines():
        brand = json.loads(line)
        taken |= {compact(s) for s in [brand["name"], *brand["aliases"]]}
    brands = load_brands(taken=taken)
    assert len(brands) >= 300
    root = tmp_path_factory.mktemp("nsi")
    listings, brand_file, golden = write_catalog(
        brands, root / "catalog", (SAMPLE_LISTINGS, SAMPLE_BRANDS)
    )
    golden_file = root / "golden.jsonl"
    golden_file.write_text(
        "".join(json.dumps(g, ensure_ascii=False) + "\n" for g in golden), encoding="utf-8"
    )
    store = IndexStore(root / "home")
    result = build_index(store, listings, brand_file, dicts)
    assert result.version is not None
    engine = Engine.open(store, result.version, dicts)
    return evaluate(load_golden(golden_file), lambda g: engine.ranked_appids(g.query, g.host))


def test_official_listing_first_for_every_spelling(report: EvalReport) -> None:
    failures = check_thresholds(report, 0.95, min_p1=0.97, min_tag_ndcg=0.90)
    assert failures == [], failures
    assert {"zh", "en", "alias", "traditional"} <= set(report.per_tag)


def test_no_lookalike_outranks_the_official(report: EvalReport) -> None:
    missed = [q.id for q in report.queries if q.grades[:1] != [3]]
    assert len(missed) <= 0.03 * len(report.queries), missed[:20]
