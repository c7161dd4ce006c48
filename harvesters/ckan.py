"""CKAN portals, through the Action API with `ckanapi`.

`package_search` is read page by page (`rows`, `start`) with the source's
`q` and `fq`, sorted by `metadata_modified` so that an incremental run asks
only for `metadata_modified:[since TO *]`. ckanapi's HTTP goes through
`HttpClient` (harvesters/base.py), so CKAN portals get the same user agent,
timeouts, retries, size cap, pacing and redirect rules as every source.

A local file (or `dump = true`) is read as a dump instead: a package_search
answer, a JSON list of packages, or JSON lines as `ckanapi dump datasets`
writes them.

Each package becomes a practice (or, with `entity = "project"`, a project):
title and notes (plain, `*_translated` from ckanext-fluent, HTML removed),
tags, groups and DCAT themes, organisation (or the publisher extras when a
package has none), resources, licence, contact, dates, languages, countries
and grant ids from the extras, which may come as a list of key/value pairs
(classic CKAN) or as a dict. A package that cannot be mapped fails alone with
the reason; a deleted or private one is skipped with the reason.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

import ckanapi
from ckanapi.errors import CKANAPIError, ServerIncompatibleError
from pydantic import Field, ValidationError

import vocab
from catalogue.dedupe import doi_of, grant_from_doi
from catalogue.models import (
    ContactPoint,
    Organisation,
    Practice,
    Project,
    RecordFailure,
    RecordSkipped,
    SourceRecord,
    explain,
)
from catalogue.uris import mint_key, organisation_key, project_key_for_grant

from .base import Harvester, HarvestContext, HttpClient, Item, Options, SourceError, fetch, local_path
from .tabular import country_code

# Where ckanext-dcat and common portals keep what we map (extras keys, tried in order).
DEFAULT_EXTRAS: dict[str, tuple[str, ...]] = {
    "issued": ("issued", "dcat_issued", "release_date"),
    "modified": ("modified", "dcat_modified"),
    "languages": ("language", "dcat_language", "metadata-language"),
    "countries": ("spatial_uri", "country", "eu_country", "countries"),
    "themes": ("theme", "dcat_theme"),
    "publisher": ("publisher_name", "dcat_publisher_name", "publisher_org"),
    "publisher_url": ("publisher_url", "dcat_publisher_url"),
    "contact_name": ("contact_name", "contact-name", "dcat_contact_name"),
    "contact_email": ("contact_email", "contact-email", "dcat_contact_email"),
    "grant_ids": ("grant_id", "grant_agreement", "grant_agreement_id", "cordis_id", "project_grant", "grantDoi", "grant_doi", "doi"),
    "acronym": ("acronym", "project_acronym"),
    "programme": ("programme", "frameworkProgramme", "framework_programme", "funding_programme"),
    "start_date": ("start_date", "startDate", "temporal_start"),
    "end_date": ("end_date", "endDate", "temporal_end"),
    "total_cost": ("total_cost", "totalCost"),
    "eu_contribution": ("eu_contribution", "ecMaxContribution", "ec_max_contribution"),
}

# EU data themes (http://publications.europa.eu/resource/authority/data-theme/) -> our themes.
EU_DATA_THEMES = {
    "AGRI": "agriculture", "ECON": "economy", "EDUC": "education", "ENER": "energy", "ENVI": "environment",
    "GOVE": "digital-government", "HEAL": "health", "JUST": "justice", "REGI": "urban-development",
    "SOCI": "social-inclusion", "TRAN": "mobility",
}  # fmt: skip

LICENCES = {
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/",
    "cc-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "odc-by": "https://opendatacommons.org/licenses/by/1-0/",
    "odc-odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odc-pddl": "https://opendatacommons.org/licenses/pddl/1-0/",
    "uk-ogl": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
    "gfdl": "https://www.gnu.org/licenses/fdl-1.3.html",
}
PROGRAMMES = {"h2020": "h2020", "horizon": "horizon-europe", "horizon europe": "horizon-europe", "heurope": "horizon-europe", "fp7": "fp7"}
MAX_DOCUMENTS = 50


class CkanOptions(Options):
    q: str = Field(default="*:*", description="Solr query of package_search.")
    fq: str = Field(default="", description="Solr filter query of package_search, e.g. 'organization:city-x'.")
    rows: int = Field(default=100, ge=1, le=1000, description="Packages per page.")
    entity: Literal["practice", "project"] = "practice"
    lang: str = Field(default="en", pattern=r"^[a-z]{2}$", description="Language of untranslated text.")
    key_prefix: str | None = None
    incremental: bool = True
    dump: bool = Field(default=False, description="Read the URL as a dump file even when it is http(s).")
    themes: dict[str, str] = Field(default_factory=dict, description="CKAN group or tag name -> our theme code.")
    practice_types: list[str] = Field(default_factory=list, description="Practice types given to every package.")
    extras: dict[str, str] = Field(default_factory=dict, description="Our field -> the portal's extras key (tried first).")


class CkanHarvester(Harvester):
    kind = "ckan"
    Options = CkanOptions
    options: CkanOptions
    supports_since = True

    def __init__(self, source: Any, ctx: HarvestContext) -> None:
        super().__init__(source, ctx)
        self._local = local_path(self.source.url, ctx) is not None or self.options.dump
        self.site = "" if self._local else self.source.url.rstrip("/").removesuffix("/api/3/action").removesuffix("/api/3")

    @property
    def complete(self) -> bool:
        incremental = not self._local and self.options.incremental and self.ctx.since is not None
        return self.incomplete_reason is None and not incremental

    def records(self) -> Iterator[Item]:
        packages = self._dump() if self._local else self._search()
        seen: set[str] = set()
        for number, package in enumerate(packages, start=1):
            ident = str(package.get("id") or package.get("name") or "").strip() if isinstance(package, dict) else ""
            if ident and ident in seen:
                yield RecordSkipped(original_id=ident, reason="listed twice: the portal changed while it was being read")
                continue
            seen.add(ident)
            yield self.map_package(package, number)

    # --- reading ----------------------------------------------------------

    def _search(self) -> Iterator[dict[str, Any]]:
        remote = ckanapi.RemoteCKAN(self.site, user_agent=self.ctx.user_agent, get_only=True, session=_Session(HttpClient(self.ctx)))
        fq = self.options.fq
        if self.options.incremental and self.ctx.since is not None:
            stamp = self.ctx.since.strftime("%Y-%m-%dT%H:%M:%SZ")
            fq = f"{fq} metadata_modified:[{stamp} TO *]".strip()
        start, listed = 0, 0
        while True:
            self.ctx.check()
            params = {"q": self.options.q, "rows": self.options.rows, "start": start, "sort": "metadata_modified asc"}
            if fq:
                params["fq"] = fq
            try:
                result = remote.action.package_search(**params)
            except (CKANAPIError, ServerIncompatibleError) as exc:
                raise SourceError(f"{self.site}: package_search refused: {_short(exc)}") from None
            if not isinstance(result, dict) or not isinstance(result.get("results"), list):
                raise SourceError(f"{self.site}: package_search answered without a 'results' list (not a CKAN Action API?)")
            count = result.get("count")
            if isinstance(count, int):
                self.expected = count
            page = result["results"]
            listed += len(page)
            yield from page
            start += len(page)
            if not page or (isinstance(count, int) and start >= count):
                break
        if isinstance(self.expected, int) and listed < self.expected:
            self.incomplete_reason = f"package_search said {self.expected} packages but listed {listed}"

    def _dump(self) -> Iterator[dict[str, Any]]:
        body = fetch(self.source.url, self.ctx, accept="application/json", conditional=True).body
        text = body.decode("utf-8-sig", errors="replace").strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                data = None  # JSON lines start with "{" too
            if isinstance(data, dict):
                result = data.get("result", data)
                if isinstance(result, dict) and isinstance(result.get("results"), list):
                    self.expected = len(result["results"])
                    yield from result["results"]
                    return
                if isinstance(result, dict) and ("id" in result or "name" in result):
                    self.expected = 1
                    yield result
                    return
                raise SourceError(f"{self.source.url}: JSON object is neither a package_search answer nor a package")
            lines = text.splitlines()
            self.expected = sum(1 for line in lines if line.strip())
            for n, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    yield {"__broken__": f"line {n}: not valid JSON ({exc.msg})"}
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{self.source.url}: not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise SourceError(f"{self.source.url}: expected a JSON list of packages")
        self.expected = len(data)
        yield from data

    # --- mapping ----------------------------------------------------------

    def map_package(self, package: Any, number: int) -> Item:
        if not isinstance(package, dict) or "__broken__" in package:
            reason = package.get("__broken__") if isinstance(package, dict) else f"package {number} is not a JSON object"
            return RecordFailure(original_id=f"package {number}", reason=str(reason))
        ident = str(package.get("id") or package.get("name") or "").strip()
        name = str(package.get("name") or ident)
        url = f"{self.site}/dataset/{name}" if self.site and name else None
        if not ident:
            return RecordFailure(original_id=f"package {number}", reason=f"package {number} has neither id nor name")
        state = package.get("state") or "active"
        if state != "active":
            return RecordSkipped(original_id=ident, original_url=url, reason=f"state is {state!r} at the source")
        if package.get("private") is True:
            return RecordSkipped(original_id=ident, original_url=url, reason="private at the source")
        try:
            extras = _extras(package.get("extras"))
            reader = _Package(package, extras, self.options)
            entities = reader.project(ident, url) if self.options.entity == "project" else reader.practice(ident, url, self._prefix)
            modified = reader.moment("metadata_modified")
            return SourceRecord(original_id=ident, original_url=url or reader.landing(), source_modified=modified, entities=entities)
        except ValidationError as exc:
            return RecordFailure(original_id=ident, original_url=url, reason=explain(exc))
        except (ValueError, TypeError, AttributeError) as exc:
            return RecordFailure(original_id=ident, original_url=url, reason=f"odd package: {exc}")

    @property
    def _prefix(self) -> str:
        return self.options.key_prefix or self.source.name


class _Package:
    """Reading one package dict, whatever shape the portal gave it."""

    def __init__(self, package: dict[str, Any], extras: dict[str, Any], options: CkanOptions) -> None:
        self.p = package
        self.extras = extras
        self.options = options
        self.lang = options.lang

    def extra(self, field: str) -> Any:
        keys = ((self.options.extras[field],) if field in self.options.extras else ()) + DEFAULT_EXTRAS.get(field, ())
        for key in keys:
            for where in (self.extras, self.p):
                value = where.get(key)
                if value not in (None, "", [], {}):
                    return value
        return None

    def text(self, key: str) -> dict[str, str]:
        translated = self.p.get(f"{key}_translated")
        if isinstance(translated, dict):
            out = {lang.lower(): _plain(v) for lang, v in translated.items() if isinstance(v, str) and _plain(v) and len(lang) == 2}
            if out:
                return out
        value = self.p.get(key)
        if isinstance(value, dict):  # fluent fields stored under the plain key
            return {lang.lower(): _plain(v) for lang, v in value.items() if isinstance(v, str) and _plain(v) and len(lang) == 2}
        return {self.lang: _plain(value)} if isinstance(value, str) and _plain(value) else {}

    def moment(self, key: str) -> Any:
        value = self.p.get(key)
        return _datetime(value)

    def landing(self) -> str | None:
        url = self.p.get("url")
        return url.strip() if isinstance(url, str) and url.strip().startswith(("http://", "https://")) else None

    def grants(self) -> list[str]:
        """Grant ids from the extras (a number or a CORDIS DOI 10.3030/{id}) and from a DOI URL."""
        grants = set()
        for value in _as_list(self.extra("grant_ids")):
            text = str(value).strip()
            grant = grant_from_doi(doi_of(text)) or (text if text.isdigit() else None)
            if grant:
                grants.add(grant)
        if grant := grant_from_doi(doi_of(str(self.p.get("url") or ""))):
            grants.add(grant)
        return sorted(grants)

    def organisation(self, country: str | None) -> Organisation | None:
        org = self.p.get("organization")
        name = None
        homepage = None
        if isinstance(org, dict):
            name = org.get("title") or org.get("display_name") or org.get("name")
        if not name:
            name = self.extra("publisher")
            homepage = self.extra("publisher_url")
        if not name and isinstance(org, str) and org.strip():
            name = org
        if not isinstance(name, str) or not name.strip():
            return None
        name = name.strip()
        homepage = homepage if isinstance(homepage, str) and homepage.startswith(("http://", "https://")) else None
        return Organisation(key=organisation_key(name, country), name={self.lang: name}, country=country, homepage=homepage)

    def contact(self) -> ContactPoint | None:
        name = self.extra("contact_name") or self.p.get("maintainer") or self.p.get("author")
        email = self.extra("contact_email") or self.p.get("maintainer_email") or self.p.get("author_email")
        name = name.strip() if isinstance(name, str) and name.strip() else None
        email = email.strip() if isinstance(email, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()) else None
        return ContactPoint(name=name, email=email) if (name or email) else None

    def keywords(self) -> dict[str, list[str]]:
        words: dict[str, list[str]] = {}
        translated = self.p.get("tags_translated") or self.p.get("keywords")
        if isinstance(translated, dict):
            for lang, values in translated.items():
                if len(lang) == 2:
                    words.setdefault(lang.lower(), []).extend(str(v) for v in _as_list(values))
        for tag in self.p.get("tags") or []:
            label = (tag.get("display_name") or tag.get("name")) if isinstance(tag, dict) else tag
            if isinstance(label, str) and label.strip():
                words.setdefault(self.lang, []).append(label.strip())
        return words

    def themes(self) -> list[str]:
        known = vocab.concept_codes("theme")
        found: set[str] = set()
        names = [g.get("name") for g in self.p.get("groups") or [] if isinstance(g, dict)]
        names += [t.get("name") if isinstance(t, dict) else t for t in self.p.get("tags") or []]
        for name in names:
            if isinstance(name, str) and name in self.options.themes:
                found.add(self.options.themes[name])
        for value in _as_list(self.extra("themes")):
            text = str(value).strip()
            code = text.rstrip("/").rsplit("/", 1)[-1]
            if "data-theme" in text and code in EU_DATA_THEMES:
                found.add(EU_DATA_THEMES[code])
            elif text in known:
                found.add(text)
        return sorted(found)

    def countries(self) -> list[str]:
        known = set(vocab.country_codes().values())
        found = set()
        for value in _as_list(self.extra("countries")):
            text = str(value).strip()
            code = country_code(text.rstrip("/").rsplit("/", 1)[-1]) if text else ""
            if code in known:
                found.add(code)
        return sorted(found)

    def languages(self) -> list[str]:
        table = vocab.language_codes()
        back = {v: k for k, v in table.items()}
        found = set()
        for value in _as_list(self.extra("languages")):
            for part in str(value).replace(";", ",").split(","):
                text = part.strip().rstrip("/").rsplit("/", 1)[-1]
                if text.lower() in table:
                    found.add(text.lower())
                elif text.upper() in back:
                    found.add(back[text.upper()])
        return sorted(found)

    def documents(self) -> list[str]:
        urls = []
        for resource in self.p.get("resources") or []:
            url = resource.get("url") if isinstance(resource, dict) else None
            if isinstance(url, str) and url.strip().startswith(("http://", "https://")) and len(url) < 2000 and " " not in url.strip():
                urls.append(url.strip())
        return sorted(set(urls))[:MAX_DOCUMENTS]

    def license(self) -> str | None:
        url = self.p.get("license_url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return url
        return LICENCES.get(str(self.p.get("license_id") or "").lower())

    def practice(self, ident: str, url: str | None, prefix: str) -> list[Practice | Project | Organisation]:
        countries = self.countries()
        data: dict[str, Any] = {
            "key": mint_key(prefix, ident),
            "title": self.text("title"),
            "description": self.text("notes"),
            "keywords": self.keywords(),
            "themes": self.themes(),
            "countries": countries,
            "languages": self.languages(),
            "documents": self.documents(),
            "practice_types": list(self.options.practice_types),
            "projects": [project_key_for_grant(g) for g in self.grants()],
        }
        landing = self.landing() or url
        if landing:
            data["landing_page"] = landing
        if licence := self.license():
            data["license"] = licence
        for field, fallback in (("issued", "metadata_created"), ("modified", "metadata_modified")):
            day = _date(self.extra(field)) or _date(self.p.get(fallback))
            if day:
                data[field] = day
        if contact := self.contact():
            data["contact"] = contact
        entities: list[Practice | Project | Organisation] = []
        if org := self.organisation(countries[0] if len(countries) == 1 else None):
            data["publisher"] = org.key
            entities.append(org)
        return [Practice.model_validate(data), *entities]

    def project(self, ident: str, url: str | None) -> list[Practice | Project | Organisation]:
        grants = self.grants()
        if len(grants) > 1:
            raise ValueError(f"several grant ids {grants}: a project has one")
        programme_text = str(self.extra("programme") or "").strip().lower()
        data: dict[str, Any] = {
            "key": project_key_for_grant(grants[0]) if grants else mint_key(self.options.key_prefix or "ckan", ident),
            "grant_id": grants[0] if grants else None,
            "title": self.text("title"),
            "description": self.text("notes"),
            "acronym": self.extra("acronym"),
            "programme": PROGRAMMES.get(programme_text, programme_text or None),
            "countries": self.countries(),
            "themes": self.themes(),
        }
        for field in ("start_date", "end_date"):
            data[field] = _date(self.extra(field))
        for field in ("total_cost", "eu_contribution"):
            value = self.extra(field)
            data[field] = str(value).replace(",", ".") if value not in (None, "") else None
        landing = self.landing() or url
        if landing:
            data["landing_page"] = landing
        entities: list[Practice | Project | Organisation] = []
        if org := self.organisation(None):
            data["coordinator"] = org.key
            entities.append(org)
        return [Project.model_validate({k: v for k, v in data.items() if v not in (None, "", [])}), *entities]


class _Answer:
    """What ckanapi reads of a requests.Response."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.text = body.decode("utf-8", errors="replace")


class _Session:
    """A requests-like session for ckanapi that goes through HttpClient."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def get(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None, **_: Any) -> _Answer:
        query = urllib.parse.urlencode({k: _param(v) for k, v in (params or {}).items()})
        full = f"{url}?{query}" if query else url
        fetched = self.client.request(full, headers=_own(headers), accept="application/json", raise_for_status=False)
        return _Answer(fetched.status, fetched.body)

    def post(self, url: str, data: bytes | None = None, headers: dict[str, str] | None = None, **_: Any) -> _Answer:
        fetched = self.client.request(
            url, method="POST", data=data, headers=_own(headers), accept="application/json", raise_for_status=False
        )
        return _Answer(fetched.status, fetched.body)


def _own(headers: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (headers or {}).items() if k.lower() != "user-agent"}


def _param(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + "..."


def _extras(raw: Any) -> dict[str, Any]:
    """Extras as a dict, from a list of {key, value} (classic CKAN) or a dict."""
    if isinstance(raw, dict):
        return dict(raw)
    out: dict[str, Any] = {}
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                out[item["key"]] = item.get("value")
    return out


def _as_list(value: Any) -> list[Any]:
    """A value that may be a list, a JSON-encoded list, or one value."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                decoded = json.loads(text)
                return decoded if isinstance(decoded, list) else [decoded]
            except json.JSONDecodeError:
                pass
        return [text] if text else []
    return [value]


_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/h\d|/tr)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _plain(value: Any) -> str:
    """Text without HTML markup (notes often hold HTML)."""
    if not isinstance(value, str):
        return ""
    if "<" in value and ">" in value:
        value = _TAG.sub(" ", _BLOCK.sub("\n", value))
    value = html.unescape(value)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in value.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _date(value: Any) -> date | None:
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _datetime(value: Any) -> Any:
    from datetime import UTC, datetime

    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
