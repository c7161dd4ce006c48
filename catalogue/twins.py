"""The machine-readable twins of a page: JSON (ours) and RDF.

The JSON twin is the entity as the application profile's model, with its
provenance and the names of what it links to: the same data the HTML page
shows. The RDF twins are the documents the linked-data routes serve
(`catalogue.documents`, so a static `.ttl` and the server's are the same
bytes); where that module is absent, the entity's triples from
`catalogue.mapping`, serialised by Oxigraph's writers.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

import pyoxigraph as ox
from pydantic import BaseModel, Field

from vocab import PREFIXES

from .entities import EntityView
from .mapping import to_lines
from .models import Organisation, Practice, Project
from .store import Store
from .uris import Uris

RDF_FORMATS: dict[str, tuple[str, ox.RdfFormat]] = {
    "ttl": ("text/turtle", ox.RdfFormat.TURTLE),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "rdf": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    "nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
}
_PREFIXES = {name: str(ns) for name, ns in PREFIXES.items()}


def rdf_twins(store: Store, uris: Uris, view: EntityView) -> dict[str, bytes]:
    """extension -> the entity's RDF document in that format."""
    try:
        from .documents import load_document
        from .rdf_output import triples_of
    except ImportError:  # pragma: no cover - the linked-data modules are part of the package
        return {ext: rdf_twin(view, uris, ext) for ext in RDF_FORMATS}
    kind, key = view.entity.kind, view.entity.key
    if view.document is not None:  # loaded in bulk: no second query
        return document_twins(document_triples(view.document, view.uri, f"{uris.base}/{kind}/{key}"))
    doc = load_document(store, uris, kind, key)
    if doc is None:
        return {ext: rdf_twin(view, uris, ext) for ext in RDF_FORMATS}
    return document_twins(triples_of(doc.graph))


_FOAF = "http://xmlns.com/foaf/0.1/"
_A = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def document_triples(document: list[ox.Triple], uri: str, url: str) -> list[ox.Triple]:
    """An entity's document as `catalogue.documents` gives it (plus the two
    triples about the document itself), sorted as `rdf_output.triples_of` sorts."""
    page = ox.NamedNode(url)
    extra = [ox.Triple(page, _A, ox.NamedNode(f"{_FOAF}Document")),
             ox.Triple(page, ox.NamedNode(f"{_FOAF}primaryTopic"), ox.NamedNode(uri))]  # fmt: skip
    return sorted(dict.fromkeys([*document, *extra]), key=str)


def document_twins(triples: list[ox.Triple]) -> dict[str, bytes]:
    """extension -> sorted triples in that format, with the prefixes they use
    (as rdf_output.graph_bytes writes them, once for the four formats)."""
    from .rdf_formats import by_extension, serialize_triples
    from .rdf_output import PREFIX_MAP

    used = _used_prefixes(triples)
    prefixes = {name: ns for name, ns in PREFIX_MAP.items() if name in used}
    out = {}
    for ext in RDF_FORMATS:
        fmt = by_extension(ext)
        assert fmt is not None
        out[ext] = serialize_triples(triples, fmt, prefixes)
    return out


def _used_prefixes(triples: list[ox.Triple]) -> set[str]:
    """Names of the prefixes whose namespace starts an IRI of the triples
    (datatypes included), as rdf_output.graph_bytes chooses them."""
    iris: set[str] = set()
    for triple in triples:
        subject, obj = triple.subject, triple.object
        if isinstance(subject, ox.NamedNode):
            iris.add(subject.value)
        iris.add(triple.predicate.value)
        if isinstance(obj, ox.NamedNode):
            iris.add(obj.value)
        elif isinstance(obj, ox.Literal):
            iris.add(obj.datatype.value)
    return {name for iri in iris for name in _prefixes_of(iri)}


@lru_cache(maxsize=65_536)
def _prefixes_of(iri: str) -> tuple[str, ...]:
    # Predicates, classes, concepts and datatypes recur on every page.
    from .rdf_output import PREFIX_MAP

    return tuple(name for name, ns in PREFIX_MAP.items() if iri.startswith(ns))


def rdf_twin(view: EntityView, uris: Uris, extension: str) -> bytes:
    """The entity's own triples (from the mapping) in one RDF format (`ttl`, `jsonld`, `rdf`, `nt`)."""
    _media, fmt = RDF_FORMATS[extension]
    lines = "\n".join(to_lines(view.entity, uris)).encode("utf-8")
    triples = sorted(ox.parse(lines, format=ox.RdfFormat.N_TRIPLES), key=str)
    prefixes = None if fmt == ox.RdfFormat.N_TRIPLES else _PREFIXES
    out = ox.serialize(triples, format=fmt, prefixes=prefixes)
    assert out is not None
    return out


class RecordInfo(BaseModel):
    """Where a description came from: one catalogue record."""

    record: str = Field(description="URI of the catalogue record (also the name of its graph).")
    source: str = Field(description="Name of the source it was harvested from.")
    original_id: str = Field(description="The record's identifier in its source.")
    original_url: str | None = Field(default=None, description="The record's address in its source.")
    first_seen: str = Field(description="When the catalogue first harvested it (ISO 8601).")
    modified: str = Field(description="When its content last changed (ISO 8601).")
    status: str = Field(description="'active' or 'withdrawn'.")


class EntityTwin(BaseModel):
    """The JSON twin of a practice, project or organisation page."""

    uri: str = Field(description="The entity's URI.")
    kind: str = Field(description="'practice', 'project' or 'organisation'.")
    page: str = Field(description="Path of the HTML page.")
    withdrawn: bool = Field(description="True when every record of it was withdrawn from its source.")
    entity: Annotated[Practice | Project | Organisation, Field(discriminator="kind")]
    linked: dict[str, str] = Field(description="Display names of the entities it links to, by URI.")
    records: list[RecordInfo]


def json_twin(view: EntityView, page_url: str) -> EntityTwin:
    """The JSON twin: the entity as the application profile's model, the
    names of what it links to, and its provenance."""
    return EntityTwin(
        uri=view.uri,
        kind=view.entity.kind,
        page=page_url,
        withdrawn=view.withdrawn,
        entity=view.entity,
        linked=dict(sorted(view.names.items())),
        records=[
            RecordInfo(
                record=r.record,
                source=r.source,
                original_id=r.original_id,
                original_url=r.original_url,
                first_seen=r.first_seen.isoformat(),
                modified=r.modified.isoformat(),
                status=r.status,
            )
            for r in view.records
        ],
    )
