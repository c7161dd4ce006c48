"""Every link the site draws, for its two outputs.

The server answers `/practice/{key}` and takes the language from a `lang`
parameter (carried in links only when the visitor chose one); the static
site is files: `/practice/{key}.html`, other languages under `/{lang}/`.
Templates only ever call `links.url(...)`, so one template serves both.

Harvested URLs are untrusted: `linkable` lets only http(s) and mailto become
links, so a `javascript:` URL is shown as text, never followed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import quote, urlencode, urlsplit

from .i18n import DEFAULT, LANGUAGES

# name -> server path template; static paths add ".html" (see Links.url).
_PATHS: dict[str, str] = {
    "home": "/",
    "search": "/search",
    "practice": "/practice/{key}",
    "project": "/project/{key}",
    "organisation": "/organisation/{key}",
    "country": "/country/{key}",
    "theme": "/theme/{key}",
    "harvests": "/harvests",
    "statistics": "/statistics",
    "api": "/api",
    # Linked-data pages, server only (issue 5).
    "sparql": "/sparql",
    "catalog": "/catalog",
    "void": "/.well-known/void",
    "dumps": "/dumps/",
    "record": "/record/{key}",
    "run": "/run/{key}",
    "source": "/source/{key}",
}
ENTITY_KINDS = ("practice", "project", "organisation")
LISTING_KINDS = ("country", "theme")
RDF_EXTENSIONS = {"ttl": "Turtle", "jsonld": "JSON-LD", "rdf": "RDF/XML", "nt": "N-Triples"}

Params = Mapping[str, str | int | Iterable[str]]


def linkable(url: object) -> bool:
    """True for URLs safe to put in an href: http(s) with a host, or mailto."""
    if not isinstance(url, str) or any(c in url for c in "\x00\r\n\t"):
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme == "mailto" and "@" in parts.path


def _pairs(params: Params) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if isinstance(value, str | int):
            if value != "" and value is not None:
                pairs.append((name, str(value)))
        else:
            pairs.extend((name, str(v)) for v in value)
    return pairs


@dataclass(frozen=True)
class Links:
    """URLs for one language in one output ('server' or 'static')."""

    lang: str = DEFAULT
    static: bool = False
    carry_lang: bool = False  # server: add ?lang= (the visitor chose it)
    api_base: str = ""  # static: where the API and /sparql live ('' = none)
    languages: tuple[str, ...] = tuple(LANGUAGES)  # the languages this output has

    def in_lang(self, lang: str) -> Links:
        return _in_lang(self, lang)

    def switch(self, name: str, key: str = "", params: Params | None = None) -> dict[str, str]:
        """This page in every language: {lang: url} (the language switcher)."""
        return {code: self.in_lang(code).url(name, key, params) for code in self.languages}

    @property
    def prefix(self) -> str:
        return f"/{self.lang}" if self.static and self.lang != DEFAULT else ""

    def url(self, name: str, key: str = "", params: Params | None = None) -> str:
        """The URL of a page: `url("practice", "k")`, `url("search", params={"q": "x"})`."""
        if not params:  # most links of a page: the same few on every page
            return _plain_url(self, name, key)
        return self._url(name, key, params)

    def _url(self, name: str, key: str, params: Params | None) -> str:
        pairs = _pairs(params or {})
        path = _PATHS[name].format(key=quote(key, safe=""))
        if self.static:
            page = next((int(v) for k, v in pairs if k == "page"), 1)
            if name in LISTING_KINDS:
                pairs = [(k, v) for k, v in pairs if k != "page"]
                if page > 1:
                    path = f"{path}/{page}"
            path = f"{self.prefix}/" if path == "/" else f"{self.prefix}{path}.html"
        elif self.carry_lang:
            pairs = [(k, v) for k, v in pairs if k != "lang"] + [("lang", self.lang)]
        return path + ("?" + urlencode(pairs) if pairs else "")

    def file(self, name: str, key: str = "", page: int = 1) -> str:
        """Static output: the file a page is written to, relative to the site root."""
        assert self.static
        path = self.url(name, key, {"page": page} if page > 1 else None)
        return path.lstrip("/") + ("index.html" if path.endswith("/") else "")

    def entity(self, uri: str, base: str) -> str | None:
        """The page of one of our /id/ URIs, or None for a foreign URI."""
        prefix = f"{base}/id/"
        if not uri.startswith(prefix):
            return None
        kind, _, key = uri[len(prefix):].partition("/")
        return self.url(kind, key) if kind in ENTITY_KINDS and key else None

    def twin(self, kind: str, key: str, extension: str) -> str:
        """A record's machine-readable twin: `.json` (ours) or an RDF format."""
        return f"/{kind}/{quote(key, safe='')}.{extension}"

    def static_asset(self, name: str) -> str:
        return f"/static/{name}"

    def feed(self, params: Params | None = None) -> str:
        pairs = _pairs(params or {})
        if self.static:
            return "/feed.atom"
        return "/feed.atom" + ("?" + urlencode(pairs) if pairs else "")

    def service(self, path: str) -> str | None:
        """A server-only resource (`/sparql`, `/openapi.json`, `/api/v1/...`):
        on the server itself; from a static site, at `api_base` or nowhere."""
        if not self.static:
            return path
        if path == "/openapi.json":
            return path  # written by the static build too
        return self.api_base.rstrip("/") + path if self.api_base else None


@lru_cache(maxsize=65_536)
def _plain_url(links: Links, name: str, key: str) -> str:
    return links._url(name, key, None)


@lru_cache(maxsize=256)
def _in_lang(links: Links, lang: str) -> Links:
    return replace(links, lang=lang, carry_lang=True)
