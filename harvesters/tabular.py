"""Lists kept by administrations as CSV, JSON or XLSX, with a column mapping.

In sources.toml, `entity` says what each row is (`practice` or `project`) and
`[source.columns]` maps the fields below to the file's own column names.
Multi-valued cells are split on `separator`; text is in the row's language
(`lang` column) or the source's `lang`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

import vocab
from catalogue.models import ContactPoint, Organisation, Practice, Project, RecordFailure, SourceRecord, explain
from catalogue.uris import mint_key, organisation_key, project_key_for_grant

from .base import Harvester, Item, Options, SourceError, fetch
from .xlsx import xlsx_rows

# Fields a column can feed, per entity. Text fields take the row's language.
PRACTICE_TEXT = ("title", "description", "problem", "solution", "results", "costs", "transfer_conditions", "lessons")
PRACTICE_LISTS = (
    "practice_types", "themes", "government_levels", "countries", "regions", "cities",
    "languages", "technologies", "documents",
)  # fmt: skip
PRACTICE_SINGLE = ("maturity", "landing_page", "license", "issued")
PRACTICE_EXTRA = (
    "keywords", "year", "project_grants", "organisation", "organisation_level",
    "organisation_website", "contact_name", "contact_email", "contact_url",
)  # fmt: skip
PROJECT_FIELDS = (
    "acronym", "title", "description", "programme", "start_date", "end_date", "total_cost",
    "eu_contribution", "coordinator", "coordinator_country", "participants",
    "participant_countries", "countries", "landing_page", "themes",
)  # fmt: skip
KNOWN = {
    "practice": {"id", "lang", *PRACTICE_TEXT, *PRACTICE_LISTS, *PRACTICE_SINGLE, *PRACTICE_EXTRA},
    "project": {"id", "lang", *PROJECT_FIELDS},
}
# Programmes whose projects carry a CORDIS grant id.
CORDIS_PROGRAMMES = {"fp7", "cip", "h2020", "horizon-europe", "digital-europe"}


class TabularOptions(Options):
    entity: Literal["practice", "project"]
    format: Literal["csv", "json", "xlsx"] | None = None
    sheet: str | None = None  # XLSX: the sheet to read (default: the first)
    columns: dict[str, str] = Field(description="field -> column name")
    lang: str = "en"
    separator: str = ";"
    delimiter: str = ","
    key_prefix: str | None = None

    @field_validator("columns")
    @classmethod
    def _needs_id(cls, value: dict[str, str]) -> dict[str, str]:
        if "id" not in value:
            raise ValueError("the column mapping needs an 'id' column")
        return value

    @model_validator(mode="after")
    def _known_fields(self) -> TabularOptions:
        unknown = sorted(set(self.columns) - KNOWN[self.entity])
        if unknown:
            raise ValueError(
                f"columns: unknown field(s) {unknown} for entity {self.entity!r}; known: {sorted(KNOWN[self.entity])}"
            )
        return self


class TabularHarvester(Harvester):
    kind = "tabular"
    Options = TabularOptions
    options: TabularOptions

    def records(self) -> Iterator[Item]:
        fetched = fetch(self.source.url, self.ctx, accept=ACCEPT, conditional=True)
        fmt = self.options.format or _format_of(fetched.location)
        # The whole file is parsed before the first record is taken, so a
        # file broken half-way changes nothing; the body is dropped after.
        rows: _CsvRows | list[dict[str, Any]]
        if fmt == "json":
            rows = _json_rows(fetched.body)
        elif fmt == "xlsx":
            rows = _CsvRows(*xlsx_rows(fetched.body, self.options.sheet, self.ctx.max_bytes))
        else:
            rows = _csv_rows(fetched.body, self.options.delimiter)
        del fetched
        self.expected = len(rows)
        mapper = RowMapper(
            self.options.entity, self.options.columns, self.options.lang, self.options.separator,
            self.options.key_prefix or self.source.name,
        )  # fmt: skip
        yield from mapper.items(rows, first_number=1 if fmt == "json" else 2)  # spreadsheet row numbers


class RowMapper:
    """Rows (dicts) to entities through a column mapping: shared by the
    tabular harvester and the SPARQL harvester's SELECT results."""

    def __init__(self, entity: str, columns: dict[str, str], lang: str, separator: str, prefix: str) -> None:
        self.entity = entity
        self.columns = columns
        self.lang = lang
        self.separator = separator
        self.prefix = prefix

    def items(self, rows: Iterable[dict[str, Any]], first_number: int = 1) -> Iterator[Item]:
        id_column = self.columns["id"]
        for number, row in enumerate(rows, start=first_number):
            original = str(row.get(id_column) or "").strip()
            if not original:
                yield RecordFailure(original_id=f"row {number}", reason=f"row {number}: empty id column {id_column!r}")
                continue
            try:
                entities = self.row(row)
                yield SourceRecord(original_id=original, original_url=_url(row, self.columns), entities=entities)
            except (ValidationError, ValueError) as exc:
                yield RecordFailure(original_id=original, original_url=_url(row, self.columns), reason=_reason(exc))

    # --- rows -> entities -------------------------------------------------

    def _cell(self, row: dict[str, Any], field: str) -> str:
        column = self.columns.get(field)
        value = row.get(column) if column else None
        return "" if value is None else str(value).strip()

    def _list(self, row: dict[str, Any], field: str) -> list[str]:
        column = self.columns.get(field)
        raw = row.get(column) if column else None
        if isinstance(raw, list):  # JSON sources may already hold lists
            values = [str(v).strip() for v in raw if v is not None and str(v).strip()]
        else:
            cell = self._cell(row, field)
            values = [part.strip() for part in cell.split(self.separator) if part.strip()] if cell else []
        if field in ("countries", "participant_countries"):
            values = [country_code(v) for v in values]
        return values

    def row(self, row: dict[str, Any]) -> list[Practice | Project | Organisation]:
        if self.entity == "project":
            return self._project(row)
        return self._practice(row)

    def _practice(self, row: dict[str, Any]) -> list[Practice | Project | Organisation]:
        lang = self._cell(row, "lang").lower() or self.lang
        prefix = self.prefix
        data: dict[str, Any] = {"key": mint_key(prefix, self._cell(row, "id"))}
        for field in PRACTICE_TEXT:
            if text := self._cell(row, field):
                data[field] = {lang: text}
        for field in PRACTICE_LISTS:
            if values := self._list(row, field):
                data[field] = values
        for field in ("maturity", "landing_page", "license"):
            if value := self._cell(row, field):
                data[field] = value
        if issued := self._cell(row, "issued"):
            data["issued"] = issued
        elif year := self._cell(row, "year"):
            data["issued"] = _year_date(year)
        if keywords := self._list(row, "keywords"):
            data["keywords"] = {lang: keywords}
        grants = self._list(row, "project_grants")
        if grants:
            data["projects"] = [project_key_for_grant(g) for g in grants]
        contact = {
            "name": self._cell(row, "contact_name") or None,
            "email": self._cell(row, "contact_email") or None,
            "url": self._cell(row, "contact_url") or None,
        }
        if any(contact.values()):
            data["contact"] = ContactPoint(**contact)
        entities: list[Practice | Project | Organisation] = []
        if org_name := self._cell(row, "organisation"):
            country = (data.get("countries") or [None])[0]
            org = Organisation(
                key=organisation_key(org_name, country),
                name={lang: org_name},
                country=country,
                government_level=self._cell(row, "organisation_level") or None,
                homepage=self._cell(row, "organisation_website") or None,
            )
            data["publisher"] = org.key
            entities.append(org)
        return [Practice.model_validate(data), *entities]

    def _project(self, row: dict[str, Any]) -> list[Practice | Project | Organisation]:
        lang = self._cell(row, "lang").lower() or self.lang
        ident = self._cell(row, "id")
        programme = self._cell(row, "programme") or None
        cordis = programme in CORDIS_PROGRAMMES and ident.isdigit()
        prefix = self.prefix
        data: dict[str, Any] = {
            "key": project_key_for_grant(ident) if cordis else mint_key(prefix, ident),
            "grant_id": ident if cordis else None,
            "programme": programme,
        }
        for field in ("title", "description"):
            if text := self._cell(row, field):
                data[field] = {lang: text}
        for field in ("acronym", "start_date", "end_date", "total_cost", "eu_contribution", "landing_page"):
            if value := self._cell(row, field):
                data[field] = value
        for field in ("countries", "themes"):
            if values := self._list(row, field):
                data[field] = values
        organisations: dict[str, Organisation] = {}
        if name := self._cell(row, "coordinator"):
            country = country_code(self._cell(row, "coordinator_country")) or None
            coordinator = Organisation(key=organisation_key(name, country), name={lang: name}, country=country)
            organisations[coordinator.key] = coordinator
            data["coordinator"] = coordinator.key
        names = self._list(row, "participants")
        countries = self._list(row, "participant_countries")
        # Countries pair with participants only when the lists line up.
        paired = countries if len(countries) == len(names) else [None] * len(names)
        for name, country in zip(names, paired, strict=True):
            org = Organisation(key=organisation_key(name, country), name={lang: name}, country=country)
            organisations.setdefault(org.key, org)
        data["participants"] = sorted(k for k in organisations if k != data.get("coordinator"))
        if not data.get("countries"):
            data["countries"] = sorted({o.country for o in organisations.values() if o.country})
        return [Project.model_validate(data), *organisations.values()]


def country_code(code: str) -> str:
    """Alpha-2 codes (and Greece's EL) to the EU authority table's alpha-3."""
    code = code.strip().upper()
    if len(code) == 2:
        return vocab.country_codes().get(_ALPHA2_ALIASES.get(code, code), code)
    return code


# EU usage for two codes that ISO spells otherwise (CORDIS writes both).
_ALPHA2_ALIASES = {"EL": "GR", "UK": "GB"}


def _year_date(year: str) -> date:
    if not (year.isdigit() and len(year) == 4):
        raise ValueError(f"year {year!r} is not a four-digit year")
    return date(int(year), 1, 1)


def _url(row: dict[str, Any], columns: dict[str, str]) -> str | None:
    for field in ("landing_page",):
        column = columns.get(field)
        if column and str(row.get(column) or "").startswith(("http://", "https://")):
            return str(row[column]).strip()
    return None


def _reason(exc: Exception) -> str:
    return explain(exc) if isinstance(exc, ValidationError) else str(exc)


ACCEPT = "text/csv, application/json;q=0.9, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;q=0.8"


def _format_of(location: str) -> str:
    name = location.lower().split("?", 1)[0]
    if name.endswith(".json"):
        return "json"
    if name.endswith(".xlsx"):
        return "xlsx"
    return "csv"


class _CsvRows:
    """Parsed CSV (or XLSX) rows kept as lists, each seen as a dict (header -> cell)
    when read: a tenth of the memory of a list of dicts at 100,000 rows."""

    def __init__(self, header: list[str], rows: list[list[str]]) -> None:
        self.header = header
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self._as_dict(r) for r in self.rows)

    def _as_dict(self, cells: list[str]) -> dict[str, Any]:
        # As csv.DictReader: missing cells are None, extra ones go under None.
        row: dict[Any, Any] = dict(zip(self.header, cells))
        if len(cells) < len(self.header):
            row.update(dict.fromkeys(self.header[len(cells) :]))
        elif len(cells) > len(self.header):
            row[None] = cells[len(self.header) :]
        return row


def _csv_rows(body: bytes, delimiter: str) -> _CsvRows:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        # Blank lines are no rows, as for csv.DictReader.
        rows = [cells for cells in reader if cells] if header else []
    except csv.Error as exc:
        raise SourceError(f"unreadable CSV: {exc}") from None
    if not header:
        raise SourceError("empty CSV file: no header row")
    return _CsvRows(header, rows)


def _json_rows(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"not valid JSON: {exc}") from None
    if isinstance(data, dict):
        # Common wrappers: {"items": [...]}, {"data": [...]}, {"results": [...]}
        data = next((data[k] for k in ("items", "data", "results", "records") if isinstance(data.get(k), list)), None)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise SourceError("JSON must be a list of objects (or an object with an 'items' list)")
    return data
