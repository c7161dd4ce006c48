"""The OpenAPI 3.1 description of the JSON API, generated from the pydantic
models the API itself answers with (`catalogue.search`, `catalogue.twins`),
so the description and the answers cannot drift apart.

Served at `/openapi.json`, rendered readably at `/api`, and written by the
static build.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from . import __version__
from .index import FACETS
from .search import SearchParams, SearchResponse
from .twins import EntityTwin

_REF = "#/components/schemas/{model}"


class ErrorBody(BaseModel):
    """Every error of the API has this shape."""

    ok: bool = Field(default=False, description="Always false.")
    error: str = Field(description="What went wrong, as a sentence.")
    errors: list[str] = Field(description="Every problem found (at least the one in `error`).")
    status: int = Field(description="The HTTP status, repeated.")


class Health(BaseModel):
    ok: bool
    status: int


_FACET_HELP = {
    "country": "EU authority-table country code, e.g. ITA",
    "region": "NUTS code, e.g. ITH55",
    "theme": "theme code, e.g. participation",
    "type": "practice-type code, e.g. software",
    "maturity": "maturity code, e.g. scaled",
    "programme": "funding-programme code, e.g. h2020",
    "level": "level of government, e.g. local",
    "language": "ISO 639-1 code of a language the practice is described in, e.g. it",
    "source": "name of the source it was harvested from",
    "year": "launch year, e.g. 2019",
}


def _search_parameters() -> list[dict[str, Any]]:
    props = SearchParams.model_json_schema()["properties"]
    described = {
        "q": "Words to search for, in any language. Empty: every practice.",
        "sort": "Order of the results.",
        "page": "Page of results, from 1.",
        "per_page": "Results per page.",
        "lang": "Language of labels, titles and snippets (ISO 639-1).",
    }
    params = []
    for name, text in described.items():
        schema = {k: v for k, v in props[name].items() if k not in ("title",)}
        if name == "sort":
            schema = {"type": "string", "enum": ["relevance", "newest", "title"], "default": "relevance"}
        params.append({"name": name, "in": "query", "required": False, "description": text, "schema": schema})
    for facet in FACETS:
        params.append(
            {
                "name": facet,
                "in": "query",
                "required": False,
                "description": f"Filter by {facet} ({_FACET_HELP.get(facet, 'value')}). "
                "Repeat for OR within the facet; different facets combine with AND.",
                "schema": {"type": "array", "items": {"type": "string", "maxLength": 200}},
                "style": "form",
                "explode": True,
            }
        )
    return params


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": _REF.format(model=ref)}}}}


def _twin_path(kind: str) -> dict[str, Any]:
    return {
        "get": {
            "operationId": f"{kind}Json",
            "summary": f"One {kind} as JSON",
            "description": f"The JSON twin of the {kind} page: the {kind} as the application profile's model, "
            "the names of the entities it links to, and where its description came from.",
            "tags": ["records"],
            "parameters": [
                {
                    "name": "key",
                    "in": "path",
                    "required": True,
                    "description": f"The key of the {kind} (the last segment of its URI).",
                    "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{0,199}$"},
                }
            ],
            "responses": {
                "200": _json("EntityTwin", f"The {kind}."),
                "404": _json("ErrorBody", f"No {kind} has this key."),
                "410": _json("EntityTwin", f"The {kind} was withdrawn from every source; its last description."),
            },
        }
    }


def openapi(server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI document."""
    _, schemas = models_json_schema(
        [(m, "serialization") for m in (SearchResponse, EntityTwin, ErrorBody, Health)], ref_template=_REF
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Good Practice Catalogue API",
            "version": __version__,
            "description": "Search public-sector good practices and read them as JSON. "
            "Linked data (RDF documents, SPARQL) is served beside this API.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        },
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "search", "description": "Full-text search with facets."},
            {"name": "records", "description": "Practices, projects and organisations as JSON."},
            {"name": "service", "description": "Health of the service."},
        ],
        "paths": {
            "/api/v1/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search practices",
                    "description": "Full-text search in every language, with facet counts "
                    "(the counts of a facet ignore that facet's own filter), paging, sorting and "
                    "a 'did you mean' suggestion. Facet values come back with labels in `lang`; "
                    "pass a value back as a parameter to filter.",
                    "tags": ["search"],
                    "parameters": _search_parameters(),
                    "responses": {
                        "200": _json("SearchResponse", "The results."),
                        "400": _json("ErrorBody", "A parameter is wrong; the message says which and why."),
                    },
                }
            },
            "/practice/{key}.json": _twin_path("practice"),
            "/project/{key}.json": _twin_path("project"),
            "/organisation/{key}.json": _twin_path("organisation"),
            "/healthz": {
                "get": {
                    "operationId": "health",
                    "summary": "Is the service up?",
                    "tags": ["service"],
                    "responses": {"200": _json("Health", "It is.")},
                }
            },
        },
        "components": {"schemas": schemas["$defs"]},
    }
