"""A tiny run of every benchmark script on 1,000 generated listings (figures are not asserted).

Checks that the scripts work end to end and write well-formed results: the generated
catalog passes strict validation and is deterministic, the build indexes every listing,
the query benchmark times every query once against the floor, the category benchmark
times the model's share of a build and its predictions, the HTTP benchmark gets only
2xx answers from both the bare app and ``mpsearch serve --workers 2`` (saturated and
paced) and never sends a search path twice to a server while unused ones are left, and
the HTTP-parts benchmark times every variant of the app, and the leader benchmark times
finding a need's leaders cold and kept beside the search of every need query that has some.
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
    assert run["plain"]["listings_per_s"] > 0
    assert run["ratio_to_plain"] == round(run["listings_per_s"] / run["plain"]["listings_per_s"], 2)


def test_bench_categories_smoke(bench_env: dict[str, str]) -> None:
    result = _run(
        "bench_categories.py", bench_env, "--size=1k", "--queries=50", "--name=categories-smoke"
    )
    assert result["build"]["listings"] == N
    assert 0 < result["build"]["share_of_build"] < 1
    assert result["build"]["model_bytes"] > 0 and result["model"]["words"] > 0
    for kind in ("typical", "widest"):
        assert result["predict"][kind]["predict_us"]["n"] == 50


def test_leader_cost_smoke(bench_env: dict[str, str]) -> None:
    result = _run("leader_cost.py", bench_env, "--size=1k", "--passes=1", "--name=leader-smoke")
    assert result["docs"] == N
    assert 0 < result["with_leads"] <= result["need_queries"]
    for key in ("cold_ms", "kept_ms", "search_ms"):
        assert result[key]["n"] == result["with_leads"]
    assert result["sub_categories_per_query"] >= 1


def test_score_parts_smoke(bench_env: dict[str, str]) -> None:
    result = _run("score_parts.py", bench_env, "--size=1k", "--repeat=1", "--name=parts-smoke")
    assert result["docs"] == N
    assert 0 < result["searched"] <= result["need_queries"]
    assert result["full_ms"]["n"] == result["matches_ms"]["n"] == result["searched"]
    groups = result["groups_ms"]
    assert {"service", "category", "first_party"} <= set(groups)
    assert all(0 < g["n"] <= result["searched"] for g in groups.values())


def test_bench_query_smoke(bench_env: dict[str, str]) -> None:
    result = _run(
        "bench_query.py", bench_env, "--size=1k", "--synthetic=10", "--ecom=30", "--warmup=5",
        "--discover=40", "--name=query-smoke",
    )  # fmt: skip
    assert result["docs"] == N
    kinds = result["search_by_kind_ms"]
    assert result["search_ms"]["n"] == result["queries"] == sum(k["n"] for k in kinds.values())
    assert {"golden", "brand", "pinyin", "prefix"} <= set(kinds)
    assert set(kinds) == set(result["search_by_kind_cpu_ms"])
    if result["external_ecom"]:
        assert kinds["ecom"]["n"] == 30
    assert result["floor_ms"]["n"] > 0 and result["suggest_ms"]["n"] > 0
    assert set(result["ratio"]) == set(result["cpu"]["ratio"]) == {"p50", "p99", "p99.9"}
    assert result["discover_ms"]["n"] == result["cpu"]["discover_ms"]["n"] == 40
    assert result["facets_ms"]["n"] == result["queries"] and result["facets_share"]["p50"] > 0


def test_query_mix_never_repeats_a_query(bench_env: dict[str, str]) -> None:
    env = {k: v for k, v in bench_env.items() if k.startswith("MPSEARCH_BENCH")}
    code = (
        "import orjson; from benchmarks.bench_query import query_mix, suggest_inputs, "
        "warmup_queries; m = query_mix(1000, 20240611, 10, 200); "
        "w = warmup_queries(m, 20240611, 50); s = suggest_inputs(m, 20240611); "
        "print(orjson.dumps([[q.text for q in m], [q.text for q in w], "
        "[[q.text, q.host] for q in s]]).decode())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, cwd=REPO,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    mix, warm, suggests = orjson.loads(done.stdout)
    assert len(mix) == len(set(mix)) > 123
    assert not set(mix) & set(warm)
    assert len({tuple(s) for s in suggests}) == len(suggests)
    assert all(0 < len(text) <= 64 and text == text.strip() for text in mix)


def test_bench_http_smoke(bench_env: dict[str, str]) -> None:
    result = _run(
        "bench_http.py", bench_env, "--size=1k", "--seconds=1", "--warmup-seconds=1",
        "--synthetic=10", "--ecom=20000", "--rate=100", "--paced-seconds=1",
        "--servers=uvicorn,granian", "--name=http-smoke",
    )  # fmt: skip
    assert set(result["servers"]) == {"uvicorn", "granian"}
    for name, server in result["servers"].items():
        for app in ("bare", "mpsearch"):
            for endpoint in ("search", "suggest"):
                load = server[app][endpoint]
                assert load["requests"] > 0, (name, app, endpoint)
                assert load["non2xx"] == 0 and load["errors"] == 0, (name, app, endpoint, load)
                assert load["server_cpu_ms_per_request"] > 0
            assert server[app]["ready_s"] > 0 and server[app]["memory_pss_mib"] > 0
        paced = server["mpsearch"]["paced_search"]
        assert paced["requests"] == 100 and paced["non2xx"] == paced["errors"] == 0
        assert server["ratio"]["search"]["req_per_s"] > 0
    search = result["mpsearch"]["search"]  # the product server's run, at the top level
    if search["requests"] <= result["unique_search_paths"]:
        assert search["passes"] == 1  # no path sent twice while unused ones were left


def test_bench_http_ready_only_smoke(bench_env: dict[str, str]) -> None:
    result = _run(
        "bench_http.py", bench_env, "--size=1k", "--warmup-seconds=1", "--synthetic=10",
        "--ecom=100", "--ready-only", "--name=http-ready-smoke",
    )  # fmt: skip
    served = result["mpsearch"]
    assert served["ready_s"] > 0
    assert served["memory_pss_mib"] >= served["memory_ready_pss_mib"] > 0


def test_http_parts_smoke(bench_env: dict[str, str]) -> None:
    result = _run("http_parts.py", bench_env, "--requests=50", "--rounds=1", "--name=parts-smoke")
    per_request = result["per_request_us"]
    assert {"bare endpoint (FastAPI, fixed body)", "mpsearch, full"} <= set(per_request)
    assert all(us > 0 for us in per_request.values())
    assert set(result["part_cost_us"]) >= {"operations (middleware)", "the request guard"}
