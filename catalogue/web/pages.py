"""HTML pages. Each calls the same query layer as its JSON twin."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..entities import load_entity
from ..index import Query
from ..indexing import label
from ..search import InvalidParameters, facet_label, parse_params, search
from .errors import error_response
from .templates import templates


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "")
    return lang if lang in ("en", "fr", "de", "it", "es") else "en"


def home(request: Request) -> Response:
    cat = request.app.state.catalogue
    lang = _lang(request)
    overview = cat.engine.search(Query(limit=6, sort="newest", facets=("country", "theme")))
    return templates().TemplateResponse(
        request,
        "home.html",
        {
            "lang": lang,
            "total": overview.total,
            "latest": overview.hits,
            "themes": [(v, facet_label("theme", v, lang), n) for v, n in overview.facets.get("theme", [])],
            "countries": [(v, facet_label("country", v, lang), n) for v, n in overview.facets.get("country", [])],
        },
    )


def search_page(request: Request) -> Response:
    cat = request.app.state.catalogue
    try:
        params = parse_params(request.query_params.multi_items())
        result = search(cat.engine, params)
    except InvalidParameters as exc:
        return error_response(request, 400, str(exc))
    pairs = request.query_params.multi_items()

    def page_url(page: int) -> str:
        kept = [(k, v) for k, v in pairs if k != "page"]
        return "/search?" + urlencode([*kept, ("page", str(page))])

    last_page = max(1, -(-result.total // params.per_page))
    return templates().TemplateResponse(
        request,
        "search.html",
        {
            "lang": params.lang,
            "params": params,
            "result": result,
            "selected": {(k, v) for k, v in pairs},
            "page_url": page_url,
            "last_page": last_page,
        },
    )


def practice_page(request: Request) -> Response:
    cat = request.app.state.catalogue
    lang = _lang(request)
    key = request.path_params["key"]
    view = load_entity(cat.store, cat.uris, "practice", key, lang)
    if view is None:
        raise HTTPException(404, f"There is no practice '{key}' in this catalogue.")
    practice = view.entity
    related = cat.engine.more_like_this(view.uri, limit=5)
    return templates().TemplateResponse(
        request,
        "practice.html",
        {
            "lang": lang,
            "view": view,
            "p": practice,
            "related": related,
            "label": label,
            "uris": cat.uris,
        },
        status_code=410 if view.withdrawn else 200,
    )
