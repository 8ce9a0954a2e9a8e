"""Build benchmark: wall time, listings/s, peak RSS and index size of `mpsearch index build`.

    .venv/bin/python benchmarks/bench_build.py --sizes 100k,1m

The catalog is generated on first use (benchmarks/gen_catalog.py); each size is built
into var/bench/home-<N> and published there for bench_query.py and bench_http.py.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    MPSEARCH,
    Stopwatch,
    dir_bytes,
    env_for,
    home_dir,
    label,
    machine,
    publish_latest,
    sizes,
    tree_rss_kib,
    write_result,
)
from benchmarks.gen_catalog import DEFAULT_SEED, ensure_catalog
from indexer.store import MANIFEST


def build_once(n: int, seed: int) -> dict[str, Any]:
    """Build and publish the catalog of ``n`` listings into a fresh home; return the figures."""
    gen = Stopwatch()
    listings, brands = ensure_catalog(n, seed)
    gen_s = gen.seconds
    home = home_dir(n)
    shutil.rmtree(home, ignore_errors=True)
    cmd = [*MPSEARCH, "index", "build", "--listings", str(listings), "--brands", str(brands)]
    watch = Stopwatch()
    proc = subprocess.Popen(
        cmd, env=env_for(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak_tree = 0
    while proc.poll() is None:
        peak_tree = max(peak_tree, tree_rss_kib(proc.pid))
        time.sleep(0.25)
    wall = watch.seconds
    output = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"build of {n} listings failed:\n{output}")
    version = publish_latest(home)
    index_dir = home / "indexes" / version
    counts = orjson.loads((index_dir / MANIFEST).read_bytes())["counts"]
    return {
        "listings": n,
        "catalog_bytes": listings.stat().st_size,
        "generate_s": round(gen_s, 2),
        "build_wall_s": round(wall, 2),
        "listings_per_s": round(n / wall, 1),
        "peak_rss_tree_mib": round(peak_tree / 1024, 1),
        "index_bytes": dir_bytes(index_dir),
        "index_mib": round(dir_bytes(index_dir) / 2**20, 1),
        "version": version,
        "listings_indexed": counts["listings_indexed"],
        "brands_indexed": counts["brands_indexed"],
        "rejected": counts["rejected"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100k", help="comma-separated catalog sizes: 100k,1m")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--name", default=None, help="result file name (default build-<sizes>)")
    args = ap.parse_args()
    ns = sizes(args.sizes)
    info = machine()
    runs = []
    for n in ns:
        r = build_once(n, args.seed)
        runs.append(r)
        print(
            f"{label(n):>5}: {r['build_wall_s']:8.1f} s  {r['listings_per_s']:9.0f} listings/s  "
            f"peak RSS {r['peak_rss_tree_mib']:7.0f} MiB  index {r['index_mib']:7.1f} MiB",
            flush=True,
        )
    name = args.name or "build-" + "-".join(label(n) for n in ns)
    path = write_result(name, {"benchmark": "build", "machine": info, "runs": runs})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
