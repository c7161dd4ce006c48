"""Model <-> RDF for the application profile (docs/profile.md).

Each entity kind is described once, as a table of fields: the field's model
name, its RDF property and how its values are written. `to_triples` and
`from_graph` both read the same table, so the two directions cannot drift
apart. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, PROV, RDF, RDFS, XSD

import vocab
from vocab import (
    ADMS,
    EU_COUNTRY,
    EU_LANGUAGE,
    GOV_LEVEL,
    GPC,
    MATURITY,
    NUTS,
    PRACTICE_TYPE,
    PROGRAMME,
    SCHEMA,
    THEME,
    VCARD,
)

from pydantic import ValidationError

from .models import CatalogRecord, Entity, HarvestRun, Organisation, Practice, Project, explain
from .ntriples import Triple
from .uris import Uris


@dataclass(frozen=True)
class Field:
    name: str
    predicate: URIRef
    codec: str  # see _WRITERS / _READERS
    target: str = ""  # namespace (concepts, spatial) or entity type (refs)


PRACTICE_FIELDS: tuple[Field, ...] = (
    Field("title", DCTERMS.title, "text"),
    Field("description", DCTERMS.description, "text"),
    Field("keywords", DCAT.keyword, "keywords"),
    Field("problem", GPC.problem, "text"),
    Field("solution", GPC.solution, "text"),
    Field("results", GPC.results, "text"),
    Field("costs", GPC.costs, "text"),
    Field("transfer_conditions", GPC.transferConditions, "text"),
    Field("lessons", GPC.lessonsLearned, "text"),
    Field("technologies", GPC.technology, "strings"),
    Field("practice_types", DCTERMS.type, "codes", str(PRACTICE_TYPE)),
    Field("themes", DCAT.theme, "codes", str(THEME)),
    Field("maturity", GPC.maturity, "code", str(MATURITY)),
    Field("government_levels", GPC.governmentLevel, "codes", str(GOV_LEVEL)),
    Field("countries", DCTERMS.spatial, "codes", str(EU_COUNTRY)),
    Field("regions", DCTERMS.spatial, "codes", str(NUTS)),
    Field("cities", GPC.city, "strings"),
    Field("languages", DCTERMS.language, "languages"),
    Field("publisher", DCTERMS.publisher, "ref", "organisation"),
    Field("creators", DCTERMS.creator, "refs", "organisation"),
    Field("reused_by", GPC.reusedBy, "refs", "organisation"),
    Field("projects", GPC.project, "refs", "project"),
    Field("landing_page", DCAT.landingPage, "iri"),
    Field("documents", FOAF.page, "iris"),
    Field("license", DCTERMS.license, "iri"),
    Field("issued", DCTERMS.issued, "date"),
    Field("modified", DCTERMS.modified, "date"),
)

PROJECT_FIELDS: tuple[Field, ...] = (
    Field("title", DCTERMS.title, "text"),
    Field("description", DCTERMS.description, "text"),
    Field("acronym", GPC.acronym, "string"),
    Field("grant_id", GPC.grantId, "string"),
    Field("programme", GPC.programme, "code", str(PROGRAMME)),
    Field("start_date", SCHEMA.startDate, "date"),
    Field("end_date", SCHEMA.endDate, "date"),
    Field("total_cost", GPC.totalCost, "decimal"),
    Field("eu_contribution", GPC.euContribution, "decimal"),
    Field("coordinator", GPC.coordinator, "ref", "organisation"),
    Field("participants", GPC.participant, "refs", "organisation"),
    Field("countries", DCTERMS.spatial, "codes", str(EU_COUNTRY)),
    Field("themes", DCAT.theme, "codes", str(THEME)),
    Field("landing_page", DCAT.landingPage, "iri"),
)

ORGANISATION_FIELDS: tuple[Field, ...] = (
    Field("name", FOAF.name, "text"),
    Field("country", DCTERMS.spatial, "code", str(EU_COUNTRY)),
    Field("government_level", GPC.governmentLevel, "code", str(GOV_LEVEL)),
    Field("homepage", FOAF.homepage, "iri"),
    Field("identifiers", DCTERMS.identifier, "strings"),
)

CLASSES: dict[str, tuple[URIRef, ...]] = {
    "practice": (ADMS.Asset, DCAT.Resource, GPC.Practice),
    "project": (GPC.Project, FOAF.Project),
    "organisation": (FOAF.Organization, ORG.Organization),
}
FIELDS: dict[str, tuple[Field, ...]] = {
    "practice": PRACTICE_FIELDS,
    "project": PROJECT_FIELDS,
    "organisation": ORGANISATION_FIELDS,
}
MODELS: dict[str, type[Practice] | type[Project] | type[Organisation]] = {
    "practice": Practice,
    "project": Project,
    "organisation": Organisation,
}


class MappingError(ValueError):
    """A graph cannot be read as an entity of the profile."""


# --- model -> RDF ---------------------------------------------------------


def _language_uri(code: str) -> URIRef:
    authority = vocab.language_codes().get(code)
    if authority is None:
        raise MappingError(f"language {code!r} is not in the EU language table")
    return EU_LANGUAGE[authority]


def _write(field: Field, value: Any, uris: Uris) -> Iterable[Any]:
    codec = field.codec
    if codec == "text":
        return (Literal(text, lang=lang) for lang, text in value.items())
    if codec == "keywords":
        return (Literal(w, lang=lang) for lang, words in value.items() for w in words)
    if codec == "strings":
        return (Literal(v) for v in value)
    if codec == "string":
        return (Literal(value),)
    if codec == "codes":
        return (URIRef(field.target + v) for v in value)
    if codec == "code":
        return (URIRef(field.target + value),)
    if codec == "languages":
        return (_language_uri(v) for v in value)
    if codec == "refs":
        return (URIRef(uris.entity(field.target, v)) for v in value)
    if codec == "ref":
        return (URIRef(uris.entity(field.target, value)),)
    if codec == "iris":
        return (URIRef(v) for v in value)
    if codec == "iri":
        return (URIRef(value),)
    if codec == "date":
        return (Literal(value.isoformat(), datatype=XSD.date),)
    if codec == "decimal":
        return (Literal(_decimal_text(value), datatype=XSD.decimal),)
    raise AssertionError(f"unknown codec {codec}")


def _decimal_text(value: Decimal) -> str:
    # Canonical decimal lexical form, so that equal amounts hash equally.
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def entity_uri(entity: Entity, uris: Uris) -> URIRef:
    return URIRef(uris.entity(entity.kind, entity.key))


def to_triples(entity: Entity, uris: Uris) -> list[Triple]:
    """The triples describing one entity."""
    subject = entity_uri(entity, uris)
    triples: list[Triple] = [(subject, RDF.type, cls) for cls in CLASSES[entity.kind]]
    for field in FIELDS[entity.kind]:
        value = getattr(entity, field.name)
        if value is None or value == [] or value == {}:
            continue
        triples.extend((subject, field.predicate, obj) for obj in _write(field, value, uris))
    if isinstance(entity, Practice) and entity.contact is not None:
        triples.extend(_contact_triples(subject, entity))
    return triples


def _contact_triples(subject: URIRef, practice: Practice) -> list[Triple]:
    contact = practice.contact
    assert contact is not None
    node = URIRef(f"{subject}#contact")
    triples: list[Triple] = [(subject, DCAT.contactPoint, node), (node, RDF.type, VCARD.Kind)]
    if contact.name:
        triples.append((node, VCARD.fn, Literal(contact.name)))
    if contact.email:
        triples.append((node, VCARD.hasEmail, URIRef(f"mailto:{contact.email}")))
    if contact.url:
        triples.append((node, VCARD.hasURL, URIRef(contact.url)))
    return triples


# --- RDF -> model ---------------------------------------------------------


def _pick(values: list[Any]) -> Any:
    # Several sources may disagree on a single-valued field: take a
    # deterministic one so that reads are stable.
    return sorted(values, key=str)[0]


def _read(field: Field, objects: list[Any], uris: Uris) -> Any:
    codec = field.codec
    if codec in ("text", "keywords"):
        by_lang: dict[str, list[str]] = {}
        for obj in objects:
            if isinstance(obj, Literal):
                by_lang.setdefault(obj.language or "en", []).append(str(obj))
        if codec == "keywords":
            return by_lang
        return {lang: _pick(texts) for lang, texts in by_lang.items()}
    if codec in ("strings", "string"):
        texts = [str(o) for o in objects if isinstance(o, Literal)]
        return texts if codec == "strings" else (_pick(texts) if texts else None)
    if codec in ("codes", "code"):
        codes = [str(o)[len(field.target):] for o in objects if str(o).startswith(field.target)]
        return codes if codec == "codes" else (_pick(codes) if codes else None)
    if codec == "languages":
        back = {v: k for k, v in vocab.language_codes().items()}
        prefix = str(EU_LANGUAGE)
        return [back[str(o)[len(prefix):]] for o in objects if str(o).startswith(prefix) and str(o)[len(prefix):] in back]
    if codec in ("refs", "ref"):
        keys = [k for k in (uris.key_of(str(o), field.target) for o in objects) if k]
        return keys if codec == "refs" else (_pick(keys) if keys else None)
    if codec in ("iris", "iri"):
        iris = [str(o) for o in objects if isinstance(o, URIRef)]
        return iris if codec == "iris" else (_pick(iris) if iris else None)
    if codec == "date":
        return min(_parse_date(o, field) for o in objects)
    if codec == "decimal":
        return _pick([_parse_decimal(o, field) for o in objects])
    raise AssertionError(f"unknown codec {codec}")


def _parse_date(obj: Any, field: Field) -> date:
    # Sources write dates as xsd:date, xsd:dateTime or plain text: take the day.
    text = str(obj).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise MappingError(f"{field.name}: {text[:40]!r} is not a date (YYYY-MM-DD)") from None


def _parse_decimal(obj: Any, field: Field) -> Decimal:
    text = str(obj).strip()
    try:
        return Decimal(text)
    except InvalidOperation:
        raise MappingError(f"{field.name}: {text[:40]!r} is not a number") from None


def from_graph(graph: Graph, uri: str, uris: Uris) -> Entity:
    """Read one entity of the profile from a graph (raises MappingError)."""
    subject = URIRef(uri)
    kind = next((k for k in ("practice", "project", "organisation") if uris.key_of(uri, k)), None)
    if kind is None:
        raise MappingError(f"{uri} is not one of this catalogue's entity URIs")
    data: dict[str, Any] = {"key": uris.key_of(uri, kind)}
    for field in FIELDS[kind]:
        objects = list(graph.objects(subject, field.predicate))
        if objects:
            value = _read(field, objects, uris)
            if value not in (None, [], {}):
                data[field.name] = value
    if kind == "practice":
        contact = _read_contact(graph, subject)
        if contact:
            data["contact"] = contact
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError as exc:
        raise MappingError(f"{kind} {data['key']}: {explain(exc)}") from None


def _read_contact(graph: Graph, subject: URIRef) -> dict[str, str] | None:
    node = graph.value(subject, DCAT.contactPoint)
    if node is None:
        return None
    contact: dict[str, str] = {}
    if (name := graph.value(node, VCARD.fn)) is not None:
        contact["name"] = str(name)
    if (email := graph.value(node, VCARD.hasEmail)) is not None:
        contact["email"] = str(email).removeprefix("mailto:")
    if (url := graph.value(node, VCARD.hasURL)) is not None:
        contact["url"] = str(url)
    return contact or None


# --- catalogue records and runs -------------------------------------------


def record_triples(record_uri: str, record: CatalogRecord, uris: Uris) -> list[Triple]:
    node = URIRef(record_uri)
    triples: list[Triple] = [
        (node, RDF.type, DCAT.CatalogRecord),
        (node, FOAF.primaryTopic, URIRef(record.primary_topic)),
        (node, DCTERMS.source, URIRef(uris.source(record.source))),
        (node, GPC.originalIdentifier, Literal(record.original_id)),
        (node, DCTERMS.issued, _datetime(record.first_seen)),
        (node, DCTERMS.modified, _datetime(record.modified)),
        (node, GPC.recordStatus, GPC.Active if record.status == "active" else GPC.Withdrawn),
        (node, GPC.contentHash, Literal(record.content_hash)),
    ]
    if record.original_url:
        triples.append((node, GPC.originalUrl, Literal(record.original_url, datatype=XSD.anyURI)))
    if record.run:
        triples.append((node, PROV.wasGeneratedBy, URIRef(record.run)))
    return triples


def _datetime(moment: datetime) -> Literal:
    return Literal(moment.isoformat().replace("+00:00", "Z"), datatype=XSD.dateTime)


def run_triples(run_uri: str, run: HarvestRun, uris: Uris) -> list[Triple]:
    node = URIRef(run_uri)
    triples: list[Triple] = [
        (node, RDF.type, PROV.Activity),
        (node, RDF.type, GPC.HarvestRun),
        (node, PROV.used, URIRef(uris.source(run.source))),
        (node, PROV.startedAtTime, _datetime(run.started)),
        (node, GPC.runStatus, Literal(run.status)),
    ]
    if run.ended:
        triples.append((node, PROV.endedAtTime, _datetime(run.ended)))
    for name, count in run.counts.model_dump().items():
        triples.append((node, GPC[name], Literal(count, datatype=XSD.integer)))
    for n, error in enumerate(run.errors, start=1):
        err = URIRef(f"{run_uri}#error-{n}")
        triples.append((node, GPC.error, err))
        triples.append((err, RDFS.comment, Literal(error.reason)))
        if error.original_id:
            triples.append((err, GPC.originalIdentifier, Literal(error.original_id)))
        if error.original_url:
            triples.append((err, GPC.originalUrl, Literal(error.original_url, datatype=XSD.anyURI)))
    return triples

