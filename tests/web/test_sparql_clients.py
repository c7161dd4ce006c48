"""/sparql through real clients nobody here wrote: SPARQLWrapper over real
HTTP on loopback, for every result format, and rdflib parsing every RDF
answer; on each store backend (`sparql_server`)."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from urllib.parse import urlencode

import pytest
from rdflib import Graph, URIRef
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from catalogue.core import Catalogue

# rdflib 7.6 parses JSON-LD (and SPARQLWrapper 2.0 RDF/XML) through its own
# deprecated ConjunctiveGraph: their business, not a failure of ours.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

PREFIXES = """PREFIX gpc: <https://w3id.org/gpc/ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
"""
SELECT = PREFIXES + "SELECT ?practice ?title WHERE { ?practice a gpc:Practice ; dcterms:title ?title } ORDER BY ?practice ?title LIMIT 10"
ASK = PREFIXES + "ASK { ?practice a gpc:Practice ; dcat:theme <https://w3id.org/gpc/theme/participation> }"
CONSTRUCT = PREFIXES + """CONSTRUCT { ?practice dcterms:title ?title ; dcat:theme ?theme }
WHERE { ?practice a gpc:Practice ; dcterms:title ?title ; dcat:theme ?theme }"""


def wrapper(sparql_server: str, query: str, fmt: str, method: str | None = None) -> SPARQLWrapper:
    sparql = SPARQLWrapper(f"{sparql_server}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method == "post":
        sparql.setMethod(POST)
    elif method == "direct":
        sparql.setMethod(POST)
        sparql.setRequestMethod(POSTDIRECTLY)
    return sparql


@pytest.fixture(scope="module")
def expected_construct(sparql_catalogue: Catalogue) -> Graph:
    return sparql_catalogue.store.construct(CONSTRUCT)


@pytest.mark.parametrize("method", [None, "post", "direct"])
def test_select_json_by_get_post_form_and_post_direct(sparql_server: str, method: str | None) -> None:
    body = wrapper(sparql_server, SELECT, JSON, method).queryAndConvert()
    assert body["head"]["vars"] == ["practice", "title"]
    rows = body["results"]["bindings"]
    assert len(rows) == 10
    assert all(r["practice"]["value"].startswith("https://gpc.test/id/practice/") for r in rows)


def test_select_xml(sparql_server: str) -> None:
    document = wrapper(sparql_server, SELECT, XML).queryAndConvert()
    assert len(document.getElementsByTagName("result")) == 10  # type: ignore[union-attr]


@pytest.mark.parametrize(("fmt", "delimiter"), [(CSV, ","), (TSV, "\t")])
def test_select_csv_and_tsv(sparql_server: str, fmt: str, delimiter: str) -> None:
    raw = wrapper(sparql_server, SELECT, fmt).queryAndConvert()
    assert isinstance(raw, bytes)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8")), delimiter=delimiter))
    assert [name.lstrip("?") for name in rows[0]] == ["practice", "title"]
    assert len(rows) == 11


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(sparql_server: str, fmt: str) -> None:
    answer = wrapper(sparql_server, ASK, fmt).queryAndConvert()
    if fmt == JSON:
        assert answer["boolean"] is True
    else:
        assert answer.getElementsByTagName("boolean")[0].firstChild.data == "true"  # type: ignore[union-attr]


@pytest.mark.parametrize(("fmt", "rdflib_format"), [(TURTLE, "turtle"), (N3, "turtle"), (RDFXML, None), (JSONLD, None)])
def test_construct_in_every_rdf_format_parses_with_rdflib(
    sparql_server: str, expected_construct: Graph, fmt: str, rdflib_format: str | None
) -> None:
    answer = wrapper(sparql_server, CONSTRUCT, fmt).queryAndConvert()
    if isinstance(answer, Graph):  # SPARQLWrapper parsed it with rdflib already
        graph = answer
    else:
        graph = Graph().parse(data=answer, format=rdflib_format)
    assert len(graph) == len(expected_construct) > 50
    assert set(graph) == set(expected_construct)


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("application/n-triples", "nt"),
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
def test_describe_by_content_negotiation(sparql_server: str, sparql_catalogue: Catalogue, accept: str, rdflib_format: str) -> None:
    practice = sparql_catalogue.uris.practice("demo-beta-gouv")
    url = f"{sparql_server}/sparql?" + urlencode({"query": f"DESCRIBE <{practice}>"})
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=30) as response:
        assert response.headers.get_content_type() == accept
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        graph = Graph().parse(data=response.read(), format=rdflib_format)
    assert (URIRef(practice), None, None) in graph


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("json", "application/sparql-results+json"), ("xml", "application/sparql-results+xml"),
     ("csv", "text/csv"), ("tsv", "text/tab-separated-values")],
)  # fmt: skip
def test_format_parameter_overrides_accept(sparql_server: str, fmt: str, content_type: str) -> None:
    url = f"{sparql_server}/sparql?" + urlencode({"query": SELECT, "format": fmt})
    request = urllib.request.Request(url, headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers.get_content_type() == content_type
        assert response.read()


def test_service_description_is_turtle_for_a_program(sparql_server: str) -> None:
    request = urllib.request.Request(f"{sparql_server}/sparql", headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as response:
        graph = Graph().parse(data=response.read(), format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "endpoint"), URIRef(f"{sparql_server}/sparql")) in graph


def test_errors_have_the_one_json_shape(sparql_server: str) -> None:
    url = f"{sparql_server}/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p "})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    assert info.value.code == 400
    body = json.loads(info.value.read())
    assert body["ok"] is False and body["status"] == 400 and "not valid SPARQL" in body["error"]
