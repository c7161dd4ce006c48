"""`/sparql`: the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/),
read-only, with every query bounded in time, memory and answer size.

Queries come by GET, by POST form (`application/x-www-form-urlencoded`) or
by POST `application/sparql-query`; `default-graph-uri` and
`named-graph-uri` replace the query's dataset. The answer format follows the
`format` parameter (also `output`, as SPARQLWrapper sends it), else the
Accept header. Screening (size, updates, SERVICE) happens here, in the
event loop, in well under a millisecond; evaluation happens in the worker
processes of `sparql_pool` (or, with a remote store, on the store's own query
endpoint, to which the screened query is forwarded), through at most
`sparql_workers` threads, so a heavy query never holds the threads /healthz
and the pages use. Without a query: the service description, or an HTML
query editor for browsers.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..dumps import dataset_counts
from ..rdf_formats import HTML_TYPE, RDF_FORMATS, RESULT_FORMATS, Format, by_name, negotiate, offers, prefers_html
from ..rdf_output import PREFIX_MAP, graph_bytes
from ..self_description import service_description
from ..settings import Settings
from ..sparql_eval import Answer, Job
from ..sparql_guard import QueryRejected, screen
from ..sparql_pool import PoolBusy, QueryPool, QueryTimeout, RemoteQueries
from .errors import error_response
from .i18n import negotiate as negotiate_language
from .links import Links
from .sparql_examples import EXAMPLES
from .templates import templates

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Content-Type, Content-Length, Retry-After"}
_FORM = "application/x-www-form-urlencoded"
_DIRECT = "application/sparql-query"
_UPDATE = "application/sparql-update"
_FORMAT_PARAMS = ("format", "output", "results")
_HTML_ROWS = 1000  # rows an HTML answer shows
_pool_lock = threading.Lock()


# --- the worker pool, one per app --------------------------------------------------


class _Executor:
    """The pool (worker processes over the embedded store, or the remote
    store's query endpoint) and the admission control in front of it: at most
    `workers` queries are handed to threads; the others wait here, without a thread."""

    def __init__(self, settings: Settings, pool: QueryPool | RemoteQueries) -> None:
        self.settings = settings
        self.pool = pool
        self.admission = anyio.CapacityLimiter(settings.sparql_workers)
        self.threads = anyio.CapacityLimiter(settings.sparql_workers)

    async def run(self, job: Job) -> Answer:
        timeout = self.settings.sparql_timeout
        try:
            with anyio.fail_after(timeout):
                await self.admission.acquire()
        except TimeoutError:
            raise PoolBusy from None
        try:
            return await anyio.to_thread.run_sync(self.pool.run, job, timeout, limiter=self.threads)
        finally:
            self.admission.release()


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests vary the limits)."""
    return getattr(request.app.state, "settings", None) or request.app.state.catalogue.settings  # type: ignore[no-any-return]


def _executor(request: Request) -> _Executor | None:
    app = request.app
    existing = getattr(app.state, "sparql_executor", None)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    with _pool_lock:
        if getattr(app.state, "sparql_executor", None) is None:
            settings = app_settings(request)
            pool = _pool(settings, app.state.catalogue.store)
            if pool is None:
                return None
            app.state.sparql_executor = _Executor(settings, pool)
    return app.state.sparql_executor  # type: ignore[no-any-return]


def _pool(settings: Settings, store: Any) -> QueryPool | RemoteQueries | None:
    """Worker processes over the embedded store's files, or the remote store's
    query endpoint; None for an in-memory store (nothing a worker can open)."""
    path = getattr(store, "path", None)
    if path is not None:
        return QueryPool(
            path,
            workers=settings.sparql_workers,
            timeout=settings.sparql_timeout,
            memory_mb=settings.sparql_worker_memory_mb,
        )
    query_url = getattr(store, "query_url", None)
    if query_url:
        return RemoteQueries(query_url, timeout=settings.sparql_timeout)
    return None


def close_executor(app: Any) -> None:
    """Stop the workers (the app's lifespan calls this on shutdown)."""
    executor = getattr(app.state, "sparql_executor", None)
    if executor is not None:
        executor.pool.close()
        app.state.sparql_executor = None


# --- the protocol ---------------------------------------------------------------------


class _Params:
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    def one(self, name: str) -> str | None:
        values = self.all(name)
        if len(values) > 1:
            raise QueryRejected(400, f"Give one '{name}' parameter, not {len(values)}.")
        return values[0] if values else None


def _media_type(request: Request) -> tuple[str, str]:
    raw = request.headers.get("content-type", "")
    media, _, params = raw.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


async def _body(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise QueryRejected(413, f"The request body is {int(declared):,} bytes; this endpoint accepts at most {cap:,}.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise QueryRejected(413, f"The request body is larger than this endpoint accepts ({cap:,} bytes).")
        chunks.append(chunk)
    return b"".join(chunks)


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise QueryRejected(400, f"The {what} is not valid UTF-8.") from None


async def read_request(request: Request, max_query_bytes: int) -> tuple[_Params, str | None]:
    """The protocol parameters and the query text (None: no query given)."""
    url_pairs = [(k, v) for k, v in request.query_params.multi_items()]
    if request.method == "GET":
        params = _Params(url_pairs)
        if params.all("update"):
            raise QueryRejected(403, "This endpoint is read-only: SPARQL Update operations are not accepted.")
        return params, params.one("query")
    media, charset = _media_type(request)
    if media == _UPDATE:
        raise QueryRejected(403, "This endpoint is read-only: SPARQL Update operations are not accepted.")
    if media == _DIRECT:
        if charset and charset not in ("utf-8", "utf8"):
            raise QueryRejected(415, "Send the query in UTF-8 (application/sparql-query; charset=utf-8).")
        body = _utf8(await _body(request, max_query_bytes), "query")
        params = _Params(url_pairs)
        if params.all("query"):
            raise QueryRejected(400, "Give the query once: in the body or in the URL, not both.")
        return params, body
    if media == _FORM:
        # Percent-encoding can triple the size of a query.
        body = _utf8(await _body(request, 3 * max_query_bytes + 65536), "form")
        pairs = url_pairs + parse_qsl(body, keep_blank_values=True)
        params = _Params(pairs)
        if params.all("update"):
            raise QueryRejected(403, "This endpoint is read-only: SPARQL Update operations are not accepted.")
        return params, params.one("query")
    shown = media or "none"
    raise QueryRejected(
        415, f"POST the query as {_FORM} (query=...) or as {_DIRECT}; the content type was {shown}."
    )


# --- formats ------------------------------------------------------------------------------


def _explicit(params: _Params) -> list[str]:
    return [v for name in _FORMAT_PARAMS for v in params.all(name) if v.strip()]


def _pick(values: list[str], family: tuple[Format, ...]) -> Format | None:
    return next((f for f in (by_name(v, family) for v in values) if f is not None), None)


def _formats(request: Request, params: _Params, form: str | None) -> tuple[str | None, str | None, bool]:
    """(results format, graph format, as HTML for a browser)."""
    explicit = _explicit(params)
    if explicit:
        results, graph = _pick(explicit, RESULT_FORMATS), _pick(explicit, RDF_FORMATS)
        if results is None and graph is None:
            if any(v.strip().lower() in ("html", HTML_TYPE) for v in explicit):
                return "json", "turtle", True
            known = ", ".join(f.name for f in (*RESULT_FORMATS, *RDF_FORMATS))
            raise QueryRejected(406, f"Unknown format {explicit[0]!r}; known: {known}.")
        if form in ("SELECT", "ASK") and results is None:
            raise QueryRejected(406, f"A {form} query answers in {', '.join(f.name for f in RESULT_FORMATS)}.")
        if form in ("CONSTRUCT", "DESCRIBE") and graph is None:
            raise QueryRejected(406, f"A {form} query answers in {', '.join(f.name for f in RDF_FORMATS)}.")
        return (results.name if results else None), (graph.name if graph else None), False
    accept = request.headers.get("accept")
    if prefers_html(accept):
        return "json", "turtle", True
    # Nothing acceptable for the query's kind: answer the default rather than 406.
    results = negotiate(accept, offers(RESULT_FORMATS)) or "json"
    graph = negotiate(accept, offers(RDF_FORMATS)) or "turtle"
    return results, graph, False


def _dataset(params: _Params) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(params.all("default-graph-uri")), tuple(params.all("named-graph-uri"))


def _endpoint_url(request: Request) -> str:
    return str(request.url.replace(query="", fragment=""))


# --- responses ------------------------------------------------------------------------------


def _browser(request: Request) -> bool:
    return prefers_html(request.headers.get("accept"))


def _error(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    extra = {**CORS, **(headers or {})}
    if _browser(request):
        response = error_response(request, status, message)
    else:  # the project's one error shape, in JSON, for every SPARQL client
        response = JSONResponse({"ok": False, "error": message, "errors": [message], "status": status}, status_code=status)
    response.headers.update(extra)
    return response


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    lang, explicit = negotiate_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    links = Links(lang, carry_lang=explicit)
    base = request.app.state.catalogue.uris.base
    values = {
        "links": links,
        "lang": lang,
        "here": ("sparql", "", {}),
        "examples": EXAMPLES,
        "query": "",
        "answer": None,
        "error": None,
        "result_formats": RESULT_FORMATS,
        "rdf_formats": RDF_FORMATS,
        "chosen_format": "",
        "base": base,
        "settings": app_settings(request),
        **context,
    }
    response = templates(lang).TemplateResponse(request, "sparql.html", values, status_code=status)
    response.headers.update({**CORS, "Vary": "Accept, Accept-Language", "Content-Language": lang})
    return response


def _table(answer: Answer, base: str) -> dict[str, Any]:
    """A JSON answer made ready for the HTML table (cells with links)."""
    data = json.loads(answer.body)
    if "boolean" in data:
        return {"boolean": bool(data["boolean"])}
    names = data["head"]["vars"]
    rows = []
    for binding in data["results"]["bindings"][:_HTML_ROWS]:
        rows.append([_cell(binding.get(name), base) for name in names])
    total = len(data["results"]["bindings"])
    return {"vars": names, "rows": rows, "total": total, "shown": min(total, _HTML_ROWS)}


def _cell(term: dict[str, str] | None, base: str) -> dict[str, str]:
    cell = {"text": "", "href": "", "lang": "", "datatype": ""}
    if term is None:
        return cell
    value = term["value"]
    if term["type"] == "uri":
        href = value
        if value.startswith(f"{base}/id/"):
            href = value[len(base):].replace("/id/", "/", 1)
        return {**cell, "text": value, "href": href}
    if term["type"] == "bnode":
        return {**cell, "text": f"_:{value}"}
    return {**cell, "text": value, "lang": term.get("xml:lang", ""), "datatype": term.get("datatype", "")}


def _description(request: Request) -> Response:
    """No query: the service description, or the query editor for people."""
    if _browser(request):
        return _page(request)
    cat = request.app.state.catalogue
    accept = request.headers.get("accept")
    name = negotiate(accept, offers(RDF_FORMATS)) or "turtle"
    fmt = by_name(name, RDF_FORMATS)
    assert fmt is not None
    public = f"{cat.uris.base}/sparql"
    graph = service_description(app_settings(request), [public, _endpoint_url(request)], dataset_counts(cat.settings))
    body = graph_bytes(graph, fmt)
    return Response(body, media_type=fmt.content_type, headers={**CORS, "Vary": "Accept"})


async def sparql_endpoint(request: Request) -> Response:
    if request.method == "OPTIONS":  # CORS preflight (POST with application/sparql-query)
        return Response(
            status_code=204,
            headers={
                **CORS,
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, Content-Type",
                "Access-Control-Max-Age": "86400",
            },
        )
    cat = request.app.state.catalogue
    settings = app_settings(request)
    try:
        params, query = await read_request(request, settings.sparql_max_query_bytes)
        if query is None:
            return _description(request)
        screened = screen(query, settings.sparql_max_query_bytes)
        results_format, graph_format, as_html = _formats(request, params, screened.form)
        default_graphs, named_graphs = _dataset(params)
    except QueryRejected as exc:
        if exc.status in (400, 403, 413) and _browser(request) and request.method == "GET" and "query" in request.query_params:
            return _page(request, exc.status, query=request.query_params.get("query", "")[:20000], error=exc.message)
        return _error(request, exc.status, exc.message)
    job = Job(
        query=screened.text,
        results_format=results_format,
        graph_format=graph_format,
        default_graphs=default_graphs,
        named_graphs=named_graphs,
        base_iri=f"{cat.uris.base}/sparql",
        max_bytes=settings.sparql_max_result_bytes,
        prefixes=tuple(PREFIX_MAP.items()),
        form=screened.form,
    )
    executor = _executor(request)
    if executor is None:
        return _error(request, 503, "The SPARQL endpoint needs a store it can query (this one is in memory only).")
    try:
        answer = await executor.run(job)
    except QueryTimeout:
        message = (
            f"The query ran longer than this endpoint's limit of {settings.sparql_timeout:g} seconds and was stopped. "
            "Make it more selective, add a LIMIT, or download the data from /dumps/ and query it locally."
        )
        return _error(request, 503, message, {"Retry-After": "1"}) if not as_html else _page(request, 503, query=query, error=message)
    except PoolBusy:
        message = f"Every query worker stayed busy for {settings.sparql_timeout:g} seconds; try again shortly."
        return _error(request, 503, message, {"Retry-After": str(int(settings.sparql_timeout))})
    if answer.status != 200:
        if as_html:
            return _page(request, answer.status, query=query, error=answer.message)
        return _error(request, answer.status, answer.message)
    if as_html:
        shown: dict[str, Any] = {"kind": answer.kind}
        if answer.kind == "graph":
            shown["text"] = answer.body.decode("utf-8", "replace")
        else:
            shown.update(_table(answer, cat.uris.base))
        return _page(request, query=query, answer=shown, chosen_format="")
    return Response(answer.body, media_type=answer.media_type, headers={**CORS, "Vary": "Accept"})
