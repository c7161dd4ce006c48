"""The pages of practices, projects and organisations (see views.py)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from ..core import Catalogue
from ..entities import EntityView, load_entity
from ..index import Hit
from ..index.analysis import pick_title_lang
from ..models import Organisation, Practice, Project
from ..relations import practices_of_organisation, practices_of_project, projects_of_organisation
from .links import RDF_EXTENSIONS, Links
from .views import Page, Site, page

RELATED = 5
# Practice text fields in the order of the page, with their headings' msgids in the template.
PRACTICE_SECTIONS = ("problem", "solution", "results", "costs", "transfer_conditions", "lessons")


def formats_of(links: Links, kind: str, key: str) -> list[tuple[str, str]]:
    """(label, url) of the record's machine-readable twins."""
    out = [("JSON", links.twin(kind, key, "json"))]
    out += [(label, links.twin(kind, key, ext)) for ext, label in RDF_EXTENSIONS.items()]
    return out


def sparql_link(links: Links, uri: str) -> str | None:
    endpoint = links.service("/sparql")
    if endpoint is None:
        return None
    return endpoint + "?" + urlencode({"query": f"DESCRIBE <{uri}>"})


def _deps(view: EntityView, *more: str) -> frozenset[str]:
    return frozenset({view.uri, *view.names, *more})


def load(cat: Catalogue, kind: str, key: str, lang: str) -> EntityView | None:
    return load_entity(cat.store, cat.uris, kind, key, lang)


def in_language(hits: list[Hit], lang: str) -> list[Hit]:
    """Hits of another language's query, with titles picked again for `lang`."""
    out = []
    for hit in hits:
        title_lang, title = pick_title_lang(hit.titles, lang) if hit.titles else (hit.lang, hit.title)
        out.append(replace(hit, title=title, lang=title_lang))
    return out


def practice_page(
    cat: Catalogue, links: Links, site: Site, view: EntityView, related: list[Hit] | None = None
) -> Page:
    """`related`: the practice's "more like this" hits when the caller has
    them already (the static build asks once for every language)."""
    practice = view.entity
    assert isinstance(practice, Practice)
    if related is None:
        related = cat.engine.more_like_this(view.uri, limit=RELATED, lang=links.lang)
    else:
        related = in_language(related, links.lang)
    related = sorted(related, key=lambda h: (-round(h.score, 4), h.uri))  # ties in a stable order
    projects = [view.linked.get(cat.uris.project(k)) for k in practice.projects]
    listing_keys = [f"country:{c}" for c in practice.countries] + [f"theme:{t}" for t in practice.themes]
    return Page(
        *_entity_page(
            "practice.html",
            cat,
            links,
            site,
            view,
            p=practice,
            related=related,
            projects=[p for p in projects if isinstance(p, Project)],
            sections=PRACTICE_SECTIONS,
        ),
        status=410 if view.withdrawn else 200,
        deps=_deps(view, *(h.uri for h in related), *listing_keys),
    )


def project_page(cat: Catalogue, links: Links, site: Site, view: EntityView) -> Page:
    project = view.entity
    assert isinstance(project, Project)
    practices = practices_of_project(cat.store, view.uri)
    return Page(
        *_entity_page("project.html", cat, links, site, view, p=project, practices=practices),
        status=410 if view.withdrawn else 200,
        deps=_deps(view, *(x.uri for x in practices)),
    )


def organisation_page(cat: Catalogue, links: Links, site: Site, view: EntityView) -> Page:
    org = view.entity
    assert isinstance(org, Organisation)
    practices = practices_of_organisation(cat.store, view.uri)
    projects = projects_of_organisation(cat.store, view.uri)
    linked = [x.uri for group in (*practices.values(), *projects.values()) for x in group]
    return Page(
        *_entity_page("organisation.html", cat, links, site, view, p=org, practices=practices, projects=projects),
        status=200,
        deps=_deps(view, *linked),
    )


def _entity_page(
    template: str, cat: Catalogue, links: Links, site: Site, view: EntityView, **context: object
) -> tuple[str, dict[str, object]]:
    kind, key = view.entity.kind, view.entity.key
    built = page(
        template,
        links,
        site,
        (kind, key, {}),
        view=view,
        uri=view.uri,
        kind=kind,
        key=key,
        formats=formats_of(links, kind, key),
        json_url=links.twin(kind, key, "json"),
        sparql_url=sparql_link(links, view.uri),
        uris_org=cat.uris.organisation,
        uris_project=cat.uris.project,
        **context,
    )
    return built.template, built.context
