"""The remote store: any SPARQL 1.1 server, over the SPARQL 1.1 Protocol only.

Queries go to the query endpoint, writes to the update endpoint (with the
credentials of the settings `store_user` / `store_password`), both through
SPARQLWrapper. Proven against OpenLink Virtuoso 7 (see docs/deploy.md).

Atomicity. SPARQL 1.1 Update says a request of several operations SHOULD be
atomic; Virtuoso 7.2 does not do it: in a request `DROP GRAPH <g> ; INSERT
DATA {...} ; <an operation that fails>`, the first two operations stay
committed (each operation is its own transaction), and a Graph Store Protocol
PUT killed in the middle leaves the graph empty (both measured). What every
server does make atomic is ONE operation. So every write of records here is
one operation; without staging (below), one request of this form:

    DELETE { GRAPH ?g { ?s ?p ?o } }
    INSERT { GRAPH ?t0 { ...record 0... } GRAPH ?t1 { ...record 1... } }
    WHERE  { { VALUES ?g { <g0> <g1> } GRAPH ?g { ?s ?p ?o } }
             UNION { BIND(<g0> AS ?t0) BIND(<g1> AS ?t1) } }

The first branch yields one row per old triple (which binds only the DELETE
template's variables), the second one row that binds only the INSERT
template's; a template triple with an unbound variable is skipped (SPARQL 1.1
Update, 3.1.3), so old triples are deleted once and new ones inserted once, and
the whole chunk of records lands or none of it does. (Virtuoso mishandles the
shorter `WHERE { OPTIONAL { GRAPH <g> { ?s ?p ?o } } }`: no row at all when the
graph is empty; and a DELETE template variable left unbound by OPTIONAL drops
the whole row. Every form used here was checked against it.) A SIGKILL of
Virtuoso during such a request leaves the old graph whole
(tests/store/test_harvest_backends.py, tests/store/test_sparql_store.py).

Staged writes (the fast path, where the server has the Graph Store
Protocol). Virtuoso compiles every constant triple of an update into SQL
(~20 ms a record; measured), but parses a GSP POST body at thousands of
triples a second. So a batch is first POSTed into one fresh staging graph,
`urn:gpc:staging:<uuid>`, in a form readers do not mistake for records:

    _:s0 staging:graph <g> ; staging:subject <practice> ;
         <urn:gpc:staged:http://purl.org/dc/terms/title> "..."@en .

(one node per record and subject, predicates behind a prefix), then ONE
operation replaces every record of the batch from it (the old triples
deleted, the staged ones inserted with their real predicates), and the
staging graph is dropped. A crash before that operation leaves the old
records whole and a staging graph behind; the first write of the next
store instance drops leftover staging graphs. The replacing operation only
deletes anything when the staging graph is there (a marker triple joins the
DELETE branch) and leaves a receipt in it, checked before the drop: a
staging graph removed in between (a concurrent cleanup) fails the write
instead of passing silently. Measured against Virtuoso 7.2.5 on two shared
cores, ~23-triple records in batches of 500: 337 new records/s and 181
replacing ones/s, against 90 and 39 for the one-operation path below. Without a graph store URL, or when the server refuses the
POST as unsupported, writes fall back to the form above, where
Virtuoso's SPARQL compiler refuses one request past about 1,000 constant
triples ("generated SQL text has exceeded 10000 lines"), so a batch is cut
into chunks of whole records of at most `max_triples` triples: each chunk is
one transaction; a batch of several chunks is not, but no record is ever split
and a record write is idempotent, so the harvest runner's one-at-a-time retry
after a failed batch rewrites exactly what is needed. Records are parsed
locally first, so a malformed record fails the batch before anything is sent.

Reads. Both servers store typed numbers as numbers and give back a canonical
form, not always the same one (xsd:boolean: Virtuoso "1", Oxigraph "true");
terms are turned into Oxigraph's canonical forms, so an export compares byte
for byte with the Oxigraph backend's. A result cut by
the server (Virtuoso's `ResultSetMaxRows`, header `X-SPARQL-MaxRows`; or a
partial "anytime" answer at `MaxQueryExecutionTime`) is an error, never a
silently short answer; the store's own listings page under that limit, by
key ranges (Virtuoso refuses an OFFSET past 10,000 sorted rows).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from http.client import HTTPException, HTTPResponse
from typing import Any, BinaryIO, TypeVar

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node
from SPARQLWrapper import DIGEST, JSON, POST, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from vocab import GPC

from ..rdfterms import TermError, graph_of, to_rdflib
from .base import RecordState, RecordWrite, Store, StoreError

_DCAT = "http://www.w3.org/ns/dcat#"
_DCT = "http://purl.org/dc/terms/"
_FOAF = "http://xmlns.com/foaf/0.1/"
_PROV = "http://www.w3.org/ns/prov#"
_XSD = "http://www.w3.org/2001/XMLSchema#"

SCHEME = "sparql+"
MAX_TRIPLES = 800  # per update request; Virtuoso 7.2 refuses past about 1,000
STAGE_TRIPLES = 25_000  # per staging graph (one POST, one replacing operation)
STAGING = "urn:gpc:staging:"  # staging graph names start so
_STAGE_NS = "urn:gpc:staging#"
_STAGED_PREDICATE = "urn:gpc:staged:"  # staged predicates: this prefix + the real IRI
_UNSUPPORTED = (404, 405, 406, 415, 501)  # a server without (this) Graph Store Protocol
log = logging.getLogger(__name__)
PAGE_ROWS = 5000  # per page of the store's own listings; Virtuoso's default cap is 10,000
EXPORT_GRAPHS = 400  # graphs per export request (~400 graphs/s at 100,000 records; 100: ~230); halved on a cut
_MESSAGE_CHARS = 300  # servers echo the whole request in errors: keep the head
_T = TypeVar("_T")


def graph_store_of(update_url: str) -> str | None:
    """The Graph Store Protocol endpoint beside an update endpoint, where the
    server's convention is known (Virtuoso: /sparql-auth -> /sparql-graph-crud-auth)."""
    for update, store in (("/sparql-auth", "/sparql-graph-crud-auth"), ("/sparql", "/sparql-graph-crud")):
        if update_url.endswith(update):
            return update_url[: -len(update)] + store
    return None


def endpoint_of(store_setting: str) -> str:
    """`sparql+http://host/path` -> `http://host/path`."""
    if not store_setting.startswith(SCHEME):
        raise StoreError(f"not a SPARQL store setting: {store_setting!r}")
    return store_setting[len(SCHEME) :]


class SparqlStore(Store):
    """A store behind a SPARQL 1.1 query endpoint and update endpoint."""

    capabilities = frozenset()  # neither BULK_LOAD nor LOCAL_FILES: a remote server

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth: str = "digest",
        timeout: float = 60.0,
        graph_prefix: str | None = None,
        max_triples: int = MAX_TRIPLES,
        read_only: bool = False,
        graph_store_url: str | None = None,
        stage_triples: int = STAGE_TRIPLES,
    ) -> None:
        """graph_prefix: the IRI start of this catalogue's graphs (its base URI),
        which `export_nquads()` lists; the server may hold other graphs.
        graph_store_url: the Graph Store Protocol endpoint for staged writes
        (default: derived for Virtuoso's URLs; "" turns staging off)."""
        self.query_url = query_url
        self.update_url = update_url or query_url
        self._user = user
        self._password = password
        self._auth = auth.lower()
        if self._auth not in ("basic", "digest"):
            raise StoreError(f"store_auth must be 'basic' or 'digest', not {auth!r}")
        self.timeout = timeout
        self.graph_prefix = graph_prefix
        self.max_triples = max_triples
        self.read_only = read_only
        derived = graph_store_of(self.update_url)
        self.graph_store_url = derived if graph_store_url is None else (graph_store_url or None)
        self.stage_triples = stage_triples
        self._cleaned = False  # leftover staging graphs dropped (once per instance)
        self._opener: urllib.request.OpenerDirector | None = None

    # --- HTTP -------------------------------------------------------------

    def _wrapper(self, url: str, update: bool = False) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(url)
        wrapper.setMethod(POST)  # no URL length limit; never cached by proxies
        wrapper.setTimeout(int(max(1, self.timeout)))
        if update and self._user:
            wrapper.setHTTPAuth(DIGEST if self._auth == "digest" else "BASIC")
            wrapper.setCredentials(self._user, self._password or "")
        return wrapper

    def _run(self, wrapper: SPARQLWrapper, what: str) -> Any:
        try:
            return wrapper.query()
        except SPARQLWrapperException as exc:
            error = StoreError(f"{what} refused by {wrapper.endpoint}: {_server_message(exc)}")
            _release(exc)
        except urllib.error.HTTPError as exc:  # 403 and others SPARQLWrapper passes through
            error = StoreError(f"{what} refused by {wrapper.endpoint}: HTTP {exc.code} {exc.reason}")
            _release(exc)
        except (urllib.error.URLError, HTTPException, OSError, socket.timeout) as exc:
            error = StoreError(f"cannot reach the store at {wrapper.endpoint}: {getattr(exc, 'reason', exc)}")
            _release(exc)
        # Raised outside the handlers: the StoreError carries no chain of
        # urllib frames that would hold unread HTTP responses open.
        raise error

    def _update(self, sparql: str) -> None:
        if self.read_only:
            raise StoreError("the store was opened read-only")
        wrapper = self._wrapper(self.update_url, update=True)
        wrapper.setQuery(sparql)
        result = self._run(wrapper, "update")
        result.response.read()
        result.response.close()

    def _select_json(self, sparql: str) -> dict[str, Any]:
        wrapper = self._wrapper(self.query_url)
        wrapper.setReturnFormat(JSON)
        wrapper.setQuery(sparql)
        result = self._run(wrapper, "query")
        _check_complete(result.info(), wrapper.endpoint)
        try:
            data = json.loads(result.response.read())
        except (ValueError, OSError, HTTPException) as exc:
            raise StoreError(f"unreadable answer from {wrapper.endpoint}: {exc}") from None
        finally:
            result.response.close()
        if not isinstance(data, dict):
            raise StoreError(f"unreadable answer from {wrapper.endpoint}")
        return data

    # --- writes -----------------------------------------------------------

    def write_records(self, records: Sequence[RecordWrite]) -> None:
        if not records:
            return
        latest = {rec.graph: rec for rec in records}  # a graph named twice: the last wins
        parsed = [(rec, _parse_lines(rec.graph, rec.lines)) for rec in latest.values()]
        if self._staged(parsed, replace=True):
            return
        sized = [(rec, len(triples)) for rec, triples in parsed]
        for chunk in _chunks(sized, self.max_triples):
            self._update(_replace_operation(chunk))

    def add_to_graph(self, graph: str, lines: Sequence[str]) -> None:
        if not lines:
            return
        triples = _parse_lines(graph, lines)
        # A few triples (a run's report) go in one INSERT DATA: one request, not four.
        if len(triples) > self.max_triples and self._staged([(RecordWrite(graph, lines), triples)], replace=False):
            return
        for start in range(0, len(lines), self.max_triples):
            part = lines[start : start + self.max_triples]
            self._update("INSERT DATA { GRAPH <" + graph + "> {\n" + "\n".join(part) + "\n} }")

    # --- staged writes (Graph Store Protocol POST, then one operation) ------

    def _staged(self, parsed: Sequence[tuple[RecordWrite, list[ox.Triple]]], replace: bool) -> bool:
        """Write through staging graphs; False when the server has no graph store
        (the caller then writes with SPARQL Update alone)."""
        if self.read_only:
            raise StoreError("the store was opened read-only")
        if not self.graph_store_url:
            return False
        if not self._cleaned:
            self.drop_staging()
        sized = [((rec, triples), len(triples)) for rec, triples in parsed]
        for chunk in _chunks(sized, self.stage_triples):
            staging = f"{STAGING}{uuid.uuid4().hex}"
            if not self._post(staging, _staging_document(staging, chunk)):
                return False
            self._update(_move_operation(staging, [rec.graph for rec, _ in chunk], replace))
            if not self.ask(f"ASK {{ GRAPH <{staging}> {{ <{staging}> <{_STAGE_NS}moved> ?n }} }}"):
                raise StoreError(f"the staging graph {staging} was removed before its records were written")
            self._update(f"DROP SILENT GRAPH <{staging}>")
        return True

    def drop_staging(self) -> int:
        """Drop the staging graphs a crashed writer left behind (of this catalogue's
        graphs when graph_prefix is set); how many there were."""
        prefix = ""
        if self.graph_prefix:
            prefix = f"FILTER(STRSTARTS(STR(?t), {_string_literal(self.graph_prefix.rstrip('/') + '/')}))"
        rows = self.select(
            f"SELECT DISTINCT ?st WHERE {{ GRAPH ?st {{ ?n <{_STAGE_NS}graph> ?t }} "
            f"FILTER(STRSTARTS(STR(?st), {_string_literal(STAGING)})) {prefix} }}"
        )
        for row in rows:
            self._update(f"DROP SILENT GRAPH <{row['st']}>")
        self._cleaned = True
        return len(rows)

    def _post(self, graph: str, body: bytes) -> bool:
        """Graph Store Protocol POST of Turtle into `graph`; False if the server
        does not support it (staging is then off for this store)."""
        assert self.graph_store_url
        url = self.graph_store_url + "?" + urllib.parse.urlencode({"graph": graph})
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/turtle"})
        try:
            with self._gsp_opener().open(request, timeout=max(1.0, self.timeout)) as response:
                response.read()
            return True
        except urllib.error.HTTPError as exc:
            code, reason = exc.code, exc.reason
            _release(exc)
        except (urllib.error.URLError, HTTPException, OSError, socket.timeout) as exc:
            reason = str(getattr(exc, "reason", exc))
            _release(exc)
            raise StoreError(f"cannot reach the store at {self.graph_store_url}: {reason}") from None
        if code in _UNSUPPORTED:
            log.warning("no Graph Store Protocol at %s (HTTP %s): writing with SPARQL Update only", self.graph_store_url, code)
            self.graph_store_url = None
            return False
        raise StoreError(f"staged write refused by {self.graph_store_url}: HTTP {code} {reason}")

    def _gsp_opener(self) -> urllib.request.OpenerDirector:
        if self._opener is None:
            handlers: list[urllib.request.BaseHandler] = []
            if self._user:
                passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
                passwords.add_password(None, self.graph_store_url or "", self._user, self._password or "")
                handler = urllib.request.HTTPDigestAuthHandler if self._auth == "digest" else urllib.request.HTTPBasicAuthHandler
                handlers.append(handler(passwords))
            self._opener = urllib.request.build_opener(*handlers)
        return self._opener

    def withdraw_record(self, graph: str, when: datetime, run: str | None) -> None:
        stamp = when.isoformat().replace("+00:00", "Z")
        g = f"<{graph}>"
        run_line = f"{g} <{_PROV}wasGeneratedBy> <{run}> ." if run else ""
        # One operation; one UNION branch per template part, so that no row
        # leaves a template variable unbound (see the module docstring).
        self._update(
            f"""
            DELETE {{ GRAPH {g} {{ {g} <{GPC.recordStatus}> ?status . {g} <{_DCT}modified> ?modified .
                                  {g} <{_PROV}wasGeneratedBy> ?run }} }}
            INSERT {{ GRAPH ?target {{ {g} <{GPC.recordStatus}> <{GPC.Withdrawn}> .
                                      {g} <{_DCT}modified> "{stamp}"^^<{_XSD}dateTime> . {run_line} }} }}
            WHERE {{
              {{ GRAPH {g} {{ {g} <{GPC.recordStatus}> ?status }} }}
              UNION {{ GRAPH {g} {{ {g} <{_DCT}modified> ?modified }} }}
              UNION {{ GRAPH {g} {{ {g} <{_PROV}wasGeneratedBy> ?run }} }}
              UNION {{ GRAPH {g} {{ {g} <{GPC.recordStatus}> [] }} BIND({g} AS ?target) }}
            }}"""
        )

    def import_nquads(self, data: BinaryIO) -> None:
        by_graph: dict[str, list[str]] = {}
        try:
            for quad in ox.parse(data, format=ox.RdfFormat.N_QUADS):
                if not isinstance(quad.graph_name, ox.NamedNode):
                    raise StoreError("N-Quads: a triple outside a named graph (the catalogue keeps every triple in one)")
                by_graph.setdefault(quad.graph_name.value, []).append(
                    f"{quad.subject} {quad.predicate} {quad.object} ."
                )
        except SyntaxError as exc:
            raise StoreError(f"invalid N-Quads: {exc}") from None
        parsed = [(RecordWrite(g, lines), _parse_lines(g, lines)) for g, lines in by_graph.items()]
        if parsed and self._staged(parsed, replace=False):
            return
        for graph, lines in by_graph.items():
            self.add_to_graph(graph, lines)

    # --- reads ------------------------------------------------------------

    def select(self, sparql: str) -> list[dict[str, Node]]:
        data = self._select_json(sparql)
        if "results" not in data:
            raise StoreError("not a SELECT query")
        rows = []
        for binding in data["results"].get("bindings", []):
            rows.append({name: _to_rdflib(value) for name, value in binding.items()})
        return rows

    def ask(self, sparql: str) -> bool:
        data = self._select_json(sparql)
        if "boolean" not in data:
            raise StoreError("not an ASK query")
        return bool(data["boolean"])

    def construct(self, sparql: str) -> Graph:
        wrapper = self._wrapper(self.query_url)
        wrapper.setReturnFormat(TURTLE)
        wrapper.setQuery(sparql)
        if wrapper.queryType not in ("CONSTRUCT", "DESCRIBE"):
            raise StoreError("not a CONSTRUCT or DESCRIBE query")
        result = self._run(wrapper, "query")
        _check_complete(result.info(), wrapper.endpoint)
        try:
            body = result.response.read()
        finally:
            result.response.close()
        try:
            triples = (ox.Triple(t.subject, t.predicate, _canonical_term(t.object)) for t in ox.parse(body, format=ox.RdfFormat.TURTLE))
            return graph_of(triples)
        except (SyntaxError, TermError) as exc:
            raise StoreError(f"unreadable answer from {wrapper.endpoint}: {exc}") from None

    def _paged(self, head: str, where: str, key: str) -> Iterator[dict[str, Node]]:
        """SELECT rows: in one answer when the server's row cap allows (one scan:
        17 s for the graph names at 100,000 records), else in pages under the
        cap, by key ranges, not OFFSET: Virtuoso refuses to sort past 10,000
        rows for an OFFSET (SR353, `MaxSortedTopRows`), and each sorted page
        costs a scan (~20 s a page there). A page that ends inside one key's
        rows is cut before that key, which the next page starts with."""
        try:
            yield from self.select(f"{head} WHERE {{ {where} }}")
            return
        except CutAnswer:  # over the server's row cap: page below it, as follows
            pass
        after, inclusive = None, False
        while True:
            bound = ""
            if after is not None:
                bound = f"FILTER(STR({key}) {'>=' if inclusive else '>'} {_string_literal(after)})"
            rows = self.select(f"{head} WHERE {{ {where} {bound} }} ORDER BY STR({key}) LIMIT {PAGE_ROWS}")
            if len(rows) < PAGE_ROWS:
                yield from rows
                return
            last = str(rows[-1][key[1:]])
            whole = [row for row in rows if str(row[key[1:]]) != last]
            if whole:  # the last key's rows may go on: fetch them with the next page
                yield from whole
                after, inclusive = last, True
            else:  # one key fills the page; take it as it is
                yield from rows
                after, inclusive = last, False

    def record_states(self, source_uri: str) -> dict[str, RecordState]:
        rows = self._paged(
            "SELECT ?g ?hash ?status ?issued ?topic",
            f"""GRAPH ?g {{ ?g <{_DCT}source> <{source_uri}> ;
                           <{GPC.contentHash}> ?hash ;
                           <{GPC.recordStatus}> ?status ;
                           <{_DCT}issued> ?issued ;
                           <{_FOAF}primaryTopic> ?topic . }}""",
            "?g",
        )
        states = {}
        for row in rows:
            graph = str(row["g"])
            states[graph] = RecordState(
                graph=graph,
                content_hash=str(row["hash"]),
                status="withdrawn" if str(row["status"]) == str(GPC.Withdrawn) else "active",
                first_seen=datetime.fromisoformat(str(row["issued"]).replace("Z", "+00:00")),
                primary_topic=str(row["topic"]),
            )
        return states

    def get_record(self, graph: str) -> Graph | None:
        rows = self.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        if not rows:
            return None
        result = Graph()
        for row in rows:
            result.add((row["s"], row["p"], row["o"]))
        return result

    def count_records(self) -> int:
        rows = self.select(f"SELECT (COUNT(?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{_DCAT}CatalogRecord> }} }}")
        return int(str(rows[0]["n"])) if rows else 0

    # --- files ------------------------------------------------------------

    def _graph_names(self) -> list[str]:
        prefix = ""
        if self.graph_prefix:
            prefix = f"FILTER(STRSTARTS(STR(?g), {_string_literal(self.graph_prefix.rstrip('/') + '/')}))"
        rows = self._paged("SELECT DISTINCT ?g", f"GRAPH ?g {{ ?s ?p ?o }} {prefix}", "?g")
        return [str(row["g"]) for row in rows]

    def export_nquads(self, out: BinaryIO, graphs: Iterable[str] | None = None) -> None:
        # The same lines, in the same order, as OxigraphStore.export_nquads:
        # terms printed by pyoxigraph, graphs sorted by name, lines sorted.
        names = sorted(self._graph_names() if graphs is None else set(graphs))
        for start in range(0, len(names), EXPORT_GRAPHS):
            self._export_part(out, names[start : start + EXPORT_GRAPHS])

    def _export_part(self, out: BinaryIO, part: list[str]) -> None:
        values = " ".join(f"<{name}>" for name in part)
        try:
            data = self._select_json(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        except CutAnswer:
            if len(part) == 1:
                raise
            half = len(part) // 2  # more rows than the server returns at once: ask for fewer graphs
            self._export_part(out, part[:half])
            self._export_part(out, part[half:])
            return
        lines: dict[str, list[str]] = {name: [] for name in part}
        for b in data.get("results", {}).get("bindings", []):
            name = b["g"]["value"]
            lines.setdefault(name, []).append(
                f"{_to_oxigraph(b['s'])} {_to_oxigraph(b['p'])} {_to_oxigraph(b['o'])} <{name}> .\n"
            )
        for name in part:
            out.write("".join(sorted(lines[name])).encode("utf-8"))


# --- helpers ----------------------------------------------------------------


def _release(error: BaseException) -> None:
    """Close the HTTP responses an error chain holds (urllib leaves the 401
    challenge of a digest exchange unread), then drop its frames."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, urllib.error.HTTPError):
            seen.close()
        tb = seen.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, urllib.error.HTTPError | HTTPResponse):
                    value.close()
            tb = tb.tb_next
        seen.__traceback__ = None
        seen = seen.__context__


def _parse_lines(graph: str, lines: Sequence[str]) -> list[ox.Triple]:
    """Parse a record's lines locally, so that a bad one fails before any request."""
    if not graph or any(c in graph for c in '<>"{}|^`\\ \n'):
        raise StoreError(f"not a graph IRI: {graph!r}")
    try:
        return list(ox.parse("\n".join(lines), format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise StoreError(f"record {graph}: not valid N-Triples: {exc}") from None


def _chunks(sized: list[tuple[_T, int]], budget: int) -> Iterator[list[_T]]:
    """Whole records, at most `budget` triples a chunk (a bigger record goes alone)."""
    chunk: list[_T] = []
    used = 0
    for rec, size in sized:
        if chunk and used + size > budget:
            yield chunk
            chunk, used = [], 0
        chunk.append(rec)
        used += size
    if chunk:
        yield chunk


def _staged_term(term: Any, record: int) -> str:
    # Blank-node labels are per document: keep each record's apart.
    if isinstance(term, ox.BlankNode):
        return f"_:r{record}_{term.value}"
    return str(term)


def _staging_document(staging: str, chunk: Sequence[tuple[RecordWrite, list[ox.Triple]]]) -> bytes:
    """Turtle for a staging graph: one node per record and subject, predicates
    behind a prefix (so the staged triples do not answer record queries), and
    the marker the replacing operation needs, last."""
    out: list[str] = []
    nodes = 0
    for k, (rec, triples) in enumerate(chunk):
        by_subject: dict[str, list[str]] = {}
        for triple in triples:
            by_subject.setdefault(_staged_term(triple.subject, k), []).append(
                f"<{_STAGED_PREDICATE}{triple.predicate.value}> {_staged_term(triple.object, k)}"
            )
        for subject, pairs in by_subject.items():
            head = f"_:s{nodes} <{_STAGE_NS}graph> <{rec.graph}> ; <{_STAGE_NS}subject> {subject}"
            out.append(" ;\n  ".join([head, *pairs]) + " .")
            nodes += 1
    out.append(f"<{staging}> <{_STAGE_NS}records> {len(chunk)} .")
    return "\n".join(out).encode("utf-8")


def _move_operation(staging: str, graphs: Sequence[str], replace: bool) -> str:
    """One operation: the record graphs (emptied first when `replace`) get the
    staged triples, and the staging graph a receipt. Without the staging
    graph's marker nothing is deleted (see the module docstring)."""
    st = f"<{staging}>"
    marker = f"GRAPH {st} {{ {st} <{_STAGE_NS}records> ?mark }}"
    staged = (
        f"GRAPH {st} {{ ?n <{_STAGE_NS}graph> ?t ; <{_STAGE_NS}subject> ?s2 ; ?sp ?o2 }} "
        f"FILTER(STRSTARTS(STR(?sp), {_string_literal(_STAGED_PREDICATE)})) "
        f"BIND(IRI(SUBSTR(STR(?sp), {len(_STAGED_PREDICATE) + 1})) AS ?p2)"
    )
    branches = [f"{{ {staged} }}", f"{{ {marker} }}"]
    delete = ""
    if replace:
        values = " ".join(f"<{g}>" for g in graphs)
        branches.insert(0, f"{{ {marker} VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        delete = "DELETE { GRAPH ?g { ?s ?p ?o } }\n"
    return (
        f"{delete}INSERT {{ GRAPH ?t {{ ?s2 ?p2 ?o2 }} GRAPH {st} {{ {st} <{_STAGE_NS}moved> ?mark }} }}\n"
        f"WHERE {{ {' UNION '.join(branches)} }}"
    )


def _replace_operation(records: Sequence[RecordWrite]) -> str:
    """One SPARQL Update operation replacing the graphs of these records."""
    values = " ".join(f"<{rec.graph}>" for rec in records)
    inserts = "\n".join(f"GRAPH ?t{i} {{\n" + "\n".join(rec.lines) + "\n}" for i, rec in enumerate(records))
    binds = " ".join(f"BIND(<{rec.graph}> AS ?t{i})" for i, rec in enumerate(records))
    return (
        "DELETE { GRAPH ?g { ?s ?p ?o } }\n"
        f"INSERT {{\n{inserts}\n}}\n"
        f"WHERE {{ {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }} UNION {{ {binds} }} }}"
    )


def _string_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class CutAnswer(StoreError):
    """The server cut the answer at its row limit (the store pages then)."""


def _check_complete(headers: Any, endpoint: str) -> None:
    """Refuse answers the server cut short (Virtuoso says so in headers)."""
    cap = headers.get("X-SPARQL-MaxRows")
    if cap:
        raise CutAnswer(
            f"the store at {endpoint} cut the answer at {cap} rows (Virtuoso: raise ResultSetMaxRows in [SPARQL])"
        )
    state = headers.get("X-SQL-State")
    if state:
        message = headers.get("X-SQL-Message", "")
        raise StoreError(f"the store at {endpoint} gave a partial answer ({state} {message})".rstrip())


def _server_message(exc: SPARQLWrapperException) -> str:
    """The first line of the server's complaint (servers echo the query after it)."""
    text = str(exc)
    match = re.search(r"Response:\s*b?['\"]?(.*)", text, re.DOTALL)
    detail = match.group(1) if match else text
    detail = detail.replace("\\n", "\n").strip().splitlines()[0] if detail.strip() else text
    kind = type(exc).__name__
    return f"{kind}: {detail[:_MESSAGE_CHARS]}"


def _canonical(value: str, datatype: str) -> str:
    """The canonical lexical form Oxigraph gives back, for the types Virtuoso rewrites
    (both store numbers as numbers: "1200000.0"^^xsd:decimal reads "1200000" on both)."""
    if datatype == _XSD + "decimal":
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
            return value
        text = format(Decimal(value).normalize(), "f")
        return "0" if text == "-0" else text
    if datatype == _XSD + "boolean":
        return {"1": "true", "0": "false"}.get(value, value)
    return value


def _to_rdflib(binding: dict[str, str]) -> Node:
    return to_rdflib(_to_oxigraph(binding))


def _to_oxigraph(binding: dict[str, str]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = binding.get("type")
    value = binding.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(_bnode_id(value))
    if kind not in ("literal", "typed-literal"):
        raise StoreError(f"unsupported term in a SPARQL answer: {binding!r}")
    lang = binding.get("xml:lang")
    if lang:
        return ox.Literal(value, language=lang)
    datatype = binding.get("datatype")
    if datatype and datatype != _XSD + "string":
        return ox.Literal(_canonical(value, datatype), datatype=ox.NamedNode(datatype))
    return ox.Literal(value)


def _canonical_term(term: Any) -> Any:
    """A typed literal in the lexical form Oxigraph would give (Virtuoso
    writes some values its own way); other terms as they are."""
    if isinstance(term, ox.Literal) and not term.language and term.datatype.value != _XSD + "string":
        return ox.Literal(_canonical(term.value, term.datatype.value), datatype=term.datatype)
    return term


def _bnode_id(value: str) -> str:
    # Virtuoso names blank nodes "nodeID://b1234"; keep a valid N-Triples label.
    return re.sub(r"[^A-Za-z0-9_]", "_", value.removeprefix("_:").removeprefix("nodeID://")) or "b"


__all__ = ["CutAnswer", "SparqlStore", "endpoint_of", "graph_store_of"]
