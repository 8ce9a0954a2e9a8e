"""In-process latency of search, suggest and discover, side by side with the raw tantivy floor.

    .venv/bin/python benchmarks/bench_query.py --size 100k

Query mix: the golden queries, synthetic brand / pinyin / initials / typo / prefix queries
drawn from the generated brands, and (when ../shared is present) 2,000 real e-commerce
queries. The floor runs on the same index in the same loop, interleaved query by query:
a bare tantivy boolean of term queries on the query's pre-analysed terms over the word
fields, top 10, with the stored field of each hit fetched. Ratios are mpsearch / floor.
A search's time includes its category facets; ``facets_ms`` is the aggregation alone, on
the same query, and ``facets_share`` its part of the search's time.

Discover inputs (``--discover``, default 2,000): hosts, no category or one of the
catalog's top-level or sub categories, first or later pages, with and without a few
random recent appids; every input differs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import random
import sys
import time
from collections.abc import Callable
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
    parse_count,
    save_result,
)
from benchmarks.gen_catalog import EXTERNAL, ensure_catalog
from indexer import schema as f
from indexer.analysis import compact, has_cjk, pinyin_full, pinyin_initials
from indexer.dictionaries import Dictionaries
from indexer.settings import Settings
from indexer.store import IndexStore
from search.discover import DiscoverRequest
from search.engine import Engine, SearchRequest

GOLDEN = REPO / "tests" / "golden" / "dev.jsonl"
ECOM = EXTERNAL / "multi-cpr-ecom" / "train.query.txt"
HOSTS = ("jd", "qqbrowser", "samsung")
PERCENTILES = ("p50", "p99", "p99.9")

Query = tuple[str, str, str]  # (kind, text, host)


def _typo(word: str, rng: random.Random) -> str:
    """One edit: swap two adjacent letters or drop one."""
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i + 1 :]


def query_mix(n: int, seed: int, synthetic: int, ecom: int) -> list[Query]:
    """The benchmark queries, deterministic for a catalog and seed."""
    rng = random.Random(seed)
    mix: list[Query] = []
    for line in GOLDEN.read_bytes().splitlines():
        g = orjson.loads(line)
        mix.append(("golden", g["query"], g["host"]))
    _, brands_path = ensure_catalog(n, seed)
    brands = [orjson.loads(x) for x in brands_path.read_bytes().splitlines()]
    picked = rng.sample(brands, min(synthetic, len(brands)))
    for b in picked:
        host = rng.choice(HOSTS)
        name = b["name"]
        key = compact(name)
        mix.append(("brand", name, host))
        if has_cjk(key):
            mix.append(("pinyin", pinyin_full(key), host))
            initials = pinyin_initials(key)
            if len(initials) >= 3:
                mix.append(("initials", initials, host))
            mix.append(("prefix", key[:2], host))
            mix.append(("prefix", pinyin_full(key)[:4], host))
        latin = [a for a in b["aliases"] if a.isascii() and len(compact(a)) >= 5]
        if latin:
            mix.append(("typo", _typo(compact(latin[0]), rng), host))
    if ECOM.is_file() and ecom:
        with ECOM.open(encoding="utf-8") as fh:
            for line in fh:
                parts = line.rstrip("\n").split("\t", 1)
                text = parts[-1].strip()
                if text:
                    mix.append(("ecom", text[:64], rng.choice(HOSTS)))
                if sum(1 for k, _, _ in mix if k == "ecom") >= ecom:
                    break
    return mix


def suggest_inputs(mix: list[Query], seed: int) -> list[tuple[str, str]]:
    """What a user has typed so far: 1-3 characters of Chinese, 2-5 letters of Latin."""
    rng = random.Random(seed + 1)
    out: list[tuple[str, str]] = []
    for kind, text, host in mix:
        if kind == "ecom" and rng.random() < 0.7:
            continue
        key = compact(text)
        if not key:
            continue
        cut = rng.randint(1, 3) if has_cjk(key) else rng.randint(2, 5)
        out.append((key[:cut], host))
    return out


class Floor:
    """The raw tantivy floor: term queries on pre-analysed terms, top 10, stored field fetched."""

    def __init__(self, engine: Engine) -> None:
        self.index = engine.index
        self.searcher = engine.searcher
        self.schema = engine.index.schema
        self.analyzer = engine.analyzer

    def terms(self, text: str) -> list[str]:
        return list(dict.fromkeys(self.analyzer.tokens(text, "query")))

    def run(self, terms: list[str]) -> int:
        clauses = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, term))
            for term in terms
            for field in f.WORD_FIELDS
        ]
        hits = self.searcher.search(tantivy.Query.boolean_query(clauses), limit=10).hits
        fetched = 0
        for _, addr in hits:
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
    """Wall-clock ms of one call; its CPU ms (this thread) is appended to ``cpu``.

    The CPU figure hardly moves when other processes share the cores, the wall figure does.
    """
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
    settings = Settings(home=home)
    store = IndexStore(home)
    version = store.current()
    assert version is not None
    started = time.perf_counter()
    engine = Engine.open(store, version, Dictionaries.load(settings.dictionaries))
    open_s = time.perf_counter() - started
    floor = Floor(engine)
    mix = query_mix(n, args.seed, args.synthetic, args.ecom)
    suggests = suggest_inputs(mix, args.seed)
    discovers = discover_inputs(n, args.seed, args.discover)
    terms = [floor.terms(text) for _, text, _ in mix]
    print(
        f"{label(n)}: {engine.num_docs} docs, engine open {open_s:.2f}s, "
        f"{len(mix)} search queries, {len(suggests)} suggest inputs, "
        f"{len(discovers)} discover inputs",
        flush=True,
    )

    searching = args.only != "suggest"
    # Warm-up: page the index in and fill per-process caches once.
    for (_, text, host), t in zip(mix[: args.warmup] if searching else [], terms, strict=False):
        engine.search(SearchRequest(q=text, host=host))
        if t:
            floor.run(t)
    for text, host in suggests[: args.warmup]:
        engine.suggest(text, host)
    for req in discovers[: args.warmup]:
        engine.discover(req)

    profiler = cProfile.Profile() if args.profile else None
    ours: dict[str, list[float]] = {}
    base: list[float] = []
    sugg: list[float] = []
    cpu_ours: list[float] = []
    cpu_base: list[float] = []
    cpu_sugg: list[float] = []
    disc: list[float] = []
    cpu_disc: list[float] = []
    facets: list[float] = []
    facet_share: list[float] = []
    gc.collect()
    load_start = os.getloadavg()[0]
    for _ in range(args.repeat):
        for (kind, text, host), t in zip(mix if searching else [], terms, strict=False):
            if t:
                base.append(_time(lambda t=t: floor.run(t), cpu_base))  # type: ignore[misc]
            req = SearchRequest(q=text, host=host)
            if profiler:
                profiler.enable()
            ms = _time(lambda req=req: engine.search(req), cpu_ours)  # type: ignore[misc]
            if profiler:
                profiler.disable()
            ours.setdefault(kind, []).append(ms)
            page = engine.rank(engine.understand(text), req, engine.filters(host))
            spent = _time(lambda page=page: engine.facets(page), [])  # type: ignore[misc]
            facets.append(spent)
            facet_share.append(spent / ms if ms > 0 else 0.0)
        for text, host in suggests:
            if profiler:
                profiler.enable()
            ms = _time(lambda text=text, host=host: engine.suggest(text, host), cpu_sugg)  # type: ignore[misc]
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

    all_ms = [ms for values in ours.values() for ms in values]
    search = latency_summary(all_ms)
    floor_s = latency_summary(base)
    return {
        "listings": n,
        "docs": engine.num_docs,
        "engine_open_s": round(open_s, 3),
        "queries": len(mix),
        "repeat": args.repeat,
        "external_ecom": ECOM.is_file(),
        "search_ms": search,
        "floor_ms": floor_s,
        "ratio": ratios(search, floor_s),
        "suggest_ms": latency_summary(sugg),
        "discover_ms": latency_summary(disc),
        "facets_ms": latency_summary(facets),
        "facets_share": latency_summary(facet_share),
        "cpu": {
            "search_ms": latency_summary(cpu_ours),
            "floor_ms": latency_summary(cpu_base),
            "ratio": ratios(latency_summary(cpu_ours), latency_summary(cpu_base)),
            "suggest_ms": latency_summary(cpu_sugg),
            "discover_ms": latency_summary(cpu_disc),
        },
        "loadavg_during": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "search_by_kind_ms": {k: latency_summary(v) for k, v in sorted(ours.items())},
    }


def report(r: dict[str, Any]) -> None:
    s, fl, sg, ra = r["search_ms"], r["floor_ms"], r["suggest_ms"], r["ratio"]
    print(f"{'ms':<14}{'p50':>9}{'p99':>9}{'p99.9':>9}{'n':>7}")
    print(f"{'search':<14}{s['p50']:9.2f}{s['p99']:9.2f}{s['p99.9']:9.2f}{s['n']:7d}")
    print(f"{'floor':<14}{fl['p50']:9.2f}{fl['p99']:9.2f}{fl['p99.9']:9.2f}{fl['n']:7d}")
    print(f"{'search/floor':<14}{ra['p50']:9.2f}{ra['p99']:9.2f}{ra['p99.9']:9.2f}")
    print(f"{'suggest':<14}{sg['p50']:9.2f}{sg['p99']:9.2f}{sg['p99.9']:9.2f}{sg['n']:7d}")
    for name in ("discover_ms", "facets_ms"):
        d = r[name]
        print(f"{name[:-3]:<14}{d['p50']:9.2f}{d['p99']:9.2f}{d['p99.9']:9.2f}{d['n']:7d}")
    fs = r["facets_share"]
    print(f"{'facets/search':<14}{fs['p50']:9.2f}{fs['p99']:9.2f}{fs['p99.9']:9.2f}")
    c = r["cpu"]
    for name, v in (("search cpu", c["search_ms"]), ("floor cpu", c["floor_ms"])):
        print(f"{name:<14}{v['p50']:9.2f}{v['p99']:9.2f}{v['p99.9']:9.2f}")
    cr = c["ratio"]
    print(f"{'cpu ratio':<14}{cr['p50']:9.2f}{cr['p99']:9.2f}{cr['p99.9']:9.2f}")
    for name in ("suggest", "discover"):
        v = c[f"{name}_ms"]
        print(f"{name + ' cpu':<14}{v['p50']:9.2f}{v['p99']:9.2f}{v['p99.9']:9.2f}")
    for kind, k in r["search_by_kind_ms"].items():
        print(f"  {kind:<12}{k['p50']:9.2f}{k['p99']:9.2f}{k['p99.9']:9.2f}{k['n']:7d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mix_arguments(ap)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--discover", type=int, default=2000, help="discover inputs")
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
