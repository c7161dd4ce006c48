"""The RDF document behind each of our URIs: what `/{kind}/{key}` serves
when a client asks for Turtle, JSON-LD, RDF/XML or N-Triples.

`{base}/id/{kind}/{key}` names the thing; `{base}/{kind}/{key}` is the
document about it. An entity's document holds its triples as the store has
them (the union of every record that describes it), its contact point, the
catalogue records about it (where each fact came from) and the names of what
it links to. A record's document is its graph plus the harvest run that last
wrote it; a run's document is the run with its errors; a source's, its runs.
Reads go through the store contract only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import FOAF, RDF

from .store import Store
from .uris import Uris

ENTITY_KINDS = ("practice", "project", "organisation")
KINDS = (*ENTITY_KINDS, "record", "run", "source")

_GPC = "https://w3id.org/gpc/ns#"
_DCAT = "http://www.w3.org/ns/dcat#"
_DCT = "http://purl.org/dc/terms/"
_FOAF = "http://xmlns.com/foaf/0.1/"
_PROV = "http://www.w3.org/ns/prov#"


@dataclass
class Document:
    uri: str  # the thing described
    url: str  # this document
    graph: Graph
    withdrawn: bool = False
    records: list[str] = field(default_factory=list)  # catalogue records about it: its history


def _iri(text: str) -> str:
    # Keys come from URLs: refuse anything that could break out of <...>.
    if any(c in text for c in '<>"{}|^`\\ \n\r\t'):
        raise ValueError(f"not a valid key: {text!r}")
    return f"<{text}>"


def _entity(store: Store, uri: str) -> Graph:
    u = _iri(uri)
    return store.construct(
        f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
          {{ BIND({u} AS ?s) ?s ?p ?o }}
          UNION {{ {u} <{_DCAT}contactPoint> ?s . ?s ?p ?o }}
          UNION {{ ?s <{_FOAF}primaryTopic> {u} ; ?p ?o }}
          UNION {{ {u} ?link ?s . ?s ?p ?o .
                   FILTER(?p IN (<{_FOAF}name>, <{_DCT}title>, <{_GPC}acronym>)) }}
        }}"""
    )


def _record(store: Store, uri: str) -> Graph:
    graph = store.get_record(uri)
    if graph is None:
        return Graph()
    run = store.construct(
        f"""CONSTRUCT {{ ?run ?p ?o }} WHERE {{ {_iri(uri)} <{_PROV}wasGeneratedBy> ?run . ?run ?p ?o }}"""
    )
    return graph + run


def _run(store: Store, uri: str) -> Graph:
    u = _iri(uri)
    return store.construct(
        f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
          {{ BIND({u} AS ?s) ?s ?p ?o }} UNION {{ {u} <{_GPC}error> ?s . ?s ?p ?o }} }}"""
    )


def _source(store: Store, uri: str) -> Graph:
    return store.construct(
        f"""CONSTRUCT {{ ?run ?p ?o }} WHERE {{
          {{ SELECT ?run WHERE {{ ?run <{_PROV}used> {_iri(uri)} ; <{_PROV}startedAtTime> ?started }}
             ORDER BY DESC(?started) LIMIT 100 }}
          ?run ?p ?o }}"""
    )


def uri_of(uris: Uris, kind: str, key: str) -> str:
    return f"{uris.base}/id/{kind}/{key}"


def load_document(store: Store, uris: Uris, kind: str, key: str) -> Document | None:
    """The document of `/id/{kind}/{key}`, or None when there is no such thing."""
    if kind not in KINDS or not key:
        return None
    uri = uri_of(uris, kind, key)
    try:
        builders = {"record": _record, "run": _run, "source": _source}
        graph = builders.get(kind, _entity)(store, uri)
    except ValueError:
        return None
    subject = URIRef(uri)
    if kind == "source":
        if len(graph) == 0:
            return None
    elif (subject, None, None) not in graph:
        return None
    url = f"{uris.base}/{kind}/{key}"
    doc = Document(uri=uri, url=url, graph=graph)
    if kind in ENTITY_KINDS:
        statuses = {
            str(record): str(graph.value(record, URIRef(f"{_GPC}recordStatus")))
            for record in graph.subjects(FOAF.primaryTopic, subject)
        }
        doc.records = sorted(statuses)
        doc.withdrawn = bool(statuses) and all(s.endswith("#Withdrawn") for s in statuses.values())
    graph.add((URIRef(url), RDF.type, FOAF.Document))
    graph.add((URIRef(url), FOAF.primaryTopic, subject))
    return doc


def exists(store: Store, uris: Uris, kind: str, key: str) -> bool:
    """Cheap check behind the /id/ redirects."""
    if kind not in KINDS or not key:
        return False
    try:
        u = _iri(uri_of(uris, kind, key))
    except ValueError:
        return False
    if kind == "source":
        return store.ask(f"ASK {{ ?run <{_PROV}used> {u} }}")
    return store.ask(f"ASK {{ {u} ?p ?o }}")
