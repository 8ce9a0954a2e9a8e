"""HTTP throughput and latency of /v1/search and /v1/suggest, against a bare FastAPI endpoint.

    .venv/bin/python benchmarks/bench_http.py --size 100k
    .venv/bin/python benchmarks/bench_http.py --size 100k --servers uvicorn --rate 1000
    .venv/bin/python benchmarks/bench_http.py --size 100k --ready-only

For each server (``--servers``, see ``benchmarks/serve_app.py``; ``uvicorn`` is the code of
``mpsearch serve``, which serves mpsearch itself) both apps run the same way, one after the
other, with ``--workers 2``: the bare endpoint (``benchmarks/bare_app.py``, a fixed search
body) and mpsearch. Each is warmed up, then loaded to saturation by wrk on the same machine
(Debian package, ``make wrk``; ``--connections`` keep-alive connections, ``--threads``
threads) on search, then on suggest; then mpsearch search is paced at ``--rate`` requests/s
by an open-loop client (below). Reported: requests/s, latency p50/p90/p99/p99.9, non-2xx
answers and socket errors, the server's CPU time per answered request (all its processes
and threads; unlike throughput it hardly moves when other processes share the cores), the
mpsearch ÷ bare ratios per server, seconds to a ready /readyz, and memory (PSS of the
server's process tree) after the load.

Unique queries: the search paths are the query mix of ``bench_query.py`` with every real
query of the e-commerce file (about 99,000), and each server process gets each path at most
once: warm-up, saturated and paced runs take disjoint slices. A run that needs more paths
than are left cycles through them again and says so (``passes`` > 1); the bare app, which
does no search, is the one that does. Suggest paths are unique (prefix, host) pairs.

Paced runs: wrk2 is not in Debian, so an asyncio client (raw HTTP/1.1 on
``--paced-connections`` keep-alive connections) sends request *i* at start + i / rate
whatever the answers do, and measures its latency from that due time: a server that falls
behind shows it in the latency (no coordinated omission).

``--before-code DIR --before-home HOME``: also serve, as app ``before``, another checkout's
code (an earlier commit's worktree) on an index its code built, the same way and with the
same paths as mpsearch, for a before/after pair in one run (``ratio_before``: before ÷
bare).

``--ready-only``: only seconds to ready and memory (when ready and after a short warm-up)
of ``mpsearch serve``, no load runs.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_query import query_mix, suggest_inputs
from benchmarks.common import (
    MPSEARCH,
    REPO,
    add_mix_arguments,
    ensure_index,
    env_for,
    latency_summary,
    machine,
    parse_count,
    save_result,
    tree_rss_kib,
)
from benchmarks.serve_app import SERVERS

PRODUCT_SERVER = "uvicorn"  # what `mpsearch serve` runs
WARMUP_PATHS = 2000  # per endpoint, kept apart from the measured ones

WRK_SCRIPT = """
local threads = {}
local count = 0
setup = function(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end
init = function(args)
  paths = {}
  local n = 0
  for line in io.lines("%(paths)s") do
    if n %% %(threads)d == id - 1 then paths[#paths + 1] = line end
    n = n + 1
  end
  sent = 0
end
request = function()
  sent = sent + 1
  return wrk.format("GET", paths[(sent - 1) %% #paths + 1])
end
done = function(summary, latency, requests)
  local most = 0
  for _, t in ipairs(threads) do most = math.max(most, t:get("sent")) end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"non2xx":%%d,"errors":%%d,"most_per_thread":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"p999_us":%%d,"max_us":%%d,"mean_us":%%f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    most, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A server in its own process group, stopped with SIGTERM (SIGKILL if stuck)."""

    def __init__(self, cmd: list[str], env: dict[str, str], port: int, cwd: Path = REPO) -> None:
        self.port = port
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the server's life)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,  # `python -c` imports from here first, PYTHONPATH after
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120.0) -> float:
        """Seconds from start until /readyz answers 200."""
        url = f"http://127.0.0.1:{self.port}/readyz"
        while time.perf_counter() - self.started < timeout:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"server exited:\n{self.log.read().decode()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.02)
        raise SystemExit(f"server not ready after {timeout}s")

    def memory_mib(self) -> float:
        return round(tree_rss_kib(self.proc.pid) / 1024, 1)

    def cpu_seconds(self) -> float:
        """CPU time (user + system, every thread) of the server's processes so far."""
        ticks = 0
        stack = [self.proc.pid]
        while stack:
            pid = stack.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
                for task in Path(f"/proc/{pid}/task").iterdir():
                    stack.extend(int(c) for c in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue
        return ticks / os.sysconf("SC_CLK_TCK")

    def measured(self, load: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``load``'s result with the server's CPU milliseconds per answered request: unlike
        throughput, it hardly moves when other processes share the cores."""
        before = self.cpu_seconds()
        out = load()
        used = self.cpu_seconds() - before
        out["server_cpu_ms_per_request"] = round(used * 1000 / max(1, out["requests"]), 3)
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@dataclass
class Paths:
    """Request paths of one endpoint: handed out in order, each once while any are left."""

    paths: list[str]
    warmup: list[str]
    cursor: int = 0

    @classmethod
    def of(cls, paths: list[str]) -> Paths:
        keep = min(WARMUP_PATHS, len(paths) // 5)
        return cls(paths[: len(paths) - keep], paths[len(paths) - keep :])

    def rest(self) -> list[str]:
        """The paths not handed out yet, then (if a run needs more) all of them again."""
        return self.paths[self.cursor :] + self.paths[: self.cursor]

    def take(self, used: int) -> dict[str, Any]:
        """Mark ``used`` paths as handed out; what the run used."""
        left = len(self.paths) - self.cursor
        passes = 1 if used <= left else 1 + math.ceil((used - left) / len(self.paths))
        self.cursor = min(len(self.paths), self.cursor + used)
        return {"unique_paths_left": left, "passes": passes}


def _wrk(port: int, paths: Paths, seconds: int, conns: int, threads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths.rest()) + "\n", encoding="ascii")
        script = Path(tmp) / "unique.lua"
        script.write_text(WRK_SCRIPT % {"paths": path_file, "threads": threads}, encoding="utf-8")
        cmd = [
            "wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(script), f"http://127.0.0.1:{port}",
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith('{"requests"'))
    r = orjson.loads(line)
    secs = r["duration_us"] / 1e6
    return {
        "client": f"wrk -t{threads} -c{conns}",
        "requests": r["requests"],
        "req_per_s": round(r["requests"] / secs, 1),
        "non2xx": r["non2xx"],
        "errors": r["errors"],
        **paths.take(r["most_per_thread"] * threads),
        "latency_ms": {
            "p50": r["p50_us"] / 1000,
            "p90": r["p90_us"] / 1000,
            "p99": r["p99_us"] / 1000,
            "p99.9": r["p999_us"] / 1000,
            "max": r["max_us"] / 1000,
            "mean": round(r["mean_us"] / 1000, 3),
        },
    }


async def _paced(port: int, paths: list[str], rate: float, seconds: float, conns: int) -> Any:
    """Open loop: request i is due at start + i / rate; latency counts from its due time."""
    total = int(rate * seconds)
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (item := await due.get()) is not None:
                i, at = item
                path = paths[i % len(paths)]
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode("ascii"))
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                    status = int(head[9:12])
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    await asyncio.wait_for(reader.readexactly(length), 5)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    errors += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                latencies.append((time.perf_counter() - at) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    workers = [asyncio.create_task(connection()) for _ in range(conns)]
    start = time.perf_counter()
    for i in range(total):
        at = start + i / rate
        wait = at - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        due.put_nowait((i, at))
    for _ in workers:
        due.put_nowait(None)
    await asyncio.gather(*workers)
    took = time.perf_counter() - start
    return {
        "client": f"open-loop asyncio, {conns} connections",
        "target_req_per_s": rate,
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / took, 1),
        "non2xx": sum(n for s, n in statuses.items() if not 200 <= s < 300),
        "errors": errors,
        "latency_ms": latency_summary(latencies),
    }


def paced(port: int, paths: Paths, args: argparse.Namespace) -> dict[str, Any]:
    pool = paths.rest()
    out: dict[str, Any] = asyncio.run(
        _paced(port, pool, args.rate, args.paced_seconds, args.paced_connections)
    )
    out.update(paths.take(int(args.rate * args.paced_seconds)))
    return out


def warm_up(port: int, paths: Paths, seconds: int, args: argparse.Namespace) -> None:
    """Load the warm-up paths (kept apart from the measured ones) for ``seconds``."""
    spare = Paths(paths.warmup, [])
    _wrk(port, spare, seconds, args.connections, 1)


def _paths(n: int, args: argparse.Namespace) -> tuple[Paths, Paths]:
    """The search and suggest request paths: unique queries of the benchmark's mix."""
    mix = query_mix(n, args.seed, args.synthetic, args.ecom)
    search = ["/v1/search?" + urlencode({"q": q.text, "host": q.host}) for q in mix]
    suggest = [
        "/v1/suggest?" + urlencode({"q": q.text, "host": q.host})
        for q in suggest_inputs(mix, args.seed)
    ]
    return Paths.of(search), Paths.of(suggest)


def _command(server: str, app: str, port: int, workers: int) -> list[str]:
    if server == PRODUCT_SERVER and app in ("mpsearch", "before"):
        return [*MPSEARCH, "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers)]  # fmt: skip
    return [sys.executable, str(REPO / "benchmarks" / "serve_app.py"), "--server", server,
            "--app", app, "--port", str(port), "--workers", str(workers)]  # fmt: skip


def ready_only(args: argparse.Namespace) -> dict[str, Any]:
    """Seconds to a ready /readyz and PSS when ready and after the warm-up; no load runs."""
    n = parse_count(args.size)
    home = ensure_index(n, args.seed)
    search, suggest = _paths(n, args)
    port = free_port()
    server = Server(_command(PRODUCT_SERVER, "mpsearch", port, args.workers), env_for(home), port)
    try:
        ready = server.wait_ready()
        at_ready = server.memory_mib()
        warm_up(port, search, args.warmup_seconds, args)
        warm_up(port, suggest, args.warmup_seconds, args)
        warmed = server.memory_mib()
    finally:
        server.stop()
    print(
        f"mpsearch serve: ready {ready:5.2f}s  memory {at_ready:.0f} MiB when ready, "
        f"{warmed:.0f} MiB after warm-up",
        flush=True,
    )
    return {
        "listings": n,
        "workers": args.workers,
        "server": PRODUCT_SERVER,
        "mpsearch": {
            "ready_s": round(ready, 2),
            "memory_ready_pss_mib": at_ready,
            "memory_pss_mib": warmed,
        },
    }


def _print(server: str, app: str, r: dict[str, Any]) -> None:
    s, g = r["search"], r["suggest"]
    print(
        f"{server:>17} {app:>8}: ready {r['ready_s']:5.2f}s  search {s['req_per_s']:7.0f} req/s "
        f"p50 {s['latency_ms']['p50']:6.2f} p99 {s['latency_ms']['p99']:6.2f} ms "
        f"(passes {s['passes']}) cpu {s['server_cpu_ms_per_request']:.3f} ms/req  "
        f"suggest {g['req_per_s']:7.0f} req/s p99 {g['latency_ms']['p99']:6.2f} ms "
        f"(passes {g['passes']}) cpu {g['server_cpu_ms_per_request']:.3f} ms/req  "
        f"errors {s['errors'] + s['non2xx'] + g['errors'] + g['non2xx']}  "
        f"memory {r['memory_pss_mib']:.0f} MiB",
        flush=True,
    )
    if "paced_search" in r:
        p = r["paced_search"]
        lat = p["latency_ms"]
        print(
            f"{'':>27}paced search at {p['target_req_per_s']:.0f}/s: {p['req_per_s']:.0f} req/s "
            f"p50 {lat['p50']:.2f} p99 {lat['p99']:.2f} p99.9 {lat['p99.9']:.2f} ms, "
            f"errors {p['errors'] + p['non2xx']}",
            flush=True,
        )


def run_one(server: str, app: str, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One app under one server: warm-up, saturated search and suggest, paced search."""
    search, suggest = _paths(parse_count(args.size), args)
    port = free_port()
    if app == "before":
        env, cwd = env_for(args.before_home, args.before_code), args.before_code
    else:
        env, cwd = env_for(home), REPO
    proc = Server(_command(server, app, port, args.workers), env, port, cwd)
    try:
        out: dict[str, Any] = {"ready_s": round(proc.wait_ready(), 2)}
        warm_up(port, search, args.warmup_seconds, args)
        warm_up(port, suggest, args.warmup_seconds, args)
        out["search"] = proc.measured(
            lambda: _wrk(port, search, args.seconds, args.connections, args.threads)
        )
        out["suggest"] = proc.measured(
            lambda: _wrk(port, suggest, args.seconds, args.connections, args.threads)
        )
        if (app.startswith("mpsearch") or app == "before") and args.rate > 0:
            out["paced_search"] = proc.measured(lambda: paced(port, search, args))
        out["memory_pss_mib"] = proc.memory_mib()
    finally:
        proc.stop()
    _print(server, app, out)
    return out


def _ratio(ours: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    """Throughput and p99 of an app ÷ those of the bare endpoint, per endpoint."""
    return {
        ep: {
            "req_per_s": round(ours[ep]["req_per_s"] / bare[ep]["req_per_s"], 3),
            "p99": round(ours[ep]["latency_ms"]["p99"] / bare[ep]["latency_ms"]["p99"], 2),
            "server_cpu_per_request": round(
                ours[ep]["server_cpu_ms_per_request"] / bare[ep]["server_cpu_ms_per_request"], 2
            ),
        }
        for ep in ("search", "suggest")
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = parse_count(args.size)
    home = ensure_index(n, args.seed)
    search, suggest = _paths(n, args)
    out: dict[str, Any] = {
        "listings": n,
        "workers": args.workers,
        "seconds": args.seconds,
        "connections": args.connections,
        "threads": args.threads,
        "product_server": PRODUCT_SERVER,
        "unique_search_paths": len(search.paths),
        "unique_suggest_paths": len(suggest.paths),
        "servers": {},
    }
    for server in args.servers.split(","):
        result = {app: run_one(server, app, home, args) for app in args.apps.split(",")}
        if "bare" in result:
            for app in [a for a in result if a != "bare"]:
                key = "ratio" if app == "mpsearch" else f"ratio_{app}"
                result[key] = _ratio(result[app], result["bare"])
                r = result[key]
                print(
                    f"{server:>17}: {app}/bare throughput search "
                    f"{r['search']['req_per_s']:.3f}, suggest {r['suggest']['req_per_s']:.3f}",
                    flush=True,
                )
        out["servers"][server] = result
    # The product's figures at the top level (what summary.py and the targets read).
    product = out["servers"].get(PRODUCT_SERVER) or next(iter(out["servers"].values()))
    out.update({k: product[k] for k in ("bare", "mpsearch", "ratio") if k in product})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mix_arguments(ap, ecom=-1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--servers", default="uvicorn,granian", help=f"comma-separated: {', '.join(SERVERS)}"
    )
    ap.add_argument(
        "--apps",
        default="bare,mpsearch",
        help="comma-separated: bare, mpsearch, (the HTTP path without search) mpsearch-fixed "
        "and before (with --before-code)",
    )
    ap.add_argument("--seconds", type=int, default=15, help="each saturated run")
    ap.add_argument("--warmup-seconds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8, help="wrk connections")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--rate", type=float, default=1000, help="paced search req/s (0: none)")
    ap.add_argument("--paced-seconds", type=float, default=10)
    ap.add_argument("--paced-connections", type=int, default=32)
    ap.add_argument("--name", help="result file name (default http-<size>)")
    ap.add_argument(
        "--ready-only", action="store_true", help="only start-up time and memory, no load runs"
    )
    ap.add_argument("--before-code", type=Path, help="another checkout, served as app `before`")
    ap.add_argument("--before-home", type=Path, help="the index home its code built")
    args = ap.parse_args()
    if (args.before_code is None) != (args.before_home is None):
        ap.error("--before-code and --before-home go together")
    if args.before_code is not None:
        if not (args.before_home / "current").is_file():
            ap.error(f"--before-home {args.before_home}: no published index there")
        if "before" not in args.apps.split(","):
            args.apps += ",before"
    elif "before" in args.apps.split(","):
        ap.error("app `before` needs --before-code and --before-home")
    if unknown := set(args.servers.split(",")) - set(SERVERS):
        ap.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make wrk` (Debian's package)")
    info = machine()
    if args.ready_only:
        save_result("http-ready", args.name, info, ready_only(args))
        return
    save_result("http", args.name, info, run(args))


if __name__ == "__main__":
    main()
