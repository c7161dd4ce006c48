"""Reading entities back from the store for pages and APIs.

An entity may be described by several records (one per source that has it):
its description is read from the union of their graphs, and its provenance
lists every record.

Entities are read in batches (`load_views`): one CONSTRUCT per batch brings
each entity's document (the triples `catalogue.documents` serves for it:
its own, its contact point's, its catalogue records' and the names of what
it links to), which is then split per entity. The model, the provenance and
the RDF twins all come from that one answer, and linked entities (the
organisations and projects a practice names) are read once per `Linked`
cache instead of once per page.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Node

from .mapping import MappingError, from_graph
from .models import Entity, Organisation, Practice, Project
from .rdfterms import to_oxigraph, to_rdflib
from .store import Store
from .uris import Uris

_DCAT = "http://www.w3.org/ns/dcat#"
_DCT = "http://purl.org/dc/terms/"
_FOAF = "http://xmlns.com/foaf/0.1/"
_GPC = "https://w3id.org/gpc/ns#"
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_XSD_STRING_NODE = ox.NamedNode(_XSD_STRING)
_CONTACT = ox.NamedNode(f"{_DCAT}contactPoint")
_TOPIC = ox.NamedNode(f"{_FOAF}primaryTopic")
_NAMES = frozenset(ox.NamedNode(p) for p in (f"{_FOAF}name", f"{_DCT}title", f"{_GPC}acronym"))
_BATCH = 200  # entities per query: long VALUES lists stay fast, and answers small
OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


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
    # The entity's RDF document as the linked-data routes serve it (without
    # the two triples about the document itself), when it was loaded in bulk.
    document: list[ox.Triple] | None = None

    @property
    def withdrawn(self) -> bool:
        return bool(self.records) and all(r.status == "withdrawn" for r in self.records)


# --- reading triples ----------------------------------------------------------------


def construct_triples(store: Store, sparql: str) -> list[ox.Triple]:
    """A CONSTRUCT's triples as pyoxigraph terms, with the values
    `Store.construct` would give. On the embedded store the query runs on
    Oxigraph itself (no rdflib graph in between); other backends go through
    `Store.construct`."""
    native = getattr(store, "oxigraph", None)
    if not isinstance(native, ox.Store):
        graph = store.construct(sparql)
        return [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in graph]  # type: ignore[arg-type]
    out = []
    for t in native.query(sparql, use_default_graph_as_union=True):  # type: ignore[union-attr]
        obj = t.object
        if type(obj) is ox.Literal and obj.language is None and obj.datatype != _XSD_STRING_NODE:
            t = ox.Triple(t.subject, t.predicate, _as_construct_gives(obj))
        out.append(t)
    return out


@lru_cache(maxsize=8192)
def _as_construct_gives(literal: ox.Literal) -> ox.Literal:
    """A typed literal as it comes out of `Store.construct`: through rdflib,
    which writes some values in its own canonical form (Oxigraph writes
    `...27.04821Z` where rdflib writes `...27.048210+00:00`); the twins must
    be the bytes the linked-data routes serve."""
    return to_oxigraph(to_rdflib(literal))


def _safe(uri: str) -> bool:
    return not any(c in uri for c in '<>"{}|^`\\ \n\r\t')


def _values(uris: Iterable[str]) -> str:
    return " ".join(f"<{u}>" for u in uris)


_NAME_FILTER = f"FILTER(?p IN (<{_FOAF}name>, <{_DCT}title>, <{_GPC}acronym>))"


def _document_query(uris: Sequence[str]) -> str:
    # documents._entity's parts, for many entities at once, but the names of
    # what they link to: those of IRIs come from `Linked.names` (the same few
    # thousand each time), those of blank nodes from `_blank_names_query`.
    v = _values(uris)
    return f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
      {{ VALUES ?u {{ {v} }} ?u ?p ?o BIND(?u AS ?s) }}
      UNION {{ VALUES ?u {{ {v} }} ?u <{_DCAT}contactPoint> ?s . ?s ?p ?o }}
      UNION {{ VALUES ?u {{ {v} }} ?s <{_FOAF}primaryTopic> ?u ; ?p ?o }}
    }}"""


def _blank_names_query(uris: Sequence[str]) -> str:
    return f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
      VALUES ?u {{ {_values(uris)} }} ?u ?link ?s . FILTER(isBlank(?s)) ?s ?p ?o . {_NAME_FILTER} }}"""


def _names_query(iris: Sequence[str]) -> str:
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {_values(iris)} }} ?s ?p ?o . {_NAME_FILTER} }}"


def _description_query(uris: Sequence[str]) -> str:
    # An entity's own triples and its contact point's: what the model needs.
    v = _values(uris)
    return f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
      {{ VALUES ?u {{ {v} }} ?u ?p ?o BIND(?u AS ?s) }}
      UNION {{ VALUES ?u {{ {v} }} ?u <{_DCAT}contactPoint> ?s . ?s ?p ?o }}
    }}"""


class _Triples:
    """Triples indexed by subject, split back per entity after a batch query."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self.by_subject: dict[OxTerm, list[ox.Triple]] = defaultdict(list)
        self.topics: dict[OxTerm, list[OxTerm]] = defaultdict(list)  # entity -> its catalogue records
        self.add(triples)

    def add(self, triples: Iterable[ox.Triple]) -> None:
        seen = {t for ts in self.by_subject.values() for t in ts} if self.by_subject else set()
        for triple in dict.fromkeys(triples):  # a fact two records share comes once, as in a graph
            if triple in seen:
                continue
            self.by_subject[triple.subject].append(triple)
            if triple.predicate == _TOPIC:
                self.topics[triple.object].append(triple.subject)

    def with_blank_targets(self, nodes: Iterable[ox.NamedNode]) -> list[str]:
        """The entities that point at blank nodes (rare: their names need a query)."""
        return [n.value for n in nodes if any(isinstance(t.object, ox.BlankNode) for t in self.by_subject.get(n, []))]

    def description(self, node: ox.NamedNode) -> list[ox.Triple]:
        """The entity's own triples, then its contact point's."""
        own = self.by_subject.get(node, [])
        out = list(own)
        for contact in dict.fromkeys(t.object for t in own if t.predicate == _CONTACT):
            if contact != node:
                out += self.by_subject.get(contact, [])
        return out

    def targets(self, node: ox.NamedNode) -> list[str]:
        """The IRIs the entity points at (whose names its document carries)."""
        return list(dict.fromkeys(t.object.value for t in self.by_subject.get(node, []) if isinstance(t.object, ox.NamedNode)))

    def document(self, node: ox.NamedNode, names: Linked) -> list[ox.Triple]:
        """What `catalogue.documents` answers for the entity (as a set)."""
        own = self.by_subject.get(node, [])
        found = dict.fromkeys(self.description(node))
        for record in self.topics.get(node, []):
            found.update(dict.fromkeys(self.by_subject.get(record, [])))
        for target in dict.fromkeys(t.object for t in own if not isinstance(t.object, ox.Literal)):
            if isinstance(target, ox.NamedNode):
                found.update(dict.fromkeys(names.names(target.value)))
            else:
                found.update(dict.fromkeys(t for t in self.by_subject.get(target, []) if t.predicate in _NAMES))
        return list(found)


class _Graph:
    """The two reads `mapping.from_graph` makes of an rdflib graph
    (`predicate_objects`, `value`), over one entity's triples: building a
    real rdflib graph cost more than everything else in loading a page."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self._objects: dict[OxTerm, dict[OxTerm, list[OxTerm]]] = defaultdict(dict)  # subject -> predicate -> objects
        for t in triples:
            self._objects[t.subject].setdefault(t.predicate, []).append(t.object)  # type: ignore[index]

    def __len__(self) -> int:
        return sum(len(v) for by_predicate in self._objects.values() for v in by_predicate.values())

    @staticmethod
    def _node(subject: Node) -> OxTerm:
        return _ox_iri(str(subject)) if isinstance(subject, URIRef) else ox.BlankNode(str(subject))

    def value(self, subject: Node, predicate: Node) -> Node | None:
        found = self._objects.get(self._node(subject), {}).get(_ox_iri(str(predicate)))
        return _rdflib_term(found[0]) if found else None

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        for predicate, objects in self._objects.get(self._node(subject), {}).items():
            term = to_rdflib(predicate)
            for o in objects:
                yield term, _rdflib_term(o)


def _rdflib_term(term: OxTerm) -> Node:
    # Typed values recur on most pages (dates, amounts, booleans) and rdflib
    # parses each one it makes; texts with a language tag are mostly unique.
    if type(term) is ox.Literal and term.language is None:
        return _typed_literal(term)
    return to_rdflib(term)


@lru_cache(maxsize=8192)
def _typed_literal(literal: ox.Literal) -> Node:
    return to_rdflib(literal)


@lru_cache(maxsize=4096)
def _ox_iri(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _entity_of(triples: list[ox.Triple], uri: str, uris: Uris) -> Entity | None:
    if not triples:
        return None
    try:
        return from_graph(_Graph(triples), uri, uris)  # type: ignore[arg-type]
    except MappingError:
        return None


def _provenance(index: _Triples, node: ox.NamedNode) -> list[Provenance]:
    """The entity's catalogue records (every combination of their values, as
    a SPARQL join would give; records missing a value are left out)."""
    wanted = {f"{_DCT}source": "src", f"{_GPC}originalIdentifier": "id", f"{_DCT}issued": "issued",
              f"{_DCT}modified": "modified", f"{_GPC}recordStatus": "status", f"{_GPC}originalUrl": "url"}  # fmt: skip
    out = []
    for record in dict.fromkeys(index.topics.get(node, [])):
        if not isinstance(record, ox.NamedNode):
            continue
        values: dict[str, list[str]] = defaultdict(list)
        for t in index.by_subject.get(record, []):
            name = wanted.get(t.predicate.value)
            if name is not None:
                values[name].append(t.object.value)  # type: ignore[union-attr]
        names = ("src", "id", "issued", "modified", "status")
        if any(not values[n] for n in names):
            continue
        urls: list[str | None] = list(values["url"]) or [None]
        for src, original, issued, modified, status, url in itertools.product(*(values[n] for n in names), urls):
            out.append(
                Provenance(
                    record=record.value,
                    source=src.rsplit("/", 1)[-1],
                    original_id=original,
                    original_url=url,
                    first_seen=_moment(issued),
                    modified=_moment(modified),
                    status="withdrawn" if status.endswith("#Withdrawn") else "active",
                )
            )
    return sorted(out, key=lambda p: p.record)


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def display_name(entity: Entity, lang: str = "en") -> str:
    texts = entity.name if isinstance(entity, Organisation) else entity.title
    text = texts.get(lang) or texts.get("en") or next(iter(texts.values()))
    if isinstance(entity, Project) and entity.acronym:
        return f"{entity.acronym}: {text}"
    return text


# --- linked entities ---------------------------------------------------------------


class Linked:
    """Linked entities (organisations, projects) by URI, read in batches and
    kept: a static build shows the same few thousand on most of its pages.
    None marks a URI that does not read as an entity."""

    def __init__(self, store: Store, uris: Uris) -> None:
        self.store = store
        self.uris = uris
        self._known: dict[str, Entity | None] = {}
        self._names: dict[str, list[ox.Triple]] = {}  # IRI -> its name, title and acronym triples

    def fetch_names(self, wanted: Iterable[str]) -> None:
        missing = [u for u in dict.fromkeys(wanted) if u not in self._names]
        self._names.update((u, []) for u in missing if not _safe(u))
        missing = [u for u in missing if _safe(u)]
        for start in range(0, len(missing), _BATCH * 4):
            chunk = missing[start : start + _BATCH * 4]
            found: dict[str, list[ox.Triple]] = {u: [] for u in chunk}
            for triple in construct_triples(self.store, _names_query(chunk)):
                found[triple.subject.value].append(triple)  # type: ignore[union-attr]
            self._names.update(found)

    def names(self, iri: str) -> list[ox.Triple]:
        if iri not in self._names:
            self.fetch_names([iri])
        return self._names[iri]

    def fetch(self, wanted: Iterable[str]) -> None:
        missing = [u for u in dict.fromkeys(wanted) if u not in self._known]
        self._known.update((u, None) for u in missing if not _safe(u))
        missing = [u for u in missing if _safe(u)]
        for start in range(0, len(missing), _BATCH):
            chunk = missing[start : start + _BATCH]
            index = _Triples(construct_triples(self.store, _description_query(chunk)))
            for uri in chunk:
                self._known[uri] = _entity_of(index.description(ox.NamedNode(uri)), uri, self.uris)

    def get(self, uri: str) -> Entity | None:
        if uri not in self._known:
            self.fetch([uri])
        return self._known[uri]


def _links(entity: Entity) -> list[tuple[str, list[str]]]:
    if isinstance(entity, Practice):
        orgs = [k for k in [entity.publisher, *entity.creators, *entity.reused_by] if k]
        return [("organisation", orgs), ("project", entity.projects)]
    if isinstance(entity, Project):
        return [("organisation", [k for k in [entity.coordinator, *entity.participants] if k])]
    return []


def _linked_uris(entity: Entity, uris: Uris) -> list[str]:
    return [uris.entity(kind, key) for kind, keys in _links(entity) for key in keys]


def _attach_linked(view: EntityView, linked: Linked, uris: Uris, lang: str) -> None:
    for linked_kind, keys in _links(view.entity):
        for linked_key in keys:
            linked_uri = uris.entity(linked_kind, linked_key)
            found = linked.get(linked_uri)
            if found is None:
                view.names[linked_uri] = linked_key
            else:
                view.linked[linked_uri] = found
                view.names[linked_uri] = display_name(found, lang)


# --- loading -----------------------------------------------------------------------


def load_views(
    store: Store, uris: Uris, kind: str, keys: Sequence[str], lang: str = "en", linked: Linked | None = None
) -> dict[str, EntityView | None]:
    """key -> the entity with its provenance, the names of what it links to
    and its RDF document (None where there is no such entity), in batches."""
    linked = linked if linked is not None else Linked(store, uris)
    out: dict[str, EntityView | None] = {}
    for start in range(0, len(keys), _BATCH):
        chunk = list(keys[start : start + _BATCH])
        unsafe = {k for k in chunk if not _safe(uris.entity(kind, k))}  # could break out of <...>
        out.update(dict.fromkeys(unsafe))
        chunk = [k for k in chunk if k not in unsafe]
        entity_uris = [uris.entity(kind, key) for key in chunk]
        index = _Triples(construct_triples(store, _document_query(entity_uris)))
        blank = index.with_blank_targets(ox.NamedNode(u) for u in entity_uris)
        if blank:
            index.add(construct_triples(store, _blank_names_query(blank)))
        linked.fetch_names(t for uri in entity_uris for t in index.targets(ox.NamedNode(uri)))
        views: list[EntityView] = []
        for key, uri in zip(chunk, entity_uris, strict=True):
            node = ox.NamedNode(uri)
            entity = _entity_of(index.description(node), uri, uris)
            if entity is None:
                out[key] = None
                continue
            view = EntityView(entity, uri, _provenance(index, node), document=index.document(node, linked))
            out[key] = view
            views.append(view)
        linked.fetch(u for view in views for u in _linked_uris(view.entity, uris))
        for view in views:
            _attach_linked(view, linked, uris, lang)
    return out


def load_entity(store: Store, uris: Uris, kind: str, key: str, lang: str = "en") -> EntityView | None:
    """The entity with its provenance and the names of what it links to, or None."""
    return load_views(store, uris, kind, [key], lang).get(key)
