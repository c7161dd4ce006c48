"""Remote JSON-LD contexts, read under the harvest's own HTTP rules.

rdflib's JSON-LD parser would fetch a remote `@context` itself, with no
size cap, time limit or scheme check (a `file:` context would be read from
this machine's disk). So before rdflib sees a document, every context given
by reference (`"@context": "https://..."`, in a list, or as `@import`) is
fetched with the harvester's `fetch` and put in place; anything but http(s)
is refused. Fetched contexts are kept for the run: a catalogue of many pages
names the same context on each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from .base import HarvestContext, SourceError, fetch

MAX_DEPTH = 4  # contexts that name contexts that name contexts...

Load = Callable[[str], bytes]


class ContextLoader:
    def __init__(self, load: Load) -> None:
        self._load = load
        self._cache: dict[str, Any] = {}

    def inline(self, body: bytes, location: str) -> bytes:
        """The document with every referenced context written in place."""
        try:
            document = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SourceError(f"{location}: not valid json-ld: {exc}") from None
        return json.dumps(self._walk(document, location, 0)).encode("utf-8")

    def _walk(self, node: Any, base: str, depth: int) -> Any:
        if isinstance(node, list):
            return [self._walk(item, base, depth) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: self._walk(value, base, depth) for key, value in node.items() if key != "@context"}
        if "@context" in node:
            out["@context"] = self._context(node["@context"], base, depth)
        return out

    def _context(self, value: Any, base: str, depth: int) -> Any:
        if isinstance(value, str):
            return self._remote(urljoin(base, value), depth)
        if isinstance(value, list):
            return [self._context(item, base, depth) for item in value]
        if isinstance(value, dict):
            local = {k: self._walk(v, base, depth) for k, v in value.items() if k != "@import"}
            imported = value.get("@import")
            if isinstance(imported, str):
                # JSON-LD 1.1: the imported context first, this one over it.
                resolved = self._remote(urljoin(base, imported), depth)
                if not isinstance(resolved, dict):
                    raise SourceError(f"JSON-LD context {imported}: @import must name one context object")
                return {**resolved, **local}
            return local
        return value  # null resets the context

    def _remote(self, url: str, depth: int) -> Any:
        if urlsplit(url).scheme not in ("http", "https"):
            raise SourceError(f"JSON-LD context {url!r} refused: only http(s) contexts are read")
        if depth >= MAX_DEPTH:
            raise SourceError(f"JSON-LD context {url}: contexts nested more than {MAX_DEPTH} deep")
        if url not in self._cache:
            try:
                data = json.loads(self._load(url))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise SourceError(f"JSON-LD context {url}: not JSON: {exc}") from None
            if not isinstance(data, dict) or "@context" not in data:
                raise SourceError(f"JSON-LD context {url}: the document has no @context")
            self._cache[url] = self._context(data["@context"], url, depth + 1)
        return self._cache[url]


ACCEPT = "application/ld+json, application/json;q=0.9"


def context_loader(ctx: HarvestContext) -> ContextLoader:
    """Contexts fetched like the source itself: cap, time limit, user agent,
    no redirect to another scheme."""

    def load(url: str) -> bytes:
        return fetch(url, ctx, accept=ACCEPT).body

    return ContextLoader(load)
