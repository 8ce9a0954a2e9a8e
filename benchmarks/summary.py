"""Markdown table of benchmark results, for BENCHMARKS.md.

    .venv/bin/python benchmarks/summary.py --run before:before- --run after:after- --sizes 100k,1m

Each ``--run LABEL:PREFIX`` reads ``benchmarks/results/PREFIX{build,query,http}-<size>.json``;
missing files show as "–".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import RESULTS

ROWS: tuple[tuple[str, str, str, str], ...] = (
    # (row label, result kind, dotted path, format)
    ("search p50 / p99 / p99.9 (ms)", "query", "search_ms", "pcts"),
    ("floor p50 / p99 / p99.9 (ms)", "query", "floor_ms", "pcts"),
    ("search ÷ floor p50 / p99 / p99.9", "query", "ratio", "ratios"),
    ("suggest p50 / p99 / p99.9 (ms)", "query", "suggest_ms", "pcts"),
    ("search CPU p50 / p99 / p99.9 (ms)", "query", "cpu.search_ms", "pcts"),
    ("floor CPU p50 / p99 / p99.9 (ms)", "query", "cpu.floor_ms", "pcts"),
    ("search ÷ floor, CPU", "query", "cpu.ratio", "ratios"),
    ("suggest CPU p50 / p99 / p99.9 (ms)", "query", "cpu.suggest_ms", "pcts"),
    ("HTTP search req/s (p99 ms)", "http", "mpsearch.search", "load"),
    ("HTTP bare search req/s (p99 ms)", "http", "bare.search", "load"),
    ("HTTP search ÷ bare throughput", "http", "ratio.search.req_per_s", "num"),
    (
        "HTTP search server CPU ms/request",
        "http",
        "mpsearch.search.server_cpu_ms_per_request",
        "num",
    ),
    ("HTTP search paced req/s (p99 ms)", "http", "mpsearch.paced_search", "load"),
    ("HTTP suggest req/s (p99 ms)", "http", "mpsearch.suggest", "load"),
    ("HTTP suggest ÷ bare throughput", "http", "ratio.suggest.req_per_s", "num"),
    ("serve ready (s)", "http", "mpsearch.ready_s", "num"),
    ("serving memory, 2 workers (PSS MiB)", "http", "mpsearch.memory_pss_mib", "num"),
    ("build listings/s", "build", "runs.0.listings_per_s", "int"),
    ("build wall (s)", "build", "runs.0.build_wall_s", "num"),
    ("build peak memory (PSS MiB)", "build", "runs.0.peak_rss_tree_mib", "int"),
    ("index size (MiB)", "build", "runs.0.index_mib", "num"),
    ("load average at start", "query", "machine.loadavg_at_start", "load1"),
)


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        if data is None:
            return None
        data = data[int(part)] if isinstance(data, list) else data.get(part)
    return data


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pcts":
        return " / ".join(f"{value[p]:.2f}" for p in ("p50", "p99", "p99.9"))
    if kind == "ratios":
        return " / ".join(f"{value[p]:.1f}×" for p in ("p50", "p99", "p99.9"))
    if kind == "load":
        return f"{value['req_per_s']:.0f} ({value['latency_ms']['p99']:.1f})"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "load1":
        return f"{value[0]:.1f}" if value else "–"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def table(runs: list[tuple[str, str]], sizes: list[str]) -> str:
    cols = [(label, prefix, size) for size in sizes for label, prefix in runs]
    head = "| | " + " | ".join(f"{label} {size}" for label, _, size in cols) + " |"
    lines = [head, "|---" * (len(cols) + 1) + "|"]
    cache: dict[Path, Any] = {}
    for row, kind, path, fmt in ROWS:
        cells = []
        for _, prefix, size in cols:
            file = RESULTS / f"{prefix}{kind}-{size}.json"
            if file not in cache:
                cache[file] = orjson.loads(file.read_bytes()) if file.is_file() else None
            cells.append(_fmt(_get(cache[file], path), fmt))
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="append", default=[], help="LABEL:PREFIX (repeatable)")
    ap.add_argument("--sizes", default="100k,1m")
    args = ap.parse_args()
    runs = [tuple(r.split(":", 1)) for r in args.run] or [("latest", "")]
    print(table([(a, b) for a, b in runs], args.sizes.split(",")))


if __name__ == "__main__":
    main()
