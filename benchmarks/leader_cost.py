"""What finding a need's leaders costs (``Engine.leaders``), against a search of the query.

    .venv/bin/python benchmarks/leader_cost.py --size 100k [--passes 3]

On the generated index of that size (built if missing), for each dev golden query that
states a need (the kinds ``bench_query.py`` times as ``need``) and has sub-categories to
lead: the thread CPU time of finding their leaders with nothing kept (``cold``: each
lookup reads the category's top popularity bands, one hit and its stored card), the same
kept by the engine (``kept``: what a search pays once a sub-category was asked for since
the last commit), and the whole search of the query (``Engine.run``, understood afresh,
leaders kept), all in the same run. Reports p50 / mean / p99 of each and cold ÷ search.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_query import GOLDEN, NEED_KINDS
from benchmarks.common import (
    ensure_index,
    latency_summary,
    machine,
    open_engine,
    parse_count,
    save_result,
)
from benchmarks.gen_catalog import DEFAULT_SEED
from search.engine import SearchRequest


def need_queries() -> list[tuple[str, str]]:
    """The dev golden queries whose first tag states a need, with their hosts."""
    rows = [orjson.loads(line) for line in GOLDEN.read_bytes().splitlines() if line.strip()]
    return [(r["query"], r["host"]) for r in rows if r["tags"] and r["tags"][0] in NEED_KINDS]


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = parse_count(args.size)
    engine = open_engine(ensure_index(n, args.seed))
    queries = need_queries()
    for q, host in queries[:20]:  # warm the process, not the leaders (cleared below)
        engine.run(SearchRequest(q=q, host=host))
    clock = time.thread_time
    cold: list[float] = []
    kept: list[float] = []
    search: list[float] = []
    leads: list[int] = []
    for _ in range(args.passes):
        for q, host in queries:
            need = engine.read_query(q).need
            if not need.leads:
                continue
            engine._leaders.clear()
            started = clock()
            engine.leaders(need.leads, host)
            cold.append((clock() - started) * 1000)
            started = clock()
            engine.leaders(need.leads, host)
            kept.append((clock() - started) * 1000)
            engine._understood.clear()  # the search reads the query afresh
            started = clock()
            engine.run(SearchRequest(q=q, host=host))
            search.append((clock() - started) * 1000)
            leads.append(len(need.leads))
    summary = {
        "cold_ms": latency_summary(cold),
        "kept_ms": latency_summary(kept),
        "search_ms": latency_summary(search),
    }
    return {
        "listings": n,
        "docs": engine.searcher.num_docs,
        "need_queries": len(queries),
        "with_leads": len(leads) // max(args.passes, 1),
        "sub_categories_per_query": round(statistics.mean(leads), 2) if leads else 0.0,
        "passes": args.passes,
        **summary,
        "cold_vs_search_p50": round(summary["cold_ms"]["p50"] / summary["search_ms"]["p50"], 3)
        if search
        else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="100k", help="catalog size: 1k, 100k, 1m")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--passes", type=int, default=3, help="times each query is measured")
    ap.add_argument("--name", help="result file name (default leader-cost-<size>)")
    args = ap.parse_args()
    info = machine()
    result = run(args)
    print(
        f"{result['docs']} listings, {result['with_leads']} of {result['need_queries']} need "
        f"queries with leaders, {result['sub_categories_per_query']} sub-categories each"
    )
    print(f"{'ms (thread CPU)':<16}{'p50':>9}{'mean':>9}{'p99':>9}")
    for key in ("cold_ms", "kept_ms", "search_ms"):
        s = result[key]
        print(f"{key:<16}{s['p50']:9.3f}{s['mean']:9.3f}{s['p99']:9.3f}")
    print(f"cold ÷ search p50 {result['cold_vs_search_p50']}")
    save_result("leader-cost", args.name, info, result)


if __name__ == "__main__":
    main()
