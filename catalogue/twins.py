"""The machine-readable twins of a page: JSON (ours) and RDF.

The JSON twin is the entity as the application profile's model, with its
provenance and the names of what it links to: the same data the HTML page
shows. The RDF twins are the documents the linked-data routes serve
(`catalogue.documents`, so a static `.ttl` and the server's are the same
bytes); where that module is absent, the entity's triples from
`catalogue.mapping`, serialised by Oxigraph's writers.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from pydantic import BaseModel, Field
from rdflib import BNode, Literal, URIRef

from vocab import PREFIXES

from .entities import EntityView
from .mapping import to_triples
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


def _term(node: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    assert isinstance(node, Literal)
    if node.language:
        return ox.Literal(str(node), language=node.language)
    if node.datatype:
        return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
    return ox.Literal(str(node))


def rdf_twins(store: Store, uris: Uris, view: EntityView) -> dict[str, bytes]:
    """extension -> the entity's RDF document in that format."""
    try:
        from .documents import load_document
        from .rdf_formats import by_extension, serialize_triples
        from .rdf_output import PREFIX_MAP, triples_of
    except ImportError:  # pragma: no cover - the linked-data modules are part of the package
        return {ext: rdf_twin(view, uris, ext) for ext in RDF_FORMATS}
    doc = load_document(store, uris, view.entity.kind, view.entity.key)
    if doc is None:
        return {ext: rdf_twin(view, uris, ext) for ext in RDF_FORMATS}
    # As rdf_output.graph_bytes does, but converting the graph once for the four formats.
    triples = triples_of(doc.graph)
    iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object) if isinstance(t, ox.NamedNode)}
    iris |= {t.datatype.value for tr in triples if isinstance(t := tr.object, ox.Literal)}
    prefixes = {name: ns for name, ns in PREFIX_MAP.items() if any(iri.startswith(ns) for iri in iris)}
    out = {}
    for ext in RDF_FORMATS:
        fmt = by_extension(ext)
        assert fmt is not None
        out[ext] = serialize_triples(triples, fmt, prefixes)
    return out


def rdf_twin(view: EntityView, uris: Uris, extension: str) -> bytes:
    """The entity's own triples (from the mapping) in one RDF format (`ttl`, `jsonld`, `rdf`, `nt`)."""
    _media, fmt = RDF_FORMATS[extension]
    triples = sorted(
        (ox.Triple(_term(s), _term(p), _term(o)) for s, p, o in to_triples(view.entity, uris)),  # type: ignore[arg-type]
        key=str,
    )
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
