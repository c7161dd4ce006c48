"""The JSON API (`/api/v1/...`) and the health check."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..search import InvalidParameters, parse_params, search_json
from .errors import error_response


def search_api(request: Request) -> Response:
    try:
        params = parse_params(request.query_params.multi_items())
        answer = search_json(request.app.state.catalogue.engine, params)
    except InvalidParameters as exc:
        return error_response(request, 400, str(exc))
    # Open to other origins: the static site (catalogue build-site) calls it from its own host.
    return JSONResponse(answer, headers={"Access-Control-Allow-Origin": "*"})


def healthz(request: Request) -> Response:
    # Cheap by design: answers even while a heavy query runs elsewhere.
    return JSONResponse({"ok": True, "status": 200})
