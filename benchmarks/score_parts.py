"""What each part of a need query's score costs tantivy, one part left out at a time.

    .venv/bin/python benchmarks/score_parts.py --size 1m [--repeat 5]

On the generated index of that size (built if missing), for each dev golden query that
states a need (the kinds ``bench_query.py`` times as ``need``): the search of the tier
that answers it (the query ``Engine.rank`` runs, scored, ten hits, counted), then the
same search with one part of the score's priors left out (``service``, every need's
group of it, ``category``, ``category_top``, ``leader``, ``region``, ``first_party``,
...: ``search.rank``), and the tier's matches unscored. Each is the best of ``--repeat``
runs (thread CPU), so what is left is the search's own cost. A part's cost is the full
search's time minus the time without it, over the queries whose score has that part.
Reports p50 / mean of the full search, of the unscored matches and of each part, and
each part's p50 share of the full search's p50. Where a query's time goes, part by part:
the clause on a top-level category was found this way (``BENCHMARKS.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import tantivy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    ensure_index,
    latency_summary,
    machine,
    open_engine,
    parse_count,
    save_result,
)
from benchmarks.gen_catalog import DEFAULT_SEED
from benchmarks.leader_cost import need_queries
from search.engine import Engine, SearchRequest
from search.rank.compile import Compiled, nothing


def best_of(engine: Engine, query: tantivy.Query, prior: str, repeat: int) -> float:
    """The least thread CPU time (ms) of ``repeat`` searches of ``query``, as
    ``Engine._search`` runs them (ten hits, counted, scores times the prior)."""
    clock = time.thread_time
    times = []
    for _ in range(repeat):
        started = clock()
        engine.searcher.search(query, limit=10, count=True, weight_by_field=prior)
        times.append(clock() - started)
    return min(times) * 1000


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = parse_count(args.size)
    engine = open_engine(ensure_index(n, args.seed))
    queries = need_queries()
    for q, host in queries[:20]:  # warm the process
        engine.run(SearchRequest(q=q, host=host))
    full: list[float] = []
    bare: list[float] = []
    groups: dict[str, list[float]] = defaultdict(list)
    for q, host in queries:
        understood = engine.read_query(q, frozenset(), host)
        req = SearchRequest(q=q, host=host)
        _, filters = engine._zone(understood, req, engine.filters(host))
        tier = engine.rank(understood, req, filters).tier
        if understood.region is not None:  # as ``Engine.rank`` adds it
            filters = [*filters, (tantivy.Occur.Must, nothing(understood.region))]
        also = understood.serving if tier.need else understood.family
        scope = understood.scope if tier.scoped else None
        where = (filters, tier.description, tier.among, tier.among_description, also, scope)
        compiled = understood.compiled
        scored = compiled.query(*where)
        matches = compiled.query(*where, scored=False)
        if scored is None or matches is None:
            continue
        prior = compiled.ranking.popularity.field
        whole = best_of(engine, scored, prior, args.repeat)
        full.append(whole)
        bare.append(best_of(engine, matches, prior, args.repeat))
        ranking = compiled.ranking
        for name in dict.fromkeys(g.name for g in ranking.priors):  # a need's groups: one part
            rest = tuple(g for g in ranking.priors if g.name != name)
            without = Compiled(engine.compiler, ranking._replace(priors=rest)).query(*where)
            if without is not None:
                groups[name].append(whole - best_of(engine, without, prior, args.repeat))
    whole_p50 = latency_summary(full)["p50"]
    parts = {name: latency_summary(values) for name, values in sorted(groups.items())}
    for part in parts.values():
        part["share_p50"] = round(part["p50"] / whole_p50, 3) if full else float("nan")
    return {
        "listings": n,
        "docs": engine.searcher.num_docs,
        "need_queries": len(queries),
        "searched": len(full),
        "repeat": args.repeat,
        "full_ms": latency_summary(full),
        "matches_ms": latency_summary(bare),
        "groups_ms": parts,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="100k", help="catalog size: 1k, 100k, 1m")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--repeat", type=int, default=5, help="runs of each search, best kept")
    ap.add_argument("--name", help="result file name (default score-parts-<size>)")
    args = ap.parse_args()
    info = machine()
    result = run(args)
    searched, asked = result["searched"], result["need_queries"]
    print(f"{result['docs']} listings, {searched} of {asked} need queries")
    print(f"{'ms (thread CPU)':<22}{'n':>5}{'p50':>9}{'mean':>9}{'share':>8}")
    for key in ("full_ms", "matches_ms"):
        s = result[key]
        print(f"{key:<22}{s['n']:5d}{s['p50']:9.3f}{s['mean']:9.3f}")
    for name, s in result["groups_ms"].items():
        print(f"{'- ' + name:<22}{s['n']:5d}{s['p50']:9.3f}{s['mean']:9.3f}{s['share_p50']:8.3f}")
    save_result("score-parts", args.name, info, result)


if __name__ == "__main__":
    main()
