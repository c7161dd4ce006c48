"""The Starlette app: HTML pages, the JSON API and /healthz."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..core import Catalogue
from ..settings import Settings
from . import api, pages
from .errors import http_exception, server_error
from .templates import site_dir


def create_app(settings: Settings, catalogue: Catalogue | None = None) -> Starlette:
    """The web app over a catalogue (opened from the settings when not given)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = catalogue is None
        cat = catalogue or Catalogue(settings)
        app.state.catalogue = cat
        try:
            yield
        finally:
            if owned:
                cat.close()

    routes = [
        Route("/", pages.home, name="home"),
        Route("/search", pages.search_page, name="search"),
        Route("/practice/{key}", pages.practice_page, name="practice"),
        Route("/api/v1/search", api.search_api, name="api_search"),
        Route("/healthz", api.healthz, name="healthz"),
        Mount("/static", app=StaticFiles(directory=str(site_dir() / "static")), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_exception, Exception: server_error},
    )
