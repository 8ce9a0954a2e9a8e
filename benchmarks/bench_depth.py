"""How deep the first stage must be read: top 10 against re-ranking every match.

    .venv/bin/python benchmarks/bench_depth.py --size 100k

Re-ranking is the costly step, so a search re-ranks ``candidates`` hits chosen from
the first ``pool`` hits of each query plan (``search.rank.prior``). This measures
what that costs in results: for a sample of the query mix it compares each depth's
top 10 (brand zone card, then results) with the top 10 of re-ranking every match
(up to ``--exhaustive`` hits), and times each depth in the same run (CPU ms).
"60/200" is 60 candidates chosen from a pool of 200 hits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_query import query_mix
from benchmarks.common import (
    add_mix_arguments,
    ensure_index,
    label,
    latency_summary,
    machine,
    save_result,
)
from benchmarks.gen_catalog import parse_count
from indexer.dictionaries import Dictionaries
from indexer.settings import Settings
from indexer.store import IndexStore
from search.engine import Depth, Engine

TopLists = list[list[str]]


def parse_depths(text: str) -> list[Depth]:
    """Pairs like 100/100,60/200: candidates/pool."""
    out = []
    for item in text.split(","):
        candidates, pool = item.split("/")
        out.append(Depth(int(candidates), int(pool)))
    return out


def top_lists(engine: Engine, mix: list[tuple[str, str, str]], cpu: list[float]) -> TopLists:
    """Each query's evaluated top 10; the CPU ms of each search is appended to ``cpu``."""
    out = []
    for _, text, host in mix:
        c = time.thread_time()
        out.append(engine.ranked_appids(text, host))
        cpu.append((time.thread_time() - c) * 1000)
    return out


def agreement(ours: TopLists, truth: TopLists) -> dict[str, float]:
    """Share of queries with the same top 10 and the same first result; mean Jaccard of
    the top-10 sets."""
    n = len(truth) or 1
    same = sum(a == b for a, b in zip(ours, truth, strict=True))
    first = sum(a[:1] == b[:1] for a, b in zip(ours, truth, strict=True))
    jaccard = sum(
        len(set(a) & set(b)) / max(1, len(set(a) | set(b)))
        for a, b in zip(ours, truth, strict=True)
    )
    return {
        "same_top10": round(same / n, 4),
        "same_first": round(first / n, 4),
        "jaccard_top10": round(jaccard / n, 4),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = parse_count(args.size)
    home = ensure_index(n, args.seed)
    settings = Settings(home=home)
    store = IndexStore(home)
    version = store.current()
    assert version is not None
    dicts = Dictionaries.load(settings.dictionaries)
    engine = Engine.open(store, version, dicts)
    mix = query_mix(n, args.seed, args.synthetic, args.ecom)
    mix = mix[:: max(1, len(mix) // args.queries)]
    print(f"{label(n)}: {len(mix)} queries", flush=True)

    engine.depth = Depth(args.exhaustive, args.exhaustive)
    truth = top_lists(engine, mix, [])
    rows = []
    for depth in parse_depths(args.depths):
        engine.depth = depth
        top_lists(engine, mix[: args.warmup], [])
        cpu: list[float] = []
        ours = top_lists(engine, mix, cpu)
        rows.append(
            {
                "candidates": depth.candidates,
                "pool": depth.pool,
                **agreement(ours, truth),
                "cpu_ms": latency_summary(cpu),
            }
        )
    return {
        "listings": n,
        "queries": len(mix),
        "exhaustive": args.exhaustive,
        "default": {"candidates": settings.candidates, "pool": settings.pool},
        "depths": rows,
    }


def report(r: dict[str, Any]) -> None:
    head = f"{'depth':<18}{'same top10':>11}{'same #1':>9}{'jaccard':>9}{'p50':>8}{'p99':>8}"
    print(head)
    for row in r["depths"]:
        cpu = row["cpu_ms"]
        depth = f"{row['candidates']}/{row['pool']}"
        print(
            f"{depth:<18}{row['same_top10']:11.3f}{row['same_first']:9.3f}"
            f"{row['jaccard_top10']:9.3f}{cpu['p50']:8.2f}{cpu['p99']:8.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mix_arguments(ap)
    ap.add_argument("--queries", type=int, default=600, help="queries sampled from the mix")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--exhaustive", type=int, default=5000, help="hits re-ranked as the reference")
    ap.add_argument(
        "--depths",
        default="100/100,60/200,60/400,40/400,60/1000,100/400",
        help="candidates/pool pairs to compare",
    )
    ap.add_argument("--name", help="result file name (default depth-<size>)")
    args = ap.parse_args()
    info = machine()
    result = run(args)
    report(result)
    save_result("depth", args.name, info, result)


if __name__ == "__main__":
    main()
