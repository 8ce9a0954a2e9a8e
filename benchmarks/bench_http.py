"""HTTP throughput and latency of /v1/search and /v1/suggest against a bare FastAPI floor.

    .venv/bin/python benchmarks/bench_http.py --size 100k

Both servers run the same way (uvicorn, ``--workers 2``), one after the other in the same
run, under the same load: wrk (Debian package) when installed, else an asyncio client.
Also measured: seconds from starting ``mpsearch serve`` to a ready /readyz, and the
memory (PSS of the server process tree) after the load. ``--ready-only`` measures just
those two for ``mpsearch serve`` (memory when ready and after the short warm-up).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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

WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"non2xx":%%d,"errors":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"p999_us":%%d,"max_us":%%d,"mean_us":%%f}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    """A uvicorn server in its own process group, stopped with SIGTERM (SIGKILL if stuck)."""

    def __init__(self, cmd: list[str], env: dict[str, str], port: int) -> None:
        self.port = port
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the server's life)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=REPO,
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

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def _wrk(port: int, paths: list[str], seconds: int, conns: int, threads: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n", encoding="ascii")
        script = Path(tmp) / "mix.lua"
        script.write_text(WRK_SCRIPT % {"paths": path_file}, encoding="utf-8")
        cmd = [
            "wrk", f"-t{threads}", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s",
            "-s", str(script), f"http://127.0.0.1:{port}",
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith('{"requests"'))
    r = orjson.loads(line)
    secs = r["duration_us"] / 1e6
    return {
        "client": "wrk",
        "requests": r["requests"],
        "req_per_s": round(r["requests"] / secs, 1),
        "non2xx": r["non2xx"],
        "errors": r["errors"],
        "latency_ms": {
            "p50": r["p50_us"] / 1000,
            "p90": r["p90_us"] / 1000,
            "p99": r["p99_us"] / 1000,
            "p99.9": r["p999_us"] / 1000,
            "max": r["max_us"] / 1000,
            "mean": round(r["mean_us"] / 1000, 3),
        },
    }


async def _async_load(port: int, paths: list[str], seconds: int, conns: int) -> dict[str, Any]:
    """Fallback load generator: ``conns`` keep-alive connections issuing requests back to back."""
    import httpx

    latencies: list[float] = []
    bad = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:

        async def worker(offset: int) -> None:
            nonlocal bad
            i = offset
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                resp = await client.get(paths[i % len(paths)])
                latencies.append((time.perf_counter() - t) * 1000)
                bad += resp.status_code >= 300
                i += conns

        started = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(conns)))
        took = time.perf_counter() - started
    return {
        "client": "httpx-asyncio",
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / took, 1),
        "non2xx": bad,
        "errors": 0,
        "latency_ms": latency_summary(latencies),
    }


def load(port: int, paths: list[str], args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") and not args.python_client:
        return _wrk(port, paths, args.seconds, args.connections, args.threads)
    return asyncio.run(_async_load(port, paths, args.seconds, args.connections))


def _uvicorn(app: str, port: int, workers: int) -> list[str]:
    """The bare app, served by the same code path as `mpsearch serve` (plain uvicorn if absent)."""
    if (REPO / "search" / "serve.py").is_file():
        code = (
            "import sys; from search.http.server import run; "
            "run('127.0.0.1', int(sys.argv[2]), int(sys.argv[3]), app=sys.argv[1])"
        )
        return [sys.executable, "-c", code, app, str(port), str(workers)]
    return [
        sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "info",
    ]  # fmt: skip


def _paths(n: int, args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The search and suggest request paths of the benchmark's query mix."""
    mix = query_mix(n, args.seed, args.synthetic, args.ecom)
    search_paths = ["/v1/search?" + urlencode({"q": text, "host": host}) for _, text, host in mix]
    suggest_paths = [
        "/v1/suggest?" + urlencode({"q": text, "host": host})
        for text, host in suggest_inputs(mix, args.seed)
    ]
    return search_paths, suggest_paths


def ready_only(args: argparse.Namespace) -> dict[str, Any]:
    """Seconds to a ready /readyz and PSS when ready and after the warm-up; no load runs."""
    n = parse_count(args.size)
    home = ensure_index(n, args.seed)
    search_paths, suggest_paths = _paths(n, args)
    port = free_port()
    cmd = [*MPSEARCH, "serve", "--workers", str(args.workers), "--port", str(port)]
    server = Server(cmd, env_for(home), port)
    try:
        ready = server.wait_ready()
        at_ready = server.memory_mib()
        warm = argparse.Namespace(**{**vars(args), "seconds": args.warmup_seconds})
        load(port, search_paths[:400], warm)
        load(port, suggest_paths[:400], warm)
        warmed = server.memory_mib()
    finally:
        server.stop()
    print(
        f"mpsearch: ready {ready:5.2f}s  memory {at_ready:.0f} MiB when ready, "
        f"{warmed:.0f} MiB after warm-up",
        flush=True,
    )
    return {
        "listings": n,
        "workers": args.workers,
        "mpsearch": {
            "ready_s": round(ready, 2),
            "memory_ready_pss_mib": at_ready,
            "memory_pss_mib": warmed,
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = parse_count(args.size)
    home = ensure_index(n, args.seed)
    search_paths, suggest_paths = _paths(n, args)
    env = env_for(home)
    out: dict[str, Any] = {"listings": n, "workers": args.workers, "seconds": args.seconds,
                           "connections": args.connections}  # fmt: skip
    for name, cmd in (
        ("bare", _uvicorn("benchmarks.bare_app:create_app", 0, args.workers)),
        ("mpsearch", [*MPSEARCH, "serve", "--workers", str(args.workers), "--port", "0"]),
    ):
        port = free_port()
        cmd = [str(port) if c == "0" else c for c in cmd]
        server = Server(cmd, env, port)
        try:
            ready = server.wait_ready()
            # Warm-up: each worker opens its index and pages in what the mix touches.
            warm = argparse.Namespace(**{**vars(args), "seconds": args.warmup_seconds})
            load(port, search_paths[:400], warm)
            load(port, suggest_paths[:400], warm)
            s = load(port, search_paths, args)
            g = load(port, suggest_paths, args)
            out[name] = {
                "ready_s": round(ready, 2),
                "memory_pss_mib": server.memory_mib(),
                "search": s,
                "suggest": g,
            }
        finally:
            server.stop()
        print(
            f"{name:>9}: ready {ready:5.2f}s  search {s['req_per_s']:8.0f} req/s "
            f"p99 {s['latency_ms']['p99']:7.2f} ms  suggest {g['req_per_s']:8.0f} req/s "
            f"p99 {g['latency_ms']['p99']:7.2f} ms  memory {out[name]['memory_pss_mib']:.0f} MiB",
            flush=True,
        )
    for ep in ("search", "suggest"):
        ours, bare = out["mpsearch"][ep], out["bare"][ep]
        out.setdefault("ratio", {})[ep] = {
            "req_per_s": round(ours["req_per_s"] / bare["req_per_s"], 3),
            "p99": round(ours["latency_ms"]["p99"] / bare["latency_ms"]["p99"], 2),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mix_arguments(ap)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--warmup-seconds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--python-client", action="store_true", help="use the asyncio client")
    ap.add_argument("--name", help="result file name (default http-<size>)")
    ap.add_argument(
        "--ready-only", action="store_true", help="only start-up time and memory, no load runs"
    )
    args = ap.parse_args()
    info = machine()
    if args.ready_only:
        result = ready_only(args)
        save_result("http-ready", args.name, info, result)
        return
    result = run(args)
    r = result["ratio"]
    print(
        f"mpsearch/bare throughput: search {r['search']['req_per_s']:.2f}, "
        f"suggest {r['suggest']['req_per_s']:.2f}"
    )
    save_result("http", args.name, info, result)


if __name__ == "__main__":
    main()
