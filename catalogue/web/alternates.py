"""What a page offers machines, for `_alternates.html` (included in the
head of every page): `<link rel="alternate">` to its RDF twins, and
schema.org JSON-LD for web search engines. Template globals, so the server
and the static build render the same head.
"""

from __future__ import annotations

from typing import Any

from .. import schema_org
from ..rdf_formats import RDF_FORMATS
from .links import ENTITY_KINDS, Links


def links_for(here: tuple[str, str, Any], links: Links) -> list[dict[str, str]]:
    """The page's RDF twins (an entity's documents); every page also points
    to the catalogue as DCAT-AP, where a server offers it."""
    kind, key = here[0], here[1]
    out = []
    if kind in ENTITY_KINDS and key:
        for fmt in RDF_FORMATS:
            out.append({"href": links.twin(kind, key, fmt.extension), "type": fmt.media_type, "title": fmt.label})
    catalog = links.service("/catalog.ttl")
    if catalog:
        out.append({"href": catalog, "type": "text/turtle", "title": "DCAT-AP catalogue"})
    return out


def data_for(here: tuple[str, str, Any], links: Links, view: Any = None, site: Any = None) -> dict[str, Any] | None:
    """schema.org JSON-LD of an entity page or of the home page, else None."""
    base = getattr(site, "base_uri", "") or ""
    kind = here[0]
    if kind in ENTITY_KINDS and view is not None and hasattr(view, "entity"):
        return schema_org.entity(view.entity, base, dict(getattr(view, "names", {})), links.lang)
    if kind == "home" and base:
        search = f"{base}/search" if getattr(site, "has_search", False) and not getattr(site, "static", False) else None
        return schema_org.website(f"{base}/", search, "Good Practice Catalogue")
    return None
