"""Evaluating one screened SPARQL query on an Oxigraph store and writing its
answer in the negotiated format, never more than a byte budget.

Runs inside the query worker processes (sparql_pool.py) and, for
`catalogue query`, in the command's own process. Jobs and answers are plain
picklable values so they cross the pipe to a worker unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from .rdf_formats import RDF_FORMATS, RESULT_FORMATS, Format, by_name


@dataclass(frozen=True)
class Job:
    query: str
    results_format: str | None  # format name for SELECT and ASK answers (None: refuse them)
    graph_format: str | None  # for CONSTRUCT and DESCRIBE answers
    default_graphs: tuple[str, ...] = ()  # the protocol's default-graph-uri
    named_graphs: tuple[str, ...] = ()  # the protocol's named-graph-uri
    base_iri: str | None = None
    max_bytes: int = 10 * 2**20
    prefixes: tuple[tuple[str, str], ...] = ()  # for Turtle and RDF/XML answers


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    media_type: str = "text/plain; charset=utf-8"
    kind: str = "error"  # "solutions", "boolean", "graph" or "error"

    @property
    def message(self) -> str:
        return self.body.decode("utf-8", "replace") if self.kind == "error" else ""


def error(status: int, message: str) -> Answer:
    return Answer(status, message.encode("utf-8"))


class _TooLarge(Exception):
    pass


class _CappedBuffer:
    """A binary sink that refuses to grow past `cap` bytes (Oxigraph's
    serialisers stop as soon as a write raises)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise _TooLarge
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _graphs(iris: tuple[str, ...]) -> list[ox.NamedNode]:
    return [ox.NamedNode(iri) for iri in iris]


def _dataset_options(job: Job) -> dict[str, object]:
    # The protocol's dataset replaces the query's; without one, the default
    # graph is the union of the record graphs.
    if not job.default_graphs and not job.named_graphs:
        return {"use_default_graph_as_union": True}
    return {"default_graph": _graphs(job.default_graphs), "named_graphs": _graphs(job.named_graphs)}


def evaluate(store: ox.Store, job: Job) -> Answer:
    """Run the query and serialise its answer (errors become an Answer too)."""
    try:
        result = store.query(job.query, base_iri=job.base_iri, **_dataset_options(job))  # type: ignore[arg-type]
    except SyntaxError as exc:
        return error(400, f"The query is not valid SPARQL 1.1: {exc}")
    except ValueError as exc:
        return error(400, f"The query or its dataset is not acceptable: {exc}")
    return _serialise(result, job)


def _serialise(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples, job: Job) -> Answer:
    sink = _CappedBuffer(job.max_bytes)
    fmt: Format | None
    try:
        if isinstance(result, ox.QueryTriples):
            kind = "graph"
            fmt = by_name(job.graph_format, RDF_FORMATS) if job.graph_format else None
            if fmt is None:
                return error(406, "This query answers a graph (CONSTRUCT or DESCRIBE); ask for Turtle, N-Triples, JSON-LD or RDF/XML.")
            prefixes = dict(job.prefixes) if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
            ox.serialize(result, sink, format=fmt.rdf, prefixes=prefixes)  # type: ignore[arg-type]
        else:
            kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
            fmt = by_name(job.results_format, RESULT_FORMATS) if job.results_format else None
            if fmt is None:
                return error(406, "This query answers a table or a boolean (SELECT or ASK); ask for SPARQL JSON, XML, CSV or TSV.")
            result.serialize(sink, format=fmt.results)
    except _TooLarge:
        return error(
            422,
            f"The answer is larger than this endpoint's limit of {job.max_bytes:,} bytes. "
            "Add a LIMIT (and OFFSET to page), select fewer variables, or use the full dumps at /dumps/.",
        )
    except OSError as exc:  # includes Oxigraph's evaluation errors raised while streaming
        return error(500, f"The query failed while it was evaluated: {exc}")
    except RuntimeError as exc:
        return error(500, f"The query failed while it was evaluated: {exc}")
    return Answer(200, sink.getvalue(), fmt.content_type, kind)
