"""Build benchmark: `mpsearch index build` against a plain one-field build, in the same run.

    .venv/bin/python benchmarks/bench_build.py --sizes 100k,1m

For each size: the catalog is generated on first use (benchmarks/gen_catalog.py) and
built into var/bench/home-<N> (published there for bench_query.py and bench_http.py),
then the same listings go through the plain build: one process, one text field holding
name + keywords + description cut by jieba's search mode, tantivy's whitespace tokenizer,
the same writer settings. Reported per size: wall time and listings/s of both and their
ratio; CPU use of the build's process tree over the build (all cores, and the parent
process alone), the share of the build during which every core was busy, and how busy
the machine was as a whole (others' jobs included); peak memory (sum of PSS of the
tree); index size; and the serving start on the new version (`Engine.open`, and the
analyzer load within it), each in a fresh process.
"""

from __future__ import annotations

import argparse
import os
import resource
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
from benchmarks.gen_catalog import DEFAULT_SEED, bench_root, ensure_catalog
from indexer.store import MANIFEST

POLL_S = 0.25
BUSY = 0.9  # share of every core above which an interval counts as "all cores busy"
TICK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int, *, waited: bool) -> int:
    """CPU ticks of a process (with ``waited``: and of its children it has reaped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12])
    return used + int(fields[13]) + int(fields[14]) if waited else used


def tree_cpu_s(pid: int) -> tuple[float, float]:
    """CPU seconds of a process alone and of its whole tree so far, from /proc."""
    own = total = 0
    stack = [(pid, True)]
    while stack:
        p, root = stack.pop()
        try:
            ticks = _ticks(p, waited=True)
            if root:
                own = _ticks(p, waited=False)
            total += ticks
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend((int(c), False) for c in (task / "children").read_text().split())
        except (OSError, ValueError, IndexError):
            continue
    return own / TICK, total / TICK


def machine_ticks() -> tuple[int, int]:
    """(all, idle) jiffies of every core since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values), values[3] + values[4]


def watch(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` to its end, sampling its process tree's memory and CPU; the figures."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    all0, idle0 = machine_ticks()
    watch_ = Stopwatch()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak_kib, parent_s, busy, intervals = 0, 0.0, 0, 0
    last_t, last_cpu = 0.0, 0.0
    while proc.poll() is None:
        peak_kib = max(peak_kib, tree_rss_kib(proc.pid))
        own, total = tree_cpu_s(proc.pid)
        now = watch_.seconds
        if total:
            parent_s = max(parent_s, own)
            if now > last_t and last_cpu:
                intervals += 1
                busy += (total - last_cpu) / (now - last_t) >= BUSY * cores
            last_t, last_cpu = now, total
        time.sleep(POLL_S)
    wall = watch_.seconds
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    all1, idle1 = machine_ticks()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "returncode": proc.returncode,
        "output": output,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 1),
        "cpu_use": round(cpu / wall / cores, 3),
        "parent_cpu_use": round(parent_s / wall, 3),
        "all_cores_busy_share": round(busy / intervals, 3) if intervals else None,
        "machine_busy": round(1 - (idle1 - idle0) / max(1, all1 - all0), 3),
        "peak_rss_tree_mib": round(peak_kib / 1024, 1),
    }


def build_once(n: int, seed: int) -> dict[str, Any]:
    """Build and publish the catalog of ``n`` listings into a fresh home; return the figures."""
    gen = Stopwatch()
    listings, brands = ensure_catalog(n, seed)
    gen_s = gen.seconds
    home = home_dir(n)
    shutil.rmtree(home, ignore_errors=True)
    cmd = [*MPSEARCH, "index", "build", "--listings", str(listings), "--brands", str(brands)]
    run = watch(cmd, env_for(home))
    if run.pop("returncode") != 0:
        raise SystemExit(f"build of {n} listings failed:\n{run['output']}")
    run.pop("output")
    version = publish_latest(home)
    index_dir = home / "indexes" / version
    counts = orjson.loads((index_dir / MANIFEST).read_bytes())["counts"]
    wall = run.pop("wall_s")
    return {
        "listings": n,
        "catalog_bytes": listings.stat().st_size,
        "generate_s": round(gen_s, 2),
        "build_wall_s": wall,
        "listings_per_s": round(n / wall, 1),
        **run,
        "index_bytes": dir_bytes(index_dir),
        "index_mib": round(dir_bytes(index_dir) / 2**20, 1),
        "version": version,
        "listings_indexed": counts["listings_indexed"],
        "brands_indexed": counts["brands_indexed"],
        "rejected": counts["rejected"],
        "serving_start": serving_start(home, version),
    }


def serving_start(home: Path, version: str) -> dict[str, float]:
    """Seconds to open the version as a server does, and to load its analyzer, each in a
    fresh process (imports not counted)."""
    out = {}
    for what in ("engine_open", "analyzer_load"):
        cmd = [sys.executable, __file__, "--time-open", what, str(home), version]
        done = subprocess.run(cmd, env=env_for(home), capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{what} failed:\n{done.stdout}{done.stderr}")
        out[f"{what}_s"] = round(float(done.stdout.split()[-1]), 3)
    return out


def _time_open(what: str, home: Path, version: str) -> float:
    from indexer.analyzers import load_analyzer
    from indexer.dictionaries import Dictionaries, default_dictionaries_dir
    from indexer.store import IndexStore
    from search.engine import Engine

    dicts = Dictionaries.load(default_dictionaries_dir())
    store = IndexStore(home)
    watch_ = Stopwatch()
    if what == "engine_open":
        Engine.open(store, version, dicts)
    else:
        load_analyzer(dicts, store.path(version))
    return watch_.seconds


def plain_once(n: int, seed: int) -> dict[str, Any]:
    """The plain one-field build of the same catalog, in its own process; the figures."""
    listings, _ = ensure_catalog(n, seed)
    out = bench_root() / f"plain-{n}"
    shutil.rmtree(out, ignore_errors=True)
    run = watch([sys.executable, __file__, "--plain", str(listings), str(out)])
    if run.pop("returncode") != 0:
        raise SystemExit(f"plain build of {n} listings failed:\n{run['output']}")
    run.pop("output")
    wall = run.pop("wall_s")
    result = {"build_wall_s": wall, "listings_per_s": round(n / wall, 1), **run}
    result["index_mib"] = round(dir_bytes(out) / 2**20, 1)
    shutil.rmtree(out, ignore_errors=True)
    return result


def _plain_build(listings: Path, out: Path) -> None:
    """One text field of jieba search-mode tokens (name, keywords, description) and the
    appid, written as the real build writes (one indexing thread, the same budget)."""
    import jieba
    import tantivy

    from indexer.build import WRITER_HEAP_BYTES

    cutter = jieba.Tokenizer()
    cutter.initialize()
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("text", stored=False, tokenizer_name="whitespace")
    sb.add_text_field("appid", stored=True, tokenizer_name="raw")
    out.mkdir(parents=True)
    index = tantivy.Index(sb.build(), path=str(out))
    writer = index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
    with listings.open("rb") as fh:
        for line in fh:
            item = orjson.loads(line)
            text = " ".join([item["name"], *item["keywords"], item["description"]])
            doc = tantivy.Document()
            doc.add_text("text", " ".join(w for w in cutter.cut_for_search(text) if w.strip()))
            doc.add_text("appid", item["appid"])
            writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100k", help="comma-separated catalog sizes: 100k,1m")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--name", default=None, help="result file name (default build-<sizes>)")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain one-field build")
    ap.add_argument("--plain", nargs=2, metavar=("LISTINGS", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--time-open", nargs=3, metavar=("WHAT", "HOME", "V"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.plain:
        _plain_build(Path(args.plain[0]), Path(args.plain[1]))
        return
    if args.time_open:
        what, home, version = args.time_open
        print(f"{_time_open(what, Path(home), version):.4f}")
        return
    ns = sizes(args.sizes)
    info = machine()
    runs = []
    for n in ns:
        r = build_once(n, args.seed)
        print(
            f"{label(n):>5}: {r['build_wall_s']:8.1f} s  {r['listings_per_s']:9.0f} listings/s  "
            f"CPU {r['cpu_use']:.0%} of all cores (parent {r['parent_cpu_use']:.0%}, all busy "
            f"{r['all_cores_busy_share']:.0%} of the time, machine {r['machine_busy']:.0%})  "
            f"peak RSS {r['peak_rss_tree_mib']:7.0f} MiB  index {r['index_mib']:7.1f} MiB  "
            f"open {r['serving_start']['engine_open_s']:.2f} s "
            f"(analyzer {r['serving_start']['analyzer_load_s']:.2f} s)",
            flush=True,
        )
        if not args.no_plain:
            plain = plain_once(n, args.seed)
            r["plain"] = plain
            r["ratio_to_plain"] = round(r["listings_per_s"] / plain["listings_per_s"], 2)
            print(
                f"{'':>5}  plain one-field build: {plain['build_wall_s']:8.1f} s  "
                f"{plain['listings_per_s']:9.0f} listings/s  (CPU {plain['cpu_use']:.0%}, "
                f"machine {plain['machine_busy']:.0%})  ratio {r['ratio_to_plain']:.2f}",
                flush=True,
            )
        runs.append(r)
    name = args.name or "build-" + "-".join(label(n) for n in ns)
    path = write_result(name, {"benchmark": "build", "machine": info, "runs": runs})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
