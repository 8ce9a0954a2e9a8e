"""search.relevance.eval with tiny hand-made golden sets and hand-computed metrics (and the
CLI's rendering of its reports, search.cli.render)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from search.cli.render import render_diff, render_report
from search.relevance.eval import (
    EvalReport,
    GoldenFileError,
    GoldenQuery,
    Metrics,
    check_thresholds,
    compare_reports,
    evaluate,
    load_golden,
)

DEV = Path(__file__).parent / "golden" / "dev.jsonl"
METRIC_KEYS = {"ndcg@10", "mrr@10", "p@1", "recall@10", "queries"}
INV_LOG2_3 = 1 / math.log2(3)  # discount at rank 2


def gq(
    qid: str,
    judgments: dict[str, int],
    tags: list[str] | None = None,
    must_not: list[str] | None = None,
) -> GoldenQuery:
    return GoldenQuery(
        id=qid,
        query=f"query {qid}",
        host="jd",
        judgments=judgments,
        must_not=must_not or [],
        tags=tags or ["brand-zh"],
    )


def fixed(runs: dict[str, list[str]]) -> Callable[[GoldenQuery], list[str]]:
    """A fake search: the ranked list per golden id (missing id -> nothing found)."""
    return lambda q: list(runs.get(q.id, []))


def approx(x: float) -> object:
    return pytest.approx(x, abs=1e-9)


# --------------------------------------------------------------------------- metrics


def test_perfect_run_scores_one_everywhere() -> None:
    q = gq("d1", {"a": 3, "b": 2, "c": 1})
    report = evaluate([q], fixed({"d1": ["a", "b", "c"]}))
    assert report.overall == Metrics(ndcg_10=1.0, mrr_10=1.0, p_1=1.0, recall_10=1.0, queries=1)
    assert report.must_not_violations == 0
    assert report.queries[0].returned == ["a", "b", "c"]
    assert report.queries[0].grades == [3, 2, 1]


def test_grade3_at_rank2_behind_unjudged() -> None:
    report = evaluate([gq("d1", {"a": 3})], fixed({"d1": ["x", "a"]}))
    r = report.queries[0]
    assert r.p_1 == 0.0
    assert r.mrr_10 == approx(0.5)
    assert r.ndcg_10 == approx(INV_LOG2_3)  # (3/log2 3) / 3
    assert r.recall_10 == 1.0
    assert r.grades == [None, 3]


def test_grade2_first_gives_mrr_one_but_p1_zero() -> None:
    report = evaluate([gq("d1", {"a": 3, "b": 2})], fixed({"d1": ["b", "a"]}))
    r = report.queries[0]
    assert r.p_1 == 0.0
    assert r.mrr_10 == 1.0
    assert r.ndcg_10 == approx((2 + 3 * INV_LOG2_3) / (3 + 2 * INV_LOG2_3))


def test_mrr_uses_grade2_when_query_has_one() -> None:
    # A grade-1 hit first does not count when the query has a grade >= 2 answer.
    report = evaluate([gq("d1", {"a": 2, "b": 1})], fixed({"d1": ["b", "a"]}))
    r = report.queries[0]
    assert r.mrr_10 == approx(0.5)
    assert r.p_1 is None
    assert report.overall.p_1 is None


def test_mrr_falls_back_to_grade1_and_p1_skips_query() -> None:
    report = evaluate([gq("d1", {"a": 1, "b": 1})], fixed({"d1": ["x", "y", "a"]}))
    r = report.queries[0]
    assert r.mrr_10 == approx(1 / 3)
    assert r.p_1 is None
    assert r.recall_10 == approx(0.5)
    assert r.ndcg_10 == approx(0.5 / (1 + INV_LOG2_3))  # 1/log2(4) over 1 + 1/log2(3)


def test_system_order_kept_not_resorted_by_appid() -> None:
    # trec_eval breaks score ties by docid descending; "z" would jump ahead of "a".
    report = evaluate([gq("d1", {"z": 3})], fixed({"d1": ["a", "z"]}))
    r = report.queries[0]
    assert r.p_1 == 0.0
    assert r.mrr_10 == approx(0.5)


def test_hits_beyond_rank_10_do_not_count() -> None:
    ranked = [f"x{i}" for i in range(10)] + ["a"]
    report = evaluate([gq("d1", {"a": 3})], fixed({"d1": ranked}))
    r = report.queries[0]
    assert (r.ndcg_10, r.mrr_10, r.p_1, r.recall_10) == (0.0, 0.0, 0.0, 0.0)
    assert r.returned == ranked[:10]


def test_empty_run_counts_as_zero() -> None:
    qs = [gq("d1", {"a": 3}), gq("d2", {"b": 3, "c": 1})]
    report = evaluate(qs, fixed({"d1": ["a"]}))
    assert report.overall == Metrics(ndcg_10=0.5, mrr_10=0.5, p_1=0.5, recall_10=0.5, queries=2)
    empty = report.queries[1]
    assert (empty.ndcg_10, empty.mrr_10, empty.p_1, empty.recall_10) == (0.0, 0.0, 0.0, 0.0)
    assert empty.returned == []


def test_all_runs_empty() -> None:
    report = evaluate([gq("d1", {"a": 3}), gq("d2", {"b": 1})], fixed({}))
    assert report.overall == Metrics(ndcg_10=0.0, mrr_10=0.0, p_1=0.0, recall_10=0.0, queries=2)


def test_duplicate_appids_keep_first_occurrence() -> None:
    report = evaluate([gq("d1", {"a": 3, "b": 1})], fixed({"d1": ["x", "x", "a", "x", "b"]}))
    r = report.queries[0]
    assert r.returned == ["x", "a", "b"]
    assert r.mrr_10 == approx(0.5)
    dcg = 3 * INV_LOG2_3 + 1 / 2  # a at rank 2, b at rank 3
    assert r.ndcg_10 == approx(dcg / (3 + INV_LOG2_3))


def test_must_not_violations_counted_per_query_and_appid() -> None:
    qs = [
        gq("d1", {"a": 3}, must_not=["m1", "m2", "m3"]),
        gq("d2", {"b": 3}, must_not=["m1"]),
    ]
    far = [f"x{i}" for i in range(12)]
    runs = {"d1": ["a", "m1", "m1", *far, "m2"], "d2": ["m1", "b"]}
    report = evaluate(qs, fixed(runs))
    assert report.must_not_violations == 3
    assert report.queries[0].violations == ["m1", "m2"]  # m2 is past rank 10 yet counts
    assert report.queries[1].violations == ["m1"]
    failures = check_thresholds(report)
    assert len(failures) == 1
    assert "3 must_not violation(s)" in failures[0]
    assert "d1: m1, m2" in failures[0]


def test_per_tag_counts_every_tag() -> None:
    qs = [
        gq("d1", {"a": 3}, tags=["brand-zh", "latin"]),
        gq("d2", {"b": 3}, tags=["latin", "latin"]),
        gq("d3", {"c": 2, "d": 2}, tags=["service"]),
    ]
    report = evaluate(qs, fixed({"d1": ["a"], "d2": ["x", "b"], "d3": ["c", "d"]}))
    assert list(report.per_tag) == ["brand-zh", "latin", "service"]
    assert report.per_tag["brand-zh"] == Metrics(
        ndcg_10=1.0, mrr_10=1.0, p_1=1.0, recall_10=1.0, queries=1
    )
    latin = report.per_tag["latin"]
    assert latin.queries == 2
    assert latin.ndcg_10 == approx((1 + INV_LOG2_3) / 2)
    assert latin.mrr_10 == approx(0.75)
    assert latin.p_1 == approx(0.5)
    assert report.per_tag["service"].p_1 is None
    assert report.per_tag["service"].ndcg_10 == 1.0
    assert report.overall.queries == 3
    assert report.overall.p_1 == approx(0.5)  # d3 has no grade 3: not in P@1
    assert report.overall.mrr_10 == approx(2.5 / 3)


def test_worst_is_ten_lowest_ties_by_id() -> None:
    qs = [gq(f"d{i:02d}", {"a": 3}) for i in range(12)]
    # d00..d05 perfect; d06..d11 get "a" at rank 2 (same nDCG) except d09 which is empty.
    runs = {q.id: ["a"] if i < 6 else ["x", "a"] for i, q in enumerate(qs)}
    runs["d09"] = []
    report = evaluate(qs, fixed(runs))
    assert [r.id for r in report.worst] == [
        "d09",
        "d06",
        "d07",
        "d08",
        "d10",
        "d11",
        "d00",
        "d01",
        "d02",
        "d03",
    ]


def test_evaluate_rejects_empty_and_duplicate_ids() -> None:
    with pytest.raises(ValueError, match="no golden queries"):
        evaluate([], fixed({}))
    with pytest.raises(ValueError, match="duplicate golden query ids: d1"):
        evaluate([gq("d1", {"a": 3}), gq("d1", {"b": 3})], fixed({}))


# --------------------------------------------------------------------------- JSON shape


def test_json_keys_exact() -> None:
    qs = [gq("d1", {"a": 3, "b": 1}, tags=["abbrev", "latin"], must_not=["m"])]
    report = evaluate(qs, fixed({"d1": ["m", "a"]}))
    out = report.to_json_dict()
    json.dumps(out)  # serialisable as is
    assert set(out) == {"overall", "per_tag", "must_not_violations", "worst"}
    assert set(out["overall"]) == METRIC_KEYS
    assert set(out["per_tag"]) == {"abbrev", "latin"}
    assert all(set(m) == METRIC_KEYS for m in out["per_tag"].values())
    assert out["must_not_violations"] == 1
    assert out["overall"]["p@1"] == 0.0
    assert out["overall"]["mrr@10"] == approx(0.5)
    assert out["overall"]["queries"] == 1
    (worst,) = out["worst"]
    assert set(worst) == {"id", "query", "host", "ndcg@10", "returned", "violations"}
    assert worst["returned"] == [{"appid": "m", "grade": None}, {"appid": "a", "grade": 3}]
    assert worst["violations"] == ["m"]
    assert worst["ndcg@10"] == approx(3 * INV_LOG2_3 / (3 + INV_LOG2_3))


def test_metrics_aliases_round_trip() -> None:
    m = Metrics(ndcg_10=0.9, mrr_10=0.8, p_1=None, recall_10=0.7, queries=4)
    dumped = m.model_dump(by_alias=True)
    assert dumped == {"ndcg@10": 0.9, "mrr@10": 0.8, "p@1": None, "recall@10": 0.7, "queries": 4}
    assert Metrics.model_validate(dumped) == m
    report = evaluate([gq("d1", {"a": 3})], fixed({"d1": ["a"]}))
    assert EvalReport.model_validate_json(report.model_dump_json()) == report


# --------------------------------------------------------------------------- golden files


def test_load_dev_golden() -> None:
    queries = load_golden(DEV)
    assert len(queries) == 203
    assert queries[0].id == "d001"
    assert queries[0].query == "路易威登"
    assert queries[0].judgments["wxc2c943090d2ec70a"] == 3
    assert len({q.id for q in queries}) == 203
    assert all(q.tags and q.judgments for q in queries)


GOOD = {"id": "d001", "query": "LV", "host": "jd", "judgments": {"a": 3}, "must_not": ["m"]}


def write_lines(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "golden.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes: object) -> str:
    data: dict[str, object] = {**GOOD, "tags": ["abbrev"], **changes}
    return json.dumps({k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        (line(id="d002", judgments={"a": 4}), "judgments.a", "less than or equal to 3"),
        (line(id="d002", judgments={"a": "3"}), "judgments.a", "valid integer"),
        (line(id="d002", tags=[]), "tags", "at least 1 item"),
        (line(id="d002", tags=None), "tags", "Field required"),
        (line(id="d002", judgments={}), "judgments", "at least 1 item"),
        (line(id="d002", judgments={"a": 3, "b": 3}), "<line>", "more than one grade-3"),
        (line(id="d002", must_not=["a"]), "<line>", "also judged: a"),
        (line(id="d002", judgement={"a": 1}), "judgement", "Extra inputs"),
        (line(), "id", "duplicate id 'd001' (first on line 1)"),
        ('{"id": "d002", "query": ', "<json>", "invalid JSON"),
        ("[1, 2]", "<line>", "expected a JSON object"),
    ],
)
def test_bad_golden_line_names_file_and_line(
    tmp_path: Path, bad: str, field: str, reason: str
) -> None:
    path = write_lines(tmp_path, line(), "", bad)
    with pytest.raises(GoldenFileError) as info:
        load_golden(path)
    err = info.value
    assert str(err).startswith(f"{path}:3 {field}: ")
    assert reason in str(err)
    assert (err.line, err.field) == (3, field)


def test_blank_lines_skipped(tmp_path: Path) -> None:
    path = write_lines(tmp_path, "", line(), "   ", line(id="d002"), "")
    assert [q.id for q in load_golden(path)] == ["d001", "d002"]


# --------------------------------------------------------------------------- thresholds


def test_check_thresholds() -> None:
    qs = [gq("d1", {"a": 3}, tags=["abbrev"]), gq("d2", {"b": 3}, tags=["typo"])]
    report = evaluate(qs, fixed({"d1": ["a"], "d2": ["x", "b"]}))
    ndcg = (1 + INV_LOG2_3) / 2  # 0.8155
    assert check_thresholds(report, ndcg) == []  # exactly at the bar passes
    assert check_thresholds(report, 0.8, min_p1=0.5, min_mrr=0.75, min_recall=1.0) == []
    failures = check_thresholds(report, 0.95, min_p1=0.97, min_tag_ndcg=0.9)
    assert failures == [
        "overall nDCG@10 0.8155 < 0.9500",
        "overall P@1 0.5000 < 0.9700",
        "tag typo nDCG@10 0.6309 < 0.9000",
    ]


def test_check_thresholds_p1_unmeasurable() -> None:
    report = evaluate([gq("d1", {"a": 2})], fixed({"d1": ["a"]}))
    assert check_thresholds(report, 1.0) == []
    assert check_thresholds(report, min_p1=0.97) == [
        "overall P@1 cannot be checked: no query has a grade-3 judgment"
    ]


# --------------------------------------------------------------------------- rendering, diffs


def test_render_report_shows_tables_and_violations() -> None:
    q = GoldenQuery(
        id="d1",
        query="[bold]LV[/bold]",
        host="jd",
        judgments={"a": 3},
        must_not=["m"],
        tags=["abbrev", "latin"],
    )
    report = evaluate([q, gq("d2", {"b": 1}, tags=["single-char"])], fixed({"d1": ["x", "m", "a"]}))
    console = Console(record=True, width=200)
    render_report(report, console)
    text = console.export_text()
    assert "[bold]LV[/bold]" in text  # user text is not parsed as rich markup
    for tag in ("abbrev", "latin", "single-char"):
        assert tag in text
    assert "x -" in text  # unjudged appid shows '-'
    assert "a 3" in text
    assert "must_not violations: 1" in text
    assert "(none)" in text  # d2 returned nothing
    assert text.index("abbrev") < text.index("latin") < text.index("single-char")


def test_compare_reports() -> None:
    qs = [gq("d1", {"a": 3}), gq("d2", {"b": 3}), gq("d3", {"c": 3})]
    before = evaluate(qs, fixed({"d1": ["a"], "d2": ["x", "b"], "d3": ["c"]}))
    after = evaluate([*qs[1:], gq("d4", {"e": 3})], fixed({"d2": ["b"], "d3": ["x", "c"]}))
    diff = compare_reports(before, after)
    assert [d.id for d in diff.worse] == ["d3"]
    assert diff.worse[0].delta == approx(INV_LOG2_3 - 1)
    assert [d.id for d in diff.better] == ["d2"]
    assert diff.better[0].delta == approx(1 - INV_LOG2_3)
    assert diff.unchanged == []
    assert (diff.only_a, diff.only_b) == (["d1"], ["d4"])
    # overall nDCG: before (2 + 0.6309)/3, after (1 + 0.6309 + 0)/3
    assert diff.overall["ndcg@10"] == approx(-1 / 3)
    assert diff.overall["p@1"] == approx(1 / 3 - 2 / 3)
    same = compare_reports(before, before)
    assert (same.worse, same.better, same.unchanged) == ([], [], ["d1", "d2", "d3"])
    assert same.overall == {"ndcg@10": 0.0, "mrr@10": 0.0, "p@1": 0.0, "recall@10": 0.0}
    console = Console(record=True, width=200)
    render_diff(diff, console)
    text = console.export_text()
    assert "Worse: 1 queries" in text
    assert "Better: 1 queries" in text
    assert "only in a: d1; only in b: d4" in text
