"""The HTML pages (and their JSON and Atom twins) on the server.

Each handler picks the language (`lang` parameter, else Accept-Language),
asks a view for the page, and renders it with the same renderer the static
build uses.

Rendered pages are kept (`PageCache`) for as long as the catalogue's state
is the same (`catalogue_state`): the harvest stamp of
`catalogue.runs.last_harvest` (the latest run's end and the number of
sources, one small query of the runs graph per request), which every harvest
moves once its records and index are committed, in this process or another
writing to a shared store; and the index's generation and size, which a
reindex moves. Pages carry an ETag (a hash of their bytes) and
`Cache-Control: no-cache`, so browsers and proxies ask again each time and
get a 304 while the page is unchanged.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import feed as feeds
from ..core import Catalogue
from ..index import Query
from ..openapi import openapi
from ..runs import last_harvest
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


# --- rendered pages, kept while the catalogue stays the same ------------------------------


@dataclass(frozen=True)
class Rendered:
    body: bytes
    status: int
    etag: str


class PageCache:
    """The last `size` rendered pages, for one state of the catalogue (a new
    state empties it)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._state: object = None
        self._pages: OrderedDict[tuple[str, ...], Rendered] = OrderedDict()

    def get(self, state: object, key: tuple[str, ...]) -> Rendered | None:
        with self._lock:
            if state != self._state:
                return None
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
            return found

    def put(self, state: object, key: tuple[str, ...], page: Rendered) -> None:
        with self._lock:
            if state != self._state:
                self._state, self._pages = state, OrderedDict()
            self._pages[key] = page
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


def _page_cache(request: Request) -> PageCache:
    state = request.app.state
    cache = getattr(state, "page_cache", None)
    if cache is None:
        cache = state.page_cache = PageCache()
    return cache  # type: ignore[no-any-return]


def cached(request: Request, links: Links, build: Callable[[], views.Page]) -> Response:
    """The page for this request from the cache, or built, rendered and kept;
    304 when the client holds it already. `build` may raise (404s are not kept)."""
    cat = _catalogue(request)
    stamp, state = catalogue_state(cat)
    key = (request.url.path, request.url.query, links.lang, "1" if links.carry_lang else "")
    page_cache = _page_cache(request)
    found = page_cache.get(state, key)
    if found is None:
        page = build()
        body = render(page, links.lang).encode("utf-8")
        found = Rendered(body, page.status, '"' + hashlib.sha256(body).hexdigest()[:24] + '"')
        if page.status in (200, 410):
            page_cache.put(state, key, found)
    headers = {**_HTML_HEADERS, "Content-Language": links.lang, "ETag": found.etag, "Cache-Control": "no-cache"}
    if stamp is not None:
        headers["Last-Modified"] = _http_date(stamp)
    if found.etag in _etags(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    return Response(found.body, status_code=found.status, media_type="text/html", headers=headers)


def catalogue_state(cat: Catalogue) -> tuple[datetime | None, tuple[object, ...]]:
    """(last harvest, what changes whenever a page may change): the harvest
    stamp from the store, and the index's generation and size (a reindex, or
    an index this node rebuilds after a harvest elsewhere)."""
    stamp, sources = last_harvest(cat.store, cat.uris)
    try:
        generation = (cat.engine_root / "CURRENT").read_text(encoding="utf-8").strip()
    except OSError:
        generation = ""
    return stamp, (stamp, sources, generation, cat.engine.count())


def _etags(header: str | None) -> set[str]:
    """The entity tags of an If-None-Match header (weak ones compare as strong: a GET)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True) if moment.tzinfo else format_datetime(moment)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise HTTPException(400, "The page number must be a whole number from 1.")
    return int(raw)


def home(request: Request) -> Response:
    links = _links(request)
    return cached(request, links, lambda: views.home(_catalogue(request), links, _site(request)))


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
        return cached(request, links, lambda: views.search_page(_catalogue(request), links, _site(request), params, pairs))
    except InvalidParameters as exc:
        return error_response(request, 400, str(exc))


def _entity(request: Request, kind: str) -> Response:
    links = _links(request)
    cat = _catalogue(request)
    builders = {
        "practice": entity_views.practice_page,
        "project": entity_views.project_page,
        "organisation": entity_views.organisation_page,
    }

    def build() -> views.Page:
        view = entity_views.load(cat, kind, request.path_params["key"], links.lang)
        if view is None:
            raise HTTPException(404, f"There is no {kind} '{request.path_params['key']}' in this catalogue.")
        return builders[kind](cat, links, _site(request), view)

    return cached(request, links, build)


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
    number = _page_number(request)

    def build() -> views.Page:
        built = views.listing(_catalogue(request), links, _site(request), facet, code, number)
        if built is None:
            raise HTTPException(404, f"There is no {facet} '{code}' in this catalogue, or no such page of it.")
        return built

    return cached(request, links, build)


def country_page(request: Request) -> Response:
    return _listing(request, "country")


def theme_page(request: Request) -> Response:
    return _listing(request, "theme")


def harvests_page(request: Request) -> Response:
    links = _links(request)
    return cached(request, links, lambda: views.harvests(_catalogue(request), links, _site(request)))


def statistics_page(request: Request) -> Response:
    links = _links(request)
    return cached(request, links, lambda: views.statistics(_catalogue(request), links, _site(request)))


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
