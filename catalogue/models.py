"""The application profile in Python: what a practice, project, organisation,
catalogue record and harvest run are.

These models are the boundary between harvesters and the rest of the
catalogue: a harvester produces them, `catalogue.mapping` turns them into RDF
and back. Language-tagged text is a `{lang: text}` dict; references to other
entities are keys (the `{key}` of `{base}/id/{type}/{key}`), references to
concepts are the concept's code in our SKOS schemes (`vocab/`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# Keys become URI path segments: keep them to a safe, readable alphabet.
KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,199}$"
LANG_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"

Key = Annotated[str, Field(pattern=KEY_PATTERN)]
Code = Annotated[str, Field(pattern=CODE_PATTERN)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="EU authority-table country code, e.g. ITA")]
NutsCode = Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z0-9]{0,3}$", description="NUTS code, e.g. ITC45")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 code, e.g. it")]
Url = Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2000)]


def _clean_text_map(value: dict[str, str]) -> dict[str, str]:
    """Drop empty values; refuse malformed language tags."""
    cleaned: dict[str, str] = {}
    for lang, text in value.items():
        if not LANG_PATTERN.match(lang):
            raise ValueError(f"invalid language tag {lang!r}")
        text = text.strip()
        if text:
            cleaned[lang.lower()] = text
    return cleaned


LangText = Annotated[dict[str, str], AfterValidator(_clean_text_map)]
"""Text in one or more languages: {"en": "...", "fr": "..."}."""


def _required(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError("required: give the text in at least one language")
    return value


RequiredLangText = Annotated[LangText, AfterValidator(_required)]


def _clean_keywords(value: dict[str, list[str]]) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for lang, words in value.items():
        if not LANG_PATTERN.match(lang):
            raise ValueError(f"invalid language tag {lang!r}")
        kept = sorted({w.strip() for w in words if w.strip()})
        if kept:
            cleaned[lang.lower()] = kept
    return cleaned


LangKeywords = Annotated[dict[str, list[str]], AfterValidator(_clean_keywords)]


def _sorted_unique(value: list[str]) -> list[str]:
    # Multi-valued RDF properties have no order: keep lists canonical so that
    # model -> RDF -> model is the identity.
    return sorted(set(value))


def SortedSet(item: object) -> object:  # noqa: N802 - reads as a type
    return Annotated[list[item], AfterValidator(_sorted_unique)]  # type: ignore[valid-type]


def _in_scheme(scheme: str) -> AfterValidator:
    """Codes must be concepts of one of our SKOS schemes (vocab/)."""

    def check(value: object) -> object:
        import vocab

        known = vocab.concept_codes(scheme)
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v is not None and v not in known]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))} not in the {scheme} scheme; known: {', '.join(sorted(known))}")
        return value

    return AfterValidator(check)


ThemeCode = Annotated[Code, _in_scheme("theme")]
TypeCode = Annotated[Code, _in_scheme("practice-type")]
MaturityCode = Annotated[Code, _in_scheme("maturity")]
LevelCode = Annotated[Code, _in_scheme("government-level")]
ProgrammeCode = Annotated[Code, _in_scheme("programme")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


class ContactPoint(Model):
    """A vCard contact point: who to ask about reusing a practice."""

    name: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    url: Url | None = None

    @field_validator("name")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _not_empty(self) -> ContactPoint:
        if not (self.name or self.email or self.url):
            raise ValueError("a contact point needs a name, an email or a URL")
        return self


class Organisation(Model):
    """A public body, company, university or NGO."""

    kind: Literal["organisation"] = "organisation"
    key: Key
    name: RequiredLangText = Field(description="Name in one or more languages.")
    country: CountryCode | None = None
    government_level: LevelCode | None = Field(default=None, description="Concept code in the government-level scheme.")
    homepage: Url | None = None
    identifiers: SortedSet(str) = Field(default_factory=list, description="Registration numbers, PIC, VAT ...")  # type: ignore[valid-type]



class Project(Model):
    """An EU-funded or national project that produced practices."""

    kind: Literal["project"] = "project"
    key: Key
    acronym: str | None = Field(default=None, max_length=100)
    title: RequiredLangText
    description: LangText = Field(default_factory=dict)
    grant_id: str | None = Field(default=None, max_length=100, description="Grant agreement number, e.g. 959201.")
    programme: ProgrammeCode | None = Field(default=None, description="Concept code in the programme scheme, e.g. h2020.")
    start_date: date | None = None
    end_date: date | None = None
    total_cost: Decimal | None = Field(default=None, ge=0, description="Total cost in EUR.")
    eu_contribution: Decimal | None = Field(default=None, ge=0, description="EU contribution in EUR.")
    coordinator: Key | None = Field(default=None, description="Organisation key.")
    participants: SortedSet(Key) = Field(default_factory=list)  # type: ignore[valid-type]
    countries: SortedSet(CountryCode) = Field(default_factory=list)  # type: ignore[valid-type]
    landing_page: Url | None = None
    themes: SortedSet(ThemeCode) = Field(default_factory=list)  # type: ignore[valid-type]



class Practice(Model):
    """A reusable public-sector good practice: an ADMS asset with what an
    administration needs to judge whether to reuse it."""

    kind: Literal["practice"] = "practice"
    key: Key
    title: RequiredLangText
    description: LangText = Field(default_factory=dict)
    keywords: LangKeywords = Field(default_factory=dict)
    # What the case libraries collect and nobody publishes as linked data.
    problem: LangText = Field(default_factory=dict, description="The problem the practice addresses.")
    solution: LangText = Field(default_factory=dict, description="How the practice solves it.")
    results: LangText = Field(default_factory=dict, description="Results and evidence of impact.")
    costs: LangText = Field(default_factory=dict, description="Costs and effort to implement.")
    transfer_conditions: LangText = Field(default_factory=dict, description="Conditions for transfer and reuse.")
    lessons: LangText = Field(default_factory=dict, description="Constraints and lessons learned.")
    technologies: SortedSet(str) = Field(default_factory=list)  # type: ignore[valid-type]
    # Classification by our SKOS schemes.
    practice_types: SortedSet(TypeCode) = Field(default_factory=list)  # type: ignore[valid-type]
    themes: SortedSet(ThemeCode) = Field(default_factory=list)  # type: ignore[valid-type]
    maturity: MaturityCode | None = None
    government_levels: SortedSet(LevelCode) = Field(default_factory=list)  # type: ignore[valid-type]
    # Where.
    countries: SortedSet(CountryCode) = Field(default_factory=list)  # type: ignore[valid-type]
    regions: SortedSet(NutsCode) = Field(default_factory=list)  # type: ignore[valid-type]
    cities: SortedSet(str) = Field(default_factory=list)  # type: ignore[valid-type]
    languages: SortedSet(LanguageCode) = Field(default_factory=list)  # type: ignore[valid-type]
    # Who.
    publisher: Key | None = Field(default=None, description="Organisation that publishes the practice.")
    creators: SortedSet(Key) = Field(default_factory=list)  # type: ignore[valid-type]
    reused_by: SortedSet(Key) = Field(default_factory=list)  # type: ignore[valid-type]
    projects: SortedSet(Key) = Field(default_factory=list)  # type: ignore[valid-type]
    contact: ContactPoint | None = None
    # Links and dates.
    landing_page: Url | None = None
    documents: SortedSet(Url) = Field(default_factory=list)  # type: ignore[valid-type]
    license: Url | None = None
    issued: date | None = None
    modified: date | None = None



Entity = Practice | Project | Organisation


def explain(exc: ValidationError) -> str:
    """A validation error as one sentence per problem: 'title: Field required'."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "record"
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


class SourceRecord(Model):
    """One record as a harvester yields it: the entities of one source record
    (a practice with its organisations, a project with its participants ...).

    The first entity is the record's primary topic."""

    original_id: str = Field(min_length=1, max_length=500)
    original_url: str | None = Field(default=None, max_length=2000)
    source_modified: datetime | None = None
    entities: list[Annotated[Entity, Field(discriminator="kind")]] = Field(min_length=1)
    source_lines: list[str] = Field(
        default_factory=list,
        description="The source's own triples kept beside the mapped ones, as canonical N-Triples lines; "
        "the primary entity is written <urn:gpc:primary> (and its own nodes <urn:gpc:primary#...>).",
    )


class RecordFailure(Model):
    """A record the harvester could read but not map: it fails alone."""

    original_id: str
    original_url: str | None = None
    reason: str


class RecordSkipped(Model):
    """A record the harvester leaves out on purpose (filtered, deleted or
    private at the source), with the reason: counted as skipped."""

    original_id: str
    original_url: str | None = None
    reason: str


RecordStatus = Literal["active", "withdrawn"]


class CatalogRecord(Model):
    """Provenance of one harvested record (a dcat:CatalogRecord)."""

    source: str
    original_id: str
    original_url: str | None = None
    primary_topic: str = Field(description="URI of the entity the record describes.")
    first_seen: datetime
    modified: datetime
    status: RecordStatus = "active"
    content_hash: str
    run: str | None = Field(default=None, description="URI of the harvest run that last wrote the record.")


class Counts(Model):
    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    failed: int = 0
    skipped: int = 0


class RecordError(Model):
    original_id: str | None = None
    original_url: str | None = None
    reason: str


class HarvestRun(Model):
    """One run of one source (a prov:Activity)."""

    source: str
    started: datetime
    ended: datetime | None = None
    status: Literal["ok", "partial", "failed"] = "ok"
    counts: Counts = Field(default_factory=Counts)
    errors: list[RecordError] = Field(default_factory=list)
