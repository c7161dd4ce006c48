"""The `catalogue` command: harvest, index, check, export and serve."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .core import Catalogue
from .schedule import run_schedule
from .settings import Settings, SettingsError, describe, load_settings
from .sources import SourcesError, load_sources
from .store import StoreError

# The harvest runner (and the harvesters it registers) is imported by the
# commands that harvest: `build-site` and `serve` start sooner without it.
if TYPE_CHECKING:
    from .models import HarvestRun

app = typer.Typer(
    help="Good Practice Catalogue: harvest public-sector good practices into an RDF store, index and serve them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON summary.")]


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        _fail(str(exc))


def _fail(message: str, code: int = 2) -> Any:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def demo_sources_path() -> Path:
    return Path(str(resources.files("catalogue").joinpath("demo/sources.toml")))


def _run_summary(run: HarvestRun) -> dict[str, Any]:
    return {
        "name": run.source,
        "status": run.status,
        **run.counts.model_dump(),
        "started": run.started.isoformat(),
        "ended": run.ended.isoformat() if run.ended else None,
        "errors": [e.model_dump() for e in run.errors],
    }


def _print_runs(runs: list[HarvestRun], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"sources": [_run_summary(r) for r in runs]}, indent=2, ensure_ascii=False))
        return
    for run in runs:
        c = run.counts
        typer.echo(
            f"{run.source}: {run.status} - seen {c.seen}, new {c.new}, changed {c.changed}, "
            f"unchanged {c.unchanged}, withdrawn {c.withdrawn}, failed {c.failed}"
        )
        for err in run.errors:
            shown_url = err.original_url and err.original_url != err.original_id
            where = f"{err.original_id}" + (f" <{err.original_url}>" if shown_url else "")
            typer.echo(f"  - {where}: {err.reason}" if err.original_id else f"  - {err.reason}")


def _harvest(sources_path: Path, names: list[str], as_json: bool, full: bool = False) -> None:
    from .harvest import make_progress

    settings = _settings()
    progress = make_progress(interactive=sys.stderr.isatty() and not as_json)
    try:
        sources = load_sources(sources_path)
        with Catalogue(settings) as cat:
            runs = cat.harvest(sources, names, full=full, progress=progress)
    except (SourcesError, StoreError) as exc:
        _fail(str(exc))
    finally:
        progress.close()
    _print_runs(runs, as_json)
    failed = [r for r in runs if r.status == "failed"]
    if failed:
        for run in failed:
            reason = next((e.reason for e in run.errors if e.reason.startswith("source failed")), "source failed")
            typer.echo(f"{run.source}: {reason}", err=True)
        raise typer.Exit(1)


@app.command()
def harvest(
    names: Annotated[list[str] | None, typer.Argument(help="Sources to run (default: every enabled source).")] = None,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="The sources file (default: setting CATALOGUE_SOURCES, ./sources.toml).")
    ] = None,
    as_json: JsonOption = False,
    full: Annotated[
        bool, typer.Option("--full", help="A full listing: no incremental query, no conditional request (can withdraw).")
    ] = False,
    abort: Annotated[
        str | None, typer.Option("--abort", metavar="NAME", help="Ask the run of source NAME in progress to stop, and exit.")
    ] = None,
) -> None:
    """Harvest sources once (for cron or a systemd timer). Exit code 1 if a source failed."""
    if abort is not None:
        from .harvest import request_abort

        typer.echo(request_abort(_settings(), abort))
        return
    path = sources or _settings().sources
    _harvest(path, names or [], as_json, full=full)


@app.command("sources")
def list_sources(
    sources: Annotated[
        Path | None, typer.Option("--sources", help="The sources file (default: setting CATALOGUE_SOURCES, ./sources.toml).")
    ] = None,
    runs: Annotated[int, typer.Option("--runs", min=1, help="How many of the last runs to show per source.")] = 3,
    as_json: JsonOption = False,
) -> None:
    """List the sources with their schedule and their last harvest runs."""
    from .harvest import source_overview

    settings = _settings()
    try:
        source_list = load_sources(sources or settings.sources)
        if settings.store_dir.exists():
            # Read-only: the listing shows runs in progress, whose harvest holds the store.
            with Catalogue(settings, read_only=True) as cat:
                rows = source_overview(cat.store, cat.uris, settings, source_list, runs)
        else:
            rows = source_overview(None, Catalogue(settings).uris, settings, source_list, runs)
    except (SourcesError, StoreError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"sources": rows}, indent=2, ensure_ascii=False))
        return
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        typer.echo(f"{row['name']} ({row['kind']}, {state}, schedule '{row['schedule']}', next {row['next_run']})")
        typer.echo(f"  {row['url']}")
        if row["running"]:
            typer.echo(f"  running now: pid {row['running']['pid']} since {row['running']['started']}")
        if not row["runs"]:
            typer.echo("  never run")
        for r in row["runs"]:
            typer.echo(
                f"  {r['started']}: {r['status']} - seen {r.get('seen', 0)}, new {r.get('new', 0)}, changed "
                f"{r.get('changed', 0)}, unchanged {r.get('unchanged', 0)}, withdrawn {r.get('withdrawn', 0)}, "
                f"failed {r.get('failed', 0)}, skipped {r.get('skipped', 0)}"
            )


@app.command()
def schedule(
    sources: Annotated[
        Path | None, typer.Option("--sources", help="The sources file (default: setting CATALOGUE_SOURCES, ./sources.toml).")
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--for", metavar="SECONDS", help="Stop after this many seconds (default: until stopped).")
    ] = None,
) -> None:
    """Run every enabled source on its cron schedule, in this process, until stopped
    (Ctrl-C or SIGTERM). One source never runs twice at once."""
    settings = _settings()
    try:
        source_list = load_sources(sources or settings.sources)
    except SourcesError as exc:
        _fail(str(exc))
    from .harvest import make_progress

    make_progress(interactive=False)
    until = datetime.now(UTC) + timedelta(seconds=duration) if duration is not None else None
    with Catalogue(settings) as cat:
        run_schedule(cat, source_list, until=until)


@app.command()
def demo(as_json: JsonOption = False) -> None:
    """Harvest the bundled demo sources (offline) into the data directory."""
    _harvest(demo_sources_path(), [], as_json)


@app.command()
def reindex() -> None:
    """Rebuild the search index from the store, aside, then swap it in (readers are never stopped)."""
    try:
        with Catalogue(_settings()) as cat:
            count, errors = cat.reindex()
    except StoreError as exc:
        _fail(str(exc))
    typer.echo(f"indexed {count} practices with {cat.settings.search_engine}")
    for err in errors:
        typer.echo(f"  - skipped: {err}", err=True)


@app.command()
def check(as_json: JsonOption = False) -> None:
    """Check that the search index holds exactly what the store holds. Exit code 1 if not."""
    try:
        with Catalogue(_settings()) as cat:
            report = cat.check()
    except StoreError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({"ok": report.ok, **report.__dict__}, indent=2))
    else:
        typer.echo(f"store: {report.store_count} practices; index: {report.index_count} documents")
        for name in ("missing", "stale", "extra"):
            for uri in getattr(report, name):
                typer.echo(f"  {name}: {uri}")
        typer.echo("in step" if report.ok else "OUT OF STEP: run `catalogue reindex`")
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write; '-' for standard output.")] = Path("-"),
    with_runs: Annotated[bool, typer.Option("--with-runs", help="Include the harvest-run graph (N-Quads only).")] = False,
    export_format: Annotated[
        str, typer.Option("--format", help="'nquads' (the store, sorted) or 'dcat' (the DCAT-AP 3 catalogue, as /catalog).")
    ] = "nquads",
    syntax: Annotated[
        str, typer.Option("--syntax", help="RDF syntax of --format dcat: turtle, jsonld, rdfxml or ntriples.")
    ] = "turtle",
) -> None:
    """Export the store as N-Quads (record graphs, sorted; harvest runs with --with-runs), or the DCAT-AP catalogue."""
    if export_format not in ("nquads", "dcat"):
        _fail(f"unknown --format {export_format!r}; known: nquads, dcat")
    if export_format == "dcat":
        from .dcat_feed import full_catalog
        from .rdf_formats import RDF_FORMATS, by_name
        from .rdf_output import graph_bytes

        fmt = by_name(syntax, RDF_FORMATS)
        if fmt is None:
            _fail(f"unknown --syntax {syntax!r}; known: turtle, jsonld, rdfxml, ntriples")
        with Catalogue(_settings(), read_only=True) as cat:
            body = graph_bytes(full_catalog(cat.store, cat.settings), fmt)
        _write_bytes(output, body)
        return
    with Catalogue(_settings()) as cat:
        store = cat.store
        graphs = None
        if not with_runs:
            rows = store.select(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?g a <http://www.w3.org/ns/dcat#CatalogRecord> } }"
            )
            graphs = [str(r["g"]) for r in rows]
        if str(output) == "-":
            store.export_nquads(sys.stdout.buffer, graphs)
            sys.stdout.buffer.flush()
        else:
            with output.open("wb") as out:
                store.export_nquads(out, graphs)


def _write_bytes(output: Path, body: bytes) -> None:
    if str(output) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(body)


@app.command()
def query(
    text: Annotated[str | None, typer.Argument(help="The SPARQL query; '-' reads it from standard input.")] = None,
    file: Annotated[Path | None, typer.Option("-f", "--file", help="Read the query from this file.")] = None,
    answer_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="json, xml, csv or tsv for SELECT and ASK (default tsv); turtle, jsonld, rdfxml or ntriples "
            "for CONSTRUCT and DESCRIBE (default turtle).",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write; '-' for standard output.")] = Path("-"),
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop the query after this many seconds (default: no limit).")
    ] = None,
) -> None:
    """Run a read-only SPARQL query on the local store (as /sparql does; the store may be in use by `serve`).
    Exit code 1 when the query fails."""
    from .local_query import run_query

    if file is not None:
        sparql = file.read_text(encoding="utf-8")
    elif text in (None, "-"):
        sparql = sys.stdin.read()
    else:
        sparql = text
    answer = run_query(_settings(), sparql, answer_format, timeout)
    if answer.status != 200:
        _fail(answer.message, 2 if answer.status == 400 and "unknown format" in answer.message else 1)
    _write_bytes(output, answer.body)


@app.command("build-site")
def build_site_command(
    out: Annotated[Path, typer.Argument(help="Folder to write the site to (created if missing).")],
    api_base: Annotated[
        str | None, typer.Option("--api-base", help="Server with the API, /search and /sparql (setting CATALOGUE_API_BASE).")
    ] = None,
    site_url: Annotated[
        str | None, typer.Option("--site-url", help="Public address of the site, for the sitemap (setting CATALOGUE_SITE_URL).")
    ] = None,
    languages: Annotated[
        str, typer.Option("--languages", help="Comma-separated interface languages to write (default: all).")
    ] = "",
    force: Annotated[bool, typer.Option("--force", help="Render every page again, not only what changed.")] = False,
    jobs: Annotated[int, typer.Option("--jobs", min=0, help="Worker processes for big builds (0: one per core).")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Write the site as static files: every page, the JSON and RDF twins, sitemap, robots.txt, feed.
    Run again after a harvest: only what changed is rendered again."""
    from .sitebuild import BuildOptions, build_site
    from .web.i18n import LANGUAGES

    settings = _settings(api_base=api_base, site_url=site_url)
    wanted = tuple(code.strip() for code in languages.split(",") if code.strip()) or tuple(LANGUAGES)
    unknown = [code for code in wanted if code not in LANGUAGES]
    if unknown:
        _fail(f"--languages: unknown {', '.join(unknown)}; known: {', '.join(LANGUAGES)}")
    options = BuildOptions(
        out=out, languages=wanted, api_base=settings.api_base, site_url=settings.site_url, force=force,
        jobs=jobs or os.cpu_count() or 1,
    )
    try:
        with Catalogue(settings, read_only=True) as cat:
            report = build_site(cat, options)
    except (StoreError, OSError) as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps({**report.__dict__, "pages_per_second": round(report.pages_per_second, 1)}, indent=2))
    else:
        typer.echo(report.summary())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (setting CATALOGUE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (setting CATALOGUE_PORT).")] = None,
    get: Annotated[
        str | None, typer.Option("--get", help="Answer one GET request for this path, print the body and exit.")
    ] = None,
) -> None:
    """Serve the site, the JSON API and /healthz."""
    settings = _settings(host=host, port=port)
    from .web import create_app

    application = create_app(settings)
    if get is not None:
        from starlette.testclient import TestClient

        with TestClient(application) as client:
            response = client.get(get)
        typer.echo(response.text)
        raise typer.Exit(0 if response.status_code < 400 else 1)
    import uvicorn

    uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")


@app.command("settings")
def show_settings() -> None:
    """List every setting with its default and description."""
    current = _settings()
    for env, default, description in describe():
        name = env.removeprefix("CATALOGUE_").lower()
        typer.echo(f"{env} = {getattr(current, name)}  (default {default})\n    {description}")


if __name__ == "__main__":  # pragma: no cover
    app()
