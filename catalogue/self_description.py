"""How the catalogue describes itself to machines: the SPARQL 1.1 Service
Description of /sparql and the VoID description of the dataset
(/.well-known/void). Both are small rdflib graphs; no I/O here (the dump
list and the counts are passed in)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, XSD

from vocab import SD, VOID

from .rdf_formats import RDF_FORMATS, RESULT_FORMATS
from .settings import Settings

TITLE = "Good Practice Catalogue"
DESCRIPTION = (
    "Public-sector good practices (digital services, methods, open-source tools, data standards) "
    "harvested from EU and national portals, with the projects that produced them and the "
    "organisations that built and reused them."
)
FORMATS = Namespace("http://www.w3.org/ns/formats/")
# W3C format IRIs (https://www.w3.org/ns/formats/) of what /sparql answers.
_FORMAT_IRIS = {
    "json": FORMATS.SPARQL_Results_JSON,
    "xml": FORMATS.SPARQL_Results_XML,
    "csv": FORMATS.SPARQL_Results_CSV,
    "tsv": FORMATS.SPARQL_Results_TSV,
    "turtle": FORMATS.Turtle,
    "jsonld": FORMATS["JSON-LD"],
    "rdfxml": FORMATS.RDF_XML,
    "ntriples": FORMATS["N-Triples"],
}
VOCABULARIES = (
    "http://www.w3.org/ns/dcat#",
    "http://www.w3.org/ns/adms#",
    "http://purl.org/dc/terms/",
    "http://xmlns.com/foaf/0.1/",
    "http://www.w3.org/ns/org#",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/2006/vcard/ns#",
    "http://schema.org/",
    "https://w3id.org/gpc/ns#",
)


@dataclass(frozen=True)
class DumpFile:
    name: str
    url: str
    media_type: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class Counts:
    """Figures of the dataset (from the last dump; absent when not yet known)."""

    triples: int | None = None
    practices: int | None = None
    projects: int | None = None
    organisations: int | None = None
    records: int | None = None


def service_description(settings: Settings, endpoints: Sequence[str], counts: Counts) -> Graph:
    """`sd:Service` for /sparql: its endpoint(s), language, formats, features, limits."""
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    service = URIRef(f"{settings.base_uri}/sparql#service")
    g.add((service, RDF.type, SD.Service))
    for endpoint in dict.fromkeys(endpoints):  # the public one, and the one asked, if different
        g.add((service, SD.endpoint, URIRef(endpoint)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))  # (no sd:BasicFederatedQuery: SERVICE is refused)
    for fmt in (*RESULT_FORMATS, *RDF_FORMATS):
        g.add((service, SD.resultFormat, _FORMAT_IRIS[fmt.name]))
    g.add((service, DCTERMS.title, Literal(f"{TITLE}: SPARQL endpoint", lang="en")))
    g.add(
        (
            service,
            RDFS.comment,
            Literal(
                "Read-only SPARQL 1.1 Query endpoint. SERVICE is refused (no requests to other hosts). "
                f"Limits: {settings.sparql_timeout:g} s per query, answers up to {settings.sparql_max_result_bytes:,} bytes, "
                f"queries up to {settings.sparql_max_query_bytes:,} bytes. The default graph is the union of all "
                "graphs (one named graph per catalogue record, plus the harvest runs).",
                lang="en",
            ),
        )
    )
    dataset = BNode("dataset")
    default = BNode("default")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((dataset, FOAF.page, URIRef(f"{settings.base_uri}/.well-known/void")))
    if counts.triples is not None:
        g.add((default, VOID.triples, Literal(counts.triples, datatype=XSD.integer)))
    return g


def void_description(settings: Settings, dumps: Sequence[DumpFile], counts: Counts) -> Graph:
    """`void:Dataset` of the catalogue: where to query it, download it, and what it holds."""
    base = settings.base_uri
    g = Graph()
    g.bind("void", VOID)
    g.bind("dcat", DCAT)
    g.bind("dcterms", DCTERMS)
    ds = URIRef(f"{base}/.well-known/void#catalogue")
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((ds, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    g.add((ds, DCTERMS.publisher, Literal(settings.publisher_name)))
    g.add((ds, FOAF.homepage, URIRef(f"{base}/")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{base}/sparql")))
    g.add((ds, VOID.uriSpace, Literal(f"{base}/id/")))
    g.add((ds, VOID.rootResource, URIRef(f"{base}/catalog#catalog")))
    g.add((ds, RDFS.seeAlso, URIRef(f"{base}/catalog")))
    for vocabulary in VOCABULARIES:
        g.add((ds, VOID.vocabulary, URIRef(vocabulary)))
    for fmt in RDF_FORMATS:
        g.add((ds, VOID.feature, _FORMAT_IRIS[fmt.name]))
    for dump in dumps:
        url = URIRef(dump.url)
        g.add((ds, VOID.dataDump, url))
        g.add((url, DCAT.mediaType, Literal(dump.media_type)))
        g.add((url, DCAT.byteSize, Literal(dump.size, datatype=XSD.nonNegativeInteger)))
        g.add((url, DCTERMS.modified, Literal(dump.modified.isoformat(), datatype=XSD.dateTime)))
    if dumps:
        g.add((ds, DCTERMS.modified, Literal(max(d.modified for d in dumps).isoformat(), datatype=XSD.dateTime)))
    if counts.triples is not None:
        g.add((ds, VOID.triples, Literal(counts.triples, datatype=XSD.integer)))
    classes = (
        ("practices", "https://w3id.org/gpc/ns#Practice"),
        ("projects", "https://w3id.org/gpc/ns#Project"),
        ("organisations", "http://xmlns.com/foaf/0.1/Organization"),
        ("records", "http://www.w3.org/ns/dcat#CatalogRecord"),
    )
    for name, cls in classes:
        value = getattr(counts, name)
        if value is None:
            continue
        part = URIRef(f"{base}/.well-known/void#{name}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(value, datatype=XSD.integer)))
    g.add((ds, VOID.exampleResource, URIRef(f"{base}/catalog#catalog")))
    return g
