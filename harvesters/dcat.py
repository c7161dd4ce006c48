"""DCAT-AP and ADMS-AP catalogues published as RDF (Turtle, RDF/XML,
JSON-LD, N-Triples).

Every `adms:Asset`, `dcat:Dataset`, `dcat:Resource` or `gpc:Practice` in the
file becomes a practice. The source's resources are renamed to our URIs
(minted from the source and the resource's own identifier) and then read
with the profile mapping, so a source that already follows our profile loses
nothing and a plain DCAT-AP source gives what it has.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Literal as Lit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

from catalogue.mapping import MappingError, from_graph
from pydantic import ValidationError

from catalogue.models import RecordFailure, SourceRecord, explain
from catalogue.uris import Uris, mint_key, organisation_key, project_key_for_grant
from vocab import ADMS, EU_COUNTRY, GPC

from .base import Harvester, Item, Options, SourceError, fetch

# A private base: entities are read with it and then carry only their keys.
_LOCAL = Uris("urn:gpc:harvest")

PRACTICE_CLASSES = (ADMS.Asset, DCAT.Dataset, DCAT.Resource, GPC.Practice)
ORG_PROPERTIES = (DCTERMS.publisher, DCTERMS.creator, GPC.reusedBy)

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


def guess_format(location: str, media_type: str) -> str | None:
    if media_type in _MEDIA:
        return _MEDIA[media_type]
    lowered = location.lower().split("?", 1)[0]
    for ext, fmt in _FORMATS.items():
        if lowered.endswith(ext):
            return fmt
    return None


def parse_rdf(body: bytes, fmt: str, location: str) -> Graph:
    """Parse RDF into one graph (named graphs in the input are merged)."""
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


def local_id(node: URIRef | BNode, graph: Graph) -> str:
    """The source's own identifier of a resource: dcterms:identifier, else its IRI."""
    ident = graph.value(node, DCTERMS.identifier)
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
        fetched = fetch(self.source.url, self.ctx, accept=ACCEPT)
        fmt = self.options.format or guess_format(fetched.location, fetched.content_type)
        if fmt is None:
            raise SourceError(f"{fetched.location}: cannot tell the RDF format; set format in sources.toml")
        graph = parse_rdf(fetched.body, fmt, fetched.location)
        prefix = self.options.key_prefix or self.source.name
        subjects = sorted({s for cls in PRACTICE_CLASSES for s in graph.subjects(RDF.type, cls)}, key=str)
        for subject in subjects:
            yield self._record(graph, subject, prefix)

    def _record(self, graph: Graph, subject: URIRef | BNode, prefix: str) -> Item:
        original = local_id(subject, graph)
        url = str(subject) if isinstance(subject, URIRef) else None
        landing = graph.value(subject, DCAT.landingPage)
        try:
            return SourceRecord(
                original_id=original,
                original_url=url or (str(landing) if landing else None),
                entities=read_practice(graph, subject, mint_key(prefix, _last_segment(original))),
            )
        except ValidationError as exc:
            return RecordFailure(original_id=original, original_url=url, reason=explain(exc))
        except (MappingError, ValueError) as exc:
            return RecordFailure(original_id=original, original_url=url, reason=str(exc))


def read_practice(graph: Graph, subject: URIRef | BNode, key: str) -> list:  # type: ignore[type-arg]
    """The practice at `subject` and the organisations and projects it names."""
    renames: dict[object, URIRef] = {subject: URIRef(_LOCAL.practice(key))}
    contact = graph.value(subject, DCAT.contactPoint)
    if contact is not None:
        renames[contact] = URIRef(f"{_LOCAL.practice(key)}#contact")
    linked: list[tuple[str, URIRef | BNode]] = []
    for prop in ORG_PROPERTIES:
        for org in graph.objects(subject, prop):
            org_key = _organisation_key(graph, org)
            if org_key:
                renames[org] = URIRef(_LOCAL.organisation(org_key))
                linked.append(("organisation", org))
    for project in graph.objects(subject, GPC.project):
        grant = graph.value(project, GPC.grantId)
        proj_key = project_key_for_grant(str(grant)) if grant else mint_key(_last_segment(str(project)))
        renames[project] = URIRef(_LOCAL.project(proj_key))
        linked.append(("project", project))

    local = _renamed(graph, renames)
    practice = from_graph(local, str(renames[subject]), _LOCAL)
    entities = [practice]
    seen = set()
    for _kind, node in linked:
        target = str(renames[node])
        if target in seen:
            continue
        seen.add(target)
        try:
            entities.append(from_graph(local, target, _LOCAL))
        except MappingError:
            continue  # a bare reference without a name or title: keep the link only
    return entities


def _organisation_key(graph: Graph, org: object) -> str | None:
    names = [n for n in graph.objects(org, FOAF.name) if isinstance(n, Literal)]
    if not names:
        return None
    name = next((n for n in names if n.language in (None, "en")), names[0])
    country = next(
        (str(c)[len(str(EU_COUNTRY)):] for c in graph.objects(org, DCTERMS.spatial) if str(c).startswith(str(EU_COUNTRY))),
        None,
    )
    return organisation_key(str(name), country)


def _renamed(graph: Graph, renames: dict[object, URIRef]) -> Graph:
    """A copy of the triples of the renamed nodes, with nodes renamed."""
    out = Graph()
    for old, new in renames.items():
        for p, o in graph.predicate_objects(old):
            out.add((new, p, renames.get(o, o)))
    return out
