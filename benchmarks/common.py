"""Shared plumbing of the benchmark scripts: machine info, percentiles, result files, the index.

Each benchmark keeps its own MPSEARCH_HOME under ``var/bench/home-<N>`` so that the
build benchmark's index is reused by the query and HTTP benchmarks.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.gen_catalog import (  # noqa: E402
    DEFAULT_SEED,
    bench_root,
    ensure_catalog,
    parse_count,
)

if TYPE_CHECKING:
    from search.engine import Engine

# Result files; MPSEARCH_BENCH_RESULTS redirects them (the smoke test writes to a temp folder).
RESULTS = Path(os.environ.get("MPSEARCH_BENCH_RESULTS") or REPO / "benchmarks" / "results")


def home_dir(n: int) -> Path:
    """The MPSEARCH_HOME holding the benchmark index of ``n`` listings."""
    return bench_root() / f"home-{n}"


def env_for(home: Path, code: Path = REPO) -> dict[str, str]:
    """Environment of a child run: this checkout's code (or ``code``, another checkout's)
    first, the benchmark home."""
    env = dict(os.environ)
    env["MPSEARCH_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [env.get("PYTHONPATH")])])
    return env


# `mpsearch` from this checkout (same as the console script of an editable install).
MPSEARCH = [sys.executable, "-c", "from search.cli import app; app()"]


def label(n: int) -> str:
    """100000 → 100k, 1000000 → 1m."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def sizes(text: str) -> list[int]:
    return [parse_count(part) for part in text.split(",") if part.strip()]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "mean": sum(ms) / len(ms) if ms else float("nan"),
        "p50": percentile(ms, 50),
        "p90": percentile(ms, 90),
        "p99": percentile(ms, 99),
        "p99.9": percentile(ms, 99.9),
        "max": max(ms) if ms else float("nan"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict[str, Any]:
    """What the figures were measured on (load average included: the machine may be shared)."""
    try:
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
        mem_gib = round(int(mem) / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        mem_gib = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cpu": _cpu_model(),
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "mem_gib": mem_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "tantivy": metadata.version("tantivy"),
        "jieba": metadata.version("jieba"),
        "loadavg_at_start": _load(),
        "commit": commit,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """benchmarks/results/<name>.json, written atomically."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    tmp.replace(path)
    return path


def save_result(
    benchmark: str, name: str | None, info: dict[str, Any], result: dict[str, Any]
) -> None:
    """Write a run's result as ``name`` (default ``<benchmark>-<size>``) and say where."""
    path = write_result(
        name or f"{benchmark}-{label(result['listings'])}",
        {"benchmark": benchmark, "machine": info, **result},
    )
    print(f"wrote {path}")


def add_mix_arguments(ap: argparse.ArgumentParser, ecom: int) -> None:
    """The catalog and query-mix options of the benchmarks that run the query mix."""
    ap.add_argument("--size", default="100k", help="catalog size: 1k, 100k, 1m")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--synthetic", type=int, default=300, help="brands drawn for synthetic queries")
    ap.add_argument("--ecom", type=int, default=ecom, help="unique real queries (-1: all of them)")


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def tree_rss_kib(pid: int) -> int:
    """Memory of a process and all its descendants, from /proc (KiB).

    Sums proportional set sizes (Pss), so pages that forked workers share with
    their parent are counted once, not once per process.
    """
    total = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            for line in rollup.splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


class Stopwatch:
    """Wall-clock seconds since creation."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.start


def ensure_index(n: int, seed: int = DEFAULT_SEED, quiet: bool = False) -> Path:
    """The home with a published index of ``n`` generated listings, building it if needed."""
    home = home_dir(n)
    if (home / "current").is_file():
        return home
    listings, brands = ensure_catalog(n, seed)
    run = subprocess.run(
        [*MPSEARCH, "index", "build", "--listings", str(listings), "--brands", str(brands)],
        env=env_for(home),
        capture_output=quiet,
        text=True,
    )
    if run.returncode != 0:
        raise SystemExit(f"index build failed: {run.stderr}")
    publish_latest(home, quiet)
    return home


def open_engine(home: Path) -> Engine:
    """The engine over the current version of ``home`` (as ``mpsearch serve`` opens it)."""
    from indexer.dictionaries import Dictionaries
    from indexer.settings import Settings
    from indexer.store import IndexStore
    from search.engine import Engine

    store = IndexStore(home)
    version = store.current()
    if version is None:
        raise SystemExit(f"no current version in {home}")
    return Engine.open(store, version, Dictionaries.load(Settings(home=home).dictionaries))


def publish_latest(home: Path, quiet: bool = True) -> str:
    """Publish the newest version built in ``home``; its name."""
    subprocess.run(
        [*MPSEARCH, "index", "publish", "--latest"],
        env=env_for(home),
        check=True,
        capture_output=quiet,
    )
    return (home / "current").read_text().strip()


def fmt_ms(value: float) -> str:
    return f"{value:.2f}"
