"""The HTML pages (and their JSON and Atom twins) on the server.

Each handler picks the language (`lang` parameter, else Accept-Language),
asks a view for the page, and renders it with the same renderer the static
build uses.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import feed as feeds
from ..core import Catalogue
from ..index import Query
from ..openapi import openapi
from ..search import InvalidParameters, parse_params
from ..twins import json_twin
from . import entity_views, views
from .errors import error_response
from .i18n import negotiate
from .links import Links
from .render import render

_HTML_HEADERS = {"Vary": "Accept-Language"}


def _catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue  # type: ignore[no-any-return]


def _links(request: Request) -> Links:
    lang, explicit = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    return Links(lang=lang, carry_lang=explicit)


def _site(request: Request) -> views.Site:
    return views.Site(static=False, base_uri=_catalogue(request).uris.base)


def respond(page: views.Page, links: Links, media_type: str = "text/html") -> Response:
    headers = {**_HTML_HEADERS, "Content-Language": links.lang}
    return Response(render(page, links.lang), status_code=page.status, media_type=media_type, headers=headers)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise HTTPException(400, "The page number must be a whole number from 1.")
    return int(raw)


def home(request: Request) -> Response:
    links = _links(request)
    return respond(views.home(_catalogue(request), links, _site(request)), links)


def search_page(request: Request) -> Response:
    links = _links(request)
    pairs = request.query_params.multi_items()
    try:
        params = parse_params(pairs)
    except InvalidParameters as exc:
        return error_response(request, 400, str(exc))
    if "lang" not in request.query_params:
        params = params.model_copy(update={"lang": links.lang})
    try:
        built = views.search_page(_catalogue(request), links, _site(request), params, pairs)
    except InvalidParameters as exc:
        return error_response(request, 400, str(exc))
    return respond(built, links)


def _entity(request: Request, kind: str) -> Response:
    links = _links(request)
    cat = _catalogue(request)
    view = entity_views.load(cat, kind, request.path_params["key"], links.lang)
    if view is None:
        raise HTTPException(404, f"There is no {kind} '{request.path_params['key']}' in this catalogue.")
    builders = {
        "practice": entity_views.practice_page,
        "project": entity_views.project_page,
        "organisation": entity_views.organisation_page,
    }
    return respond(builders[kind](cat, links, _site(request), view), links)


def practice_page(request: Request) -> Response:
    return _entity(request, "practice")


def project_page(request: Request) -> Response:
    return _entity(request, "project")


def organisation_page(request: Request) -> Response:
    return _entity(request, "organisation")


def entity_json(request: Request) -> Response:
    """`/{kind}/{key}.json`: the JSON twin of an entity page."""
    kind = request.url.path.split("/")[1]
    key = request.path_params["key"]
    view = entity_views.load(_catalogue(request), kind, key, "en")
    if view is None:
        return error_response(request, 404, f"There is no {kind} '{key}' in this catalogue.")
    body = json_twin(view, Links().url(kind, key)).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=410 if view.withdrawn else 200, headers={"Access-Control-Allow-Origin": "*"})


def _listing(request: Request, facet: str) -> Response:
    links = _links(request)
    code = request.path_params["code"]
    built = views.listing(_catalogue(request), links, _site(request), facet, code, _page_number(request))
    if built is None:
        raise HTTPException(404, f"There is no {facet} '{code}' in this catalogue, or no such page of it.")
    return respond(built, links)


def country_page(request: Request) -> Response:
    return _listing(request, "country")


def theme_page(request: Request) -> Response:
    return _listing(request, "theme")


def harvests_page(request: Request) -> Response:
    links = _links(request)
    return respond(views.harvests(_catalogue(request), links, _site(request)), links)


def statistics_page(request: Request) -> Response:
    links = _links(request)
    return respond(views.statistics(_catalogue(request), links, _site(request)), links)


def api_page(request: Request) -> Response:
    links = _links(request)
    return respond(views.api_page(links, _site(request)), links)


def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi(), headers={"Access-Control-Allow-Origin": "*"})


def atom_feed(request: Request) -> Response:
    """`/feed.atom`: new and changed practices; search parameters narrow it."""
    links = _links(request)
    try:
        params = parse_params(request.query_params.multi_items())
    except InvalidParameters as exc:
        return error_response(request, 400, str(exc))
    cat = _catalogue(request)
    query = Query(text=params.q.strip(), filters={k: tuple(v) for k, v in params.filters.items()}, lang=links.lang)
    entries = feeds.for_search(cat, query)
    origin = f"{request.url.scheme}://{request.url.netloc}"
    built = views.feed(links, _site(request), entries, str(request.url), origin, params.q.strip())
    return respond(built, links, media_type="application/atom+xml")
