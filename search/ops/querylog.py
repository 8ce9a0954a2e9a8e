"""The query log: every search and suggest, off the request path.

A request only appends a tuple to an in-memory deque (thread-safe, no lock, no I/O);
a background thread drains it every ``flush_seconds`` into JSON Lines under
``$MPSEARCH_HOME/querylog/``. Each process writes its own ``active-<pid>.jsonl``, so
several server workers never share a file; a file that reaches ``segment_bytes`` is
sealed (renamed ``seg-<utc>-<pid>.jsonl``) and the oldest files are deleted while the
folder holds more than ``max_bytes``. A full buffer drops records and counts them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import orjson
from pydantic import BaseModel, ValidationError

from indexer.analysis import normalize
from search.engine import SearchResult
from search.models import SuggestResponse

log = logging.getLogger("mpsearch.querylog")
Endpoint = Literal["search", "suggest"]
Mode = Literal["on", "anonymized", "off"]
ACTIVE_PREFIX = "active-"
SEGMENT_PREFIX = "seg-"
MAX_FILES = 512
_DIGITS = re.compile(r"\d{4,}")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")

# (endpoint, unix time, query, normalized or None, host, results, top appid, took_ms)
_Pending = tuple[str, float, str, str | None, str, int, str | None, float]


class QueryRecord(BaseModel):
    """One line of the query log."""

    ts: float
    endpoint: Endpoint
    query: str | None
    normalized: str
    host: str
    results: int
    top_appid: str | None
    took_ms: float

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.ts, UTC)


def anonymize(query: str) -> str:
    """The normalised query without what may identify a person: e-mail addresses are
    dropped and runs of 4+ digits (phone, order, ID numbers) become ``<num>``."""
    return _DIGITS.sub("<num>", normalize(_EMAIL.sub(" ", query)))


class QueryLog:
    """Buffered, rotated, size-bounded JSON Lines log of one process's queries."""

    def __init__(
        self,
        directory: Path,
        mode: Mode = "on",
        segment_bytes: int = 8 << 20,
        max_bytes: int = 64 << 20,
        buffer: int = 50_000,
        flush_seconds: float = 1.0,
    ) -> None:
        self.directory = directory
        self.mode = mode
        self.max_bytes = max_bytes
        self.segment_bytes = min(segment_bytes, max_bytes)
        self.capacity = buffer
        self.flush_seconds = flush_seconds
        self.dropped = 0
        self.written = 0
        self._pending: deque[_Pending] = deque()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    @property
    def active_path(self) -> Path:
        return self.directory / f"{ACTIVE_PREFIX}{os.getpid()}.jsonl"

    # --- hot path: one deque append -------------------------------------------------------

    def _add(self, item: _Pending) -> None:
        if len(self._pending) >= self.capacity:
            self.dropped += 1
            return
        self._pending.append(item)

    def record_search(self, res: SearchResult) -> None:
        """Remember one search; the brand zone card counts as a result and is the top one."""
        if self.mode == "off":
            return
        self._add(
            (
                "search",
                time.time(),
                res.query,
                res.normalized,
                res.host,
                res.found,
                res.top_appid,
                res.took_ms,
            )
        )

    def record_suggest(self, resp: SuggestResponse, host: str, took_ms: float) -> None:
        """Remember one suggest call (normalised later, in the writer thread)."""
        if self.mode == "off":
            return
        items = resp.suggestions
        top = items[0].appid if items else None
        self._add(("suggest", time.time(), resp.query, None, host, len(items), top, took_ms))

    # --- writer side ----------------------------------------------------------------------

    def _line(self, item: _Pending) -> bytes:
        endpoint, ts, query, normalized, host, results, top, took_ms = item
        raw: str | None = query
        if self.mode == "anonymized":
            raw, norm, ts = None, anonymize(query), float(int(ts) // 60 * 60)
        else:
            norm = normalized if normalized is not None else normalize(query)
        return orjson.dumps(
            {
                "ts": ts,
                "endpoint": endpoint,
                "query": raw,
                "normalized": norm,
                "host": host,
                "results": results,
                "top_appid": top,
                "took_ms": took_ms,
            }
        )

    def flush(self) -> int:
        """Write what is buffered; returns the number of records written."""
        with self._flush_lock:
            lines: list[bytes] = []
            while True:
                try:
                    item = self._pending.popleft()
                except IndexError:
                    break
                try:
                    lines.append(self._line(item))
                except Exception:  # one odd record never stops the log
                    log.exception("cannot serialise a query log record")
            if not lines:
                return 0
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                path = self.active_path
                with path.open("a+b") as fh:
                    size = fh.tell()
                    # A line torn by a crash must not swallow the first new record.
                    torn = size > 0 and os.pread(fh.fileno(), 1, size - 1) != b"\n"
                    fh.write((b"\n" if torn else b"") + b"\n".join(lines) + b"\n")
                    size = fh.tell()
                if size >= self.segment_bytes:
                    self._seal(path)
                self._prune()
            except OSError as exc:
                self.dropped += len(lines)
                log.error("cannot write the query log under %s: %s", self.directory, exc)
                return 0
            self.written += len(lines)
            return len(lines)

    def _seal(self, path: Path) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        with contextlib.suppress(FileNotFoundError):
            path.rename(self.directory / f"{SEGMENT_PREFIX}{stamp}-{os.getpid()}.jsonl")

    def _prune(self) -> None:
        """Delete the oldest files while the folder is over its byte or file budget."""
        files: list[tuple[float, int, Path]] = []
        for p in self.directory.glob("*.jsonl"):
            with contextlib.suppress(FileNotFoundError):  # another worker pruned it
                st = p.stat()
                files.append((st.st_mtime, st.st_size, p))
        files.sort()
        total = sum(size for _, size, _ in files)
        mine = self.active_path
        for _, size, p in files:
            if total <= self.max_bytes and len(files) <= MAX_FILES:
                break
            if p == mine:
                continue
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
            total -= size
            files = [f for f in files if f[2] != p]

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def start(self) -> None:
        """Start the writer thread (no-op when the log is off or already running)."""
        if not self.enabled or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="mpsearch-querylog", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the writer, write what is left and seal this process's file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if not self.enabled:
            return
        self.flush()
        with self._flush_lock:
            path = self.active_path
            if path.exists() and path.stat().st_size > 0:
                self._seal(path)


def read_records(directory: Path, since: datetime | None = None) -> Iterator[QueryRecord]:
    """Every readable record under ``directory`` (oldest file first), skipping torn lines."""
    if not directory.is_dir():
        return
    cutoff = since.timestamp() if since is not None else None
    files = []
    for p in directory.glob("*.jsonl"):
        with contextlib.suppress(FileNotFoundError):
            files.append((p.stat().st_mtime, p))
    for mtime, path in sorted(files):
        if cutoff is not None and mtime < cutoff:
            continue  # nothing in it is newer than its last write
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        for line in data.splitlines():
            try:
                rec = QueryRecord.model_validate_json(line)
            except ValidationError:
                continue  # a line torn by a crash mid-write
            if cutoff is None or rec.ts >= cutoff:
                yield rec
