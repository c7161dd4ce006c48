"""One error shape for the whole web app: an HTML page for people, JSON
(`ok`, `error`, `errors`, `status`) for machines, chosen by path and Accept.
Tracebacks never reach a visitor."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .i18n import negotiate
from .links import Links
from .templates import templates

log = logging.getLogger(__name__)

TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 410: "Gone", 500: "Server error", 503: "Unavailable"}


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "error": message, "errors": [message], "status": status}, status_code=status)
    lang, explicit = negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))
    return templates(lang).TemplateResponse(
        request,
        "error.html",
        {"status": status, "title": TITLES.get(status, "Error"), "message": message, "links": Links(lang, carry_lang=explicit)},
        status_code=status,
        headers={"Content-Language": lang, "Vary": "Accept-Language"},
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(request, exc.status_code, str(exc.detail))


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, 500, "Something went wrong on our side; the error has been logged.")
