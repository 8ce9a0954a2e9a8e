"""Crash safety: SIGKILL `mpsearch index build` and `mpsearch index publish` at random moments.

A build of the small base catalog is timed once; each trial starts the real CLI in
a new process and SIGKILLs it after a random delay within that time (seeded, so a
failure can be replayed).

Properties checked (after every trial):
1. Every complete version (`index list`) verifies against its checksum: a killed build
   never leaves a half-written version, only a staging folder that no command takes for
   a version.
2. `current` still names a version that verifies, opens and answers a query.
3. After killed publishes, `current` is either the old or the new version (never empty or
   torn), and `previous`, when set, is a verified version.
4. `index gc` afterwards removes the staging leftovers of killed builds and keeps the
   current version serving.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from lifecycle_support import MPSEARCH, ROOT, env_for, run_cli

from indexer.dictionaries import Dictionaries
from indexer.store import TMP_PREFIX, IndexStore
from search.engine import Engine, SearchRequest

pytestmark = pytest.mark.slow  # crash trials: builds and publishes SIGKILLed at random moments

BAD = Path(__file__).parent / "data" / "bad"
LISTINGS = BAD / "_base_listings.jsonl"
BRANDS = BAD / "_base_brands.jsonl"
BUILD_TRIALS = 12  # at random moments across a build; the suite's time budget keeps it at a dozen
PUBLISH_TRIALS = 8


def kill_after(home: Path, args: list[str], delay: float) -> int | None:
    """Run the CLI, SIGKILL it after ``delay`` seconds; its exit code if it finished first."""
    proc = subprocess.Popen(
        [str(MPSEARCH), *args],
        env=env_for(home),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        return proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return None


def timed(home: Path, *args: str) -> float:
    start = time.monotonic()
    done = run_cli(home, *args)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - start


def assert_served(store: IndexStore, dicts: Dictionaries) -> None:
    """Every version verifies; the current one opens (fresh tantivy open) and answers."""
    for version in store.versions():
        store.verify(version)
    current = store.current()
    assert current is not None
    engine = Engine.open(store, current, dicts)  # the analyzer of the same words is reused
    assert engine.search(SearchRequest(q="咖啡", host="jd")).index_version == current


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("crash-home")
    timed(home, "index", "build", "--listings", str(LISTINGS), "--brands", str(BRANDS))
    assert run_cli(home, "index", "publish", "--latest").returncode == 0
    return home


def test_killed_builds_never_publish_half_versions(home: Path, dicts: Dictionaries) -> None:
    store = IndexStore(home)
    build = ["index", "build", "--listings", str(LISTINGS), "--brands", str(BRANDS)]
    full = timed(home, *build)
    published = store.current()
    rng = random.Random(20261125)
    killed = finished = 0
    for _ in range(BUILD_TRIALS):
        code = kill_after(home, build, rng.uniform(0.0, full * 1.1))
        if code is None:
            killed += 1
        else:
            assert code == 0
            finished += 1
        assert_served(store, dicts)
        assert store.current() == published
    print(f"\nbuild {full:.2f} s; {killed} killed, {finished} finished")
    assert killed >= BUILD_TRIALS // 2  # most trials must really interrupt a build
    leftovers = [p for p in store.root.iterdir() if p.name.startswith(TMP_PREFIX)]
    store.gc(keep=100)  # staging leftovers are removed only when stale...
    assert all(p.exists() for p in leftovers)
    for p in leftovers:
        os.utime(p, (0, 0))  # ...so age them
    store.gc(keep=100)
    assert not [p for p in store.root.iterdir() if p.name.startswith(TMP_PREFIX)]
    assert_served(store, dicts)


def test_killed_publishes_leave_a_valid_current(home: Path, dicts: Dictionaries) -> None:
    store = IndexStore(home)
    versions = store.versions()
    assert len(versions) >= 2
    rng = random.Random(7)
    full = timed(home, "index", "publish", versions[-1])
    seen: set[str] = set()
    for _ in range(PUBLISH_TRIALS):
        before = store.current()
        target = rng.choice([v for v in versions if v != before])
        kill_after(home, ["index", "publish", target], rng.uniform(0.0, full * 1.1))
        current = store.current()
        assert current in (before, target)
        seen.add(current or "")
        previous = store.previous()
        if previous is not None:
            store.verify(previous)
        assert_served(store, dicts)
    print(f"\npublish {full:.2f} s; current after trials: {len(seen)} distinct")
