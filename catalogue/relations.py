"""What points at an entity: the practices of a project, what an
organisation published, built, reused or took part in.

Each lookup starts from the bound object (the project or organisation URI),
which the store answers from its index in well under a millisecond, and only
active records count. Titles come back in every language; pages pick one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .store import Store

_GPC = "https://w3id.org/gpc/ns#"
_DCT = "http://purl.org/dc/terms/"

# role -> predicate, for practices pointing at an organisation
PRACTICE_ROLES: dict[str, str] = {
    "publisher": f"{_DCT}publisher",
    "creator": f"{_DCT}creator",
    "reuser": f"{_GPC}reusedBy",
}
PROJECT_ROLES: dict[str, str] = {
    "coordinator": f"{_GPC}coordinator",
    "participant": f"{_GPC}participant",
}


@dataclass
class Linked:
    """An entity that points at another, with its titles by language."""

    uri: str
    titles: dict[str, str] = field(default_factory=dict)
    acronym: str | None = None


def _linked(store: Store, target: str, predicate: str, title: str, limit: int) -> list[Linked]:
    rows = store.select(
        f"""SELECT ?e ?t ?acr WHERE {{
              GRAPH ?g {{ ?e <{predicate}> <{target}> ; <{title}> ?t .
                         ?g <{_GPC}recordStatus> <{_GPC}Active> .
                         OPTIONAL {{ ?e <{_GPC}acronym> ?acr }} }} }} LIMIT {limit * 8}"""
    )
    found: dict[str, Linked] = {}
    for row in rows:
        uri = str(row["e"])
        item = found.setdefault(uri, Linked(uri))
        literal = row["t"]
        item.titles.setdefault(getattr(literal, "language", None) or "en", str(literal))
        if "acr" in row:
            item.acronym = str(row["acr"])
    return sorted(found.values(), key=lambda x: (x.acronym or "", sorted(x.titles.values())[0].casefold()))[:limit]


def practices_of_project(store: Store, project_uri: str, limit: int = 500) -> list[Linked]:
    return _linked(store, project_uri, f"{_GPC}project", f"{_DCT}title", limit)


def practices_of_organisation(store: Store, org_uri: str, limit: int = 500) -> dict[str, list[Linked]]:
    """role -> practices (roles with none are left out)."""
    out: dict[str, list[Linked]] = defaultdict(list)
    for role, predicate in PRACTICE_ROLES.items():
        found = _linked(store, org_uri, predicate, f"{_DCT}title", limit)
        if found:
            out[role] = found
    return dict(out)


def projects_of_organisation(store: Store, org_uri: str, limit: int = 500) -> dict[str, list[Linked]]:
    """role -> projects (roles with none are left out)."""
    out: dict[str, list[Linked]] = {}
    for role, predicate in PROJECT_ROLES.items():
        found = _linked(store, org_uri, predicate, f"{_DCT}title", limit)
        if found:
            out[role] = found
    return out
