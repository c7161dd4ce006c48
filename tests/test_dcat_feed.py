"""The catalogue as DCAT-AP 3 (/catalog and `catalogue export --format
dcat`): it conforms to the official DCAT-AP SHACL shapes (pyshacl, the
results text as the failure message), pages with Hydra like CKAN, and
answers in every RDF format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCAT, FOAF, RDF
from starlette.testclient import TestClient
from typer.testing import CliRunner

from catalogue.cli import app as cli
from catalogue.core import Catalogue
from catalogue.dcat_feed import FeedError, catalog_page, count_records, full_catalog, parse_since
from catalogue.web import create_app

# rdflib 7.6's JSON-LD parser goes through its own deprecated ConjunctiveGraph.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
BASE = "https://gpc.test"
# The official shapes: DCAT-AP 3.0.0 (one file, as ckanext-dcat tests it) and
# 3.0.1 (the modular release: shapes + ranges). The 3.0.1 single-file shapes
# do not load in pyshacl 0.40 ("not a well-formed SHACL PropertyShape").
SHAPES = {
    "3.0.0": ["dcat-ap_3_shacl_shapes.ttl"],
    "3.0.1": ["dcat-ap_3.0.1_html_shapes.ttl", "dcat-ap_3.0.1_html_range.ttl"],
}


def page_url(number: int) -> str:
    return f"{BASE}/catalog?page={number}"


@pytest.fixture(scope="module")
def first_page(demo_catalogue: Catalogue) -> Graph:
    return catalog_page(demo_catalogue.store, demo_catalogue.settings, 1, page_url).graph


@pytest.mark.parametrize("version", sorted(SHAPES))
def test_a_page_conforms_to_the_official_dcat_ap_3_shapes(shared_fixtures: Path, first_page: Graph, version: str) -> None:
    shapes = Graph()
    for name in SHAPES[version]:
        shapes.parse(shared_fixtures / "dcat-ap-shacl" / name, format="turtle")
    conforms, _report, text = validate(first_page, shacl_graph=shapes)
    assert conforms, text


def test_recommended_shapes_give_warnings_only(shared_fixtures: Path, first_page: Graph) -> None:
    shapes = Graph().parse(shared_fixtures / "dcat-ap-shacl" / "dcat-ap_3.0.1_html_shapes_recommended.ttl", format="turtle")
    conforms, _report, text = validate(first_page, shacl_graph=shapes, allow_warnings=True)
    assert conforms, text


def test_the_exported_catalogue_conforms_too(shared_fixtures: Path, demo_catalogue: Catalogue) -> None:
    shapes = Graph().parse(shared_fixtures / "dcat-ap-shacl" / "dcat-ap_3_shacl_shapes.ttl", format="turtle")
    graph = full_catalog(demo_catalogue.store, demo_catalogue.settings)
    conforms, _report, text = validate(graph, shacl_graph=shapes)
    assert conforms, text


def test_records_and_practices_are_listed(first_page: Graph, demo_catalogue: Catalogue) -> None:
    catalog = URIRef(f"{BASE}/catalog#catalog")
    records = set(first_page.objects(catalog, DCAT.record))
    practices = set(first_page.objects(catalog, DCAT.dataset))
    assert len(records) == count_records(demo_catalogue.store) > 50
    for practice in practices:
        types = set(first_page.objects(practice, RDF.type))
        assert {DCAT.Dataset, DCAT.Resource, URIRef("http://www.w3.org/ns/adms#Asset")} <= types
    assert {first_page.value(r, FOAF.primaryTopic) for r in records} == practices


def test_paging_like_ckan(demo_catalogue: Catalogue) -> None:
    settings = demo_catalogue.settings.model_copy(update={"catalog_page_size": 10})
    total = count_records(demo_catalogue.store)
    seen: set[URIRef] = set()
    number, pages = 1, 0
    while number:
        page = catalog_page(demo_catalogue.store, settings, number, page_url)
        node = URIRef(page_url(number))
        assert int(page.graph.value(node, HYDRA.totalItems)) == total  # type: ignore[arg-type]
        assert int(page.graph.value(node, HYDRA.itemsPerPage)) == 10  # type: ignore[arg-type]
        assert str(page.graph.value(node, HYDRA.firstPage)) == page_url(1)
        assert str(page.graph.value(node, HYDRA.lastPage)) == page_url(page.last_page)
        records = set(page.graph.objects(URIRef(f"{BASE}/catalog#catalog"), DCAT.record))
        assert not records & seen
        seen |= records
        following = page.graph.value(node, HYDRA.next)
        assert (following is None) == (page.graph.value(node, HYDRA.nextPage) is None)
        number = int(str(following).rsplit("=", 1)[-1]) if following else 0
        pages += 1
    assert len(seen) == total and pages == -(-total // 10)
    with pytest.raises(FeedError):
        catalog_page(demo_catalogue.store, settings, pages + 1, page_url)


def test_modified_since_narrows_the_feed(demo_catalogue: Catalogue) -> None:
    assert count_records(demo_catalogue.store, parse_since("2000-01-01")) == count_records(demo_catalogue.store)
    assert count_records(demo_catalogue.store, parse_since("2999-01-01T00:00:00Z")) == 0
    with pytest.raises(FeedError):
        parse_since("yesterday")


@pytest.fixture(scope="module")
def client(demo_catalogue: Catalogue) -> Iterator[TestClient]:
    settings = demo_catalogue.settings.model_copy(update={"catalog_page_size": 25})
    with TestClient(create_app(settings, demo_catalogue)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "headers", "rdflib_format"),
    [
        ("/catalog.ttl", {}, "turtle"),
        ("/catalog.jsonld", {}, "json-ld"),
        ("/catalog.rdf", {}, "xml"),
        ("/catalog.nt", {}, "nt"),
        ("/catalog", {"accept": "text/turtle"}, "turtle"),
        ("/catalog", {"accept": "application/rdf+xml"}, "xml"),
    ],
)
def test_catalog_in_every_rdf_format(client: TestClient, path: str, headers: dict[str, str], rdflib_format: str) -> None:
    response = client.get(path, params={"page": 2}, headers=headers)
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format=rdflib_format)
    assert len(set(graph.objects(URIRef(f"{BASE}/catalog#catalog"), DCAT.record))) == 25
    pages = list(graph.subjects(RDF.type, HYDRA.PagedCollection))
    assert len(pages) == 1 and "page=2" in str(pages[0])


def test_catalog_errors(client: TestClient) -> None:
    assert client.get("/catalog.ttl", params={"page": 999}).status_code == 404
    assert client.get("/catalog.ttl", params={"page": "two"}).status_code == 400
    assert client.get("/catalog.ttl", params={"modified_since": "soon"}).status_code == 400
    assert client.get("/catalog.xlsx").status_code == 404
    assert client.get("/catalog", headers={"accept": "text/html"}).status_code == 200


def test_export_format_dcat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_catalogue: Catalogue) -> None:
    monkeypatch.setenv("CATALOGUE_DATA_DIR", str(demo_catalogue.settings.data_dir))
    monkeypatch.setenv("CATALOGUE_BASE_URI", BASE)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    out = tmp_path / "catalog.jsonld"
    result = runner.invoke(cli, ["export", "--format", "dcat", "--syntax", "jsonld", "-o", str(out)])
    assert result.exit_code == 0, result.output
    graph = Graph().parse(out, format="json-ld")
    assert len(set(graph.objects(URIRef(f"{BASE}/catalog#catalog"), DCAT.record))) == count_records(demo_catalogue.store)
    assert runner.invoke(cli, ["export", "--format", "csv"]).exit_code == 2
    assert runner.invoke(cli, ["export", "--format", "dcat", "--syntax", "yaml"]).exit_code == 2
