"""What each page shows, independent of how it is delivered.

A view takes the catalogue and the `Links` of the output (server or static
site, in one language) and returns a `Page`: a template and its context. The
server renders it into a response, the static build into a file: one
renderer, two outputs. Entity pages live in `entity_views.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..core import Catalogue
from ..index import Query, Result
from ..runs import read_runs
from ..search import SearchParams, SearchResponse, search
from ..stats import distributions, figures
from . import formats
from .charts import bar_chart, column_chart
from .links import Links
from .sources_info import source_titles

LISTING_PER_PAGE = 50
# Facets of the search page, in the order shown.
SEARCH_FACETS = ("theme", "country", "type", "maturity", "level", "programme", "language", "year", "region", "source")
FACETS_SHOWN = 8  # values shown before "more"


@dataclass
class Page:
    """A template and its context; `deps` (entity URIs and listing keys such
    as `country:ITA`) tell the static build when to render it again."""

    template: str
    context: dict[str, Any]
    status: int = 200
    deps: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Site:
    """What a page needs to know about its output."""

    static: bool = False
    api_base: str = ""
    base_uri: str = ""

    @property
    def has_search(self) -> bool:
        return not self.static or bool(self.api_base)


def search_url(links: Links, site: Site, params: dict[str, Any] | None = None) -> str | None:
    """Where a search goes: the server's search page, from a static site the
    one beside the API named in the settings, or nowhere (None)."""
    if not site.static:
        return links.url("search", params=params)
    if not site.api_base:
        return None
    query = urlencode([*_pairs(params or {}), ("lang", links.lang)])
    return f"{site.api_base.rstrip('/')}/search?{query}"


def _pairs(params: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        out.extend((key, str(v)) for v in (value if isinstance(value, list | tuple) else [value]))
    return out


def page(template: str, links: Links, site: Site, here: tuple[str, str, Any], **context: Any) -> Page:
    return Page(
        template,
        {
            "links": links,
            "lang": links.lang,
            "site": site,
            "here": here,
            "switch": links.switch(*here),
            "search_url": lambda params=None: search_url(links, site, params),
            **context,
        },
    )


def _facet_entries(facet: str, counts: Sequence[tuple[str, int]], lang: str) -> list[tuple[str, str, int]]:
    """(code, label, count) sorted by label."""
    entries = [(code, formats.concept(facet, code, lang), n) for code, n in counts]
    return sorted(entries, key=lambda e: formats.sort_key(e[1]))


# --- home -------------------------------------------------------------------


def home(cat: Catalogue, links: Links, site: Site) -> Page:
    overview = cat.engine.search(Query(limit=6, sort="newest", facets=("country", "theme"), lang=links.lang))
    return page(
        "home.html",
        links,
        site,
        ("home", "", {}),
        figures=figures(cat),
        latest=overview.hits,
        themes=_facet_entries("theme", overview.facets.get("theme", []), links.lang),
        countries=_facet_entries("country", overview.facets.get("country", []), links.lang),
    )


# --- search -------------------------------------------------------------------


def pager(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page numbers to show, None for a gap: 1 … 4 5 [6] 7 8 … 20."""
    shown = {1, last, *range(max(1, current - around), min(last, current + around) + 1)}
    out: list[int | None] = []
    previous = 0
    for number in sorted(shown):
        if number - previous > 1:
            out.append(None)
        out.append(number)
        previous = number
    return out


def _facet_order(facet: str, values: list[Any]) -> list[Any]:
    if facet == "year":
        return sorted(values, key=lambda v: v.value, reverse=True)
    if facet == "maturity":
        order = {code: i for i, code in enumerate(formats.maturity_order())}
        return sorted(values, key=lambda v: order.get(v.value, 99))
    return values


def search_page(
    cat: Catalogue, links: Links, site: Site, params: SearchParams, pairs: Sequence[tuple[str, str]]
) -> Page:
    """The search page on the server: `pairs` is the query string as given
    (without `lang`), so every link keeps the whole state."""
    result: SearchResponse = search(cat.engine, params)
    kept = [(k, v) for k, v in pairs if k != "lang" and v != ""]

    def url_with(drop: tuple[str, str] | None = None, page_no: int | None = None, **extra: str) -> str:
        out = [(k, v) for k, v in kept if (k, v) != drop and k != "page" and k not in extra]
        out += [(k, v) for k, v in extra.items() if v]
        if page_no and page_no > 1:
            out.append(("page", str(page_no)))
        return links.url("search", params=_multi(out))

    selected = {(k, v) for k, v in kept}
    facets = []
    for name in SEARCH_FACETS:
        values = _facet_order(name, list(result.facets.get(name, [])))
        if not values:
            continue
        shown, more = values[:FACETS_SHOWN], values[FACETS_SHOWN:]
        facets.append(
            {"name": name, "shown": shown, "more": more, "open": any((name, v.value) in selected for v in more)}
        )
    chips = [
        {"facet": k, "value": v, "label": formats.concept(k, v, links.lang), "remove": url_with(drop=(k, v))}
        for k, v in kept
        if k in SEARCH_FACETS
    ]
    last_page = max(1, -(-result.total // params.per_page))
    return page(
        "search.html",
        links,
        site,
        ("search", "", _multi(kept)),
        params=params,
        result=result,
        facets=facets,
        selected=selected,
        chips=chips,
        clear_url=links.url("search", params=_multi([(k, v) for k, v in kept if k in ("q", "sort")])),
        page_url=lambda n: url_with(page_no=n),
        pages=pager(params.page, last_page),
        last_page=last_page,
        feed_url=links.feed(_multi([(k, v) for k, v in kept if k not in ("page", "per_page", "sort")])),
    )


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def static_search(links: Links, site: Site) -> Page:
    """The static site's search page: a form for the API named in the
    settings (with a small script), or browsing help when there is none."""
    return page("search_static.html", links, site, ("search", "", {}), facet_names=SEARCH_FACETS)


# --- country and theme listings --------------------------------------------------


def _listing_query(facet: str, code: str, lang: str, offset: int, limit: int, count_other: bool = True) -> Query:
    other = "theme" if facet == "country" else "country"
    return Query(filters={facet: (code,)}, facets=(other,) if count_other else (), sort="title",
                 offset=offset, limit=limit, lang=lang)  # fmt: skip


def listing_all(cat: Catalogue, facet: str, code: str, lang: str) -> Result:
    """Every practice of a listing, in its order, with the breakdown: what
    `listing` shows page by page (the static build asks once per listing)."""
    first = cat.engine.search(_listing_query(facet, code, lang, 0, LISTING_PER_PAGE))
    if first.total <= LISTING_PER_PAGE:
        return first
    rest = cat.engine.search(
        _listing_query(facet, code, lang, LISTING_PER_PAGE, first.total - LISTING_PER_PAGE, count_other=False)
    )
    return Result(total=first.total, hits=[*first.hits, *rest.hits], facets=first.facets)


def listing_search(cat: Catalogue, facet: str, code: str, lang: str, page_no: int) -> Result:
    """The search behind one page of a listing."""
    return cat.engine.search(_listing_query(facet, code, lang, (page_no - 1) * LISTING_PER_PAGE, LISTING_PER_PAGE))


def listing(
    cat: Catalogue, links: Links, site: Site, facet: str, code: str, page_no: int = 1, whole: Result | None = None,
    searched: Result | None = None,
) -> Page | None:  # fmt: skip
    """Practices of one country or theme, by title, with the other facet as
    a breakdown. None when the code is not one of ours or the page is past
    the end. `whole`: the listing from `listing_all`, when the caller has it;
    `searched`: the page's `listing_search`, when the caller made it."""
    if code not in formats.known_codes(facet):
        return None
    other = "theme" if facet == "country" else "country"
    offset = (page_no - 1) * LISTING_PER_PAGE
    if whole is None:
        result = searched if searched is not None else listing_search(cat, facet, code, links.lang, page_no)
        hits = result.hits
    else:
        result, hits = whole, whole.hits[offset : offset + LISTING_PER_PAGE]
    last_page = max(1, -(-result.total // LISTING_PER_PAGE))
    if page_no > last_page:
        return None
    return page(
        "listing.html",
        links,
        site,
        (facet, code, {"page": page_no} if page_no > 1 else {}),
        facet=facet,
        code=code,
        name=formats.concept(facet, code, links.lang),
        total=result.total,
        hits=hits,
        other=other,
        breakdown=_facet_entries(other, result.facets.get(other, []), links.lang),
        breakdown_url=lambda c: search_url(links, site, {facet: code, other: c}) or links.url(other, c),
        page_no=page_no,
        last_page=last_page,
        pages=pager(page_no, last_page),
        page_url=lambda n: links.url(facet, code, {"page": n} if n > 1 else None),
    )


# --- harvests, statistics, API -------------------------------------------------


def harvests(cat: Catalogue, links: Links, site: Site) -> Page:
    return page(
        "harvests.html",
        links,
        site,
        ("harvests", "", {}),
        sources=read_runs(cat.store, cat.uris),
        titles=source_titles(cat.settings),
    )


def statistics(cat: Catalogue, links: Links, site: Site) -> Page:
    lang = links.lang
    total, dist = distributions(cat)

    def labelled(facet: str, pairs: Sequence[tuple[str, int]]) -> list[tuple[str, str, int]]:
        return [(code, formats.concept(facet, code, lang), n) for code, n in pairs]

    maturity_rank = {c: i for i, c in enumerate(formats.maturity_order())}
    charts = [
        bar_chart("country", labelled("country", dist["country"])),
        bar_chart("theme", labelled("theme", dist["theme"])),
        bar_chart("maturity", labelled("maturity", sorted(dist["maturity"], key=lambda p: maturity_rank.get(p[0], 99)))),
        column_chart("year", sorted(labelled("year", dist["year"]))),
        bar_chart("type", labelled("type", dist["type"])),
        bar_chart("level", labelled("level", dist["level"])),
        bar_chart("programme", labelled("programme", dist["programme"])),
        bar_chart("language", labelled("language", dist["language"])),
    ]
    return page(
        "statistics.html",
        links,
        site,
        ("statistics", "", {}),
        total=total,
        charts=[c for c in charts if c.rows],
    )


def type_of(schema: dict[str, Any]) -> str:
    """A JSON Schema as a reader would say it: 'array of SearchHit', 'string or null'."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    for combiner in ("anyOf", "oneOf"):
        if combiner in schema:
            return " or ".join(type_of(s) for s in schema[combiner])
    kind = schema.get("type", "object")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_of(schema['additionalProperties'])}"
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"]).replace("'", '"')
    limits = [f"{schema['minimum']}–{schema['maximum']}"] if "minimum" in schema and "maximum" in schema else []
    if "maxLength" in schema:
        limits.append(f"≤ {schema['maxLength']} characters")
    if "default" in schema and schema["default"] not in ("", None):
        limits.append(f"default {schema['default']}")
    return f"{kind} ({', '.join(limits)})" if limits else str(kind)


def api_page(links: Links, site: Site) -> Page:
    from ..openapi import openapi  # pydantic's JSON schemas, for this page only

    document = openapi()
    operations = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            operations.append({"path": path, "method": method.upper(), **op})
    return page(
        "api.html",
        links,
        site,
        ("api", "", {}),
        doc=document,
        operations=operations,
        schemas=document["components"]["schemas"],
        openapi_url=links.service("/openapi.json"),
        sparql_url=links.service("/sparql"),
        search_example=links.service("/api/v1/search?q=participation&country=ITA"),
        type_of=type_of,
    )


# --- feeds ------------------------------------------------------------------------


def feed(links: Links, site: Site, entries: list[Any], self_url: str, origin: str, query_text: str = "") -> Page:
    """An Atom feed of new and changed practices; `origin` makes links absolute."""
    updated = max((e.modified for e in entries), default=None)
    return page(
        "feed.xml",
        links,
        site,
        ("home", "", {}),
        entries=entries,
        self_url=self_url,
        origin=origin.rstrip("/"),
        updated=updated,
        query_text=query_text,
        page_of=lambda uri: links.entity(uri, site.base_uri),
    )
