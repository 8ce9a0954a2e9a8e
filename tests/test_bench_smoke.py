"""A tiny run of every benchmark script on 1,000 generated listings (figures are not asserted).

Checks that the scripts work end to end and write well-formed results: the generated
catalog passes strict validation and is deterministic, the build indexes every listing,
the query benchmark times every query against the floor, the depth benchmark compares
with re-ranking every match, and the HTTP benchmark gets
only 2xx answers from both the bare app and ``mpsearch serve --workers 2``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks.gen_catalog import generate
from indexer.catalog import ingest_catalog
from indexer.models import Listing

pytestmark = pytest.mark.slow  # every benchmark script, run small

REPO = Path(__file__).resolve().parent.parent
N = 1000


@pytest.fixture(scope="module")
def bench_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("bench")
    env = dict(os.environ)
    env["MPSEARCH_BENCH_DIR"] = str(root / "work")
    env["MPSEARCH_BENCH_RESULTS"] = str(root / "results")
    env.pop("MPSEARCH_HOME", None)
    return env


def _run(script: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    cmd = [sys.executable, str(REPO / "benchmarks" / script), *args]
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    name = next(a for a in args if a.startswith("--name=")).split("=", 1)[1]
    result: dict[str, Any] = orjson.loads(
        (Path(env["MPSEARCH_BENCH_RESULTS"]) / f"{name}.json").read_bytes()
    )
    assert result["machine"]["cores"] >= 1
    return result


def test_generated_catalog_is_valid_and_deterministic(tmp_path: Path) -> None:
    listings, brands = generate(3000, tmp_path / "a", seed=5)
    accepted: list[Listing] = []
    good_brands, report = ingest_catalog(brands, listings, accepted.append)
    assert report.rejects == []
    assert len(accepted) == 3000
    synthetic = [b for b in good_brands.values() if b.brand_id.rsplit("-", 1)[-1].startswith("s")]
    assert len(synthetic) >= 10
    assert sum(1 for x in accepted if x.official) >= len(good_brands)
    assert len({x.appid for x in accepted}) == 3000
    popularity = sorted(x.monthly_active_users for x in accepted)
    assert popularity[-1] > 50 * popularity[len(popularity) // 2]  # heavy tail
    again = generate(3000, tmp_path / "b", seed=5)
    assert again[0].read_bytes() == listings.read_bytes()
    assert again[1].read_bytes() == brands.read_bytes()
    other = generate(3000, tmp_path / "c", seed=6)
    assert other[0].read_bytes() != listings.read_bytes()


def test_bench_build_smoke(bench_env: dict[str, str]) -> None:
    result = _run("bench_build.py", bench_env, "--sizes=1k", "--name=build-smoke")
    (run,) = result["runs"]
    assert run["listings"] == run["listings_indexed"] == N
    assert run["rejected"] == 0
    assert run["index_bytes"] > 0 and run["listings_per_s"] > 0 and run["peak_rss_tree_mib"] > 0


def test_bench_query_smoke(bench_env: dict[str, str]) -> None:
    result = _run(
        "bench_query.py", bench_env, "--size=1k", "--synthetic=10", "--ecom=30", "--warmup=5",
        "--discover=40", "--name=query-smoke",
    )  # fmt: skip
    assert result["docs"] == N
    assert result["search_ms"]["n"] == result["queries"] > 123  # golden + synthetic (+ ecom)
    assert result["floor_ms"]["n"] > 0 and result["suggest_ms"]["n"] > 0
    assert result["discover_ms"]["n"] == result["cpu"]["discover_ms"]["n"] == 40
    assert result["facets_ms"]["n"] == result["queries"] and result["facets_share"]["p50"] > 0
    assert set(result["ratio"]) == {"p50", "p99", "p99.9"}
    assert {"golden", "brand"} <= set(result["search_by_kind_ms"])


def test_bench_depth_smoke(bench_env: dict[str, str]) -> None:
    result = _run(
        "bench_depth.py", bench_env, "--size=1k", "--synthetic=10", "--ecom=30", "--queries=60",
        "--warmup=5", "--depths=5000/5000,10/10", "--name=depth-smoke",
    )  # fmt: skip
    exhaustive, shallow = result["depths"]
    # The reference depth reproduces the reference exactly; a page-deep read is measured.
    assert exhaustive["same_top10"] == exhaustive["same_first"] == 1.0
    assert 0.0 <= shallow["same_top10"] <= shallow["jaccard_top10"] <= 1.0
    assert shallow["cpu_ms"]["n"] == result["queries"] >= 60


def test_bench_http_smoke(bench_env: dict[str, str]) -> None:
    result = _run(
        "bench_http.py", bench_env, "--size=1k", "--seconds=1", "--warmup-seconds=1",
        "--synthetic=10", "--ecom=30", "--name=http-smoke",
    )  # fmt: skip
    for server in ("bare", "mpsearch"):
        for endpoint in ("search", "suggest"):
            load = result[server][endpoint]
            assert load["requests"] > 0, (server, endpoint)
            assert load["non2xx"] == 0 and load["errors"] == 0, (server, endpoint, load)
        assert result[server]["ready_s"] > 0
    assert result["ratio"]["search"]["req_per_s"] > 0
