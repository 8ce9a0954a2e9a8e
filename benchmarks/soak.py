"""Bounded soak: a fixed request rate of mixed search/suggest against a 2-worker server.

    .venv/bin/python benchmarks/soak.py                      # 5 minutes at 300 req/s
    .venv/bin/python benchmarks/soak.py --duration 60 --rate 100 --out soak.json

Builds and publishes the sample catalog into a temporary MPSEARCH_HOME (or uses
``--home``), starts ``mpsearch serve --workers 2`` (as deployed) on loopback, and
sends requests open-loop: request *i* is due at ``start + i / rate`` whatever the
answers do, and its latency is measured from that due time, so a slow server
cannot hide its queueing (no coordinated omission). About 70% are searches and
30% suggestions, over golden queries, listing and brand names, pinyin prefixes,
hostile strings (emoji, RTL, controls, long input), all hosts, with varied limit,
offset and recent. When the server offers ``PUT /v1/admin/listings/{appid}`` a
trickle of live updates (``--update-rate`` per second) re-sends sample listings
with a changed ``monthly_active_users``.

Prints, per window (``--window`` seconds): requests due and answered, errors (transport
errors, timeouts and any status but 200), p50/p99/max latency, the summed RSS
of the server processes and the machine's 1-minute load average (the load generator
shares the machine); then totals and RSS at start (ready, before load), after
the first window (warm caches) and at the end. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LISTINGS = ROOT / "tests" / "data" / "catalog" / "listings.jsonl"
SAMPLE_BRANDS = ROOT / "tests" / "data" / "catalog" / "brands.jsonl"
GOLDEN = ROOT / "tests" / "golden" / "dev.jsonl"
HOSTS = ("jd", "qqbrowser", "samsung")
HOSTILE = [
    "😀👍🏽🇨🇳",
    "\u202e星巴克\u202c",
    "שלום עולם",
    "e\u0301\u0301\u0301",
    "\x00\x07\x1b[31m",
    "ＬＶ包包！！",
    "a" * 64,
    "星" * 64,
    " " * 200 + "lv" + " " * 200,
    "'; DROP TABLE listings; --",
    "<script>alert(1)</script>",
    "%s%n{0}",
]


@dataclass
class Window:
    """Counters of one reporting window."""

    sent: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    updates: int = 0
    update_errors: int = 0
    done: int = 0
    rss_kb: int = 0
    load1: float = 0.0


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kb(pid: int) -> int:
    """Summed VmRSS of a process tree, in KiB."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def load_corpus() -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(queries, appids, listings) from the golden set and the sample catalog."""
    queries = [orjson.loads(line)["query"] for line in GOLDEN.read_bytes().splitlines() if line]
    listings = [orjson.loads(line) for line in SAMPLE_LISTINGS.read_bytes().splitlines() if line]
    brands = [orjson.loads(line) for line in SAMPLE_BRANDS.read_bytes().splitlines() if line]
    queries += [item["name"] for item in listings[:200]]
    queries += [b["name"] for b in brands] + [a for b in brands for a in b["aliases"]]
    queries += ["xbk", "xingba", "mdl", "lywd", "kfc", "hl", "dache", "kuaidi", "huoguo"]
    return queries, [item["appid"] for item in listings], listings


def request_for(
    rng: random.Random, queries: list[str], appids: list[str]
) -> tuple[str, dict[str, str]]:
    """One random search or suggest request (path, params)."""
    roll = rng.random()
    q = rng.choice(HOSTILE) if roll < 0.05 else rng.choice(queries)
    host = rng.choice(HOSTS)
    if rng.random() < 0.3:
        text = q.strip() or "lv"
        prefix = text[: rng.randint(1, min(len(text), 6))]
        return "/v1/suggest", {"q": prefix, "host": host, "limit": str(rng.randint(1, 20))}
    params = {"q": q, "host": host, "limit": str(rng.choice((10, 10, 20, 50)))}
    if rng.random() < 0.15:
        params["offset"] = str(rng.choice((10, 20, 40)))
    if rng.random() < 0.2:
        params["recent"] = ",".join(rng.sample(appids, rng.randint(1, 10)))
    if rng.random() < 0.02:
        params["debug"] = "true"
    return "/v1/search", params


def start_server(
    home: Path, port: int, workers: int, token: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MPSEARCH_HOME": str(home),
        "MPSEARCH_ADMIN_TOKEN": token,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                str(Path(sys.executable).parent / "mpsearch"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def build_home(home: Path) -> None:
    mpsearch = Path(sys.executable).parent / "mpsearch"
    env = {**os.environ, "MPSEARCH_HOME": str(home)}
    for args in (
        ["index", "build", "--listings", str(SAMPLE_LISTINGS), "--brands", str(SAMPLE_BRANDS)],
        ["index", "publish", "--latest"],
    ):
        subprocess.run([str(mpsearch), *args], env=env, check=True, capture_output=True)


async def wait_ready(
    client: httpx.AsyncClient, proc: subprocess.Popen[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("server not ready in time")


async def updates_available(client: httpx.AsyncClient) -> bool:
    spec = (await client.get("/openapi.json")).json()
    return "put" in spec.get("paths", {}).get("/v1/admin/listings/{appid}", {})


async def soak(args: argparse.Namespace, base_url: str, server_pid: int) -> dict[str, Any]:
    rng = random.Random(args.seed)
    queries, appids, listings = load_corpus()
    windows: list[Window] = []
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=args.timeout, limits=limits) as client:
        live = await updates_available(client)
        rss_ready = rss_kb(server_pid)
        started = time.monotonic()
        n_windows = max(1, int(args.duration // args.window))
        windows = [Window() for _ in range(n_windows)]
        in_flight: set[asyncio.Task[None]] = set()
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        host, port = base_url.removeprefix("http://").split(":")

        def window_of(t: float) -> Window:
            return windows[min(n_windows - 1, int((t - started) // args.window))]

        def record(due: float, status: str, ok: bool) -> None:
            win = window_of(due)
            win.latencies.append((time.monotonic() - due) * 1000)
            win.statuses[status] = win.statuses.get(status, 0) + 1
            window_of(time.monotonic()).done += 1
            if not ok:
                win.errors += 1

        async def connection() -> None:
            """One keep-alive connection taking due requests in order (a lean HTTP/1.1
            client: the load generator shares the machine, so it must cost little)."""
            reader, writer = await asyncio.open_connection(host, int(port))
            while (item := await queue.get()) is not None:
                due, target = item
                try:
                    writer.write(b"GET " + target + b" HTTP/1.1\r\nHost: soak\r\n\r\n")
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), args.timeout)
                    length = next(
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    )
                    await asyncio.wait_for(reader.readexactly(length), args.timeout)
                    status = head[9:12].decode()
                    record(due, status, status == "200")
                except (OSError, asyncio.IncompleteReadError, TimeoutError, StopIteration) as exc:
                    record(due, type(exc).__name__, False)
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
            writer.close()

        workers = [asyncio.create_task(connection()) for _ in range(args.connections)]

        async def update(due: float) -> None:
            win = window_of(due)
            listing = dict(rng.choice(listings))
            listing["monthly_active_users"] = rng.randint(0, 10_000_000)
            try:
                resp = await client.put(
                    f"/v1/admin/listings/{listing['appid']}",
                    content=orjson.dumps(listing),
                    headers={
                        "Authorization": f"Bearer {args.token}",
                        "Content-Type": "application/json",
                    },
                )
                ok = resp.status_code < 300
            except httpx.HTTPError:
                ok = False
            win.updates += 1
            if not ok:
                win.update_errors += 1

        total = int(args.duration * args.rate)
        next_update = started + (
            1 / args.update_rate if live and args.update_rate > 0 else float("inf")
        )
        next_sample = started + args.window
        for i in range(total):
            due = started + i / args.rate
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
            path, params = request_for(rng, queries, appids)
            window_of(due).sent += 1
            queue.put_nowait((due, f"{path}?{urlencode(params)}".encode()))
            if due >= next_update:
                task = asyncio.create_task(update(due))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                next_update += 1 / args.update_rate
            if due >= next_sample:
                ended = windows[min(n_windows - 1, int((due - started) // args.window)) - 1]
                ended.rss_kb = rss_kb(server_pid)
                ended.load1 = os.getloadavg()[0]
                next_sample += args.window
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        if in_flight:
            await asyncio.wait(in_flight)
        elapsed = time.monotonic() - started
        windows[-1].rss_kb = rss_kb(server_pid)
        windows[-1].load1 = os.getloadavg()[0]
        health = (await client.get("/healthz")).status_code
    return {
        "live_updates": live,
        "elapsed_s": elapsed,
        "rss_ready_kb": rss_ready,
        "windows": windows,
        "health_after": health,
    }


def report(args: argparse.Namespace, result: dict[str, Any]) -> dict[str, Any]:
    windows: list[Window] = result["windows"]
    heads = ("t (s)", "due", "done", "errors", "p50 ms", "p99 ms", "max ms", "RSS MiB", "load1")
    print(" ".join(f"{h:>8}" for h in heads))
    rows = []
    for i, w in enumerate(windows):
        row = {
            "t_end_s": (i + 1) * args.window,
            "due": w.sent,
            "done": w.done,
            "errors": w.errors,
            "p50_ms": round(percentile(w.latencies, 50), 2),
            "p99_ms": round(percentile(w.latencies, 99), 2),
            "max_ms": round(max(w.latencies, default=float("nan")), 2),
            "rss_mib": round(w.rss_kb / 1024, 1),
            "load1": round(w.load1, 2),
            "statuses": w.statuses,
            "updates": w.updates,
            "update_errors": w.update_errors,
        }
        rows.append(row)
        print(
            f"{row['t_end_s']:>8} {w.sent:>8} {w.done:>8} {w.errors:>8} "
            f"{row['p50_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>8} {row['rss_mib']:>8} "
            f"{row['load1']:>8}"
        )
    latencies = [x for w in windows for x in w.latencies]
    statuses: dict[str, int] = {}
    for w in windows:
        for k, v in w.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    rss_warm = windows[0].rss_kb
    rss_end = windows[-1].rss_kb
    summary = {
        "duration_s": args.duration,
        "target_rate": args.rate,
        "workers": args.workers,
        "elapsed_s": round(result["elapsed_s"], 1),
        "requests": len(latencies),
        "errors": sum(w.errors for w in windows),
        "statuses": statuses,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies, default=float("nan")), 2),
        "live_updates": result["live_updates"],
        "updates": sum(w.updates for w in windows),
        "update_errors": sum(w.update_errors for w in windows),
        "rss_ready_mib": round(result["rss_ready_kb"] / 1024, 1),
        "rss_after_first_window_mib": round(rss_warm / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
        "rss_growth_after_first_window_pct": round((rss_end - rss_warm) / rss_warm * 100, 2),
        "rss_growth_from_ready_pct": round(
            (rss_end - result["rss_ready_kb"]) / result["rss_ready_kb"] * 100, 2
        ),
        "health_after": result["health_after"],
        "windows": rows,
    }
    print(
        f"\n{summary['requests']} requests in {summary['elapsed_s']} s, "
        f"errors {summary['errors']}, "
        f"statuses {statuses}; p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
        f"max {summary['max_ms']} ms"
    )
    if summary["live_updates"]:
        print(f"live updates: {summary['updates']} sent, {summary['update_errors']} failed")
    else:
        print("live updates: not offered by this server (no PUT /v1/admin/listings/{appid})")
    print(
        f"server RSS (all processes): ready {summary['rss_ready_mib']} MiB, after first window "
        f"{summary['rss_after_first_window_mib']} MiB, end {summary['rss_end_mib']} MiB "
        f"(growth {summary['rss_growth_after_first_window_pct']}% after the first window, "
        f"{summary['rss_growth_from_ready_pct']}% from ready); "
        f"/healthz after: {summary['health_after']}"
    )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--rate", type=float, default=300, help="requests per second")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--window", type=float, default=30, help="reporting window, seconds")
    parser.add_argument("--update-rate", type=float, default=1.0, help="live updates per second")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--home", type=Path, help="MPSEARCH_HOME with a published index")
    parser.add_argument("--out", type=Path, help="also write the summary as JSON here")
    args = parser.parse_args()
    args.token = secrets.token_urlsafe(24)

    tmp = Path(tempfile.mkdtemp(prefix="mpsearch-soak-"))
    home = args.home or tmp / "home"
    if args.home is None:
        print(f"building the sample index in {home} ...", flush=True)
        build_home(home)
    port = free_port()
    log = tmp / "server.log"
    proc = start_server(home, port, args.workers, args.token, log)
    try:
        base_url = f"http://127.0.0.1:{port}"

        async def run() -> dict[str, Any]:
            async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
                await wait_ready(client, proc, 60)
            await asyncio.sleep(2)  # let every worker finish opening the index
            return await soak(args, base_url, proc.pid)

        print(
            f"soak: {args.duration:.0f} s at {args.rate:.0f} req/s, {args.workers} workers, "
            f"port {port}",
            flush=True,
        )
        summary = report(args, asyncio.run(run()))
        server_log = log.read_text(errors="replace")
        summary["server_tracebacks"] = server_log.count("Traceback")
        print(f"tracebacks in the server log: {summary['server_tracebacks']}")
        if args.out:
            args.out.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
