"""The one query layer behind the HTML search page and `GET /api/v1/search`.

Parameters: `q`, one parameter per facet (repeatable: OR within a facet, AND
across facets), `sort`, `page`, `per_page` (capped), `lang`. The answer
carries `total`, `results`, `facets` as `{name: [{value, label, count}]}`
(pass `name=value` back to filter) and `suggestion`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from vocab import EU_COUNTRY, EU_LANGUAGE, GOV_LEVEL, MATURITY, NUTS, PRACTICE_TYPE, PROGRAMME, THEME

from .index import FACETS, Query, QuerySyntaxError, SearchEngine
from .indexing import label

MAX_PER_PAGE = 100
MAX_QUERY_CHARS = 1000
MAX_PAGE = 1000

# Facets whose values are concepts with multilingual labels, and their bases.
_CONCEPT_BASES = {
    "country": str(EU_COUNTRY),
    "theme": str(THEME),
    "type": str(PRACTICE_TYPE),
    "maturity": str(MATURITY),
    "level": str(GOV_LEVEL),
    "programme": str(PROGRAMME),
    "region": str(NUTS),
}


class InvalidParameters(ValueError):
    """A search parameter is wrong; the message says which and why (HTTP 400)."""


class SearchParams(BaseModel):
    q: str = Field(default="", max_length=MAX_QUERY_CHARS)
    sort: str = Field(default="relevance", pattern="^(relevance|newest|title)$")
    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)
    lang: str = Field(default="en", pattern="^[a-z]{2}$")
    filters: dict[str, list[str]] = Field(default_factory=dict)


class FacetValue(BaseModel):
    value: str
    label: str
    count: int


class SearchHit(BaseModel):
    uri: str
    title: str
    snippet: str = Field(description="HTML-escaped text with <mark> around matched words.")
    facets: dict[str, list[str]]
    lang: str = Field(default="", description="Language tag of `title`.")
    snippet_lang: str = Field(default="", description="Language tag of `snippet`.")


class SearchResponse(BaseModel):
    total: int
    page: int
    per_page: int
    results: list[SearchHit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = None


def parse_params(params: Mapping[str, str] | Sequence[tuple[str, str]]) -> SearchParams:
    """From query-string pairs (repeated keys allowed) to SearchParams."""
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    single: dict[str, str] = {}
    filters: dict[str, list[str]] = {}
    for key, value in pairs:
        if key in FACETS:
            if value:
                filters.setdefault(key, []).append(value)
        elif key in ("q", "sort", "page", "per_page", "lang"):
            if key in single:
                raise InvalidParameters(f"parameter '{key}' given more than once")
            single[key] = value
        else:
            known = ", ".join(["q", "sort", "page", "per_page", "lang", *FACETS])
            raise InvalidParameters(f"unknown parameter '{key}'; known: {known}")
    if "\x00" in single.get("q", ""):
        single["q"] = single["q"].replace("\x00", " ")
    try:
        return SearchParams(**single, filters=filters)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        raise InvalidParameters(f"parameter '{name}': {err['msg']}") from None


@cache
def facet_label(facet: str, value: str, lang: str) -> str:
    base = _CONCEPT_BASES.get(facet)
    if base is not None:
        return label(base + value, lang)
    if facet == "language":
        import vocab

        code = vocab.language_codes().get(value)
        return label(str(EU_LANGUAGE) + code, lang) if code else value
    return value


def search(engine: SearchEngine, params: SearchParams) -> SearchResponse:
    """The answer as a model (the HTML pages)."""
    return SearchResponse.model_validate(search_json(engine, params))


def search_json(engine: SearchEngine, params: SearchParams) -> dict[str, Any]:
    """The answer as plain JSON data, in the shape of `SearchResponse` (the API
    sends it as it is: no model to build and dump for hundreds of facet values)."""
    query = Query(
        text=params.q.strip(),
        filters={k: tuple(v) for k, v in params.filters.items()},
        sort=params.sort,  # type: ignore[arg-type]
        offset=(params.page - 1) * params.per_page,
        limit=params.per_page,
        lang=params.lang,
    )
    try:
        result = engine.search(query)
    except QuerySyntaxError as exc:
        raise InvalidParameters(f"parameter 'q': {exc}") from None
    return {
        "total": result.total,
        "page": params.page,
        "per_page": params.per_page,
        "results": [
            {
                "uri": h.uri,
                "title": h.title,
                "snippet": h.snippet,
                "facets": {k: list(v) for k, v in h.facets.items()},
                "lang": h.lang,
                "snippet_lang": h.snippet_lang,
            }
            for h in result.hits
        ],
        "facets": {
            name: [{"value": v, "label": facet_label(name, v, params.lang), "count": n} for v, n in counts]
            for name, counts in result.facets.items()
        },
        "suggestion": result.suggestion,
    }
