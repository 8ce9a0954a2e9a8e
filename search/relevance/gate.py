"""The relevance gate: a candidate version is published only if golden queries do not regress.

The candidate and the current version answer the same golden queries; publishing
is refused when the candidate's nDCG@10 is lower by more than ``max_drop`` or it
shows a ``must_not`` violation the current version does not have.
"""

from __future__ import annotations

from dataclasses import dataclass

from search.engine import Engine
from search.relevance.eval import EvalReport, GoldenQuery, ReportDiff, compare_reports, evaluate

EPS = 1e-9


def evaluate_engine(engine: Engine, queries: list[GoldenQuery]) -> EvalReport:
    """Evaluate an opened version on golden queries: the ranked list of a query is its brand
    zone card followed by the results."""
    return evaluate(queries, lambda g: engine.ranked_appids(g.query, g.host))


def violation_pairs(report: EvalReport) -> set[tuple[str, str]]:
    return {(r.id, a) for r in report.queries for a in r.violations}


@dataclass
class GateResult:
    """The verdict, with both reports and their per-query diff (None without a baseline)."""

    candidate: EvalReport
    baseline: EvalReport | None
    diff: ReportDiff | None
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def gate(candidate: EvalReport, baseline: EvalReport | None, max_drop: float) -> GateResult:
    """Compare the candidate with the current version's report (None: nothing published)."""
    failures: list[str] = []
    new_violations = violation_pairs(candidate)
    diff = None
    if baseline is not None:
        new_violations -= violation_pairs(baseline)
        diff = compare_reports(baseline, candidate)
        drop = baseline.overall.ndcg_10 - candidate.overall.ndcg_10
        if drop > max_drop + EPS:
            failures.append(
                f"nDCG@10 drops by {drop:.4f} ({baseline.overall.ndcg_10:.4f} -> "
                f"{candidate.overall.ndcg_10:.4f}); at most {max_drop:.4f} is allowed"
            )
    if new_violations:
        pairs = "; ".join(f"{qid}: {appid}" for qid, appid in sorted(new_violations))
        failures.append(f"{len(new_violations)} new must_not violation(s): {pairs}")
    return GateResult(candidate, baseline, diff, failures)
