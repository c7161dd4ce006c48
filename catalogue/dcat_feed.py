"""The catalogue as DCAT-AP 3: our `dcat:Catalog`, its catalogue records
and the practices they describe, paged with Hydra the way CKAN's DCAT
endpoint pages (`hydra:PagedCollection` with `nextPage` and friends, plus
the current Hydra `next`/`previous`), so that CKAN, data.europa.eu and
udata harvesters can walk it.

Practices are `adms:Asset` and `dcat:Resource` in the store; here they are
also typed `dcat:Dataset` (ADMS-AP makes an Asset a kind of Dataset, and
DCAT-AP harvesters collect Datasets) and linked with `dcat:dataset`.
The official DCAT-AP 3 SHACL shapes check `sh:class` on many values, which
needs the class in the data: the feed types the concepts, places,
languages, agents and documents it points to. Only active records whose
primary topic is a practice are listed (a harvester notices a withdrawn one
by its absence, as with CKAN). Store reads go through the contract.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD

import vocab
from vocab import ADMS, EU_LANGUAGE, GPC, HYDRA, THEME, VCARD

from .self_description import DESCRIPTION, TITLE
from .settings import Settings
from .store import Store

CHANGETYPE = Namespace("http://purl.org/adms/changetype/")
_CONCEPT_PROPERTIES = (DCAT.theme, DCTERMS.type, GPC.maturity, GPC.governmentLevel, GPC.programme)
_AGENT_PROPERTIES = (DCTERMS.publisher, DCTERMS.creator, GPC.reusedBy)
_DOCUMENT_PROPERTIES = (DCAT.landingPage, FOAF.page, FOAF.homepage)
_SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")


class FeedError(ValueError):
    """A bad paging parameter (the message names it)."""


@dataclass(frozen=True)
class RecordRow:
    record: str
    practice: str
    issued: str
    modified: str
    run: str | None


@dataclass
class FeedPage:
    graph: Graph
    total: int
    page: int
    last_page: int


def catalog_uri(settings: Settings) -> URIRef:
    return URIRef(f"{settings.base_uri}/catalog#catalog")


def parse_since(raw: str | None) -> datetime | None:
    """`modified_since`: an ISO 8601 date or date-time."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FeedError(f"modified_since must be an ISO 8601 date or date-time, not {raw[:40]!r}.") from None
    return moment


def _filter(since: datetime | None) -> str:
    if since is None:
        return ""
    stamp = since.isoformat() if since.tzinfo else since.isoformat() + "Z"
    return f'FILTER(?modified >= "{stamp}"^^<{XSD.dateTime}>)'


_RECORDS = f"""
  GRAPH ?record {{
    ?record a <{DCAT.CatalogRecord}> ; <{FOAF.primaryTopic}> ?practice ;
            <{GPC.recordStatus}> <{GPC.Active}> ;
            <{DCTERMS.issued}> ?issued ; <{DCTERMS.modified}> ?modified .
    OPTIONAL {{ ?record <{PROV.wasGeneratedBy}> ?run }}
    ?practice a <{GPC.Practice}> .
  }}"""


def count_records(store: Store, since: datetime | None = None) -> int:
    rows = store.select(f"SELECT (COUNT(?record) AS ?n) WHERE {{ {_RECORDS} {_filter(since)} }}")
    return int(rows[0]["n"]) if rows else 0


def record_rows(store: Store, since: datetime | None, limit: int | None, offset: int = 0) -> list[RecordRow]:
    """Newest changes first, then by record URI: stable pages."""
    paging = f"LIMIT {limit} OFFSET {offset}" if limit is not None else ""
    rows = store.select(
        f"""SELECT ?record ?practice ?issued ?modified ?run WHERE {{ {_RECORDS} {_filter(since)} }}
            ORDER BY DESC(?modified) ?record {paging}"""
    )
    return [
        RecordRow(str(r["record"]), str(r["practice"]), str(r["issued"]), str(r["modified"]), str(r["run"]) if "run" in r else None)
        for r in rows
    ]


def _practices(store: Store, uris: Sequence[str]) -> Graph:
    if not uris:
        return Graph()
    values = " ".join(f"<{u}>" for u in sorted(set(uris)))
    return store.construct(
        f"""CONSTRUCT {{ ?p ?pp ?po . ?c ?cp ?co . ?agent <{FOAF.name}> ?name . }} WHERE {{
          VALUES ?p {{ {values} }}
          {{ ?p ?pp ?po }}
          UNION {{ ?p <{DCAT.contactPoint}> ?c . ?c ?cp ?co }}
          UNION {{ ?p <{DCTERMS.publisher}>|<{DCTERMS.creator}>|<{GPC.reusedBy}> ?agent . ?agent <{FOAF.name}> ?name }}
        }}"""
    )


def _catalog_node(g: Graph, settings: Settings, modified: str | None) -> URIRef:
    base = settings.base_uri
    catalog = catalog_uri(settings)
    publisher = URIRef(f"{base}/catalog#publisher")
    homepage = URIRef(f"{base}/")
    english = EU_LANGUAGE["ENG"]
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, Literal(TITLE, lang="en")))
    g.add((catalog, DCTERMS.description, Literal(DESCRIPTION, lang="en")))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(settings.publisher_name)))
    g.add((catalog, FOAF.homepage, homepage))
    g.add((homepage, RDF.type, FOAF.Document))
    g.add((catalog, DCTERMS.language, english))
    g.add((english, RDF.type, DCTERMS.LinguisticSystem))
    scheme = URIRef(str(THEME).rstrip("/"))
    g.add((catalog, DCAT.themeTaxonomy, scheme))
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    for title in vocab.schemes().objects(scheme, DCTERMS.title):
        g.add((scheme, DCTERMS.title, title))
    if modified:
        g.add((catalog, DCTERMS.modified, Literal(modified, datatype=XSD.dateTime)))
    service = URIRef(f"{base}/sparql#service")
    g.add((catalog, DCAT.service, service))
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCTERMS.title, Literal(f"{TITLE}: SPARQL endpoint", lang="en")))
    endpoint = URIRef(f"{base}/sparql")
    g.add((service, DCAT.endpointURL, endpoint))
    g.add((service, DCAT.endpointDescription, endpoint))
    g.add((endpoint, RDF.type, RDFS.Resource))  # DCAT-AP 3.0.0 checks that class
    g.add((service, DCTERMS.conformsTo, _SPARQL_PROTOCOL))
    g.add((_SPARQL_PROTOCOL, RDF.type, DCTERMS.Standard))
    return catalog


def _add_records(g: Graph, catalog: URIRef, rows: Sequence[RecordRow]) -> None:
    for row in rows:
        record = URIRef(row.record)
        g.add((catalog, DCAT.record, record))
        g.add((record, RDF.type, DCAT.CatalogRecord))
        g.add((record, FOAF.primaryTopic, URIRef(row.practice)))
        g.add((record, DCTERMS.issued, Literal(row.issued, datatype=XSD.dateTime)))
        g.add((record, DCTERMS.modified, Literal(row.modified, datatype=XSD.dateTime)))
        # ADMS change type: what a harvester should do with the record.
        change = CHANGETYPE.Created if row.issued == row.modified else CHANGETYPE.Updated
        g.add((record, ADMS.status, change))
        g.add((change, RDF.type, SKOS.Concept))
        g.add((change, SKOS.prefLabel, Literal(str(change).rsplit("/", 1)[-1], lang="en")))
        if row.run:
            g.add((record, PROV.wasGeneratedBy, URIRef(row.run)))


def _add_practices(g: Graph, catalog: URIRef, practices: Graph) -> None:
    g += practices
    schemes = vocab.schemes()
    for practice in set(practices.subjects(RDF.type, GPC.Practice)):
        g.add((catalog, DCAT.dataset, practice))
        g.add((practice, RDF.type, DCAT.Dataset))
        if (practice, DCTERMS.description, None) not in practices:
            # DCAT-AP requires a description: fall back on the practice's other texts.
            for prop in (GPC.solution, GPC.problem, GPC.results, DCTERMS.title):
                texts = list(practices.objects(practice, prop))
                if texts:
                    for text in texts:
                        g.add((practice, DCTERMS.description, text))
                    break
    # Classes the shapes check with sh:class.
    for prop in _CONCEPT_PROPERTIES:
        for concept in set(practices.objects(None, prop)):
            g.add((concept, RDF.type, SKOS.Concept))
            labels = list(schemes.objects(concept, SKOS.prefLabel))
            for label in labels or [Literal(str(concept).rsplit("/", 1)[-1])]:
                g.add((concept, SKOS.prefLabel, label))
    for place in set(practices.objects(None, DCTERMS.spatial)):
        g.add((place, RDF.type, DCTERMS.Location))
        for label in schemes.objects(place, SKOS.prefLabel):
            g.add((place, SKOS.prefLabel, label))
    for language in set(practices.objects(None, DCTERMS.language)):
        g.add((language, RDF.type, DCTERMS.LinguisticSystem))
    for prop in _AGENT_PROPERTIES:
        for agent in set(practices.objects(None, prop)):
            g.add((agent, RDF.type, FOAF.Agent))
    for prop in _DOCUMENT_PROPERTIES:
        for document in set(practices.objects(None, prop)):
            g.add((document, RDF.type, FOAF.Document))
    for licence in set(practices.objects(None, DCTERMS.license)):
        g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    for contact in set(practices.objects(None, DCAT.contactPoint)):
        g.add((contact, RDF.type, VCARD.Kind))


def _bind(g: Graph) -> None:
    for name, ns in vocab.PREFIXES.items():
        g.bind(name, ns)
    g.bind("changetype", CHANGETYPE)


def _paging(g: Graph, page_url: Callable[[int], str], page: int, last: int, total: int, size: int) -> None:
    node = URIRef(page_url(page))
    g.add((node, RDF.type, HYDRA.PagedCollection))
    g.add((node, RDF.type, HYDRA.PartialCollectionView))
    g.add((node, HYDRA.totalItems, Literal(total, datatype=XSD.integer)))
    g.add((node, HYDRA.itemsPerPage, Literal(size, datatype=XSD.integer)))
    for old, new, number in (
        (HYDRA.firstPage, HYDRA.first, 1),
        (HYDRA.lastPage, HYDRA.last, last),
        (HYDRA.nextPage, HYDRA.next, page + 1 if page < last else None),
        (HYDRA.previousPage, HYDRA.previous, page - 1 if page > 1 else None),
    ):
        if number is not None:
            g.add((node, old, Literal(page_url(number))))  # CKAN writes the old terms as literals
            g.add((node, new, URIRef(page_url(number))))


def catalog_page(
    store: Store, settings: Settings, page: int, page_url: Callable[[int], str], since: datetime | None = None
) -> FeedPage:
    """One page of the feed (raises FeedError past the last page)."""
    size = settings.catalog_page_size
    total = count_records(store, since)
    last = max(1, -(-total // size))
    if page < 1 or page > last:
        raise FeedError(f"There is no page {page} of the catalogue; pages go from 1 to {last}.")
    rows = record_rows(store, since, size, (page - 1) * size)
    g = Graph()
    _bind(g)
    latest = record_rows(store, None, 1)
    catalog = _catalog_node(g, settings, latest[0].modified if latest else None)
    _add_records(g, catalog, rows)
    _add_practices(g, catalog, _practices(store, [r.practice for r in rows]))
    _paging(g, page_url, page, last, total, size)
    return FeedPage(graph=g, total=total, page=page, last_page=last)


def full_catalog(store: Store, settings: Settings) -> Graph:
    """The whole feed in one graph (`catalogue export --format dcat`)."""
    rows = record_rows(store, None, None)
    g = Graph()
    _bind(g)
    catalog = _catalog_node(g, settings, rows[0].modified if rows else None)
    _add_records(g, catalog, rows)
    chunk = 500
    practices = sorted({r.practice for r in rows})
    for start in range(0, len(practices), chunk):
        _add_practices(g, catalog, _practices(store, practices[start : start + chunk]))
    return g
