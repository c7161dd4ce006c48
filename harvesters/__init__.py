"""Harvesters: one module per kind of source, resolved by name.

Built-in kinds are registered here exactly as a third party's would be
through the entry-point group `catalogue.harvesters` (name -> "module:Class").
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .base import Harvester

ENTRY_POINT_GROUP = "catalogue.harvesters"

BUILTIN: dict[str, str] = {
    "ckan": "harvesters.ckan:CkanHarvester",
    "cordis": "harvesters.cordis:CordisHarvester",
    "dcat": "harvesters.dcat:DcatHarvester",
    "sparql": "harvesters.sparql:SparqlHarvester",
    "tabular": "harvesters.tabular:TabularHarvester",
}


class HarvesterNotFound(LookupError):
    pass


@cache
def registry() -> dict[str, str]:
    """kind -> "module:Class", built-ins first, then installed plugins."""
    known = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        known.setdefault(ep.name, ep.value)
    return known


def harvester_class(kind: str) -> type[Harvester]:
    target = registry().get(kind)
    if target is None:
        raise HarvesterNotFound(f"unknown source kind {kind!r}; known kinds: {', '.join(sorted(registry()))}")
    module_name, _, class_name = target.partition(":")
    return getattr(import_module(module_name), class_name)  # type: ignore[no-any-return]
