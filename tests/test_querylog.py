"""The query log (search/querylog.py).

Properties checked:
1. Recording is buffered: nothing touches the disk until a flush; a flush writes one JSON
   line per search/suggest with time, query, normalized query, host, result count, top
   appid and took_ms (the brand zone card counts and is the top appid).
2. A suggest is normalised in the writer (ＬＶ → lv), not on the request path.
3. `off` records nothing; `anonymized` drops the raw text, masks digit runs and e-mail
   addresses and rounds the time to the minute.
4. A full buffer drops records and counts them instead of growing.
5. Files rotate at segment_bytes and the folder never holds more than max_bytes; every
   record in it is still readable.
6. close() writes what is buffered and seals the active file; a writer thread flushes on
   its own; torn lines from a crash are skipped by the reader.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from search.engine import Engine, SearchRequest, SearchResult
from search.models import Suggestion, SuggestResponse
from search.ops.querylog import QueryLog, anonymize, read_records

LV_OFFICIAL = "wxc2c943090d2ec70a"


def lv(engine: Engine) -> SearchResult:
    return engine.run(SearchRequest(q="ＬＶ", host="jd"))


def lines(directory: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for p in sorted(directory.glob("*.jsonl")):
        out += [orjson.loads(line) for line in p.read_bytes().splitlines()]
    return out


def test_buffered_then_written(tmp_path: Path, engine: Engine) -> None:
    qlog = QueryLog(tmp_path / "ql")
    resp = lv(engine)
    before = time.time()
    qlog.record_search(resp)
    none = engine.run(SearchRequest(q="龘龘 qzxjvw", host="samsung"))
    qlog.record_search(none)
    assert not (tmp_path / "ql").exists()  # nothing written on the request path
    assert qlog.flush() == 2
    first, second = lines(tmp_path / "ql")
    assert first == {
        "ts": first["ts"],
        "endpoint": "search",
        "query": "ＬＶ",
        "normalized": "lv",
        "host": "jd",
        "results": resp.total + 1,
        "top_appid": LV_OFFICIAL,
        "took_ms": resp.took_ms,
    }
    assert isinstance(first["ts"], float) and before <= first["ts"] <= time.time()
    assert second["results"] == 0 and second["top_appid"] is None
    assert second["host"] == "samsung"
    assert qlog.flush() == 0


def test_suggest_normalised_in_writer(tmp_path: Path) -> None:
    qlog = QueryLog(tmp_path)
    resp = SuggestResponse(
        query="ＬＶ", suggestions=[Suggestion(text="路易威登", kind="brand", appid=None)]
    )
    qlog.record_suggest(resp, "jd", 0.25)
    qlog.record_suggest(SuggestResponse(query="龘", suggestions=[]), "qqbrowser", 0.5)
    qlog.flush()
    recs = list(read_records(tmp_path))
    assert [(r.endpoint, r.query, r.normalized, r.results, r.top_appid) for r in recs] == [
        ("suggest", "ＬＶ", "lv", 1, None),
        ("suggest", "龘", "龘", 0, None),
    ]
    assert recs[1].took_ms == 0.5 and recs[1].host == "qqbrowser"


def test_off_records_nothing(tmp_path: Path, engine: Engine) -> None:
    qlog = QueryLog(tmp_path / "ql", mode="off")
    qlog.record_search(lv(engine))
    qlog.start()
    qlog.close()
    assert qlog.flush() == 0
    assert not (tmp_path / "ql").exists()


def test_anonymized(tmp_path: Path, engine: Engine) -> None:
    qlog = QueryLog(tmp_path, mode="anonymized")
    resp = engine.run(SearchRequest(q="星巴克 13812345678 a.b@example.com", host="jd"))
    qlog.record_search(resp)
    qlog.flush()
    (rec,) = read_records(tmp_path)
    assert rec.query is None
    assert "13812345678" not in rec.normalized and "example" not in rec.normalized
    assert rec.normalized.startswith("星巴克") and "<num>" in rec.normalized
    assert rec.ts % 60 == 0
    assert b"13812345678" not in b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert anonymize("call 1234 or 123") == "call <num> or 123"


def test_full_buffer_drops_and_counts(tmp_path: Path, engine: Engine) -> None:
    qlog = QueryLog(tmp_path, buffer=100)
    resp = lv(engine)
    for _ in range(130):
        qlog.record_search(resp)
    assert qlog.dropped == 30
    assert qlog.flush() == 100
    qlog.record_search(resp)  # room again after the flush
    assert qlog.flush() == 1 and qlog.dropped == 30


def test_rotation_and_size_bound(tmp_path: Path, engine: Engine) -> None:
    seg, cap = 8192, 32768
    qlog = QueryLog(tmp_path, segment_bytes=seg, max_bytes=cap)
    resp = lv(engine)
    total = 0
    for _ in range(60):
        for _ in range(20):
            qlog.record_search(resp)
        total += qlog.flush()
        sizes = [p.stat().st_size for p in tmp_path.iterdir()]
        assert sum(sizes) <= cap
    assert total == 1200
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len([f for f in files if f.startswith("seg-")]) >= 3
    kept = list(read_records(tmp_path))
    assert 0 < len(kept) < 1200  # old segments were deleted, what is left is readable
    assert all(r.normalized == "lv" for r in kept)


def test_close_flushes_and_seals(tmp_path: Path, engine: Engine) -> None:
    qlog = QueryLog(tmp_path, flush_seconds=0.05)
    qlog.start()
    qlog.record_search(lv(engine))
    deadline = time.monotonic() + 10
    while not qlog.active_path.exists():  # the writer thread flushes without being asked
        assert time.monotonic() < deadline, "the writer thread never flushed"
        time.sleep(0.02)
    qlog.record_search(lv(engine))
    qlog.close()
    assert not qlog.active_path.exists()
    (seg,) = tmp_path.glob("seg-*.jsonl")
    assert len(seg.read_bytes().splitlines()) == 2


def test_torn_lines_skipped(tmp_path: Path, engine: Engine) -> None:
    qlog = QueryLog(tmp_path)
    qlog.record_search(lv(engine))
    qlog.flush()
    with qlog.active_path.open("ab") as fh:
        fh.write(b'{"ts": 1.0, "endpoint": "sea')  # a crash mid-write
    qlog.record_search(lv(engine))
    qlog.flush()
    assert len(list(read_records(tmp_path))) == 2


@pytest.mark.parametrize("mode", ["on", "anonymized"])
def test_since_filters(tmp_path: Path, engine: Engine, mode: str) -> None:
    qlog = QueryLog(tmp_path, mode=mode)  # type: ignore[arg-type]
    qlog.record_search(lv(engine))
    qlog.flush()
    now = datetime.now(UTC)
    assert len(list(read_records(tmp_path, now - timedelta(minutes=5)))) == 1
    assert list(read_records(tmp_path, now + timedelta(minutes=5))) == []
