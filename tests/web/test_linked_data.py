"""Dereferenceable URIs: /id/ -> 303 -> documents in HTML and every RDF
format, by content negotiation and by extension; 404 and 410; the
alternates and schema.org data in every page; VoID and the dumps."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF
from starlette.testclient import TestClient

from catalogue.cli import demo_sources_path
from catalogue.core import Catalogue
from catalogue.sources import load_sources
from catalogue.web import create_app

# rdflib 7.6's JSON-LD parser goes through its own deprecated ConjunctiveGraph.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

BASE = "https://gpc.test"
GPC = Namespace("https://w3id.org/gpc/ns#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = [
    ("text/turtle", "ttl", "turtle"),
    ("application/ld+json", "jsonld", "json-ld"),
    ("application/rdf+xml", "rdf", "xml"),
    ("application/n-triples", "nt", "nt"),
]
PRACTICE = "demo-beta-gouv"


@pytest.fixture(scope="module")
def keys(demo_catalogue: Catalogue) -> dict[str, str]:
    """One key of each kind in the demo data."""
    out = {"practice": PRACTICE}
    for kind, cls in (("project", GPC.Project), ("organisation", FOAF.Organization)):
        row = demo_catalogue.store.select(f"SELECT ?x WHERE {{ ?x a <{cls}> }} ORDER BY ?x LIMIT 1")[0]
        out[kind] = str(row["x"]).rsplit("/", 1)[-1]
    record = demo_catalogue.store.select(
        f"SELECT ?r WHERE {{ GRAPH ?r {{ ?r <{FOAF.primaryTopic}> <{BASE}/id/practice/{PRACTICE}> }} }}"
    )[0]["r"]
    out["record"] = str(record).removeprefix(f"{BASE}/id/record/")
    return out


@pytest.mark.parametrize("kind", ["practice", "project", "organisation", "record"])
def test_id_uris_answer_303_to_their_document(client: TestClient, keys: dict[str, str], kind: str) -> None:
    response = client.get(f"/id/{kind}/{keys[kind]}", follow_redirects=False, headers={"accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/{kind}/{keys[kind]}"
    followed = client.get(f"/id/{kind}/{keys[kind]}", headers={"accept": "text/turtle"})
    assert followed.status_code == 200 and followed.headers["content-type"].startswith("text/turtle")


@pytest.mark.parametrize("path", ["/id/practice/no-such-thing", "/id/project/nope", "/id/widget/x", "/id/record/nope/nope"])
def test_unknown_id_is_404(client: TestClient, path: str) -> None:
    assert client.get(path, follow_redirects=False).status_code == 404


@pytest.mark.parametrize("kind", ["practice", "project", "organisation"])
@pytest.mark.parametrize(("media", "extension", "rdflib_format"), FORMATS)
def test_documents_by_content_negotiation_and_by_extension(
    client: TestClient, keys: dict[str, str], kind: str, media: str, extension: str, rdflib_format: str
) -> None:
    uri = URIRef(f"{BASE}/id/{kind}/{keys[kind]}")
    by_accept = client.get(f"/{kind}/{keys[kind]}", headers={"accept": media})
    by_extension = client.get(f"/{kind}/{keys[kind]}.{extension}")
    for response in (by_accept, by_extension):
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media
        assert response.headers["access-control-allow-origin"] == "*"
        graph = Graph().parse(data=response.content, format=rdflib_format)
        assert (uri, RDF.type, None) in graph
        assert (URIRef(f"{BASE}/{kind}/{keys[kind]}"), FOAF.primaryTopic, uri) in graph
    assert by_accept.headers["content-location"] == f"/{kind}/{keys[kind]}.{extension}"
    assert "Accept" in by_accept.headers["vary"]
    assert by_accept.content == by_extension.content


def test_practice_document_carries_its_provenance(client: TestClient) -> None:
    graph = Graph().parse(data=client.get(f"/practice/{PRACTICE}.ttl").content, format="turtle")
    records = list(graph.subjects(FOAF.primaryTopic, URIRef(f"{BASE}/id/practice/{PRACTICE}")))
    records = [r for r in records if str(r).startswith(f"{BASE}/id/record/")]
    assert records and all((r, GPC.recordStatus, GPC.Active) in graph for r in records)
    assert any(isinstance(o, Literal) and o.language for o in graph.objects(URIRef(f"{BASE}/id/practice/{PRACTICE}"), DCTERMS.title))


def test_browsers_still_get_the_page(client: TestClient) -> None:
    page = client.get(f"/practice/{PRACTICE}", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["vary"]
    assert f'</practice/{PRACTICE}.ttl>; rel="alternate"; type="text/turtle"' in page.headers["link"]


@pytest.mark.parametrize("path", ["/practice/no-such-thing.ttl", "/project/nope.jsonld", "/organisation/nope.nt", "/record/x/y.ttl"])
def test_unknown_documents_are_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404
    assert client.get(path.rsplit(".", 1)[0], headers={"accept": "text/turtle"}).status_code == 404


def test_record_run_and_source_documents(client: TestClient, keys: dict[str, str]) -> None:
    record = Graph().parse(data=client.get(f"/record/{keys['record']}.ttl").content, format="turtle")
    record_uri = URIRef(f"{BASE}/id/record/{keys['record']}")
    run = record.value(record_uri, URIRef("http://www.w3.org/ns/prov#wasGeneratedBy"))
    assert run is not None and (run, GPC.runStatus, None) in record
    run_doc = client.get(str(run).removeprefix(f"{BASE}/id"), headers={"accept": "application/n-triples"})
    assert run_doc.status_code == 200 and (run, GPC.seen, None) in Graph().parse(data=run_doc.content, format="nt")
    source = keys["record"].split("/", 1)[0]
    assert client.get(f"/source/{source}", headers={"accept": "text/turtle"}).status_code == 200
    html = client.get(f"/record/{keys['record']}", headers={"accept": "text/html"})
    assert html.status_code == 200 and "Catalogue record" in html.text


def test_every_page_links_its_rdf_twins_and_embeds_schema_org(client: TestClient, keys: dict[str, str]) -> None:
    for kind in ("practice", "project", "organisation"):
        page = client.get(f"/{kind}/{keys[kind]}", headers={"accept": "text/html"}).text
        head = page.split("</head>")[0]
        for media, extension, _ in FORMATS:
            assert f'<link rel="alternate" type="{media}" href="/{kind}/{keys[kind]}.{extension}"' in head
        data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', head, re.S).group(1))  # type: ignore[union-attr]
        assert data["@context"] == "https://schema.org" and data["@id"] == f"{BASE}/id/{kind}/{keys[kind]}"
        assert data["name"]
    home = client.get("/", headers={"accept": "text/html"}).text.split("</head>")[0]
    assert '<link rel="alternate" type="text/turtle" href="/catalog.ttl"' in home
    assert '"@type": "WebSite"' in home


def test_schema_org_json_ld_cannot_break_out_of_its_script() -> None:
    from catalogue.models import Practice
    from catalogue.schema_org import practice
    from catalogue.web.templates import environment

    evil = Practice(key="x", title={"en": "</script><script>alert(1)</script>"})
    html = environment().from_string("{{ data | tojson }}").render(data=practice(evil, BASE, {}, "en"))
    assert "</script>" not in html and "\\u003c/script\\u003e" in html


def test_void_describes_the_dataset(client: TestClient) -> None:
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    dataset = next(graph.subjects(RDF.type, VOID.Dataset))
    assert (dataset, VOID.sparqlEndpoint, URIRef(f"{BASE}/sparql")) in graph
    dumps = set(graph.objects(dataset, VOID.dataDump))
    assert {URIRef(f"{BASE}/dumps/catalogue.nq.gz"), URIRef(f"{BASE}/dumps/catalogue.ttl.gz")} <= dumps
    assert int(graph.value(dataset, VOID.triples)) > 1000  # type: ignore[arg-type]
    for _, extension, rdflib_format in FORMATS:
        assert len(Graph().parse(data=client.get(f"/.well-known/void.{extension}").content, format=rdflib_format)) == len(graph)


def test_dumps_are_listed_with_size_and_date_and_parse(client: TestClient, demo_catalogue: Catalogue) -> None:
    listing = client.get("/dumps/", headers={"accept": "application/json"}).json()["dumps"]
    assert {d["name"] for d in listing} == {"catalogue.nq.gz", "catalogue.ttl.gz"}
    assert all(d["bytes"] > 1000 and d["modified"] for d in listing)
    html = client.get("/dumps/", headers={"accept": "text/html"})
    assert "catalogue.nq.gz" in html.text and "<time datetime=" in html.text
    nquads = client.get("/dumps/catalogue.nq.gz")
    assert nquads.headers["content-type"] == "application/gzip"
    parsed = list(ox.parse(gzip.decompress(nquads.content), format=ox.RdfFormat.N_QUADS))  # rdflib's Dataset warns
    quads = int(demo_catalogue.store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])
    assert len(parsed) == quads and len({q.graph_name for q in parsed}) > 50
    turtle = Graph().parse(data=gzip.decompress(client.get("/dumps/catalogue.ttl.gz").content), format="turtle")
    assert (URIRef(f"{BASE}/id/practice/{PRACTICE}"), RDF.type, GPC.Practice) in turtle
    assert client.get("/dumps/../store/LOCK").status_code == 404
    assert client.get("/dumps/secrets.txt").status_code == 404


def test_withdrawn_practice_is_410_with_its_history(make_catalogue: Callable[..., Catalogue], tmp_path: Path) -> None:
    demo = demo_sources_path().parent
    copy = tmp_path / "sources"
    copy.mkdir()
    for name in ("sources.toml", "practices.csv", "projects.csv", "practices.ttl"):
        if (demo / name).exists():
            (copy / name).write_bytes((demo / name).read_bytes())
    cat = make_catalogue()
    cat.harvest(load_sources(copy / "sources.toml"), ["demo-local-list"])
    lines = (copy / "practices.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (copy / "practices.csv").write_text("".join(line for line in lines if not line.startswith("spid,")), encoding="utf-8")
    [run] = cat.harvest(load_sources(copy / "sources.toml"), ["demo-local-list"])
    assert run.counts.withdrawn == 1
    with TestClient(create_app(cat.settings, cat)) as client:
        rdf = client.get("/practice/demo-spid.ttl")
        html = client.get("/practice/demo-spid", headers={"accept": "text/html"})
        redirect = client.get("/id/practice/demo-spid", follow_redirects=False)
    assert rdf.status_code == 410 and html.status_code == 410 and redirect.status_code == 303
    graph = Graph().parse(data=rdf.content, format="turtle")
    record = next(s for s in graph.subjects(FOAF.primaryTopic, URIRef(f"{BASE}/id/practice/demo-spid")) if "/id/record/" in str(s))
    assert (record, GPC.recordStatus, GPC.Withdrawn) in graph
    history = str(record).removeprefix(f"{BASE}/id")
    assert f'<{history}>; rel="version-history"' in rdf.headers["link"]
