"""Linked data over HTTP: `/id/{kind}/{key}` answers 303 See Other to the
document `/{kind}/{key}`, which serves HTML or RDF (Turtle, JSON-LD,
RDF/XML, N-Triples) by content negotiation and by extension (`.ttl`,
`.jsonld`, `.rdf`, `.nt`); 404 for what we never had, 410 for what every
source withdrew, with a `Link: rel="version-history"` to the catalogue
records that tell its history. Also `/catalog` (the DCAT-AP feed, paged),
`/.well-known/void` and `/dumps/`.

The HTML pages of practices, projects and organisations are the site's
(pages.py); `negotiated` wraps them so the same URL also answers RDF.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from ..core import Catalogue
from ..dcat_feed import FeedError, catalog_page, parse_since
from ..documents import Document, exists, load_document
from ..dumps import dataset_counts, dump_path, list_dumps
from ..rdf_formats import HTML_TYPE, RDF_FORMATS, Format, by_extension, by_name, negotiate, offers
from ..rdf_output import graph_bytes
from ..self_description import TITLE, void_description
from . import rdf_view
from .errors import error_response
from .i18n import negotiate as negotiate_language
from .links import Links
from .sparql import app_settings
from .templates import templates

CORS = {"Access-Control-Allow-Origin": "*"}
_HTML = (HTML_TYPE, (HTML_TYPE, "application/xhtml+xml"))
Endpoint = Callable[[Request], Any]


def _catalogue(request: Request) -> Catalogue:
    return request.app.state.catalogue  # type: ignore[no-any-return]


def wanted(request: Request, html_first: bool = True) -> Format | None:
    """The RDF format the client prefers, or None for HTML. Without an
    Accept header (or with */*), people's HTML comes first where a page
    exists (`html_first`), else Turtle."""
    choices = [_HTML, *offers(RDF_FORMATS)] if html_first else [*offers(RDF_FORMATS), _HTML]
    key = negotiate(request.headers.get("accept"), choices)
    if key is None:  # nothing acceptable: answer the default rather than 406
        key = choices[0][0]
    return None if key == HTML_TYPE else by_name(key, RDF_FORMATS)


def valid_key(key: str) -> bool:
    return bool(key) and not any(c in key for c in '<>"{}|^`\\ \n\r\t#?')


def _alternates(path: str) -> list[tuple[str, str]]:
    return [(f.label, f"{path}.{f.extension}") for f in RDF_FORMATS]


def _link_header(path: str, doc: Document | None = None, base: str = "") -> str:
    parts = [f'<{path}.{f.extension}>; rel="alternate"; type="{f.media_type}"' for f in RDF_FORMATS]
    if doc is not None and doc.withdrawn:
        # The records say when each source had it and when it was withdrawn.
        parts += [f'<{record.removeprefix(base + "/id")}>; rel="version-history"' for record in doc.records]
    return ", ".join(parts)


def _rdf(request: Request, kind: str, key: str, fmt: Format) -> Response:
    cat = _catalogue(request)
    doc = load_document(cat.store, cat.uris, kind, key)
    if doc is None:
        return error_response(request, 404, f"There is no {kind} '{key}' in this catalogue.")
    path = f"/{kind}/{quote(key)}"
    headers = {
        **CORS,
        "Vary": "Accept",
        "Content-Location": f"{path}.{fmt.extension}",
        "Link": _link_header(path, doc, cat.uris.base),
    }
    status = 410 if doc.withdrawn else 200
    return Response(graph_bytes(doc.graph, fmt), status_code=status, media_type=fmt.content_type, headers=headers)


def _page(request: Request, template: str, context: dict[str, Any], here: tuple[str, str], status: int = 200) -> Response:
    lang, explicit = negotiate_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    values = {"links": Links(lang, carry_lang=explicit), "lang": lang, "here": (*here, {}), **context}
    response = templates(lang).TemplateResponse(request, template, values, status_code=status)
    response.headers.update({"Vary": "Accept, Accept-Language", "Content-Language": lang})
    return response


# --- /id/... ----------------------------------------------------------------------------


def id_redirect(request: Request) -> Response:
    """`/id/{kind}/{key}` -> 303 to the document about it."""
    kind, key = request.path_params["kind"], request.path_params["key"]
    cat = _catalogue(request)
    if not exists(cat.store, cat.uris, kind, key):
        return error_response(request, 404, f"There is no {kind} '{key}' in this catalogue.")
    return RedirectResponse(f"/{kind}/{quote(key)}", status_code=303, headers={**CORS, "Vary": "Accept"})


# --- practices, projects, organisations --------------------------------------------------


def negotiated(html: Endpoint) -> Endpoint:
    """Wrap the site's page of an entity so that its URL also serves RDF."""

    async def endpoint(request: Request) -> Response:
        kind = request.url.path.split("/")[1]
        if not valid_key(request.path_params["key"]):
            # Never let a key that could break out of <...> reach a query.
            return error_response(request, 404, f"There is no {kind} with that key in this catalogue.")
        fmt = wanted(request)
        if fmt is not None:
            return _rdf(request, kind, request.path_params["key"], fmt)
        response = await _call(html, request)
        response.headers["Vary"] = ", ".join(filter(None, [response.headers.get("Vary"), "Accept"]))
        response.headers.setdefault("Link", _link_header(f"/{kind}/{quote(request.path_params['key'])}"))
        return response

    return endpoint


async def _call(endpoint: Endpoint, request: Request) -> Response:
    import inspect

    from starlette.concurrency import run_in_threadpool

    if inspect.iscoroutinefunction(endpoint):
        return await endpoint(request)  # type: ignore[no-any-return]
    return await run_in_threadpool(endpoint, request)  # type: ignore[no-any-return]


def with_extension(html: dict[str, Endpoint]) -> Endpoint:
    """`/{kind}/{key}.{ext}`: an RDF twin; an unknown extension is part of the key."""

    async def endpoint(request: Request) -> Response:
        kind = request.url.path.split("/")[1]
        key, ext = request.path_params["key"], request.path_params["ext"]
        fmt = by_extension(ext)
        if fmt is not None:
            return _rdf(request, kind, key, fmt)
        request.scope["path_params"] = {"key": f"{key}.{ext}"}
        return await negotiated(html[kind])(request)

    return endpoint


# --- records, runs, sources ------------------------------------------------------------


def document(request: Request) -> Response:
    """`/record/{source}/{key}`, `/run/{source}/{time}`, `/source/{name}` (+ extension)."""
    kind = request.url.path.split("/")[1]
    key = request.path_params["key"]
    fmt: Format | None = None
    stem, dot, ext = key.rpartition(".")
    if dot and by_extension(ext) is not None:
        key, fmt = stem, by_extension(ext)
    else:
        fmt = wanted(request)
    if fmt is not None:
        return _rdf(request, kind, key, fmt)
    cat = _catalogue(request)
    doc = load_document(cat.store, cat.uris, kind, key)
    if doc is None:
        return error_response(request, 404, f"There is no {kind} '{key}' in this catalogue.")
    path = f"/{kind}/{quote(key)}"
    titles = {"record": "Catalogue record", "run": "Harvest run", "source": "Source"}
    context = rdf_view.context(doc.graph, cat.uris.base, f"{titles[kind]} {key}", doc.uri, alternates=_alternates(path))
    response = _page(request, "resource.html", context, (kind, key))
    response.headers["Link"] = _link_header(path)
    return response


# --- /catalog -------------------------------------------------------------------------------


def catalog(request: Request) -> Response:
    """The DCAT-AP feed: `/catalog[.ext]?page=N&modified_since=...`."""
    cat = _catalogue(request)
    ext = request.path_params.get("ext")
    fmt = by_extension(ext) if ext else wanted(request, html_first=True)
    if ext and fmt is None:
        return error_response(request, 404, f"There is no /catalog.{ext}; formats: ttl, jsonld, rdf, nt.")
    raw_page = request.query_params.get("page", "1")
    if not raw_page.isdigit():
        return error_response(request, 400, "The page number must be a whole number from 1.")
    try:
        since = parse_since(request.query_params.get("modified_since"))
    except FeedError as exc:
        return error_response(request, 400, str(exc))
    base = cat.uris.base
    suffix = f".{fmt.extension}" if ext and fmt else ""
    since_param = request.query_params.get("modified_since")

    def page_url(number: int) -> str:
        params = [("page", str(number))] + ([("modified_since", since_param)] if since_param else [])
        return f"{base}/catalog{suffix}?{urlencode(params)}"

    try:
        page = catalog_page(cat.store, app_settings(request), int(raw_page), page_url, since)
    except FeedError as exc:
        return error_response(request, 404, str(exc))
    if fmt is not None:
        headers = {**CORS, "Vary": "Accept", "Link": _link_header("/catalog")}
        return Response(graph_bytes(page.graph, fmt), media_type=fmt.content_type, headers=headers)
    numbers = sorted({n for n in (1, page.page - 1, page.page, page.page + 1, page.last_page) if 1 <= n <= page.last_page})
    pager = [(str(n), None if n == page.page else page_url(n)[len(base):]) for n in numbers]
    intro = f"DCAT-AP 3 feed: {page.total} catalogue records, page {page.page} of {page.last_page}."
    context = rdf_view.context(page.graph, base, f"{TITLE}: DCAT-AP catalogue", f"{base}/catalog#catalog",
                               alternates=_alternates("/catalog"), pager=pager, intro=intro)  # fmt: skip
    return _page(request, "resource.html", context, ("catalog", ""))


# --- /.well-known/void and /dumps/ --------------------------------------------------------


def void(request: Request) -> Response:
    cat = _catalogue(request)
    ext = request.path_params.get("ext")
    fmt = by_extension(ext) if ext else wanted(request, html_first=False)
    graph = void_description(cat.settings, list_dumps(cat.settings), dataset_counts(cat.settings))
    if fmt is None:
        context = rdf_view.context(graph, cat.uris.base, f"{TITLE}: VoID description", None,
                                   alternates=_alternates("/.well-known/void"))  # fmt: skip
        return _page(request, "resource.html", context, ("void", ""))
    return Response(graph_bytes(graph, fmt), media_type=fmt.content_type, headers={**CORS, "Vary": "Accept"})


def dumps_index(request: Request) -> Response:
    cat = _catalogue(request)
    files = list_dumps(cat.settings)
    accept = request.headers.get("accept", "")
    if negotiate(accept, [_HTML, ("json", ("application/json",))]) == "json":
        body = [
            {"name": f.name, "url": f.url, "media_type": f.media_type, "encoding": "gzip", "bytes": f.size,
             "modified": f.modified.isoformat()}
            for f in files
        ]  # fmt: skip
        return JSONResponse({"dumps": body}, headers=CORS)
    counts = dataset_counts(cat.settings)
    return _page(request, "dumps.html", {"files": files, "counts": counts}, ("dumps", ""))


def dump_file(request: Request) -> Response:
    cat = _catalogue(request)
    path = dump_path(cat.settings, request.path_params["name"])
    if path is None:
        return error_response(request, 404, "There is no such dump; see /dumps/ for the list.")
    return FileResponse(path, media_type="application/gzip", filename=path.name, headers=CORS)
