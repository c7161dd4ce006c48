"""The application profile as schema.org JSON-LD, for web search engines
(embedded in each page). A mapping profile like the DCAT-AP feed: it says
only what schema.org can say, from the models; no I/O.

Practices are `CreativeWork`s (schema.org has no closer type), projects
`ResearchProject`s, organisations `GovernmentOrganization` when they have a
level of government, else `Organization`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rdflib import URIRef
from rdflib.namespace import SKOS

import vocab

from .models import Entity, Organisation, Practice, Project

_CONTEXT = "https://schema.org"


@cache
def _label(uri: str, lang: str) -> str:
    # Vocabulary labels never change while the process runs.
    labels = {l.language: str(l) for l in vocab.schemes().objects(URIRef(uri), SKOS.prefLabel)}
    return labels.get(lang) or labels.get("en") or uri.rsplit("/", 1)[-1]


def _text(texts: dict[str, str], lang: str) -> str | None:
    if not texts:
        return None
    return texts.get(lang) or texts.get("en") or texts[sorted(texts)[0]]


def _term(scheme: str, code: str, lang: str) -> dict[str, Any]:
    uri = f"{scheme}{code}"
    return {"@type": "DefinedTerm", "@id": uri, "name": _label(uri, lang), "termCode": code, "inDefinedTermSet": scheme.rstrip("/")}


def _place(code: str, lang: str) -> dict[str, Any]:
    uri = f"{vocab.EU_COUNTRY}{code}"
    return {"@type": "Country", "@id": uri, "name": _label(uri, lang)}


def _org(uri: str, name: str | None, page: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "Organization", "@id": uri}
    if name:
        out["name"] = name
    if page:
        out["url"] = page
    return out


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, [], {}, "")}


def practice(p: Practice, base: str, names: dict[str, str], lang: str) -> dict[str, Any]:
    uri, page = f"{base}/id/practice/{p.key}", f"{base}/practice/{p.key}"
    keywords = sorted({w for words in p.keywords.values() for w in words})
    return _clean(
        {
            "@context": _CONTEXT,
            "@type": "CreativeWork",
            "@id": uri,
            "url": page,
            "name": _text(p.title, lang),
            "description": _text(p.description, lang),
            "keywords": ", ".join(keywords),
            "inLanguage": sorted(set(p.languages) | set(p.title)),
            "about": [_term(str(vocab.THEME), t, lang) for t in p.themes],
            "genre": [_label(f"{vocab.PRACTICE_TYPE}{t}", lang) for t in p.practice_types],
            "spatialCoverage": [_place(c, lang) for c in p.countries],
            "publisher": _linked(base, "organisation", p.publisher, names) if p.publisher else None,
            "creator": [_linked(base, "organisation", k, names) for k in p.creators],
            "dateCreated": p.issued.isoformat() if p.issued else None,
            "dateModified": p.modified.isoformat() if p.modified else None,
            "license": str(p.license) if p.license else None,
            "sameAs": str(p.landing_page) if p.landing_page else None,
            "isPartOf": [{**_linked(base, "project", k, names), "@type": "ResearchProject"} for k in p.projects],
        }
    )


def _linked(base: str, kind: str, key: str, names: dict[str, str]) -> dict[str, Any]:
    uri = f"{base}/id/{kind}/{key}"
    return _org(uri, names.get(uri), f"{base}/{kind}/{key}")


def project(p: Project, base: str, lang: str) -> dict[str, Any]:
    uri, page = f"{base}/id/project/{p.key}", f"{base}/project/{p.key}"
    return _clean(
        {
            "@context": _CONTEXT,
            "@type": "ResearchProject",
            "@id": uri,
            "url": page,
            "name": _text(p.title, lang),
            "alternateName": p.acronym,
            "description": _text(p.description, lang),
            "identifier": p.grant_id,
            "foundingDate": p.start_date.isoformat() if p.start_date else None,
            "dissolutionDate": p.end_date.isoformat() if p.end_date else None,
            "funding": {"@type": "Grant", "name": _label(f"{vocab.PROGRAMME}{p.programme}", lang)} if p.programme else None,
            "sameAs": str(p.landing_page) if p.landing_page else None,
            "areaServed": [_place(c, lang) for c in p.countries],
        }
    )


def organisation(o: Organisation, base: str, lang: str) -> dict[str, Any]:
    uri, page = f"{base}/id/organisation/{o.key}", f"{base}/organisation/{o.key}"
    return _clean(
        {
            "@context": _CONTEXT,
            "@type": "GovernmentOrganization" if o.government_level else "Organization",
            "@id": uri,
            "url": page,
            "name": _text(o.name, lang),
            "sameAs": str(o.homepage) if o.homepage else None,
            "address": {"@type": "PostalAddress", "addressCountry": _label(f"{vocab.EU_COUNTRY}{o.country}", lang)} if o.country else None,
            "identifier": list(o.identifiers),
        }
    )


def entity(e: Entity, base: str, names: dict[str, str], lang: str) -> dict[str, Any]:
    """The JSON-LD of one practice, project or organisation (`names`: display
    names of the entities it links to, by URI)."""
    if isinstance(e, Practice):
        return practice(e, base, names, lang)
    if isinstance(e, Project):
        return project(e, base, lang)
    return organisation(e, base, lang)


def website(home: str, search: str | None, name: str) -> dict[str, Any]:
    """The site itself, with its search box (sitelinks search)."""
    data: dict[str, Any] = {"@context": _CONTEXT, "@type": "WebSite", "url": home, "name": name}
    if search:
        data["potentialAction"] = {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": f"{search}?q={{search_term_string}}"},
            "query-input": "required name=search_term_string",
        }
    return data
