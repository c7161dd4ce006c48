"""Evaluating one screened SPARQL query on an Oxigraph store, or on a remote
SPARQL 1.1 server (the store of a multi-node deployment), and writing its
answer in the negotiated format, never more than a byte budget.

Runs inside the query worker processes (sparql_pool.py) and, for
`catalogue query`, in the command's own process. Jobs and answers are plain
picklable values so they cross the pipe to a worker unchanged.

A remote server is asked for SPARQL JSON results or Turtle only (what every
server speaks); the answer is parsed, its terms put in the forms Oxigraph
gives (Virtuoso writes true as "1", names blank nodes "nodeID://b12"), and
written here in the format asked for: the same serialisers, byte budget and
errors as with the embedded store.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any

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
    form: str | None = None  # SELECT, ASK, CONSTRUCT or DESCRIBE, when screening recognised it


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
    """The answer passed the size limit while it was being written."""


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


def _serialise(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple], job: Job) -> Answer:
    sink = _CappedBuffer(job.max_bytes)
    fmt: Format | None
    try:
        if isinstance(result, ox.QueryTriples | list):
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


# --- on a remote SPARQL 1.1 server -------------------------------------------------

_ACCEPT = {"SELECT": "application/sparql-results+json", "ASK": "application/sparql-results+json",
           "CONSTRUCT": "text/turtle", "DESCRIBE": "text/turtle"}  # fmt: skip
_ACCEPT_ANY = "application/sparql-results+json, text/turtle;q=0.9"
_UPSTREAM_FACTOR = 4  # JSON results are wordier than most formats: read this much more
_MESSAGE_CHARS = 300


class RemoteTimeout(Exception):
    """The remote server did not answer within the time limit."""


@dataclass(frozen=True)
class Remote:
    """A remote query endpoint; `virtuoso` once its answers said so (its
    `timeout` parameter, in ms, then bounds the query on the server too)."""

    endpoint: str
    virtuoso: bool = False


def evaluate_remote(remote: Remote, job: Job, timeout: float) -> tuple[Answer, bool]:
    """Send the query to a SPARQL 1.1 query endpoint (POST, form-encoded) and
    serialise its answer as `evaluate` would; also whether the server is
    Virtuoso. Raises RemoteTimeout."""
    # Relative IRIs resolve against this endpoint, as with the embedded store
    # (a BASE of the query's own comes later and wins).
    query = f"BASE <{job.base_iri}>\n{job.query}" if job.base_iri else job.query
    pairs = [("query", query)]
    pairs += [("default-graph-uri", g) for g in job.default_graphs]
    pairs += [("named-graph-uri", g) for g in job.named_graphs]
    if remote.virtuoso:  # server-side limit; the partial answer it gives then is refused below
        pairs.append(("timeout", str(int(timeout * 1000))))
    endpoint = remote.endpoint
    request = urllib.request.Request(
        endpoint,
        data=urllib.parse.urlencode(pairs).encode("ascii"),
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": _ACCEPT.get(job.form or "", _ACCEPT_ANY)},
    )
    cap = job.max_bytes * _UPSTREAM_FACTOR + 2**20
    try:
        # Virtuoso stops at its own limit and says so; give it a moment to.
        wait = timeout + 1 if remote.virtuoso else timeout
        with urllib.request.urlopen(request, timeout=wait) as response:  # noqa: S310 - the configured store
            headers = response.headers
            body = response.read(cap + 1)
    except urllib.error.HTTPError as exc:
        detail = _first_line(exc.read(4096))
        virtuoso = "virtuoso" in (exc.headers.get("Server") or "").lower()
        exc.close()
        return _refusal(exc.code, detail), virtuoso
    except (TimeoutError, socket.timeout):
        raise RemoteTimeout from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise RemoteTimeout from None
        return error(503, "The store cannot be reached; try again shortly."), False
    except (HTTPException, OSError):
        return error(503, "The store cannot be reached; try again shortly."), False
    return _answer(headers, body, job, cap), "virtuoso" in (headers.get("Server") or "").lower()


def _answer(headers: Any, body: bytes, job: Job, cap: int) -> Answer:
    if headers.get("X-SQL-State"):  # Virtuoso's partial "anytime" answer: never a short list
        raise RemoteTimeout
    if headers.get("X-SPARQL-MaxRows"):
        cut = headers["X-SPARQL-MaxRows"]
        return error(422, f"The answer is larger than the store returns at once ({cut} rows). Add a LIMIT.")
    if len(body) > cap:
        return error(422, f"The answer is larger than this endpoint's limit of {job.max_bytes:,} bytes. Add a LIMIT.")
    media = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    try:
        if media in ("application/sparql-results+json", "application/json"):
            return _serialise(_solutions(body), job)
        if media in ("text/turtle", "application/x-turtle", "text/plain", "application/n-triples"):
            triples = ox.parse(body, format=ox.RdfFormat.TURTLE, base_iri=job.base_iri)
            return _serialise([_canonical_triple(t) for t in triples], job)
    except (SyntaxError, ValueError) as exc:
        return error(502, f"The store's answer could not be read: {exc}")
    return error(502, f"The store answered in an unexpected format ({media or 'none'}).")


def _refusal(status: int, detail: str) -> Answer:
    """The server's refusal as this endpoint's answer. Virtuoso answers 500 to
    queries it cannot compile (SQL state class 37) and to those it estimates
    would run past its limit (42000, "estimated execution time")."""
    if status == 400 or detail.startswith("Virtuoso 37000"):
        return error(400, f"The query is not valid SPARQL 1.1: {detail}")
    if "estimated execution time" in detail:
        return error(
            503,
            "The store estimates that this query would run longer than its limit, and did not start it. "
            "Make it more selective, add a LIMIT, or download the data from /dumps/ and query it locally.",
        )
    return error(502, f"The store answered HTTP {status}: {detail}")


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return (text.splitlines()[0] if text else "no detail")[:_MESSAGE_CHARS]


# The remote store's own term fixes, imported when first needed: the query
# workers of the embedded store never load the SPARQL client.


def _solutions(body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
    """SPARQL JSON results with Oxigraph's term forms."""
    data = json.loads(body)
    for binding in data.get("results", {}).get("bindings", []):
        for term in binding.values():
            _canonical_json_term(term)
    return ox.parse_query_results(json.dumps(data).encode("utf-8"), format=ox.QueryResultsFormat.JSON)


def _canonical_json_term(term: dict[str, Any]) -> None:
    from .store.sparql import _bnode_id, _canonical

    kind = term.get("type")
    if kind == "bnode":
        term["value"] = _bnode_id(term.get("value", ""))
    elif kind in ("literal", "typed-literal"):  # "typed-literal": SPARQL JSON's draft form, still sent
        term["type"] = "literal"
        datatype = term.get("datatype")
        if datatype:
            term["value"] = _canonical(term.get("value", ""), datatype)


def _canonical_term(term: Any) -> Any:
    from .store.sparql import _canonical

    if isinstance(term, ox.Literal) and not term.language:
        value = _canonical(term.value, term.datatype.value)
        return term if value == term.value else ox.Literal(value, datatype=term.datatype)
    return term


def _canonical_triple(triple: ox.Triple) -> ox.Triple:
    return ox.Triple(triple.subject, triple.predicate, _canonical_term(triple.object))
