"""The `catalogue` command: harvest, index, check, export and serve."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from .core import Catalogue
from .models import HarvestRun
from .settings import Settings, SettingsError, describe, load_settings
from .sources import SourcesError, load_sources
from .store import StoreError

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


def _harvest(sources_path: Path, names: list[str], as_json: bool) -> None:
    settings = _settings()
    try:
        sources = load_sources(sources_path)
        with Catalogue(settings) as cat:
            runs = cat.harvest(sources, names)
    except (SourcesError, StoreError) as exc:
        _fail(str(exc))
    _print_runs(runs, as_json)
    if any(r.status == "failed" for r in runs):
        raise typer.Exit(1)


@app.command()
def harvest(
    names: Annotated[list[str] | None, typer.Argument(help="Sources to run (default: every enabled source).")] = None,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="The sources file (default: setting CATALOGUE_SOURCES, ./sources.toml).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Harvest sources once (for cron or a systemd timer). Exit code 1 if a source failed."""
    path = sources or _settings().sources
    _harvest(path, names or [], as_json)


@app.command()
def demo(as_json: JsonOption = False) -> None:
    """Harvest the bundled demo sources (offline) into the data directory."""
    _harvest(demo_sources_path(), [], as_json)


@app.command()
def reindex() -> None:
    """Rebuild the search index from the store, aside, then swap it in (readers are never stopped)."""
    with Catalogue(_settings()) as cat:
        count, errors = cat.reindex()
    typer.echo(f"indexed {count} practices with {cat.settings.search_engine}")
    for err in errors:
        typer.echo(f"  - skipped: {err}", err=True)


@app.command()
def check(as_json: JsonOption = False) -> None:
    """Check that the search index holds exactly what the store holds. Exit code 1 if not."""
    with Catalogue(_settings()) as cat:
        report = cat.check()
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
    with_runs: Annotated[bool, typer.Option("--with-runs", help="Include the harvest-run graph.")] = False,
) -> None:
    """Export the store as N-Quads (record graphs, sorted; harvest runs with --with-runs)."""
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
