"""The SPARQL harvester against a real SPARQL engine (Oxigraph) behind a
SPARQL 1.1 Protocol endpoint on loopback: the CORDIS (EURIO) preset over
the real H2020 sample, a SELECT of practices and a CONSTRUCT of DCAT data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from catalogue.models import Practice, Project, RecordFailure, SourceRecord
from catalogue.sources import SourceConfig
from harvesters.base import HarvestContext, SourceError
from harvesters.sparql import SparqlHarvester, cordis_query

Portal = Any  # the `portal` fixture (tests/harvesters/conftest.py)
EURIO = "http://data.europa.eu/s66#"


def eurio_triples(projects: list[dict[str, Any]], topic: str = "") -> str:
    """The CORDIS sample as the CORDIS knowledge graph describes projects (EURIO 2.4)."""
    out = []
    for p in projects:
        s = f"<https://cordis.europa.eu/project/id/{p['id']}>"
        g = f"<urn:grant:{p['id']}>"
        out += [
            f"{s} a <{EURIO}Project> .",
            f"{s} <{EURIO}identifier> {json.dumps(str(p['id']))} .",
            f"{s} <{EURIO}title> {json.dumps(p['title'])} .",
            f"{s} <{EURIO}abstract> {json.dumps(p['objective'])} .",
            f"{s} <{EURIO}startDate> \"{p['startDate']}\"^^<http://www.w3.org/2001/XMLSchema#date> .",
            f"{s} <{EURIO}hasAcronym> <urn:acr:{p['id']}> . <urn:acr:{p['id']}> <{EURIO}shortForm> {json.dumps(p['acronym'])} .",
            f"{s} <{EURIO}hasTotalCost> <urn:cost:{p['id']}> . <urn:cost:{p['id']}> <{EURIO}value> \"{p['totalCost']}\"^^<http://www.w3.org/2001/XMLSchema#decimal> .",
            f"{s} <{EURIO}isFundedBy> {g} . {g} <{EURIO}hasFundingSchemeProgramme> <urn:fp:{p['frameworkProgramme']}> .",
            f"<urn:fp:{p['frameworkProgramme']}> <{EURIO}code> {json.dumps(p['frameworkProgramme'])} .",
            f"{g} <{EURIO}hasFundingSchemeTopic> <urn:topic:{p['topics']}> . <urn:topic:{p['topics']}> <{EURIO}code> {json.dumps(p['topics'])} .",
        ]
    return "\n".join(out)


def harvest(url: str, tmp_path: Path, **options: object) -> list[Any]:
    source = SourceConfig(name="kg", kind="sparql", url=url, **options)
    return list(SparqlHarvester(source, HarvestContext(base_dir=tmp_path, retries=1, backoff=0.01, timeout=10)).records())


@pytest.fixture
def cordis_kg(portal: Portal, shared_fixtures: Path) -> Portal:
    projects = json.loads((shared_fixtures / "cordis/h2020_projects_openaire_sample.json").read_text())
    portal.store.load(eurio_triples(projects).encode(), format=ox.RdfFormat.TURTLE)
    return portal


def test_cordis_preset_pages_through_the_projects(cordis_kg: Portal, tmp_path: Path) -> None:
    items = harvest(f"{cordis_kg.url}/sparql", tmp_path, preset="cordis", page_size=5)
    assert len(items) == 19 and all(isinstance(i, SourceRecord) for i in items)
    assert cordis_kg.hits["/sparql"] == 4  # 5 + 5 + 5 + 4
    starlink = next(i for i in items if i.original_id == "815698").entities[0]
    assert isinstance(starlink, Project)
    assert (starlink.key, starlink.grant_id, starlink.acronym, starlink.programme) == ("grant-815698", "815698", "StarLink", "h2020")
    assert str(starlink.total_cost) == "71429" or float(starlink.total_cost or 0) == 71429.0
    method, _path, headers = cordis_kg.requests[0]
    assert method == "POST" and "sparql-results+json" in headers["accept"]


def test_cordis_preset_filters_by_topic(cordis_kg: Portal, shared_fixtures: Path, tmp_path: Path) -> None:
    projects = json.loads((shared_fixtures / "cordis/h2020_projects_openaire_sample.json").read_text())
    expected = {str(p["id"]) for p in projects if p["topics"].startswith("MSCA-IF")}
    items = harvest(f"{cordis_kg.url}/sparql", tmp_path, preset="cordis", topics=["MSCA-IF"])
    assert 0 < len(expected) < 19
    assert {i.original_id for i in items} == expected


def test_select_of_practices_with_a_column_mapping(portal: Portal, tmp_path: Path) -> None:
    portal.store.load(
        b"""<urn:p1> <urn:name> "Open budget"@en ; <urn:land> <https://city.example/budget> ; <urn:theme> "participation" .
            <urn:p2> <urn:name> "" .""",
        format=ox.RdfFormat.TURTLE,
    )
    query = "SELECT ?id ?title ?page ?themes WHERE { ?s <urn:name> ?title . BIND(STR(?s) AS ?id) OPTIONAL { ?s <urn:land> ?page } OPTIONAL { ?s <urn:theme> ?themes } } ORDER BY ?id"
    items = harvest(f"{portal.url}/sparql", tmp_path, query=query, entity="practice", columns={"landing_page": "page"}, method="GET")
    ok = [i for i in items if isinstance(i, SourceRecord)]
    failed = [i for i in items if isinstance(i, RecordFailure)]
    assert ok[0].entities[0].landing_page == "https://city.example/budget" and ok[0].entities[0].themes == ["participation"]
    assert failed and "title" in failed[0].reason
    assert portal.requests[0][0] == "GET"


def test_construct_is_read_like_a_dcat_catalogue(portal: Portal, shared_fixtures: Path, tmp_path: Path) -> None:
    portal.store.load(path=str(shared_fixtures / "ckanext-dcat-examples/dcat/dataset.rdf"), format=ox.RdfFormat.RDF_XML)
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> ; ?p ?o } ORDER BY ?s"
    items = harvest(f"{portal.url}/sparql", tmp_path, query=query)
    records = [i for i in items if isinstance(i, SourceRecord)]
    assert records and isinstance(records[0].entities[0], Practice)


def test_endpoint_errors_are_source_errors(portal: Portal, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="HTTP 400"):
        harvest(f"{portal.url}/sparql", tmp_path, query="SELECT ?id WHERE { ?id ?p }")


def test_query_or_preset_is_required() -> None:
    with pytest.raises(ValueError, match="either query or preset"):
        SparqlHarvester(SourceConfig(name="kg", kind="sparql", url="http://x"), HarvestContext(base_dir=Path(".")))


def test_preset_query_escapes_its_parameters() -> None:
    query = cordis_query(["H2020"], ['x") } DROP ALL #'], [])
    assert 'STRSTARTS(STR(?topic), "x\\") } DROP ALL #")' in query
