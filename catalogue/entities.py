"""Reading entities back from the store for pages and APIs.

An entity may be described by several records (one per source that has it):
its description is read from the union of their graphs, and its provenance
lists every record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .mapping import MappingError, from_graph
from .models import Entity, Organisation, Practice, Project
from .store import Store
from .uris import Uris


@dataclass(frozen=True)
class Provenance:
    record: str
    source: str
    original_id: str
    original_url: str | None
    first_seen: datetime
    modified: datetime
    status: str


@dataclass
class EntityView:
    entity: Entity
    uri: str
    records: list[Provenance]
    names: dict[str, str] = field(default_factory=dict)  # uri -> display name of linked entities
    linked: dict[str, Entity] = field(default_factory=dict)  # uri -> the linked entities themselves

    @property
    def withdrawn(self) -> bool:
        return bool(self.records) and all(r.status == "withdrawn" for r in self.records)


def _describe(store: Store, uri: str) -> object:
    # The entity's own triples plus its contact node, from every graph.
    return store.construct(
        f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
              {{ BIND(<{uri}> AS ?s) ?s ?p ?o }}
              UNION {{ <{uri}> <http://www.w3.org/ns/dcat#contactPoint> ?s . ?s ?p ?o }} }}"""
    )


def _records(store: Store, uri: str) -> list[Provenance]:
    rows = store.select(
        f"""SELECT ?g ?src ?id ?url ?issued ?modified ?status WHERE {{
              GRAPH ?g {{ ?g <http://xmlns.com/foaf/0.1/primaryTopic> <{uri}> ;
                  <http://purl.org/dc/terms/source> ?src ;
                  <https://w3id.org/gpc/ns#originalIdentifier> ?id ;
                  <http://purl.org/dc/terms/issued> ?issued ;
                  <http://purl.org/dc/terms/modified> ?modified ;
                  <https://w3id.org/gpc/ns#recordStatus> ?status .
                  OPTIONAL {{ ?g <https://w3id.org/gpc/ns#originalUrl> ?url }} }} }}"""
    )
    out = []
    for row in rows:
        out.append(
            Provenance(
                record=str(row["g"]),
                source=str(row["src"]).rsplit("/", 1)[-1],
                original_id=str(row["id"]),
                original_url=str(row["url"]) if "url" in row else None,
                first_seen=datetime.fromisoformat(str(row["issued"]).replace("Z", "+00:00")),
                modified=datetime.fromisoformat(str(row["modified"]).replace("Z", "+00:00")),
                status="withdrawn" if str(row["status"]).endswith("#Withdrawn") else "active",
            )
        )
    return sorted(out, key=lambda p: p.record)


def display_name(entity: Entity, lang: str = "en") -> str:
    texts = entity.name if isinstance(entity, Organisation) else entity.title
    text = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
    if isinstance(entity, Project) and entity.acronym:
        return f"{entity.acronym}: {text}"
    return text


def load_entity(store: Store, uris: Uris, kind: str, key: str, lang: str = "en") -> EntityView | None:
    """The entity with its provenance and the names of what it links to, or None."""
    uri = uris.entity(kind, key)
    graph = _describe(store, uri)
    if len(graph) == 0:  # type: ignore[arg-type]
        return None
    try:
        entity = from_graph(graph, uri, uris)  # type: ignore[arg-type]
    except MappingError:
        return None
    view = EntityView(entity=entity, uri=uri, records=_records(store, uri))
    for linked_kind, keys in _links(entity):
        for linked_key in keys:
            linked_uri = uris.entity(linked_kind, linked_key)
            linked_graph = _describe(store, linked_uri)
            try:
                linked = from_graph(linked_graph, linked_uri, uris)  # type: ignore[arg-type]
                view.linked[linked_uri] = linked
                view.names[linked_uri] = display_name(linked, lang)
            except MappingError:
                view.names[linked_uri] = linked_key
    return view


def _links(entity: Entity) -> list[tuple[str, list[str]]]:
    if isinstance(entity, Practice):
        orgs = [k for k in [entity.publisher, *entity.creators, *entity.reused_by] if k]
        return [("organisation", orgs), ("project", entity.projects)]
    if isinstance(entity, Project):
        return [("organisation", [k for k in [entity.coordinator, *entity.participants] if k])]
    return []
