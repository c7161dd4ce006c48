"""Full-text search: one contract (`base`), engines chosen by name.

Built-in engines are registered exactly as a third party's would be, as
"module:Class" strings imported only when asked for; other packages add
engines through the entry-point group `catalogue.search_engines`.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points
from pathlib import Path

from catalogue.index.base import (
    FACETS,
    Hit,
    IndexDoc,
    Query,
    QuerySyntaxError,
    Result,
    SearchEngine,
    SortOrder,
)

__all__ = [
    "ENGINES",
    "ENTRY_POINT_GROUP",
    "FACETS",
    "Hit",
    "IndexDoc",
    "Query",
    "QuerySyntaxError",
    "Result",
    "SearchEngine",
    "SortOrder",
    "engine_class",
    "engine_names",
    "open_engine",
]

ENTRY_POINT_GROUP = "catalogue.search_engines"

# name -> "module:Class"; imported lazily so choosing one engine never loads the other.
ENGINES: dict[str, str] = {
    "tantivy": "catalogue.index.tantivy_engine:TantivyEngine",
    "whoosh": "catalogue.index.whoosh_engine:WhooshEngine",
}


def _plugin_targets() -> dict[str, str]:
    """Engines from installed packages; built-in names cannot be overridden."""
    found = {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return {name: target for name, target in found.items() if name not in ENGINES}


def engine_names() -> list[str]:
    return sorted({*ENGINES, *_plugin_targets()})


def _load(target: str) -> type[SearchEngine]:
    module_name, _, attr = target.partition(":")
    obj = import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not (isinstance(obj, type) and issubclass(obj, SearchEngine)):
        raise TypeError(f"{target} is not a SearchEngine subclass")
    return obj


def engine_class(name: str) -> type[SearchEngine]:
    """The engine class registered under `name`."""
    target = ENGINES.get(name) or _plugin_targets().get(name)
    if target is None:
        known = ", ".join(engine_names())
        raise ValueError(f"unknown search engine {name!r}; known engines: {known}")
    return _load(target)


def open_engine(name: str, path: Path) -> SearchEngine:
    """Open (creating if needed) the index at `path` with the named engine."""
    return engine_class(name)(Path(path))
