"""In-process latency of search, suggest and discover on unique inputs, beside the raw tantivy
floor.

    .venv/bin/python benchmarks/bench_query.py --size 100k

The queries (:func:`query_mix`), each run once: real e-commerce queries
(``../shared/data/external/multi-cpr-ecom/train.query.txt``, shuffled with the seed; empty
ones and those over 64 characters skipped), the dev golden queries (kind ``need`` for those
stating a need, ``golden`` for names and brands) and synthetic brand /
full pinyin / initials / one-edit Latin typo / Chinese and pinyin prefix queries drawn from
the generated brands, each labelled with its kind. No query text is timed twice in a run
(a cache could stand in for search otherwise); the warm-up uses other real queries.

The floor runs on the same index, interleaved query by query: a boolean of term queries
(the query's analysed terms over the word fields), built before the clock starts, top 10,
the stored card of each hit fetched. Figures: wall and CPU time (this thread's, which
hardly moves when other processes share the cores), p50 / p99 / p99.9, overall and per
kind, and the ratio mpsearch ÷ floor. Suggest gets 1-3 characters (Chinese) or 2-5
letters (Latin) of the same queries, each (prefix, host) once.

A search's time includes its category facets; ``facets_ms`` is the aggregation alone, on
the same query, and ``facets_share`` its part of the search's time. Discover inputs
(``--discover``, default 2,000): hosts, no category or one of the catalog's top-level or
sub categories, first or later pages, with and without a few random recent appids; every
input differs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import tantivy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    REPO,
    add_mix_arguments,
    ensure_index,
    label,
    latency_summary,
    machine,
    open_engine,
    parse_count,
    save_result,
)
from benchmarks.gen_catalog import EXTERNAL, ensure_catalog
from indexer import schema as f
from indexer.analysis import compact, has_cjk, pinyin_full, pinyin_initials
from search.discover import DiscoverRequest
from search.engine import Engine, SearchRequest

GOLDEN = REPO / "tests" / "golden" / "dev.jsonl"
# Golden queries of these kinds (first tag) state a need: timed as kind "need", the others
# (names, brands and their spellings) as "golden"; need_vs_brand_cpu compares the two.
NEED_KINDS = frozenset(
    {"service", "long", "gov", "nl", "intent", "question", "colloquial", "region"}
)
ECOM = EXTERNAL / "multi-cpr-ecom" / "train.query.txt"
HOSTS = ("jd", "qqbrowser", "samsung")
PERCENTILES = ("p50", "p99", "p99.9")
MAX_QUERY_CHARS = 64  # what the API accepts


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    text: str
    host: str


def ecom_queries(seed: int) -> list[str]:
    """Every distinct real query of the e-commerce file (1-64 characters), shuffled with
    ``seed``; [] when ../shared is absent."""
    if not ECOM.is_file():
        return []
    seen: dict[str, None] = {}
    with ECOM.open(encoding="utf-8") as fh:
        for line in fh:
            text = line.rstrip("\n").split("\t", 1)[-1].strip()
            if text and len(text) <= MAX_QUERY_CHARS:
                seen[text] = None
    out = list(seen)
    random.Random(seed).shuffle(out)
    return out


def _typo(word: str, rng: random.Random) -> str:
    """One edit: swap two adjacent letters or drop one."""
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def _synthetic(n: int, seed: int, count: int, rng: random.Random) -> Iterator[Query]:
    """Brand, pinyin, initials, prefix and typo queries from ``count`` generated brands."""
    _, brands_path = ensure_catalog(n, seed)
    brands = [orjson.loads(x) for x in brands_path.read_bytes().splitlines()]
    for b in rng.sample(brands, min(count, len(brands))):
        host = rng.choice(HOSTS)
        name = b["name"]
        key = compact(name)
        yield Query("brand", name, host)
        if has_cjk(key):
            yield Query("pinyin", pinyin_full(key), host)
            initials = pinyin_initials(key)
            if len(initials) >= 3:
                yield Query("initials", initials, host)
            yield Query("prefix", key[:2], host)
            yield Query("prefix", pinyin_full(key)[:4], host)
        latin = [a for a in b["aliases"] if a.isascii() and len(compact(a)) >= 5]
        if latin:
            yield Query("typo", _typo(compact(latin[0]), rng), host)


def query_mix(n: int, seed: int, synthetic: int, ecom: int) -> list[Query]:
    """The benchmark's queries, deterministic for a catalog and seed, no text twice: the
    golden queries, the synthetic ones, then ``ecom`` real queries (all of them if -1)."""
    rng = random.Random(seed)
    mix: list[Query] = []
    seen: set[str] = set()

    def add(q: Query) -> None:
        if q.text not in seen:
            seen.add(q.text)
            mix.append(q)

    for line in GOLDEN.read_bytes().splitlines():
        g = orjson.loads(line)
        add(Query("need" if g["tags"][0] in NEED_KINDS else "golden", g["query"], g["host"]))
    for q in _synthetic(n, seed, synthetic, rng):
        add(q)
    wanted = len(mix) + ecom
    for text in ecom_queries(seed):
        if ecom >= 0 and len(mix) >= wanted:
            break
        add(Query("ecom", text, rng.choice(HOSTS)))
    return mix


def warmup_queries(mix: list[Query], seed: int, count: int) -> list[Query]:
    """``count`` real queries that are not in ``mix`` (the tail of the shuffled file)."""
    used = {q.text for q in mix}
    rng = random.Random(seed + 2)
    out: list[Query] = []
    for text in reversed(ecom_queries(seed)):
        if len(out) >= count:
            break
        if text not in used:
            out.append(Query("warmup", text, rng.choice(HOSTS)))
    return out


def suggest_inputs(mix: list[Query], seed: int) -> list[Query]:
    """What a user has typed so far: 1-3 characters of Chinese, 2-5 letters of Latin; each
    (prefix, host) once."""
    rng = random.Random(seed + 1)
    out: list[Query] = []
    seen: set[tuple[str, str]] = set()
    for q in mix:
        key = compact(q.text)
        if not key:
            continue
        cut = rng.randint(1, 3) if has_cjk(key) else rng.randint(2, 5)
        item = (key[:cut], q.host)
        if item not in seen:
            seen.add(item)
            out.append(Query(q.kind, *item))
    return out


class Floor:
    """The raw tantivy floor: a prebuilt boolean of term queries (the query's analysed terms
    over the word fields), top 10, each hit's stored card read."""

    def __init__(self, engine: Engine) -> None:
        self.searcher = engine.searcher
        self.schema = engine.index.schema
        self.analyzer = engine.analyzer

    def query(self, text: str) -> tantivy.Query | None:
        """Built before the clock starts; None for a query without terms."""
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, term))
            for term in dict.fromkeys(self.analyzer.tokens(text, "query"))
            for field in f.WORD_FIELDS
        ]
        return tantivy.Query.boolean_query(clauses) if clauses else None

    def run(self, query: tantivy.Query) -> int:
        fetched = 0
        for _, addr in self.searcher.search(query, limit=10).hits:
            blob = self.searcher.doc(addr).get_first(f.CARD)
            fetched += len(blob) if isinstance(blob, bytes) else 0
        return fetched


def discover_inputs(n: int, seed: int, count: int) -> list[DiscoverRequest]:
    """``count`` different discover requests over the generated catalog's hosts, categories
    and appids (a tenth of the catalog read for its categories and appids)."""
    rng = random.Random(seed + 2)
    listings_path, _ = ensure_catalog(n, seed)
    categories: set[str] = set()
    appids: list[str] = []
    with listings_path.open("rb") as fh:
        for i, line in enumerate(fh):
            if i % 10:
                continue
            row = orjson.loads(line)
            categories.update(row["category"])
            appids.append(row["appid"])
    choices = [None, *sorted(categories)]
    out: dict[DiscoverRequest, None] = {}
    while len(out) < count:
        recent = tuple(rng.sample(appids, rng.choice((0, 0, 1, 3))))
        req = DiscoverRequest(
            host=rng.choice(HOSTS),
            category=rng.choice(choices) if rng.random() < 0.5 else None,
            recent=recent,
            limit=rng.choice((10, 20)),
            offset=rng.choice((0, 0, 0, 10, 20, 50)),
        )
        out[req] = None
    return list(out)


def _time(fn: Callable[[], object], cpu: list[float]) -> float:
    """Wall-clock ms of one call; its CPU ms (this thread) is appended to ``cpu``."""
    c = time.thread_time()
    t = time.perf_counter()
    fn()
    wall = (time.perf_counter() - t) * 1000
    cpu.append((time.thread_time() - c) * 1000)
    return wall


def ratios(ours: dict[str, float], floor: dict[str, float]) -> dict[str, float]:
    return {p: round(ours[p] / floor[p], 2) if floor[p] > 0 else float("nan") for p in PERCENTILES}


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = parse_count(args.size)
    home = ensure_index(n, args.seed)
    started = time.perf_counter()
    engine = open_engine(home)
    open_s = time.perf_counter() - started
    floor = Floor(engine)
    mix = query_mix(n, args.seed, args.synthetic, args.ecom)
    warm = warmup_queries(mix, args.seed, args.warmup)
    suggests = suggest_inputs(mix, args.seed)
    floors = [floor.query(q.text) for q in mix]
    discovers = discover_inputs(n, args.seed, args.discover)
    print(
        f"{label(n)}: {engine.num_docs} docs, engine open {open_s:.2f}s, {len(mix)} unique "
        f"search queries ({sum(q.kind == 'ecom' for q in mix)} real), {len(suggests)} "
        f"suggest inputs, {len(discovers)} discover inputs, {len(warm)} warm-up queries",
        flush=True,
    )

    searching = args.only != "suggest"
    for q in warm:  # page the index in, fill per-process state; none of these is timed
        if searching:
            engine.run(SearchRequest(q=q.text, host=q.host))
        engine.suggest(compact(q.text)[:2] or q.text, q.host)
    for dreq in discovers[: args.warmup] if args.discover else []:
        engine.discover(dreq)

    profiler = cProfile.Profile() if args.profile else None
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    base: list[float] = []
    cpu_base: list[float] = []
    sugg: list[float] = []
    cpu_sugg: list[float] = []
    disc: list[float] = []
    cpu_disc: list[float] = []
    facets: list[float] = []
    facet_share: list[float] = []
    gc.collect()
    load_start = os.getloadavg()[0]
    for q, fq in zip(mix if searching else [], floors, strict=False):
        if fq is not None:
            base.append(_time(lambda fq=fq: floor.run(fq), cpu_base))  # type: ignore[misc]
        req = SearchRequest(q=q.text, host=q.host)
        if profiler:
            profiler.enable()
        ms = _time(lambda req=req: engine.run(req), cpu.setdefault(q.kind, []))  # type: ignore[misc]
        if profiler:
            profiler.disable()
        wall.setdefault(q.kind, []).append(ms)
        # read again without keeping it: a kept query would change later searches' heap
        page = engine.rank(engine.read_query(q.text, host=q.host), req, engine.filters(q.host))
        spent = _time(lambda page=page: engine.facets(page), [])  # type: ignore[misc]
        facets.append(spent)
        facet_share.append(spent / ms if ms > 0 else 0.0)
    for s in suggests:
        if profiler:
            profiler.enable()
        ms = _time(lambda s=s: engine.suggest(s.text, s.host), cpu_sugg)  # type: ignore[misc]
        if profiler:
            profiler.disable()
        sugg.append(ms)
    for dreq in discovers:
        if profiler:
            profiler.enable()
        ms = _time(lambda dreq=dreq: engine.discover(dreq), cpu_disc)  # type: ignore[misc]
        if profiler:
            profiler.disable()
        disc.append(ms)
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"profile written to {args.profile}")

    search = latency_summary([ms for values in wall.values() for ms in values])
    search_cpu = latency_summary([ms for values in cpu.values() for ms in values])
    floor_s, floor_cpu = latency_summary(base), latency_summary(cpu_base)
    return {
        "listings": n,
        "docs": engine.num_docs,
        "engine_open_s": round(open_s, 3),
        "queries": len(mix),
        "unique": True,
        "warmup_queries": len(warm),
        "external_ecom": ECOM.is_file(),
        "search_ms": search,
        "floor_ms": floor_s,
        "ratio": ratios(search, floor_s),
        "suggest_ms": latency_summary(sugg),
        "discover_ms": latency_summary(disc),
        "facets_ms": latency_summary(facets),
        "facets_share": latency_summary(facet_share),
        "cpu": {
            "search_ms": search_cpu,
            "floor_ms": floor_cpu,
            "ratio": ratios(search_cpu, floor_cpu),
            "suggest_ms": latency_summary(cpu_sugg),
            "discover_ms": latency_summary(cpu_disc),
        },
        "loadavg_during": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "search_by_kind_ms": {k: latency_summary(v) for k, v in sorted(wall.items())},
        "search_by_kind_cpu_ms": {k: latency_summary(v) for k, v in sorted(cpu.items())},
        "need_vs_brand_cpu": ratios(
            latency_summary(cpu.get("need", [])), latency_summary(cpu.get("golden", []))
        ),
    }


def _row(name: str, v: dict[str, float]) -> str:
    return f"{name:<16}{v['p50']:9.3f}{v['p99']:9.3f}{v['p99.9']:9.3f}{v['n']:8d}"


def report(r: dict[str, Any]) -> None:
    c = r["cpu"]
    print(f"{'ms':<16}{'p50':>9}{'p99':>9}{'p99.9':>9}{'n':>8}")
    for name in ("search", "floor", "suggest", "discover"):
        print(_row(name, r[f"{name}_ms"]))
        print(_row(f"{name} cpu", c[f"{name}_ms"]))
    print(_row("facets", r["facets_ms"]))
    fs = r["facets_share"]
    print(f"{'facets/search':<16}{fs['p50']:9.2f}{fs['p99']:9.2f}{fs['p99.9']:9.2f}")
    for name, ra in (("search/floor", r["ratio"]), ("cpu search/floor", c["ratio"])):
        print(f"{name:<16}{ra['p50']:9.2f}{ra['p99']:9.2f}{ra['p99.9']:9.2f}")
    for kind, k in r["search_by_kind_ms"].items():
        print(_row(f"  {kind}", k))
        print(_row(f"  {kind} cpu", r["search_by_kind_cpu_ms"][kind]))
    nb = r["need_vs_brand_cpu"]
    print(f"{'need/brand cpu':<16}{nb['p50']:9.2f}{nb['p99']:9.2f}{nb['p99.9']:9.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mix_arguments(ap, ecom=5000)
    ap.add_argument("--warmup", type=int, default=500, help="real queries run before timing")
    ap.add_argument("--discover", type=int, default=2000, help="discover inputs (0: none)")
    ap.add_argument(
        "--only", choices=("all", "suggest"), default="all", help="suggest: skip search and floor"
    )
    ap.add_argument("--profile", help="write a cProfile of the mpsearch calls here")
    ap.add_argument("--name", help="result file name (default query-<size>)")
    args = ap.parse_args()
    info = machine()
    result = run(args)
    report(result)
    save_result("query", args.name, info, result)


if __name__ == "__main__":
    main()
