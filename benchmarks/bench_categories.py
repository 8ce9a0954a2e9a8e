"""Query → category model benchmark: its cost in a build, its size, and predict time.

    .venv/bin/python benchmarks/bench_categories.py --size 100k [--baseline]

Builds the generated catalog of that size in-process (as ``mpsearch index build`` does,
analysis workers included; with ``--baseline`` first without the model, for the ratio of
the two wall times) with the model's two build steps timed: counting each
listing's analysed fields in the parent (``CategoryCounts.add_fields``) and writing the
model (``save``). Their sum is reported as a share of the build's wall time, measured in
the same run. Then the saved model is loaded and timed on unique 5-word queries of words
it knows (and on the worst case, words with the most stored categories), against the
analyzer cutting the same query text in the same run.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    bench_root,
    ensure_catalog,
    label,
    latency_summary,
    machine,
    parse_count,
    write_result,
)
from benchmarks.gen_catalog import DEFAULT_SEED
from indexer import build
from indexer.analysis import Analyzer
from indexer.analyzers import load_analyzer
from indexer.categories import MODEL_FILE, CategoryCounts, CategoryModel, ModelSettings
from indexer.dictionaries import Dictionaries, default_dictionaries_dir
from indexer.store import IndexStore

QUERY_WORDS = 5


class TimedCounts(CategoryCounts):
    """CategoryCounts that adds up the time of its two build steps (counting: wall time
    and the CPU time of the parent's thread, which shares the cores with the workers)."""

    add_s = 0.0
    add_cpu_s = 0.0
    save_s = 0.0
    last: CategoryCounts | None = None

    def add_fields(self, fields: Any) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        super().add_fields(fields)
        TimedCounts.add_s += time.perf_counter() - started
        TimedCounts.add_cpu_s += time.thread_time() - cpu

    def save(self, folder: Path, settings: ModelSettings | None = None) -> Path:
        TimedCounts.last = self
        started = time.perf_counter()
        path = super().save(folder, settings)
        TimedCounts.save_s += time.perf_counter() - started
        return path


class NoCounts(CategoryCounts):
    """CategoryCounts that does nothing: the build without the model, for comparison."""

    def add_fields(self, fields: Any) -> None:
        pass

    def save(self, folder: Path, settings: ModelSettings | None = None) -> Path:
        return folder / MODEL_FILE


def _build(n: int, seed: int, dicts: Dictionaries, counts: type[CategoryCounts]) -> Path:
    """Build the catalog of ``n`` listings with ``counts`` as the build's model counter."""
    listings, brands = ensure_catalog(n, seed)
    home = bench_root() / f"home-categories-{n}"
    shutil.rmtree(home, ignore_errors=True)
    original = build.CategoryCounts
    build.CategoryCounts = counts  # type: ignore[misc]
    try:
        result = build.build_index(IndexStore(home), listings, brands, dicts)
    finally:
        build.CategoryCounts = original  # type: ignore[misc]
    assert result.version is not None
    return IndexStore(home).path(result.version)


def timed_build(
    n: int, seed: int, dicts: Dictionaries, baseline: bool
) -> tuple[Path, dict[str, Any]]:
    """The build with the model timed; with ``baseline``, first the same build without it."""
    without = None
    if baseline:
        _build(1000, seed, dicts, NoCounts)  # one-time costs (imports, jieba) not in either
        started = time.perf_counter()
        _build(n, seed, dicts, NoCounts)
        without = time.perf_counter() - started
    started = time.perf_counter()
    folder = _build(n, seed, dicts, TimedCounts)
    wall = time.perf_counter() - started
    hook = TimedCounts.add_s + TimedCounts.save_s
    counts = TimedCounts.last
    assert counts is not None
    return folder, {
        "listings": n,
        "build_wall_s": round(wall, 2),
        "build_without_model_wall_s": None if without is None else round(without, 2),
        "with_over_without": None if without is None else round(wall / without, 3),
        "count_s": round(TimedCounts.add_s, 3),
        "count_us_per_listing": round(TimedCounts.add_s / n * 1e6, 2),
        "count_cpu_s": round(TimedCounts.add_cpu_s, 3),
        "count_cpu_us_per_listing": round(TimedCounts.add_cpu_s / n * 1e6, 2),
        "save_s": round(TimedCounts.save_s, 3),
        "share_of_build": round(hook / wall, 4),
        "model_bytes": (folder / MODEL_FILE).stat().st_size,
        "distinct_words": len(counts.df),
        "category_word_pairs": sum(len(c) for c in counts.counts.values()),
    }


def _time_us(fn: Any, arg: Any) -> float:
    started = time.perf_counter_ns()
    fn(arg)
    return (time.perf_counter_ns() - started) / 1000


def predict_times(model: CategoryModel, analyzer: Analyzer, queries: int) -> dict[str, Any]:
    rng = random.Random(7)
    vocab = sorted(model.words)
    widest = sorted(vocab, key=lambda w: (-len(model.words[w][0]), w))[: QUERY_WORDS * 50]
    typical = [rng.sample(vocab, QUERY_WORDS) for _ in range(queries)]
    worst = [rng.sample(widest, QUERY_WORDS) for _ in range(queries)]
    for words in typical[:100]:  # warm up
        model.predict(words)
    out: dict[str, Any] = {}
    for name, batch in (("typical", typical), ("widest", worst)):
        predict = [_time_us(model.predict, words) for words in batch]
        cut = [_time_us(lambda t: analyzer.tokens(t, "query"), "".join(w)) for w in batch]
        out[name] = {
            "predict_us": latency_summary(predict),
            "analyzer_cut_us": latency_summary(cut),
            "predict_over_cut_p50": round(
                latency_summary(predict)["p50"] / latency_summary(cut)["p50"], 3
            ),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100k", help="catalog size: 100k, 1m, 1000")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument(
        "--baseline", action="store_true", help="first build without the model, to compare"
    )
    ap.add_argument("--name", default=None, help="result file name (default categories-<size>)")
    args = ap.parse_args()
    n = parse_count(args.size)
    info = machine()
    dicts = Dictionaries.load(default_dictionaries_dir())
    folder, built = timed_build(n, args.seed, dicts, args.baseline)
    b = built
    print(
        f"{label(n)}: build {b['build_wall_s']} s; counting {b['count_s']} s "
        f"({b['count_us_per_listing']} µs a listing; CPU {b['count_cpu_us_per_listing']} µs) "
        f"+ save {b['save_s']} s = {b['share_of_build']:.1%} of the build",
        flush=True,
    )
    if b["build_without_model_wall_s"] is not None:
        print(
            f"  the same build without the model: {b['build_without_model_wall_s']} s "
            f"(with ÷ without: {b['with_over_without']})"
        )
    print(
        f"  model {b['model_bytes'] / 2**20:.1f} MiB; {b['distinct_words']} words, "
        f"{b['category_word_pairs']} (category, word) counts"
    )
    started = time.perf_counter()
    model = CategoryModel.load(folder)
    load_s = time.perf_counter() - started
    tracemalloc.start()
    copy = CategoryModel.load(folder)
    model_mib = tracemalloc.get_traced_memory()[0] / 2**20  # what a loaded model holds
    tracemalloc.stop()
    del copy
    analyzer = load_analyzer(dicts, folder)
    times = predict_times(model, analyzer, args.queries)
    for name, t in times.items():
        print(
            f"  predict, {QUERY_WORDS} {name} words: p50 {t['predict_us']['p50']:.1f} µs, "
            f"p99 {t['predict_us']['p99']:.1f} µs ({t['predict_over_cut_p50']}× the "
            f"analyzer's cut of the same text, p50 {t['analyzer_cut_us']['p50']:.1f} µs)"
        )
    print(
        f"  load {load_s * 1000:.0f} ms, {model_mib:.1f} MiB in memory, {len(model.words)} words, "
        f"{len(model.categories)} categories"
    )
    payload = {
        "benchmark": "categories",
        "machine": info,
        "build": built,
        "model": {
            "load_ms": round(load_s * 1000, 1),
            "memory_mib": round(model_mib, 1),
            "words": len(model.words),
            "categories": len(model.categories),
        },
        "predict": times,
    }
    path = write_result(args.name or f"categories-{label(n)}", payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
