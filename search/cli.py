"""The ``mpsearch`` command line: index build/publish/list, search, eval, serve."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from indexer.build import build_index
from indexer.dictionaries import Dictionaries
from indexer.errors import IndexerError
from indexer.settings import Settings, get_settings
from indexer.store import IndexStore
from search.engine import Engine, SearchRequest
from search.errors import SearchError
from search.eval import check_thresholds, evaluate, load_golden, render_report

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Mini-program search.")
index_app = typer.Typer(no_args_is_help=True, help="Build, publish and list index versions.")
app.add_typer(index_app, name="index")
out = Console()
err = Console(stderr=True)
VERSION_CHARS = len("vYYYYMMDD-HHMMSS-xxxxxx")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _context() -> tuple[Settings, IndexStore, Dictionaries]:
    settings = get_settings()
    return settings, IndexStore(settings.home), Dictionaries.load(settings.dictionaries)


def _open_engine(version: str | None) -> Engine:
    settings, store, dicts = _context()
    name = version or store.current()
    if name is None:
        raise _fail(
            f"no index is published under {settings.home}; run `mpsearch index build` "
            "and `mpsearch index publish --latest`"
        )
    return Engine.open(store, name, dicts, settings.candidates)


@index_app.command("build")
def index_build(
    listings: Annotated[Path, typer.Option(help="listings.jsonl")],
    brands: Annotated[Path, typer.Option(help="brands.jsonl")],
    strict: Annotated[bool, typer.Option(help="fail (exit 1) on any rejected line")] = False,
    rejects: Annotated[
        Path | None, typer.Option(help="write the rejects report here (JSON Lines)")
    ] = None,
) -> None:
    """Validate the catalog and build a new immutable index version."""
    _, store, dicts = _context()
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
                store,
                listings,
                brands,
                dicts,
                strict=strict,
                progress=lambda n: bar.update(task, completed=n),
            )
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
    if result.version is None:
        raise _fail(
            f"{report.rejected} rejected record(s) and --strict is set: no version built", 1
        )
    out.print(
        f"built version [bold]{result.version}[/bold] under {escape(str(store.root))}",
        soft_wrap=True,
    )


@index_app.command("publish")
def index_publish(
    version: Annotated[str | None, typer.Argument(help="version to publish")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="publish the newest version")] = False,
) -> None:
    """Point `current` at a version (atomic rename)."""
    _, store, dicts = _context()
    try:
        if latest == (version is not None):
            raise _fail("give exactly one of VERSION or --latest")
        name = store.latest() if latest else str(version)
        Engine.open(store, name, dicts)  # refuses an incompatible or corrupt version
        store.publish(name)
    except IndexerError as exc:
        raise _fail(str(exc)) from None
    out.print(f"published {name}", markup=False, soft_wrap=True)


@index_app.command("list")
def index_list() -> None:
    """Versions, newest last, with the current one marked."""
    _, store, _ = _context()
    current = store.current()
    table = Table()
    # Version names are copied into `index publish`: never truncate them.
    table.add_column("version", no_wrap=True, min_width=VERSION_CHARS)
    for col in ("created", "listings", "rejected", "fingerprint", ""):
        table.add_column(col)
    for name in store.versions():
        m = store.manifest(name)
        table.add_row(
            name,
            f"{m.created_at:%Y-%m-%d %H:%M:%S}",
            str(m.counts.get("listings_indexed", 0)),
            str(m.counts.get("rejected", 0)),
            m.fingerprint,
            "current" if name == current else "",
        )
    out.print(table)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="what the user typed")],
    host: Annotated[str, typer.Option(help="host app: jd, qqbrowser or samsung")] = "jd",
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
    out.print(table)
    if explain:
        for card in cards:
            assert card.explain is not None
            parts = " ".join(f"{k}={v:.3f}" for k, v in card.explain.parts.items() if v)
            matches = "; ".join(
                f"{m.unit}→{m.field}/{m.form}" if m.field else f"{m.unit}→-"
                for m in card.explain.matches
            )
            out.print(
                f"{card.appid} {card.name}: {matches} | {parts}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


@app.command("eval")
def eval_cmd(
    golden: Annotated[Path, typer.Option(help="golden queries (JSON Lines)")],
    index: Annotated[str | None, typer.Option(help="version (default: current)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    min_ndcg: Annotated[float | None, typer.Option(help="fail under this nDCG@10")] = None,
) -> None:
    """Evaluate ranking on golden queries; exit 1 under the threshold or on must_not violations."""
    try:
        queries = load_golden(golden)
        engine = _open_engine(index)
        report = evaluate(queries, lambda g: engine.ranked_appids(g.query, g.host))
    except (IndexerError, SearchError, ValueError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot read {golden}: {exc.strerror or exc}") from None
    if as_json:
        sys.stdout.write(orjson.dumps(report.to_json_dict()).decode() + "\n")
    else:
        render_report(report, out)
    failures = check_thresholds(report, min_ndcg)
    for failure in failures:
        err.print(failure, markup=False, highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int | None, typer.Option(help="worker processes")] = None,
) -> None:
    """Serve the HTTP API and the preview page."""
    from search.serving import run

    settings = get_settings()
    run(
        "search.api:create_app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level="info",
    )


if __name__ == "__main__":
    app()
