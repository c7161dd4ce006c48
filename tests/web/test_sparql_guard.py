"""The screening of queries before evaluation (catalogue/sparql_guard.py),
including a differential test: whatever the guard lets through, Oxigraph
itself never sends to a loopback server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue.sparql_guard import QueryRejected, query_form, screen, uses_service, visible_text


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://x/> BASE <http://y/> ask { }", "ASK"),
        ("PREFIX : <http://x/>\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("# comment SELECT\nDESCRIBE <http://x/>", "DESCRIBE"),
        ("prefix select: <http://x/> select ?x { }", "SELECT"),
    ],
)
def test_form(query: str, form: str) -> None:
    assert screen(query, 10_000).form == form
    assert query_form(visible_text(query)) == form


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("INSERT DATA { <a> <b> <c> }", 403),
        ("PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }", 403),
        ("LOAD <http://example.org/>", 403),
        ("WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", 403),
        ("", 400),
        ("SELECT \x00", 400),
        ("SELECT * {}" + " " * 2000, 413),
    ],
)
def test_refusals(query: str, status: int) -> None:
    with pytest.raises(QueryRejected) as info:
        screen(query, 1000)
    assert info.value.status == status


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { SERVICE <http://127.0.0.1/> { ?s ?p ?o } }",
        "SELECT * { service ?x { } }",
        "SELECT * { { SELECT ?s { OPTIONAL { MINUS { FILTER NOT EXISTS { SERVICE <x:y> {} } } } } } }",
        "PREFIX x: <http://evil/> SELECT * { SERVICEx:y {} }",
        "SELECT * { SERVICE<http://evil/>{} }",
        "SELECT * { \\u0053ERVICE <http://evil/> {} }",
        "SELECT * { # comment\rSERVICE <http://evil/> {} }",
        "SELECT * { ?s <p> ex:a\\' . SERVICE <http://evil/> {} ?s <p> ex:b\\' }",
        "PREFIX service: <http://x/> SELECT * { ?s service:p ?o }",  # a prefix named service: refused too
    ],
)
def test_service_is_found_anywhere(query: str) -> None:
    assert uses_service(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { ?s a <https://w3id.org/gpc/practice-type/digital-service> }",
        'SELECT * { ?s ?p "SERVICE <http://evil/> {}" }',
        "SELECT * { ?s ?p '''SERVICE\nSERVICE''' }",
        "SELECT ?service { ?service ?p ?o } # SERVICE <http://evil/>",
        "PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT * { ?s a dcat:DataService ; dcat:servesDataset ?d }",
        "SELECT * { _:service ?p ?o }",
        'SELECT * { ?s ?p "x"@service }',
    ],
)
def test_service_as_a_word_inside_names_and_literals_is_fine(query: str) -> None:
    assert not uses_service(query)


# --- differential: the guard against Oxigraph's own parser -------------------------------------


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(500)
            self.end_headers()

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    server.shutdown()
    server.server_close()


FRAGMENTS = [
    "SERVICE", "service", "SeRvIcE", "SILENT", " ", "\n", "\r", "\t", "#", "<", ">", "{", "}", "?x", "$y", ":", "x:",
    "x:a", "\\'", '"', "'", '"""', "'''", "\\u0053", "@en", "_:b", ".", ";", "(", ")", "<{target}>", "<{target}a>",
    "PREFIX x: <{target}> ", "x:y", "SELECT * WHERE", "ASK", "OPTIONAL", "FILTER", "EXISTS", "1", "=", "^^",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=14))
def test_what_the_guard_lets_through_never_reaches_the_network(recorder: tuple[str, list[str]], parts: list[str]) -> None:
    target, hits = recorder
    query = "".join(parts).replace("{target}", target)
    for candidate in (query, f"SELECT * WHERE {{ {query} }}", f"ASK {{ {query} }}"):
        if uses_service(candidate):
            continue
        before = len(hits)
        try:
            result = ox.Store().query(candidate, base_iri="http://base/")
            if isinstance(result, ox.QuerySolutions | ox.QueryTriples):
                list(result)
        except (SyntaxError, OSError, ValueError):
            pass
        assert len(hits) == before, f"the guard let through a query that sent a request: {candidate!r}"


SERVICE_CALLS = st.builds(
    lambda wrapper, before, keyword, silent, gap, target, gap2: (
        "PREFIX x: <{target}> "
        + wrapper.replace("%s", before + (f"BIND(<{{target}}> AS ?v) " if target == "?v" else "") + keyword + silent + gap + target + gap2 + "{ ?a ?b ?c }")
    ),
    st.sampled_from(["SELECT * WHERE { %s }", "ASK { %s }", "SELECT * { OPTIONAL { %s } }", "SELECT * { ?s ?p ?o FILTER EXISTS { %s } }",
                     "SELECT * { { SELECT * { %s } } }", "CONSTRUCT { ?a ?b ?c } WHERE { %s }", "SELECT * { { } UNION { %s } }"]),
    st.sampled_from(["", "?s ?p ?o . ", "?s <p> 'x' . ", '?s <p> "a#b" . ', "?s <p> x:a\\' . ", "# c\n", "# c\r"]),
    st.sampled_from(["SERVICE", "service", "Service", "sErViCe"]),
    st.sampled_from(["", " SILENT", " silent"]),
    st.sampled_from([" ", "", "\n", "\t", "#c\n", "#c\r", " \r\n "]),
    st.sampled_from(["<{target}>", "x:", "x:y", "?v"]),
    st.sampled_from([" ", "", "\n"]),
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(SERVICE_CALLS)
def test_every_shape_of_service_call_is_caught(recorder: tuple[str, list[str]], template: str) -> None:
    target, hits = recorder
    query = template.replace("{target}", target)
    if uses_service(query):
        return
    before = len(hits)
    try:
        result = ox.Store().query(query, base_iri="http://base/")
        if isinstance(result, ox.QuerySolutions | ox.QueryTriples):
            list(result)
    except (SyntaxError, OSError, ValueError):
        pass
    assert len(hits) == before, f"the guard let through a query that sent a request: {query!r}"


# --- what a remote store (Virtuoso) would run beyond SPARQL 1.1 ---


@pytest.mark.parametrize(
    "query",
    [
        'define get:soft "replace" SELECT * FROM <http://127.0.0.1:9/x> { ?s ?p ?o }',
        'DEFINE input:grab-all "yes" SELECT * { ?s ?p ?o }',
        "SELECT (bif:sleep(10) AS ?x) { }",
        "SELECT (<bif:sleep>(10) AS ?x) { }",
        "PREFIX x: <bif:> SELECT (x:sleep(10) AS ?x) { }",
        "SELECT (sql:anything() AS ?x) { }",
        "SELECT (<\\u0062if:sleep>(10) AS ?x) { }",
    ],
)
def test_server_extensions_are_refused(query: str) -> None:
    with pytest.raises(QueryRejected) as info:
        screen(query, 10_000)
    assert info.value.status == 403 and "SPARQL 1.1" in info.value.message


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?define { ?s <http://x/define> "bif:x" }',
        "PREFIX mybif: <http://x/> SELECT * { ?s mybif:p ?o }",
        "SELECT * { ?s <http://x/sql:p> ?o } # define",
    ],
)
def test_extension_words_in_opaque_places_are_fine(query: str) -> None:
    assert screen(query, 10_000).form == "SELECT"
