"""Rich rendering for the command line: evaluation reports and their diffs, search results,
replicas, go-live applications, the need lexicon's check."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from indexer.deployment import ReplicaInfo
from indexer.golive import Application
from search.models import NeedExplain, SearchResponse
from search.rank.weights import WEIGHTS
from search.relevance.eval import EvalReport, Metrics, ReportDiff
from search.relevance.lexicon_check import LexiconCheck


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.4f}"


def _metrics_row(m: Metrics) -> list[str]:
    return [_fmt(m.ndcg_10), _fmt(m.mrr_10), _fmt(m.p_1), _fmt(m.recall_10), str(m.queries)]


_METRIC_HEADERS = ("nDCG@10", "MRR@10", "P@1", "recall@10", "queries")


def render_report(report: EvalReport, console: Console) -> None:
    """Human-readable report: overall, per tag, worst queries, must_not violations."""
    overall = Table(title="Overall")
    for h in _METRIC_HEADERS:
        overall.add_column(h, justify="right")
    overall.add_row(*_metrics_row(report.overall))
    console.print(overall)

    per_tag = Table(title="Per tag")
    per_tag.add_column("tag")
    for h in _METRIC_HEADERS:
        per_tag.add_column(h, justify="right")
    for tag, m in sorted(report.per_tag.items()):
        per_tag.add_row(Text(tag), *_metrics_row(m))
    console.print(per_tag)

    worst = Table(title=f"Worst {len(report.worst)} queries by nDCG@10")
    for h in ("id", "query", "host", "nDCG@10", "returned (appid grade)"):
        worst.add_column(h)
    for r in report.worst:
        came_back = "\n".join(
            f"{a} {'-' if g is None else g}{'  MUST_NOT' if a in r.violations else ''}"
            for a, g in zip(r.returned, r.grades, strict=True)
        )
        worst.add_row(
            Text(r.id), Text(r.query), Text(r.host), _fmt(r.ndcg_10), Text(came_back or "(none)")
        )
    console.print(worst)

    if not report.must_not_violations:
        console.print("must_not violations: 0")
        return
    viol = Table(title=f"must_not violations: {report.must_not_violations}")
    for h in ("id", "query", "host", "appid"):
        viol.add_column(h)
    for r in report.queries:
        for a in r.violations:
            viol.add_row(Text(r.id), Text(r.query), Text(r.host), Text(a))
    console.print(viol)


def render_diff(diff: ReportDiff, console: Console) -> None:
    """Overall deltas, then the queries that got worse and better."""
    overall = Table(title="Overall change (b - a)")
    for k in diff.overall:
        overall.add_column(k, justify="right")
    overall.add_row(*("-" if v is None else f"{v:+.4f}" for v in diff.overall.values()))
    console.print(overall)
    for title, rows in (("Worse", diff.worse), ("Better", diff.better)):
        table = Table(title=f"{title}: {len(rows)} queries")
        for h in ("id", "query", "nDCG@10 a", "nDCG@10 b", "delta"):
            table.add_column(h)
        for d in rows:
            table.add_row(
                Text(d.id), Text(d.query), _fmt(d.ndcg_a), _fmt(d.ndcg_b), f"{d.delta:+.4f}"
            )
        console.print(table)
    console.print(f"unchanged: {len(diff.unchanged)}")
    if diff.only_a or diff.only_b:
        only_a, only_b = ", ".join(diff.only_a) or "-", ", ".join(diff.only_b) or "-"
        console.print(Text(f"only in a: {only_a}; only in b: {only_b}"))


def render_search(
    resp: SearchResponse, query: str, host: str, explain: bool, console: Console
) -> None:
    """Entry cards as a table (the brand zone card first), and why each ranked with explain."""
    cards = ([resp.brand_zone.card] if resp.brand_zone else []) + resp.results
    # User and catalog text is shown as is (Text), never parsed as rich markup.
    table = Table(
        title=Text(
            f"{query!r} on {host}: {resp.total} results, {resp.took_ms} ms, "
            f"index {resp.index_version}"
        )
    )
    # Appids are identifiers and names are what users look for: never cut them with "…".
    table.add_column("#")
    table.add_column("appid", overflow="fold")
    table.add_column("name", overflow="fold")
    for col in ("official", "category", "score"):
        table.add_column(col)
    for i, card in enumerate(cards, start=1):
        mark = "zone" if resp.brand_zone and i == 1 else str(i)
        table.add_row(
            mark,
            Text(card.appid),
            Text(card.name),
            "yes" if card.official else "",
            Text("/".join(card.category)),
            f"{card.score:.3f}",
        )
    console.print(table)
    if explain and resp.understanding is not None:
        u = resp.understanding
        manner = f" (manner ×{WEIGHTS.manner:g}: {' '.join(u.manner_words)})"
        lines = [
            f"words: {' '.join(u.words)}{manner if u.manner_words else ''}",
            "dropped: " + (", ".join(f"{d.word} ({d.reason})" for d in u.dropped) or "-"),
            "needs: " + (", ".join(_need(n) for n in u.needs) or "-"),
            "categories: "
            + (", ".join(f"{c.category} {c.score:.2f}" for c in u.categories) or "-"),
        ]
        if u.named_needs:
            lines.append(f"named: {' '.join(u.named_needs)} in {' '.join(u.named_tops)}")
        if u.leaders:
            lines.append("leaders: " + " ".join(u.leaders))
        if u.regions:
            lines.append("regions: " + " ".join(u.regions))
        for line in lines:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    if explain:
        for card in cards:
            assert card.explain is not None
            parts = " ".join(f"{k}={v:.3f}" for k, v in card.explain.parts.items() if v)
            matches = "; ".join(
                f"{m.unit}→{m.field}/{m.form}" if m.field else f"{m.unit}→-"
                for m in card.explain.matches
            )
            console.print(
                f"{card.appid} {card.name}: {matches} | {parts}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _need(need: NeedExplain) -> str:
    """A need as explain prints it: 打个车 → 网约车 0.61/专车 0.55; one that is not the
    query's request is marked with its role (公交 (circumstance))."""
    role = "" if need.role == "request" else f" ({need.role})"
    return f"{need.word}{role} → {_services(need)}"


def _services(need: NeedExplain) -> str:
    """A need's first service words with what each says of the need (网约车 0.61)."""
    pairs = zip(need.service_words[:4], need.service_shares[:4], strict=False)
    return "/".join(f"{w} {share:.2f}" for w, share in pairs) or "-"


def render_replicas(replicas: Sequence[ReplicaInfo], current: str | None, console: Console) -> None:
    """One row per replica: what it serves, how far behind it is, when it was last heard."""
    table = Table(title=f"{len(replicas)} replica(s)")
    table.add_column("replica", overflow="fold")
    table.add_column("version", no_wrap=True)  # copied into commands: never cut
    for col in ("applied seq", "lag", "last heartbeat", "state"):
        table.add_column(col, overflow="fold")
    for r in replicas:
        state = "stale" if r.stale else ("ok" if r.version == current and not r.error else "-")
        table.add_row(
            Text(r.name),
            Text(r.version or "-"),
            str(r.applied_seq),
            str(r.lag),
            f"{r.heartbeat_age:.1f} s ago",
            Text(r.error or state),
        )
    console.print(table)


def render_applications(apps: Sequence[Application], console: Console) -> None:
    """One row per go-live application: what, its status, who made and decided it, why."""
    table = Table(title=f"{len(apps)} go-live application(s)")
    table.add_column("id", justify="right")
    table.add_column("appid", overflow="fold")  # copied into commands: never cut
    for col in ("host", "status", "applied (UTC)", "by", "decided (UTC)", "by", "note / reason"):
        table.add_column(col, overflow="fold")
    for a in apps:
        why = " / ".join(x for x in (a.note, a.reason) if x)
        table.add_row(
            str(a.id),
            Text(a.appid),
            Text(a.host),
            a.status,
            f"{a.at:%Y-%m-%d %H:%M:%S}",
            Text(a.who),
            f"{a.decided_at:%Y-%m-%d %H:%M:%S}" if a.decided_at else "-",
            Text(a.decided_by or "-"),
            Text(why or "-"),
        )
    console.print(table)


def render_lexicon_check(report: LexiconCheck, console: Console) -> None:
    """The counts, then a finding a row: its line, kind, word or category, share."""
    console.print(
        Text(
            f"{report.lines} lines of needs.txt against index {report.index_version}: "
            f"{report.count('category')} of {report.categories} categories held by no "
            f"listing, {report.count('service_word')} of {report.service_words} service "
            f"words held by none, {report.count('weak_service_word')} saying too little of "
            "their need's categories to count"
        ),
        soft_wrap=True,
    )
    if not report.findings:
        return
    table = Table()
    for col in ("line", "finding", "word or category", "share", "need words"):
        table.add_column(col, overflow="fold")
    for x in report.findings:
        more = " …" if len(x.need_words) > 4 else ""
        table.add_row(
            str(x.line),
            x.kind.replace("_", " "),
            Text(x.value),
            "" if x.share is None else f"{x.share:.3f}",
            Text(", ".join(x.need_words[:4]) + more),
        )
    console.print(table)
