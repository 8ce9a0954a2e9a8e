"""Golden-query evaluation: metrics, reports, thresholds and report diffs.

Independent of how search runs: :func:`evaluate` takes a ``run`` callable that
returns the ranked appid list for one golden query (brand zone card first, then
the results). All metric values come from ir-measures (trec_eval / MS MARCO
implementations); this module only picks the measure per query and averages. Reports
are rendered for people by the CLI (``search.cli.render``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import ir_measures
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "EvalReport",
    "GoldenFileError",
    "GoldenQuery",
    "Metrics",
    "QueryDelta",
    "QueryResult",
    "ReportDiff",
    "check_thresholds",
    "compare_reports",
    "evaluate",
    "load_golden",
]

CUTOFF = 10
WORST_N = 10
_EPS = 1e-9  # float noise tolerance for thresholds and "unchanged" deltas

# ir-measures measures; keys are the names used in the per-query value table.
_NDCG = ir_measures.nDCG @ CUTOFF  # graded gains = grades, log2 discount (trec_eval ndcg_cut)
_RR2 = ir_measures.RR(rel=2) @ CUTOFF  # first hit of grade >= 2
_RR1 = ir_measures.RR(rel=1) @ CUTOFF  # first hit of grade >= 1 (queries without grade >= 2)
_P1 = ir_measures.P(rel=3) @ 1  # is the grade-3 answer first?
_R10 = ir_measures.R(rel=1) @ CUTOFF  # share of judged (grade >= 1) listings in the top 10
_MEASURES = (_NDCG, _RR2, _RR1, _P1, _R10)

Grade = Annotated[int, Field(strict=True, ge=1, le=3)]
NonEmptyStr = Annotated[str, Field(min_length=1)]


# --------------------------------------------------------------------------- golden files


class GoldenFileError(ValueError):
    """A golden file line that cannot be used; the message is ``file:line field: reason``."""

    def __init__(self, path: Path, line: int, field: str, reason: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.reason = reason
        super().__init__(f"{path}:{line} {field}: {reason}")


class GoldenQuery(BaseModel):
    """One golden query (catalog/SCHEMA.md, "Golden query files")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: NonEmptyStr
    query: NonEmptyStr
    host: NonEmptyStr
    judgments: dict[NonEmptyStr, Grade] = Field(min_length=1)
    must_not: list[NonEmptyStr] = Field(default_factory=list)
    tags: list[NonEmptyStr] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> GoldenQuery:
        """At most one grade 3, and nothing both judged and forbidden."""
        threes = [a for a, g in self.judgments.items() if g == 3]
        if len(threes) > 1:
            raise ValueError(f"judgments: more than one grade-3 listing: {', '.join(threes)}")
        both = sorted(set(self.judgments) & set(self.must_not))
        if both:
            raise ValueError(f"must_not: also judged: {', '.join(both)}")
        return self


def load_golden(path: Path) -> list[GoldenQuery]:
    """Read a JSON Lines golden file; blank lines are skipped, ids must be unique."""
    queries: list[GoldenQuery] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise GoldenFileError(path, lineno, "<json>", f"invalid JSON: {exc}") from exc
            if not isinstance(data, dict):
                raise GoldenFileError(path, lineno, "<line>", "expected a JSON object")
            try:
                q = GoldenQuery.model_validate(data)
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(p) for p in err["loc"]) or "<line>"
                reason = err["msg"]
                if len(exc.errors()) > 1:
                    reason += f" (and {len(exc.errors()) - 1} more error(s))"
                raise GoldenFileError(path, lineno, field, reason) from exc
            if q.id in seen:
                raise GoldenFileError(
                    path, lineno, "id", f"duplicate id {q.id!r} (first on line {seen[q.id]})"
                )
            seen[q.id] = lineno
            queries.append(q)
    return queries


# --------------------------------------------------------------------------- report models


def _alias(name: str, alias: str) -> Any:
    """Field serialised as ``alias`` and accepted under either name."""
    return Field(serialization_alias=alias, validation_alias=AliasChoices(name, alias))


class Metrics(BaseModel):
    """Averages of per-query values; ``p_1`` is None when no query has a grade-3 answer."""

    ndcg_10: float = _alias("ndcg_10", "ndcg@10")
    mrr_10: float = _alias("mrr_10", "mrr@10")
    p_1: float | None = _alias("p_1", "p@1")
    recall_10: float = _alias("recall_10", "recall@10")
    queries: int


class QueryResult(BaseModel):
    """Per-query outcome: metric values, top-10 appids with their grades, violations."""

    id: str
    query: str
    host: str
    tags: list[str]
    ndcg_10: float
    mrr_10: float
    p_1: float | None  # None: the query has no grade-3 judgment, so it is not in P@1
    recall_10: float
    returned: list[str]  # top 10 appids, duplicates removed
    grades: list[int | None]  # parallel to ``returned``; None = unjudged
    violations: list[str]  # must_not appids anywhere in the run, in rank order

    def to_json_dict(self) -> dict[str, Any]:
        """The ``worst`` item shape of ``mpsearch eval --json``."""
        return {
            "id": self.id,
            "query": self.query,
            "host": self.host,
            "ndcg@10": self.ndcg_10,
            "returned": [
                {"appid": a, "grade": g} for a, g in zip(self.returned, self.grades, strict=True)
            ],
            "violations": list(self.violations),
        }


class EvalReport(BaseModel):
    """Everything :func:`evaluate` found; ``to_json_dict`` is the CLI's JSON output."""

    overall: Metrics
    per_tag: dict[str, Metrics]
    must_not_violations: int
    worst: list[QueryResult]
    queries: list[QueryResult]

    def to_json_dict(self) -> dict[str, Any]:
        """``{"overall", "per_tag", "must_not_violations", "worst"}`` with metric aliases."""
        return {
            "overall": self.overall.model_dump(by_alias=True),
            "per_tag": {t: m.model_dump(by_alias=True) for t, m in sorted(self.per_tag.items())},
            "must_not_violations": self.must_not_violations,
            "worst": [q.to_json_dict() for q in self.worst],
        }


# --------------------------------------------------------------------------- evaluation


def _dedupe(appids: Iterable[str]) -> list[str]:
    """Keep the first occurrence of each appid, preserving rank order."""
    return list(dict.fromkeys(appids))


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _aggregate(results: Sequence[QueryResult]) -> Metrics:
    """Average per-query values; P@1 only over queries that have a grade-3 answer."""
    p1 = [r.p_1 for r in results if r.p_1 is not None]
    return Metrics(
        ndcg_10=_mean([r.ndcg_10 for r in results]),
        mrr_10=_mean([r.mrr_10 for r in results]),
        p_1=_mean(p1) if p1 else None,
        recall_10=_mean([r.recall_10 for r in results]),
        queries=len(results),
    )


def evaluate(queries: Sequence[GoldenQuery], run: Callable[[GoldenQuery], list[str]]) -> EvalReport:
    """Run every golden query and score the ranked lists with ir-measures."""
    if not queries:
        raise ValueError("no golden queries to evaluate")
    ids = [q.id for q in queries]
    if len(set(ids)) != len(ids):
        dup = sorted(i for i, n in Counter(ids).items() if n > 1)
        raise ValueError(f"duplicate golden query ids: {', '.join(dup)}")

    # Internal ids by position so ir-measures never sees odd golden ids.
    keys = [f"q{i}" for i in range(len(queries))]
    rankings = {k: _dedupe(run(q)) for k, q in zip(keys, queries, strict=True)}
    qrels = {k: dict(q.judgments) for k, q in zip(keys, queries, strict=True)}
    # Strictly decreasing scores: trec_eval re-sorts by score and breaks ties by
    # docid, so equal scores would lose the system's order.
    runs = {
        k: {a: float(len(ranked) - r) for r, a in enumerate(ranked)}
        for k, ranked in rankings.items()
        if ranked
    }
    values: dict[str, dict[str, float]] = {k: {} for k in keys}
    for metric in ir_measures.iter_calc(list(_MEASURES), qrels, runs):
        values[metric.query_id][str(metric.measure)] = float(metric.value)

    def value(key: str, measure: Any) -> float:
        # A query missing from the run (empty result list) scores 0, never drops out.
        return values[key].get(str(measure), 0.0)

    results: list[QueryResult] = []
    for key, q in zip(keys, queries, strict=True):
        ranked = rankings[key]
        top = ranked[:CUTOFF]
        top_grade = max(q.judgments.values())
        forbidden = set(q.must_not)
        results.append(
            QueryResult(
                id=q.id,
                query=q.query,
                host=q.host,
                tags=list(q.tags),
                ndcg_10=value(key, _NDCG),
                mrr_10=value(key, _RR2 if top_grade >= 2 else _RR1),
                p_1=value(key, _P1) if top_grade == 3 else None,
                recall_10=value(key, _R10),
                returned=top,
                grades=[q.judgments.get(a) for a in top],
                violations=[a for a in ranked if a in forbidden],
            )
        )

    by_tag: dict[str, list[QueryResult]] = {}
    for r in results:
        for tag in dict.fromkeys(r.tags):
            by_tag.setdefault(tag, []).append(r)
    return EvalReport(
        overall=_aggregate(results),
        per_tag={t: _aggregate(rs) for t, rs in sorted(by_tag.items())},
        must_not_violations=sum(len(r.violations) for r in results),
        worst=sorted(results, key=lambda r: (r.ndcg_10, r.id))[:WORST_N],
        queries=results,
    )


def check_thresholds(
    report: EvalReport,
    min_ndcg: float | None = None,
    *,
    min_p1: float | None = None,
    min_mrr: float | None = None,
    min_recall: float | None = None,
    min_tag_ndcg: float | None = None,
) -> list[str]:
    """Failure messages: metrics under the given minimums and any must_not violation."""
    failures: list[str] = []
    o = report.overall
    for label, val, minimum in (
        ("nDCG@10", o.ndcg_10, min_ndcg),
        ("MRR@10", o.mrr_10, min_mrr),
        ("recall@10", o.recall_10, min_recall),
    ):
        if minimum is not None and val < minimum - _EPS:
            failures.append(f"overall {label} {val:.4f} < {minimum:.4f}")
    if min_p1 is not None:
        if o.p_1 is None:
            failures.append("overall P@1 cannot be checked: no query has a grade-3 judgment")
        elif o.p_1 < min_p1 - _EPS:
            failures.append(f"overall P@1 {o.p_1:.4f} < {min_p1:.4f}")
    if min_tag_ndcg is not None:
        for tag, m in sorted(report.per_tag.items()):
            if m.ndcg_10 < min_tag_ndcg - _EPS:
                failures.append(f"tag {tag} nDCG@10 {m.ndcg_10:.4f} < {min_tag_ndcg:.4f}")
    if report.must_not_violations:
        pairs = "; ".join(
            f"{r.id}: {', '.join(r.violations)}" for r in report.queries if r.violations
        )
        failures.append(f"{report.must_not_violations} must_not violation(s): {pairs}")
    return failures


# --------------------------------------------------------------------------- diffs


class QueryDelta(BaseModel):
    """nDCG@10 of one query in two reports (``delta`` = b - a)."""

    id: str
    query: str
    ndcg_a: float
    ndcg_b: float
    delta: float


class ReportDiff(BaseModel):
    """Per-query and overall changes from report ``a`` to report ``b``."""

    overall: dict[str, float | None]  # metric alias -> b - a (None if either is undefined)
    worse: list[QueryDelta]  # most degraded first
    better: list[QueryDelta]  # most improved first
    unchanged: list[str]
    only_a: list[str]
    only_b: list[str]


def compare_reports(a: EvalReport, b: EvalReport) -> ReportDiff:
    """Match queries by id and sort them into worse / better / unchanged."""
    qa = {r.id: r for r in a.queries}
    qb = {r.id: r for r in b.queries}
    worse: list[QueryDelta] = []
    better: list[QueryDelta] = []
    unchanged: list[str] = []
    for qid in sorted(qa.keys() & qb.keys()):
        ra, rb = qa[qid], qb[qid]
        d = QueryDelta(
            id=qid,
            query=rb.query,
            ndcg_a=ra.ndcg_10,
            ndcg_b=rb.ndcg_10,
            delta=rb.ndcg_10 - ra.ndcg_10,
        )
        if d.delta < -_EPS:
            worse.append(d)
        elif d.delta > _EPS:
            better.append(d)
        else:
            unchanged.append(qid)
    worse.sort(key=lambda d: (d.delta, d.id))
    better.sort(key=lambda d: (-d.delta, d.id))

    oa, ob = a.overall.model_dump(by_alias=True), b.overall.model_dump(by_alias=True)
    overall: dict[str, float | None] = {}
    for k in ("ndcg@10", "mrr@10", "p@1", "recall@10"):
        overall[k] = None if oa[k] is None or ob[k] is None else ob[k] - oa[k]
    return ReportDiff(
        overall=overall,
        worse=worse,
        better=better,
        unchanged=unchanged,
        only_a=sorted(qa.keys() - qb.keys()),
        only_b=sorted(qb.keys() - qa.keys()),
    )
