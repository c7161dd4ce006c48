"""Any RDF graph as a plain HTML page (`resource.html`): one section per
subject, its properties as prefixed names, our own URIs linked to their
pages. Used for the documents that have no page of their own (catalogue
records, harvest runs, sources, the DCAT-AP feed, VoID); the site's
templates give practices, projects and organisations their real pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..rdf_output import PREFIX_MAP
from .links import linkable

_SHOWN_SUBJECTS = 500


@dataclass
class Cell:
    text: str
    href: str | None = None
    lang: str = ""
    datatype: str = ""


@dataclass
class Section:
    subject: Cell
    rows: list[tuple[Cell, list[Cell]]] = field(default_factory=list)


def qname(uri: str) -> str:
    for prefix, namespace in sorted(PREFIX_MAP.items(), key=lambda item: -len(item[1])):
        if uri.startswith(namespace) and len(uri) > len(namespace):
            return f"{prefix}:{uri[len(namespace):]}"
    return uri


def local_href(uri: str, base: str) -> str | None:
    """The page of one of our URIs (/id/x/y -> /x/y), the URI itself if it
    is a safe web link, else None."""
    if uri.startswith(f"{base}/id/"):
        return "/" + uri[len(f"{base}/id/"):]
    if uri.startswith(f"{base}/"):
        return uri[len(base):]
    return uri if linkable(uri) else None


def cell(node: Node, base: str, as_qname: bool = False) -> Cell:
    if isinstance(node, URIRef):
        text = qname(str(node)) if as_qname else str(node)
        return Cell(text, local_href(str(node), base))
    if isinstance(node, BNode):
        return Cell(f"_:{node}")
    assert isinstance(node, Literal)
    datatype = qname(str(node.datatype)) if node.datatype else ""
    return Cell(str(node), lang=node.language or "", datatype=datatype)


def sections(graph: Graph, base: str, first: str | None = None) -> list[Section]:
    """Subjects in a stable order (`first` leading), predicates sorted."""
    subjects = sorted(set(graph.subjects()), key=lambda s: (str(s) != first, isinstance(s, BNode), str(s)))
    out = []
    for subject in subjects[:_SHOWN_SUBJECTS]:
        section = Section(cell(subject, base))
        by_predicate: dict[str, list[Cell]] = {}
        for predicate, obj in graph.predicate_objects(subject):
            by_predicate.setdefault(str(predicate), []).append(cell(obj, base, as_qname=str(predicate).endswith("#type")))
        for predicate in sorted(by_predicate, key=lambda p: (not p.endswith("#type"), qname(p))):
            values = sorted(by_predicate[predicate], key=lambda c: (c.lang, c.text))
            section.rows.append((Cell(qname(predicate), predicate if linkable(predicate) else None), values))
        out.append(section)
    return out


def context(graph: Graph, base: str, title: str, first: str | None, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"notice": "", "intro": "", "alternates": [], "pager": []}
    values.update(extra)
    truncated = len(set(graph.subjects())) > _SHOWN_SUBJECTS
    return {**values, "title": title, "sections": sections(graph, base, first), "truncated": truncated}
