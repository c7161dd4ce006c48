"""`catalogue query`: SPARQL on the catalogue's store, with the screening and
the answer formats of /sparql. The embedded store is opened read-only, so it
works while `catalogue serve` holds it; with a timeout, the query runs in one
worker process (killed past the limit), as on the endpoint; without one, here.
A remote store gets the query, as /sparql forwards it.
"""

from __future__ import annotations

from pathlib import Path

from .rdf_formats import RDF_FORMATS, RESULT_FORMATS, by_name
from .rdf_output import PREFIX_MAP
from .settings import Settings
from .sparql_eval import Answer, Job, error, evaluate
from .sparql_guard import QueryRejected, screen
from .store import StoreError
from .store.oxigraph import OxigraphStore

MAX_QUERY_BYTES = 10 * 2**20  # the operator's own machine: far above the endpoint's limit
MAX_ANSWER_BYTES = 2**40


def run_query(settings: Settings, text: str, fmt: str | None = None, timeout: float | None = None) -> Answer:
    """Screen, evaluate and serialise one query (errors come back as Answers)."""
    try:
        screened = screen(text, MAX_QUERY_BYTES)
    except QueryRejected as exc:
        return error(exc.status, exc.message)
    results = by_name(fmt, RESULT_FORMATS) if fmt else by_name("tsv", RESULT_FORMATS)
    graph = by_name(fmt, RDF_FORMATS) if fmt else by_name("turtle", RDF_FORMATS)
    if fmt and results is None and graph is None:
        known = ", ".join(f.name for f in (*RESULT_FORMATS, *RDF_FORMATS))
        return error(400, f"unknown format {fmt!r}; known: {known}")
    job = Job(
        query=screened.text,
        results_format=results.name if results else None,
        graph_format=graph.name if graph else None,
        base_iri=f"{settings.base_uri}/sparql",
        max_bytes=MAX_ANSWER_BYTES,
        prefixes=tuple(PREFIX_MAP.items()),
    )
    if settings.store.startswith("sparql+"):
        # A remote store evaluates the query itself, bounded by the timeout.
        from .sparql_pool import QueryTimeout, RemoteQueries
        from .store.sparql import endpoint_of

        remote = RemoteQueries(endpoint_of(settings.store), timeout=timeout or settings.store_timeout)
        try:
            return remote.run(job)
        except QueryTimeout:
            return error(503, f"the query ran longer than {remote.timeout:g} seconds and was stopped")
    path: Path = settings.store_dir
    if timeout is not None:
        from .sparql_pool import QueryPool, QueryTimeout

        pool = QueryPool(path, workers=1, timeout=timeout, memory_mb=0)
        try:
            return pool.run(job)
        except QueryTimeout:
            return error(503, f"the query ran longer than {timeout:g} seconds and was stopped")
        finally:
            pool.close()
    try:
        store = OxigraphStore(path, read_only=True)
    except StoreError as exc:
        return error(503, str(exc))
    try:
        return evaluate(store.oxigraph, job)
    finally:
        store.close()
