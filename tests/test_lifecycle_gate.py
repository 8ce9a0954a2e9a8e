"""The relevance gate and `eval --compare`, through the real CLI.

Versions: FULL and SAME are builds of the sample catalog; WORSE is built from the
same catalog without the official listings of the first 20 brands (their brand
zones and grade-3 answers disappear).

Properties checked:
1. `index publish WORSE --golden dev.jsonl` exits 1, names the nDCG@10 drop, lists the
   queries that got worse, and leaves `current` and `previous` unchanged.
2. `index publish SAME --golden dev.jsonl` passes (no drop) and publishes.
3. `--max-drop 1` lets a large drop through; a must_not violation that the current version
   does not have is refused even when nDCG@10 improves.
4. `eval --golden F --compare A B --json` reports the per-query diff: from FULL to WORSE
   more queries get worse than better (each with the sign of its delta), overall nDCG@10
   drops; none changes from FULL to SAME.
5. `index rollback` returns to the previous version; `index list` marks current and previous.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import GOLDEN as DEV_GOLDEN
from conftest import SAMPLE_BRANDS, SAMPLE_LISTINGS
from lifecycle_support import LV_OFFICIAL, run_cli

from indexer.build import build_index
from indexer.dictionaries import Dictionaries
from indexer.store import IndexStore

pytestmark = pytest.mark.slow  # the relevance gate through the real CLI, several builds

GOLDEN_QUERIES = 40  # the first dev golden queries: brand, pinyin, typo and generic ones


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gate-golden") / "golden.jsonl"
    lines = DEV_GOLDEN.read_bytes().splitlines(keepends=True)[:GOLDEN_QUERIES]
    path.write_bytes(b"".join(lines))
    return path


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory, dicts: Dictionaries) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("gate-home")
    store = IndexStore(home)
    brands = [orjson.loads(line) for line in SAMPLE_BRANDS.read_bytes().splitlines()]
    dropped = {a for b in brands[:20] for a in b["official_appids"]}
    worse_listings = home / "worse-listings.jsonl"
    worse_listings.write_bytes(
        b"".join(
            line + b"\n"
            for line in SAMPLE_LISTINGS.read_bytes().splitlines()
            if orjson.loads(line)["appid"] not in dropped
        )
    )
    out: dict[str, Any] = {"home": home}
    for name, listings in (("full", SAMPLE_LISTINGS), ("worse", worse_listings)):
        result = build_index(store, listings, SAMPLE_BRANDS, dicts)
        assert result.version is not None
        out[name] = result.version
    result = build_index(store, SAMPLE_LISTINGS, SAMPLE_BRANDS, dicts)
    assert result.version is not None
    out["same"] = result.version
    store.publish(out["full"])
    return out


def test_gate_refuses_a_regression(versions: dict[str, Any], golden: Path) -> None:
    home = versions["home"]
    store = IndexStore(home)
    done = run_cli(home, "index", "publish", versions["worse"], "--golden", str(golden))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nDCG@10 drops by" in done.stderr
    assert "not published" in done.stderr
    assert "Worse:" in done.stdout
    assert "lv-" in done.stdout or "LV" in done.stdout  # a brand query that lost its zone
    assert store.current() == versions["full"]
    assert store.previous() is None


def test_gate_passes_an_equal_build_and_rollback(versions: dict[str, Any], golden: Path) -> None:
    home = versions["home"]
    store = IndexStore(home)
    done = run_cli(home, "index", "publish", versions["same"], "--golden", str(golden))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"published {versions['same']}" in done.stdout
    assert "unchanged: " in done.stdout
    assert (store.current(), store.previous()) == (versions["same"], versions["full"])
    listed = run_cli(home, "index", "list")
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if "│ v" in line}
    assert "current" in rows[versions["same"]]
    assert "previous" in rows[versions["full"]]
    back = run_cli(home, "index", "rollback")
    assert back.returncode == 0, back.stderr
    assert f"rolled back to {versions['full']}" in back.stdout
    assert (store.current(), store.previous()) == (versions["full"], versions["same"])


def test_max_drop_and_new_must_not(versions: dict[str, Any], golden: Path, tmp_path: Path) -> None:
    home = versions["home"]
    store = IndexStore(home)
    allowed = run_cli(
        home, "index", "publish", versions["worse"], "--golden", str(golden), "--max-drop", "1"
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert store.current() == versions["worse"]
    # FULL is better than WORSE, but shows LV_OFFICIAL where this golden file forbids it.
    forbid = tmp_path / "must-not.jsonl"
    forbid.write_bytes(
        orjson.dumps(
            {
                "id": "lv-forbidden",
                "query": "LV",
                "host": "jd",
                "judgments": {"wxb6979e465ca80716": 3},
                "must_not": [LV_OFFICIAL],
                "tags": ["brand"],
            }
        )
        + b"\n"
    )
    refused = run_cli(home, "index", "publish", versions["full"], "--golden", str(forbid))
    assert refused.returncode == 1
    assert f"1 new must_not violation(s): lv-forbidden: {LV_OFFICIAL}" in refused.stderr
    assert store.current() == versions["worse"]
    assert run_cli(home, "index", "rollback").returncode == 0
    assert store.current() == versions["full"]


def compare(versions: dict[str, Any], golden: Path, a: str, b: str) -> dict[str, Any]:
    done = run_cli(versions["home"], "eval", "--golden", str(golden), "--compare", a, b, "--json")
    assert done.returncode == 0, done.stderr
    diff: dict[str, Any] = orjson.loads(done.stdout)
    return diff


def test_eval_compare(versions: dict[str, Any], golden: Path) -> None:
    down = compare(versions, golden, versions["full"], versions["worse"])
    assert len(down["worse"]) > len(down["better"])
    assert down["overall"]["ndcg@10"] < 0
    assert all(d["delta"] < 0 for d in down["worse"])
    assert all(d["delta"] > 0 for d in down["better"])
    assert "d001" in {d["id"] for d in down["worse"]}
    same = compare(versions, golden, versions["full"], versions["same"])
    assert same["worse"] == same["better"] == []
    assert same["overall"]["ndcg@10"] == 0
