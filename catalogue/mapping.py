"""Model <-> RDF for the application profile (docs/profile.md).

Each entity kind is described once, as a table of fields: the field's model
name, its RDF property and how its values are written. `to_lines` (model
to canonical N-Triples, as the store holds it) and `from_graph` both read the
same table, so the two directions cannot drift apart. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox
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
from . import ntriples as nt
from .ntriples import Triple
from .rdfterms import to_rdflib
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


def _language_iri(code: str) -> str:
    authority = vocab.language_codes().get(code)
    if authority is None:
        raise MappingError(f"language {code!r} is not in the EU language table")
    return nt.iri(f"{EU_LANGUAGE}{authority}")


def _write(field: Field, value: Any, uris: Uris) -> Iterable[str]:
    """The field's objects as N-Triples terms."""
    codec = field.codec
    if codec == "text":
        return (nt.literal(text, lang) for lang, text in value.items())
    if codec == "keywords":
        return (nt.literal(w, lang) for lang, words in value.items() for w in words)
    if codec == "strings":
        return (nt.literal(v) for v in value)
    if codec == "string":
        return (nt.literal(value),)
    if codec == "codes":
        return (nt.iri(field.target + v) for v in value)
    if codec == "code":
        return (nt.iri(field.target + value),)
    if codec == "languages":
        return (_language_iri(v) for v in value)
    if codec == "refs":
        return (nt.iri(uris.entity(field.target, v)) for v in value)
    if codec == "ref":
        return (nt.iri(uris.entity(field.target, value)),)
    if codec == "iris":
        return (nt.iri(v) for v in value)
    if codec == "iri":
        return (nt.iri(value),)
    if codec == "date":
        return (nt.literal(value.isoformat(), datatype=_XSD_DATE),)
    if codec == "decimal":
        return (nt.literal(_decimal_text(value), datatype=_XSD_DECIMAL),)
    raise AssertionError(f"unknown codec {codec}")


def _decimal_text(value: Decimal) -> str:
    # Canonical decimal lexical form, so that equal amounts hash equally.
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def to_lines(entity: Entity, uris: Uris) -> list[str]:
    """The entity's description as canonical N-Triples lines (sorted, unique):
    what the store holds and what the content hash is taken over. Written as
    text directly, without rdflib terms: this is the harvest's hot path."""
    subject = nt.iri(uris.entity(entity.kind, entity.key))
    out = [f"{subject} {_RDF_TYPE} {cls} ." for cls in _CLASS_TERMS[entity.kind]]
    for field, predicate in _FIELD_TERMS[entity.kind]:
        value = getattr(entity, field.name)
        if value is None or value == [] or value == {}:
            continue
        out.extend(f"{subject} {predicate} {obj} ." for obj in _write(field, value, uris))
    if isinstance(entity, Practice) and entity.contact is not None:
        out.extend(_contact_lines(subject, entity))
    return sorted(set(out))


def to_triples(entity: Entity, uris: Uris) -> list[Triple]:
    """The same description as rdflib triples (for graphs and serialisers)."""
    parsed = ox.parse("\n".join(to_lines(entity, uris)).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)
    return [(to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)) for t in parsed]


def _contact_lines(subject: str, practice: Practice) -> list[str]:
    contact = practice.contact
    assert contact is not None
    node = subject[:-1] + "#contact>"
    out = [f"{subject} {_CONTACT_POINT} {node} .", f"{node} {_RDF_TYPE} {_VCARD_KIND} ."]
    if contact.name:
        out.append(f"{node} {_VCARD_FN} {nt.literal(contact.name)} .")
    if contact.email:
        out.append(f"{node} {_VCARD_EMAIL} {nt.iri(f'mailto:{contact.email}')} .")
    if contact.url:
        out.append(f"{node} {_VCARD_URL} {nt.iri(contact.url)} .")
    return out


_XSD_DATE = str(XSD.date)
_XSD_DECIMAL = str(XSD.decimal)
_XSD_DATETIME = str(XSD.dateTime)
_RDF_TYPE = nt.iri(str(RDF.type))
_CONTACT_POINT = nt.iri(str(DCAT.contactPoint))
_VCARD_KIND = nt.iri(str(VCARD.Kind))
_VCARD_FN = nt.iri(str(VCARD.fn))
_VCARD_EMAIL = nt.iri(str(VCARD.hasEmail))
_VCARD_URL = nt.iri(str(VCARD.hasURL))
_CLASS_TERMS = {kind: tuple(nt.iri(str(c)) for c in classes) for kind, classes in CLASSES.items()}
_FIELD_TERMS = {kind: tuple((f, nt.iri(str(f.predicate))) for f in fields) for kind, fields in FIELDS.items()}


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
    # One pass over the subject's statements instead of one look-up per
    # field (27 for a practice, most of them empty): objects keep their order.
    by_predicate: dict[Any, list[Any]] = {}
    for predicate, obj in graph.predicate_objects(subject):
        by_predicate.setdefault(predicate, []).append(obj)
    for field in FIELDS[kind]:
        objects = by_predicate.get(field.predicate)
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


def record_lines(record_uri: str, record: CatalogRecord, uris: Uris) -> list[str]:
    """The catalogue record's own description (canonical N-Triples lines)."""
    node = nt.iri(record_uri)
    status = _ACTIVE if record.status == "active" else _WITHDRAWN
    pairs = [
        (_RDF_TYPE, _CATALOG_RECORD),
        (_PRIMARY_TOPIC, nt.iri(record.primary_topic)),
        (_SOURCE, nt.iri(uris.source(record.source))),
        (_ORIGINAL_ID, nt.literal(record.original_id)),
        (_ISSUED, _datetime(record.first_seen)),
        (_MODIFIED, _datetime(record.modified)),
        (_RECORD_STATUS, status),
        (_CONTENT_HASH, nt.literal(record.content_hash)),
    ]
    if record.original_url:
        pairs.append((_ORIGINAL_URL, nt.literal(record.original_url, datatype=_XSD_ANYURI)))
    if record.run:
        pairs.append((_GENERATED_BY, nt.iri(record.run)))
    return sorted({f"{node} {p} {o} ." for p, o in pairs})


_CATALOG_RECORD = nt.iri(str(DCAT.CatalogRecord))
_PRIMARY_TOPIC = nt.iri(str(FOAF.primaryTopic))
_SOURCE = nt.iri(str(DCTERMS.source))
_ORIGINAL_ID = nt.iri(str(GPC.originalIdentifier))
_ORIGINAL_URL = nt.iri(str(GPC.originalUrl))
_ISSUED = nt.iri(str(DCTERMS.issued))
_MODIFIED = nt.iri(str(DCTERMS.modified))
_RECORD_STATUS = nt.iri(str(GPC.recordStatus))
_ACTIVE = nt.iri(str(GPC.Active))
_WITHDRAWN = nt.iri(str(GPC.Withdrawn))
_CONTENT_HASH = nt.iri(str(GPC.contentHash))
_GENERATED_BY = nt.iri(str(PROV.wasGeneratedBy))
_XSD_ANYURI = str(XSD.anyURI)


def _datetime(moment: datetime) -> str:
    # isoformat() is the form rdflib reads these literals back in ("+00:00",
    # not "Z"), so a record read from the store gives the lines written.
    return nt.literal(moment.isoformat(), datatype=_XSD_DATETIME)


def run_lines(run_uri: str, run: HarvestRun, uris: Uris) -> list[str]:
    """A harvest run as a prov:Activity (canonical N-Triples lines)."""
    node = nt.iri(run_uri)
    lines = [
        f"{node} {_RDF_TYPE} {nt.iri(str(PROV.Activity))} .",
        f"{node} {_RDF_TYPE} {nt.iri(str(GPC.HarvestRun))} .",
        f"{node} {nt.iri(str(PROV.used))} {nt.iri(uris.source(run.source))} .",
        f"{node} {nt.iri(str(PROV.startedAtTime))} {_datetime(run.started)} .",
        f"{node} {nt.iri(str(GPC.runStatus))} {nt.literal(run.status)} .",
    ]
    if run.ended:
        lines.append(f"{node} {nt.iri(str(PROV.endedAtTime))} {_datetime(run.ended)} .")
    for name, count in run.counts.model_dump().items():
        lines.append(f"{node} {nt.iri(str(GPC[name]))} {nt.literal(str(count), datatype=str(XSD.integer))} .")
    for n, error in enumerate(run.errors, start=1):
        err = nt.iri(f"{run_uri}#error-{n}")
        lines.append(f"{node} {nt.iri(str(GPC.error))} {err} .")
        lines.append(f"{err} {nt.iri(str(RDFS.comment))} {nt.literal(error.reason)} .")
        if error.original_id:
            lines.append(f"{err} {_ORIGINAL_ID} {nt.literal(error.original_id)} .")
        if error.original_url:
            lines.append(f"{err} {_ORIGINAL_URL} {nt.literal(error.original_url, datatype=_XSD_ANYURI)} .")
    return sorted(set(lines))
