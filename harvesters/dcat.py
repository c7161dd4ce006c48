"""DCAT-AP and ADMS-AP catalogues published as RDF (Turtle, RDF/XML,
JSON-LD, N-Triples), by content negotiation or by file extension, and
followed page by page through Hydra paging (`hydra:next`, or the older
`hydra:nextPage` that CKAN's DCAT endpoint and data.europa.eu emit).

Every `adms:Asset`, `dcat:Dataset`, `dcat:Resource` or `gpc:Practice` in the
file becomes a practice. The source's resources are renamed to our URIs
(minted from the source and the resource's own identifier) and then read
with the profile mapping, so a source that already follows our profile loses
nothing and a plain DCAT-AP source gives what it has.

The source's own statements about the practice that the profile does not map
(distributions, identifiers, temporal coverage, frequency, provenance ...)
are kept beside the mapped ones in the record's graph (`keep_source_triples`),
with blank nodes given stable names derived from their content, so that the
record graph and its content hash are the same on every run.
"""

from __future__ import annotations

import gc
import hashlib
import warnings
from collections.abc import Iterator
from functools import lru_cache
from typing import Any
from typing import Literal as Lit

import pyoxigraph as ox
from pydantic import Field
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from pydantic import ValidationError

from catalogue import ntriples
from catalogue.mapping import CLASSES, FIELDS, PRACTICE_FIELDS, MappingError, from_graph

from catalogue.models import RecordFailure, SourceRecord, explain
from catalogue.rdfterms import to_rdflib
from catalogue.uris import Uris, mint_key, organisation_key, project_key_for_grant
from vocab import ADMS, EU_COUNTRY, GPC

from .base import Harvester, Item, Options, SourceError, fetch
from .jsonld_contexts import ContextLoader, context_loader

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
PRIMARY = "urn:gpc:primary"  # the practice, in SourceRecord.source_lines

# A private base: entities are read with it and then carry only their keys.
_LOCAL = Uris("urn:gpc:harvest")

# One URIRef object per IRI that the mapping or this module looks up: a dict
# look-up that finds the key object itself skips rdflib's Python-level
# __eq__, which each `DCAT.x` (a new URIRef per attribute access) needed:
# 1.9 M calls at 10,000 records. Parsed IRIs are replaced by these objects.
_CANONICAL: dict[str, URIRef] = {}
for _field in (f for fields in FIELDS.values() for f in fields):
    _CANONICAL.setdefault(str(_field.predicate), _field.predicate)
for _cls in (c for classes in CLASSES.values() for c in classes):
    _CANONICAL.setdefault(str(_cls), _cls)


def _canon(iri: URIRef) -> URIRef:
    return _CANONICAL.setdefault(str(iri), iri)


TYPE = _canon(RDF.type)
IDENTIFIER = _canon(DCTERMS.identifier)
LANDING_PAGE = _canon(DCAT.landingPage)
CONTACT_POINT = _canon(DCAT.contactPoint)
DISTRIBUTION = _canon(DCAT.distribution)
PROJECT = _canon(GPC.project)
GRANT_ID = _canon(GPC.grantId)
NAME = _canon(FOAF.name)
SPATIAL = _canon(DCTERMS.spatial)
PRACTICE_CLASSES = tuple(_canon(c) for c in (ADMS.Asset, DCAT.Dataset, DCAT.Resource, GPC.Practice))
ORG_PROPERTIES = tuple(_canon(p) for p in (DCTERMS.publisher, DCTERMS.creator, GPC.reusedBy))
_EU_COUNTRY = str(EU_COUNTRY)

_FORMATS = {
    ".ttl": "turtle",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".nt": "nt",
    ".n3": "n3",
}
_MEDIA = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "text/n3": "n3",
}
ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, application/n-triples;q=0.7"


class DcatOptions(Options):
    format: Lit["turtle", "xml", "json-ld", "nt", "n3"] | None = None
    key_prefix: str | None = None  # defaults to the source name
    keep_source_triples: bool = True
    max_pages: int = Field(default=10_000, ge=1)


def guess_format(location: str, media_type: str) -> str | None:
    if media_type in _MEDIA:
        return _MEDIA[media_type]
    lowered = location.lower().split("?", 1)[0]
    for ext, fmt in _FORMATS.items():
        if lowered.endswith(ext):
            return fmt
    return None


def parse_rdf(body: bytes, fmt: str, location: str, contexts: ContextLoader) -> Graph:
    """Parse RDF into one graph (named graphs in the input are merged).
    JSON-LD contexts given by reference are read through `contexts`."""
    if fmt == "json-ld":
        body = contexts.inline(body, location)
    graph = Graph()
    try:
        with warnings.catch_warnings():
            # rdflib's JSON-LD parser goes through its own deprecated
            # ConjunctiveGraph API; that is rdflib's business, not the user's.
            warnings.simplefilter("ignore", DeprecationWarning)
            graph.parse(data=body, format=fmt, publicID=location)
    except Exception as exc:  # rdflib raises many kinds; all mean "unparsable"
        raise SourceError(f"{location}: not valid {fmt}: {type(exc).__name__}: {exc}") from None
    return graph


_OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "xml": ox.RdfFormat.RDF_XML, "n3": ox.RdfFormat.N3}


class Triples:
    """A parsed page as subject -> predicate -> [objects] in rdflib terms, with
    the few reads the mapping makes of an rdflib Graph (`value`, `objects`,
    `predicate_objects`, `subjects`). Much lighter than an rdflib Graph for
    100,000-record catalogues: parsing is Oxigraph's, and reads are dict
    look-ups."""

    def __init__(self) -> None:
        self.index: dict[Any, dict[Any, list[Any]]] = {}
        # The last subject read and its predicates: from_graph asks for each
        # field of one subject in turn, with a URIRef of its own whose every
        # look-up would go through rdflib's Python-level __eq__.
        self._last: tuple[Any, dict[Any, list[Any]]] = (None, {})

    def add(self, triple: tuple[Any, Any, Any]) -> None:
        # No duplicate check: the mapping and the N-Triples lines are sets anyway.
        self.index.setdefault(triple[0], {}).setdefault(triple[1], []).append(triple[2])
        self._last = (None, {})

    def _predicates(self, subject: Any) -> dict[Any, list[Any]]:
        last, preds = self._last
        if subject is not last:
            preds = self.index.get(subject, {})
            self._last = (subject, preds)
        return preds

    def __len__(self) -> int:
        return sum(len(objs) for preds in self.index.values() for objs in preds.values())

    def predicate_objects(self, subject: Any) -> Iterator[tuple[Any, Any]]:
        return ((p, o) for p, objs in self._predicates(subject).items() for o in objs)

    def objects(self, subject: Any = None, predicate: Any = None) -> Iterator[Any]:
        if subject is None:
            if predicate is None:
                return (o for preds in self.index.values() for objs in preds.values() for o in objs)
            return (o for preds in self.index.values() for o in preds.get(predicate, ()))
        preds = self._predicates(subject)
        if predicate is None:
            return (o for objs in preds.values() for o in objs)
        return iter(preds.get(predicate, ()))

    def value(self, subject: Any, predicate: Any) -> Any:
        return next(self.objects(subject, predicate), None)

    def subjects(self, predicate: Any, obj: Any) -> Iterator[Any]:
        return (s for s, preds in self.index.items() if obj in preds.get(predicate, ()))

    @classmethod
    def of(cls, graph: Graph) -> Triples:
        out = cls()
        for s, p, o in graph:
            # Keyed by the plain text: a URIRef never equals a str key.
            p = _CANONICAL.get(str(p), p) if type(p) is URIRef else p
            o = _CANONICAL.get(str(o), o) if type(o) is URIRef else o
            out.add((s, p, o))
        return out


class _Terms(dict):  # type: ignore[type-arg]
    """Oxigraph term -> rdflib term, converted once per distinct term (IRIs
    to their _CANONICAL object when they have one)."""

    def __missing__(self, node: Any) -> Any:
        known = _CANONICAL.get(node.value) if isinstance(node, ox.NamedNode) else None
        if known is None:
            known = to_rdflib(node)
        self[node] = known
        return known


def parse_triples(body: bytes, fmt: str, location: str, contexts: ContextLoader) -> Triples:
    """Parse RDF into `Triples`: with Oxigraph where it reads the format (fast),
    else with rdflib (JSON-LD). Named graphs in the input are merged."""
    if fmt not in _OX_FORMATS:
        return Triples.of(parse_rdf(body, fmt, location, contexts))
    out = Triples()
    index = out.index
    terms = _Terms()
    base = location if location.startswith(("http://", "https://")) else "file://" + location
    # The page's millions of new dicts, lists and literals all survive: the
    # cyclic collector's passes over them while they are made find nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # out.add, inlined: this loop runs once per triple of the catalogue.
        for quad in ox.parse(body, format=_OX_FORMATS[fmt], base_iri=base, lenient=True):
            s, p, o = terms[quad.subject], terms[quad.predicate], terms[quad.object]
            preds = index.get(s)
            if preds is None:
                preds = index[s] = {}
            objs = preds.get(p)
            if objs is None:
                preds[p] = [o]
            else:
                objs.append(o)
    except (SyntaxError, ValueError) as exc:
        raise SourceError(f"{location}: not valid {fmt}: {exc}") from None
    finally:
        if collecting:
            gc.enable()
    return out


def local_id(node: URIRef | BNode, graph: Graph | Triples) -> str:
    """The source's own identifier of a resource: dcterms:identifier, else its IRI."""
    ident = graph.value(node, IDENTIFIER)
    if ident is not None and str(ident).strip():
        return str(ident).strip()
    return str(node)


def _last_segment(iri: str) -> str:
    return iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


class DcatHarvester(Harvester):
    kind = "dcat"
    Options = DcatOptions
    options: DcatOptions

    def records(self) -> Iterator[Item]:
        prefix = self.options.key_prefix or self.source.name
        self.contexts = context_loader(self.ctx)
        url: str | None = self.source.url
        read: list[str] = []
        seen_subjects: set[str] = set()
        while url is not None:
            if url in read:
                raise SourceError(f"{url}: Hydra paging leads back to a page already read")
            if len(read) >= self.options.max_pages:
                self.incomplete_reason = f"stopped after max_pages = {self.options.max_pages} pages"
                break
            # Only the first page is asked conditionally (a paged catalogue
            # cannot say through its first page that later ones are unchanged).
            fetched = fetch(url, self.ctx, accept=ACCEPT, conditional=not read)
            read.append(url)
            fmt = self.options.format or guess_format(fetched.location, fetched.content_type)
            if fmt is None:
                raise SourceError(f"{fetched.location}: cannot tell the RDF format; set format in sources.toml")
            graph = parse_triples(fetched.body, fmt, fetched.location, self.contexts)
            url = next_page(graph, fetched.location)
            total = _total_items(graph)
            if total is not None:
                self.expected = total
            subjects = practice_subjects(graph)
            for subject in subjects:
                if isinstance(subject, URIRef):
                    if str(subject) in seen_subjects:
                        continue  # pages overlap when the catalogue changes while read
                    seen_subjects.add(str(subject))
                yield self._record(graph, subject, prefix)
        if len(read) > 1:
            for page in read:  # conditional requests only for one-page catalogues
                self.ctx.new_validators.pop(page, None)

    def _record(self, graph: Graph, subject: URIRef | BNode, prefix: str) -> Item:
        return practice_item(graph, subject, prefix, self.options.keep_source_triples)


def practice_item(graph: Graph | Triples, subject: URIRef | BNode, prefix: str, keep_source_triples: bool = True) -> Item:
    """One practice of an RDF graph as a source record (or a failure)."""
    original = local_id(subject, graph)
    url = str(subject) if isinstance(subject, URIRef) else None
    landing = graph.value(subject, LANDING_PAGE)
    try:
        return SourceRecord(
            original_id=original,
            original_url=url or (str(landing) if landing else None),
            entities=read_practice(graph, subject, mint_key(prefix, _last_segment(original))),
            source_lines=source_lines(graph, subject) if keep_source_triples else [],
        )
    except ValidationError as exc:
        return RecordFailure(original_id=original, original_url=url, reason=explain(exc))
    except (MappingError, ValueError) as exc:
        return RecordFailure(original_id=original, original_url=url, reason=str(exc))


def practice_subjects(graph: Graph | Triples) -> list[URIRef | BNode]:
    if isinstance(graph, Triples):
        wanted = set(PRACTICE_CLASSES)
        found = {s for s, preds in graph.index.items() if not wanted.isdisjoint(preds.get(TYPE, ()))}
    else:
        found = {s for cls in PRACTICE_CLASSES for s in graph.subjects(TYPE, cls)}
    return sorted(found, key=str)  # type: ignore[arg-type]


def read_practice(graph: Graph | Triples, subject: URIRef | BNode, key: str) -> list:  # type: ignore[type-arg]
    """The practice at `subject` and the organisations and projects it names."""
    renames: dict[object, URIRef] = {subject: URIRef(_LOCAL.practice(key))}
    contact = graph.value(subject, CONTACT_POINT)
    if contact is not None:
        renames[contact] = URIRef(f"{_LOCAL.practice(key)}#contact")
    linked: list[tuple[str, URIRef | BNode]] = []
    for prop in ORG_PROPERTIES:
        for org in graph.objects(subject, prop):
            org_key = _organisation_key(graph, org)
            if org_key:
                renames[org] = URIRef(_LOCAL.organisation(org_key))
                linked.append(("organisation", org))
    for project in graph.objects(subject, PROJECT):
        grant = graph.value(project, GRANT_ID)
        proj_key = project_key_for_grant(str(grant)) if grant else mint_key(_last_segment(str(project)))
        renames[project] = URIRef(_LOCAL.project(proj_key))
        linked.append(("project", project))

    local = _renamed(graph, renames)
    practice = from_graph(local, str(renames[subject]), _LOCAL)  # type: ignore[arg-type] - reads like a Graph
    entities = [practice]
    seen = set()
    for _kind, node in linked:
        target = str(renames[node])
        if target in seen:
            continue
        seen.add(target)
        try:
            entities.append(from_graph(local, target, _LOCAL))  # type: ignore[arg-type]
        except MappingError:
            continue  # a bare reference without a name or title: keep the link only
    return entities


def _organisation_key(graph: Graph | Triples, org: object) -> str | None:
    names = [n for n in graph.objects(org, NAME) if isinstance(n, Literal)]
    if not names:
        return None
    name = next((n for n in names if n.language in (None, "en")), names[0])
    country = next(
        (str(c)[len(_EU_COUNTRY):] for c in graph.objects(org, SPATIAL) if str(c).startswith(_EU_COUNTRY)),
        None,
    )
    return organisation_key(str(name), country)


def _renamed(graph: Graph | Triples, renames: dict[object, URIRef]) -> Triples:
    """A copy of the triples of the renamed nodes, with nodes renamed."""
    out = Triples()
    for old, new in renames.items():
        for p, o in graph.predicate_objects(old):
            out.add((new, p, renames.get(o, o)))
    return out


def next_page(graph: Graph | Triples, location: str) -> str | None:
    """The next page of a Hydra-paged catalogue, if any."""
    for prop in (HYDRA.next, HYDRA.nextPage):
        for target in sorted(graph.objects(None, prop), key=str):
            text = str(target)
            if text and text != location:
                return text
    return None


def _total_items(graph: Graph | Triples) -> int | None:
    for prop in (HYDRA.totalItems, HYDRA.totalitems):
        for value in graph.objects(None, prop):
            try:
                return int(str(value))
            except ValueError:
                continue
    return None


# Statements the profile maps (written by us) are not kept twice.
_MAPPED = frozenset({f.predicate for f in PRACTICE_FIELDS} | {CONTACT_POINT})
_OUR_CLASSES = frozenset(CLASSES["practice"])
_DEPENDENT_TYPES = frozenset(
    {DCAT.Distribution, ADMS.Identifier, DCTERMS.PeriodOfTime, DCAT.Relationship, URIRef("http://www.w3.org/ns/prov#Attribution"),
     URIRef("http://spdx.org/rdf/terms#Checksum"), DCTERMS.Location}
)  # fmt: skip
_MAX_DEPTH = 6


def source_lines(graph: Graph | Triples, subject: URIRef | BNode) -> list[str]:
    """The source's own statements about `subject` that the profile does not
    map, with what they lean on (blank nodes, distributions), as canonical
    N-Triples lines. The subject is written <urn:gpc:primary>; blank nodes get
    names from their content (<urn:gpc:primary#b...>), so equal input always
    gives equal lines."""
    names: dict[BNode, str] = {}

    def bnode_name(node: BNode, path: frozenset[BNode]) -> str:
        if node in names:
            return names[node]
        if node in path or len(path) > _MAX_DEPTH:
            return "cycle"
        inner = path | {node}
        lines = sorted(f"{_predicate_term(p)} {_label(o, inner)}" for p, o in graph.predicate_objects(node))
        digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:20]
        names[node] = f"{PRIMARY}#b{digest}"
        return names[node]

    def _label(node: object, path: frozenset[BNode]) -> str:
        if isinstance(node, BNode):
            return f"_:{bnode_name(node, path)}"
        return ntriples.term(node)  # type: ignore[arg-type]

    primary = ntriples.iri(PRIMARY)
    subject_type = type(subject)

    def renamed(node: object) -> str:
        """The node's term in the lines: the subject renamed <urn:gpc:primary>,
        blank nodes by their content."""
        # `==` only between same types: what rdflib's Identifier.__eq__ does
        # first, without its Python-level call for every other node.
        if node is subject or (type(node) is subject_type and node == subject):
            return primary
        if isinstance(node, BNode):
            return ntriples.iri(bnode_name(node, frozenset()))
        return ntriples.term(node)  # type: ignore[arg-type]

    triples: set[tuple[object, object, object]] = set()
    todo: list[object] = []
    for p, o in graph.predicate_objects(subject):
        if p in _MAPPED or (p == TYPE and o in _OUR_CLASSES):
            continue
        triples.add((subject, p, o))
        if isinstance(o, BNode) or (isinstance(o, URIRef) and (p == DISTRIBUTION or _is_dependent(graph, o))):
            todo.append(o)
    done: set[object] = {subject}
    depth = 0
    while todo and depth < _MAX_DEPTH:
        depth += 1
        nxt: list[object] = []
        for node in todo:
            if node in done:
                continue
            done.add(node)
            for p, o in graph.predicate_objects(node):  # type: ignore[arg-type]
                triples.add((node, p, o))
                if isinstance(o, BNode):
                    nxt.append(o)
        todo = nxt
    # What ntriples.lines gives for the renamed triples, written directly.
    return sorted({ntriples.statement(renamed(s), _predicate_term(p), renamed(o)) for s, p, o in triples})


@lru_cache(maxsize=4096)
def _predicate_term(predicate: URIRef) -> str:
    """ntriples.term of a predicate, remembered: a catalogue uses few."""
    return ntriples.term(predicate)


def _is_dependent(graph: Graph | Triples, node: URIRef) -> bool:
    return any(t in _DEPENDENT_TYPES for t in graph.objects(node, TYPE))
