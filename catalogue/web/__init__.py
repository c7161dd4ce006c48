"""The Starlette app: HTML pages, the JSON API and /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from ..core import Catalogue
from ..settings import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette


def create_app(settings: Settings, catalogue: Catalogue | None = None) -> Starlette:
    """The web app over a catalogue (opened from the settings when not given)."""
    # Imported here, not with the package: the static build uses the views
    # and templates of `catalogue.web` without the app, its API and /sparql.
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from . import api, linked_data, pages, sparql
    from .errors import http_exception, server_error
    from .templates import site_dir

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = catalogue is None
        cat = catalogue or Catalogue(settings)
        app.state.catalogue = cat
        app.state.settings = settings  # the web's own limits (e.g. /sparql's) may differ from the catalogue's
        try:
            yield
        finally:
            sparql.close_executor(app)  # stop the SPARQL worker processes
            if owned:
                cat.close()

    entity_pages = {
        "practice": pages.practice_page,
        "project": pages.project_page,
        "organisation": pages.organisation_page,
    }
    routes = [
        Route("/", pages.home, name="home"),
        Route("/search", pages.search_page, name="search"),
        # Site pages (issue 6): JSON twins before the pages they twin.
        Route("/practice/{key}.json", pages.entity_json, name="practice_json"),
        Route("/project/{key}.json", pages.entity_json, name="project_json"),
        Route("/organisation/{key}.json", pages.entity_json, name="organisation_json"),
        # Linked data (issue 5): RDF twins by extension, then the pages, which
        # also answer RDF by content negotiation.
        Route("/practice/{key}.{ext}", linked_data.with_extension(entity_pages), name="practice_rdf"),
        Route("/project/{key}.{ext}", linked_data.with_extension(entity_pages), name="project_rdf"),
        Route("/organisation/{key}.{ext}", linked_data.with_extension(entity_pages), name="organisation_rdf"),
        Route("/practice/{key}", linked_data.negotiated(pages.practice_page), name="practice"),
        Route("/project/{key}", linked_data.negotiated(pages.project_page), name="project"),
        Route("/organisation/{key}", linked_data.negotiated(pages.organisation_page), name="organisation"),
        Route("/id/{kind}/{key:path}", linked_data.id_redirect, name="id"),
        Route("/record/{key:path}", linked_data.document, name="record"),
        Route("/run/{key:path}", linked_data.document, name="run"),
        Route("/source/{key}", linked_data.document, name="source"),
        Route("/sparql", sparql.sparql_endpoint, methods=["GET", "POST", "OPTIONS"], name="sparql"),
        Route("/catalog", linked_data.catalog, name="catalog"),
        Route("/catalog.{ext}", linked_data.catalog, name="catalog_rdf"),
        Route("/.well-known/void", linked_data.void, name="void"),
        Route("/.well-known/void.{ext}", linked_data.void, name="void_rdf"),
        Route("/dumps/", linked_data.dumps_index, name="dumps"),
        Route("/dumps/{name}", linked_data.dump_file, name="dump"),
        Route("/country/{code}", pages.country_page, name="country"),
        Route("/theme/{code}", pages.theme_page, name="theme"),
        Route("/harvests", pages.harvests_page, name="harvests"),
        Route("/statistics", pages.statistics_page, name="statistics"),
        Route("/api", pages.api_page, name="api"),
        Route("/openapi.json", pages.openapi_json, name="openapi"),
        Route("/feed.atom", pages.atom_feed, name="feed"),
        Route("/api/v1/search", api.search_api, name="api_search"),
        Route("/healthz", api.healthz, name="healthz"),
        Mount("/static", app=StaticFiles(directory=str(site_dir() / "static")), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_exception, Exception: server_error},
    )
