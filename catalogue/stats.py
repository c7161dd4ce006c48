"""The catalogue in figures: the home page's counts and the statistics page.

Practices, countries and every distribution come from the search index
(one faceted query, a millisecond). Projects and organisations are not in
the index: they are counted in the store, but only once per harvest (the
runs graph's latest end time is the cache key), never per request.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .core import Catalogue
from .index import Query
from .runs import last_harvest

_GPC = "https://w3id.org/gpc/ns#"
STAT_FACETS: tuple[str, ...] = ("country", "theme", "maturity", "type", "level", "programme", "year", "language")


@dataclass(frozen=True)
class Figures:
    practices: int
    projects: int
    organisations: int
    countries: int
    sources: int
    last_harvest: datetime | None


_lock = threading.Lock()
_entity_counts: dict[str, tuple[datetime | None, int, int]] = {}


def _count(cat: Catalogue, cls: str) -> int:
    """Entities of a class described by an active record: all of them, less
    those only withdrawn records describe. Joining every typing to its
    record's status in one query took seconds at 100,000 records; these two
    take a scan of one class and a look at the withdrawn records."""
    typed = f"?e a <{cls}>"
    every = cat.store.select(f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ GRAPH ?g {{ {typed} }} }}")
    gone = cat.store.select(
        f"""SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{
              GRAPH ?w {{ ?w <{_GPC}recordStatus> <{_GPC}Withdrawn> . {typed} }}
              FILTER NOT EXISTS {{ GRAPH ?g {{ {typed} . ?g <{_GPC}recordStatus> <{_GPC}Active> }} }} }}"""
    )
    return _number(every) - _number(gone)


def _number(rows: list) -> int:
    return int(str(rows[0]["n"])) if rows else 0


def entity_counts(cat: Catalogue, stamp: datetime | None) -> tuple[int, int]:
    """(projects, organisations) in active records, recounted only when a
    harvest has run since the last count."""
    key = str(cat.settings.data_dir.resolve())
    with _lock:
        cached = _entity_counts.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
    counts = (_count(cat, f"{_GPC}Project"), _count(cat, "http://xmlns.com/foaf/0.1/Organization"))
    with _lock:
        _entity_counts[key] = (stamp, *counts)
    return counts


def figures(cat: Catalogue) -> Figures:
    overview = cat.engine.search(Query(limit=0, facets=("country",)))
    stamp, sources = last_harvest(cat.store, cat.uris)
    projects, organisations = entity_counts(cat, stamp)
    return Figures(
        practices=overview.total,
        projects=projects,
        organisations=organisations,
        countries=len(overview.facets.get("country", [])),
        sources=sources,
        last_harvest=stamp,
    )


def distributions(cat: Catalogue, facets: Sequence[str] = STAT_FACETS) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """(total practices, facet -> [(value, count)]) from one index query."""
    result = cat.engine.search(Query(limit=0, facets=tuple(facets)))
    return result.total, {name: list(result.facets.get(name, [])) for name in facets}
