"""CORDIS bulk project files, as the Commission publishes them for H2020 and
Horizon Europe (`cordis-h2020projects-{csv,json,xml}.zip`,
`cordis-HORIZONprojects-...`).

`url` names the projects file (`project.csv`, `project.json`, an XML file
or a folder of them) or the zip holding it; `organizations` names the
organisations file (`organization.csv` / `.json` / `.xml`), which a zip
usually holds beside the projects. CSV files are `;`-separated and quoted,
with decimal commas in amounts; JSON files are lists of objects with the same
field names; XML files hold `project` elements with those names as children
(any namespace), and the organisations either in a separate file or inside
each project (`relations/associations/organization`, with a `type` of
coordinator / participant).

Each project becomes a project keyed by its grant id (`grant-{id}`, the same
key every other source gives it), with acronym, title, objective (HTML
removed), programme (from `frameworkProgramme`: H2020, HORIZON, FP7),
dates, total cost, EU contribution, coordinator, participants and their
countries, and its CORDIS page as landing page. `topics` and
`legal_basis` (lists of prefixes) keep only some projects; the others are
skipped with the reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any, Literal
from xml.etree import ElementTree

from pydantic import Field, ValidationError

from catalogue.dedupe import doi_of, grant_from_doi
from catalogue.models import Organisation, Project, RecordFailure, RecordSkipped, SourceRecord, explain
from catalogue.uris import organisation_key, project_key_for_grant

from .base import Harvester, Item, Options, SourceError, fetch
from .ckan import _plain
from .tabular import country_code

PROGRAMMES = {"H2020": "h2020", "HORIZON": "horizon-europe", "HORIZON EUROPE": "horizon-europe", "FP7": "fp7"}
LANDING = "https://cordis.europa.eu/project/id/{id}"
Format = Literal["csv", "json", "xml"]


class CordisOptions(Options):
    organizations: str | None = Field(default=None, description="URL or path of the organisations file (else found in the zip).")
    format: Format | None = None
    programme: Literal["h2020", "horizon-europe", "fp7"] | None = Field(
        default=None, description="Programme when the file does not say (frameworkProgramme)."
    )
    topics: list[str] = Field(default_factory=list, description="Keep projects whose topic starts with one of these.")
    legal_basis: list[str] = Field(default_factory=list, description="Keep projects whose legal basis starts with one of these.")
    lang: str = Field(default="en", pattern=r"^[a-z]{2}$")


class CordisHarvester(Harvester):
    kind = "cordis"
    Options = CordisOptions
    options: CordisOptions

    def records(self) -> Iterator[Item]:
        # Conditional only when one file holds everything (a zip, or projects alone).
        conditional = self.options.organizations is None
        accept = "application/zip, text/csv, application/json, application/xml"
        fetched = fetch(self.source.url, self.ctx, accept=accept, conditional=conditional)
        projects, organisations = self._tables(fetched.body, fetched.location)
        by_project: dict[str, list[dict[str, Any]]] = {}
        for org in organisations:
            by_project.setdefault(_text(org.get("projectID")), []).append(org)
        self.expected = len(projects)
        for number, row in enumerate(projects, start=1):
            yield self._project(row, number, by_project)

    # --- reading the files --------------------------------------------------

    def _tables(self, body: bytes, location: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if body[:4] == b"PK\x03\x04":
            return self._zip(body, location)
        fmt = self.options.format or _format_of(location, body)
        projects = _rows(body, fmt, location, "project")
        organisations: list[dict[str, Any]] = []
        if self.options.organizations:
            org_file = fetch(self.options.organizations, self.ctx, accept="text/csv, application/json, application/xml")
            org_fmt = self.options.format or _format_of(org_file.location, org_file.body)
            organisations = _rows(org_file.body, org_fmt, org_file.location, "organization")
        elif fmt == "xml":
            organisations = _xml_nested_organisations(body, location)
        return projects, organisations

    def _zip(self, body: bytes, location: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(body))
        except zipfile.BadZipFile as exc:
            raise SourceError(f"{location}: not a readable zip: {exc}") from None
        names = sorted(n for n in archive.namelist() if not n.endswith("/"))
        total = sum(i.file_size for i in archive.infolist())
        if total > self.ctx.max_bytes * 10:
            raise SourceError(f"{location}: the zip unpacks to {total} bytes, over ten times the download cap")

        def pick(stem: str) -> list[str]:
            return [n for n in names if PurePosixPath(n).stem.lower() == stem and PurePosixPath(n).suffix in (".csv", ".json", ".xml")]

        project_files = pick("project") or [n for n in names if n.lower().endswith(".xml")]
        if not project_files:
            raise SourceError(f"{location}: no project.csv / project.json / XML files in the zip (has: {', '.join(names[:10])})")
        projects: list[dict[str, Any]] = []
        organisations: list[dict[str, Any]] = []
        for name in project_files:
            data = archive.read(name)
            fmt = self.options.format or _format_of(name, data)
            projects += _rows(data, fmt, f"{location}!{name}", "project")
            if fmt == "xml":
                organisations += _xml_nested_organisations(data, name)
        for name in pick("organization"):
            data = archive.read(name)
            organisations += _rows(data, self.options.format or _format_of(name, data), f"{location}!{name}", "organization")
        return projects, organisations

    # --- one project ----------------------------------------------------------

    def _project(self, row: dict[str, Any], number: int, by_project: dict[str, list[dict[str, Any]]]) -> Item:
        ident = _text(row.get("id"))
        doi_grant = grant_from_doi(doi_of(_text(row.get("grantDoi"))))
        if not ident:
            ident = doi_grant or ""
        if not ident.isdigit():
            original = ident or f"project {number}"
            return RecordFailure(original_id=original, reason=f"project {number}: the id {ident!r} is not a grant number")
        url = LANDING.format(id=ident)
        topics = _text(row.get("topics"))
        if self.options.topics and not any(t.strip().startswith(tuple(self.options.topics)) for t in topics.split(";")):
            return RecordSkipped(original_id=ident, original_url=url, reason=f"topic {topics or '(none)'} is not among the selected topics")
        basis = _text(row.get("legalBasis"))
        if self.options.legal_basis and not basis.startswith(tuple(self.options.legal_basis)):
            return RecordSkipped(original_id=ident, original_url=url, reason=f"legal basis {basis or '(none)'} is not selected")
        lang = self.options.lang
        try:
            programme = PROGRAMMES.get(_text(row.get("frameworkProgramme")).upper()) or self.options.programme
            data: dict[str, Any] = {
                "key": project_key_for_grant(ident),
                "grant_id": ident,
                "acronym": _text(row.get("acronym")) or None,
                "title": {lang: _text(row.get("title"))},
                "description": {lang: _plain(_text(row.get("objective")))},
                "programme": programme,
                "start_date": _text(row.get("startDate"))[:10] or None,
                "end_date": _text(row.get("endDate"))[:10] or None,
                "total_cost": _amount(row.get("totalCost"), "totalCost"),
                "eu_contribution": _amount(row.get("ecMaxContribution"), "ecMaxContribution"),
                "landing_page": url,
            }
            organisations: dict[str, Organisation] = {}
            coordinator = None
            for org in sorted(by_project.get(ident, []), key=lambda o: (_text(o.get("order")).zfill(6), _text(o.get("name")))):
                name = _text(org.get("name") or org.get("legalName"))
                if not name:
                    continue
                country = country_code(_text(org.get("country"))) or None
                pic = _text(org.get("organisationID"))
                entity = Organisation(
                    key=organisation_key(name, country),
                    name={lang: name},
                    country=country if country and re.fullmatch(r"[A-Z]{3}", country) else None,
                    homepage=_url(org.get("organizationURL")),
                    identifiers=[f"PIC:{pic}"] if pic else [],
                )
                known = organisations.get(entity.key)
                if known is not None and entity.identifiers:
                    entity = known.model_copy(update={"identifiers": sorted({*known.identifiers, *entity.identifiers})})
                organisations[entity.key] = entity
                if _text(org.get("role")).lower() == "coordinator" and coordinator is None:
                    coordinator = entity.key
            data["coordinator"] = coordinator
            data["participants"] = sorted(k for k in organisations if k != coordinator)
            data["countries"] = sorted({o.country for o in organisations.values() if o.country})
            project = Project.model_validate({k: v for k, v in data.items() if v not in (None, "", {lang: ""})})
        except ValidationError as exc:
            return RecordFailure(original_id=ident, original_url=url, reason=explain(exc))
        except ValueError as exc:
            return RecordFailure(original_id=ident, original_url=url, reason=str(exc))
        return SourceRecord(original_id=ident, original_url=url, entities=[project, *organisations.values()])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _url(value: Any) -> str | None:
    text = _text(value)
    if text and not text.startswith(("http://", "https://")) and "." in text and " " not in text:
        text = f"http://{text}"
    return text if re.fullmatch(r"https?://\S+", text) else None


def _amount(value: Any, name: str) -> Decimal | None:
    if value is None or _text(value) == "":
        return None
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    text = _text(value).replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # CORDIS CSV writes decimal commas
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{name}: {text[:40]!r} is not an amount") from None


def _format_of(location: str, body: bytes) -> Format:
    lowered = location.lower().split("?", 1)[0]
    for ext in ("csv", "json", "xml"):
        if lowered.endswith(f".{ext}"):
            return ext  # type: ignore[return-value]
    head = body.lstrip()[:1]
    return "json" if head in (b"[", b"{") else "xml" if head == b"<" else "csv"


def _rows(body: bytes, fmt: Format, location: str, element: str) -> list[dict[str, Any]]:
    if fmt == "json":
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceError(f"{location}: not valid JSON: {exc}") from None
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), None)
        if not isinstance(data, list):
            raise SourceError(f"{location}: expected a JSON list of {element}s")
        return [r for r in data if isinstance(r, dict)]
    if fmt == "xml":
        return _xml_rows(body, location, element)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{location}: not UTF-8 text: {exc}") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    if not reader.fieldnames or "id" not in reader.fieldnames and "projectID" not in reader.fieldnames:
        raise SourceError(f"{location}: no CORDIS header (id / projectID) in the first line")
    try:
        return list(reader)
    except csv.Error as exc:
        raise SourceError(f"{location}: unreadable CSV: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(body: bytes, location: str) -> ElementTree.Element:
    if b"<!DOCTYPE" in body[:2000] or b"<!ENTITY" in body[:4000]:
        raise SourceError(f"{location}: XML with a DOCTYPE or entities is refused")
    try:
        return ElementTree.fromstring(body)  # noqa: S314 - no DTDs (refused above)
    except ElementTree.ParseError as exc:
        raise SourceError(f"{location}: not valid XML: {exc}") from None


def _xml_rows(body: bytes, location: str, element: str) -> list[dict[str, Any]]:
    root = _parse_xml(body, location)
    found = [root] if _local(root.tag) == element else [e for e in root.iter() if _local(e.tag) == element]
    rows = []
    for node in found:
        row: dict[str, Any] = {}
        for child in node:
            if len(child) == 0 and child.text is not None:
                row.setdefault(_local(child.tag), child.text.strip())
        rows.append(row)
    return [r for r in rows if r]


def _xml_nested_organisations(body: bytes, location: str) -> list[dict[str, Any]]:
    """Organisations inside project elements (relations/associations/organization)."""
    root = _parse_xml(body, location)
    projects = [root] if _local(root.tag) == "project" else [e for e in root.iter() if _local(e.tag) == "project"]
    out = []
    for project in projects:
        pid = next((c.text.strip() for c in project if _local(c.tag) == "id" and c.text), "")
        for org in (e for e in project.iter() if _local(e.tag) == "organization"):
            row: dict[str, Any] = {"projectID": pid, "role": org.get("type") or ""}
            for node in org.iter():
                name = _local(node.tag)
                if len(node) == 0 and node.text and node.text.strip():
                    row.setdefault(name, node.text.strip())
            row.setdefault("name", row.get("legalName", ""))
            out.append(row)
    return out
