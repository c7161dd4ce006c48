"""Terms between pyoxigraph and rdflib, both ways: one conversion for the
store, the SPARQL backend, the harvesters that parse with Oxigraph and the
pages and twins that serialise with it."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

# IRIs repeat (predicates, classes, concepts): their URIRef is kept, up to a
# bound. Keyed by the plain string, whose hash Python caches.
_IRIS: dict[str, URIRef] = {}
_IRIS_MAX = 100_000


class TermError(ValueError):
    """Not an RDF term rdflib can hold (an RDF 1.2 triple term, say)."""


def _iri(value: str) -> URIRef:
    node = _IRIS.get(value)
    if node is None:
        if len(_IRIS) >= _IRIS_MAX:
            _IRIS.clear()
        node = _IRIS[value] = URIRef(value)
    return node


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | object) -> Node:
    if isinstance(term, ox.NamedNode):
        return _iri(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=_iri(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TermError(f"unsupported RDF term {term!r}")


def to_oxigraph(node: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(node, URIRef):
        return ox.NamedNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return ox.Literal(str(node), language=node.language)
        if node.datatype is not None and str(node.datatype) != _XSD_STRING:
            return ox.Literal(str(node), datatype=ox.NamedNode(str(node.datatype)))
        return ox.Literal(str(node))
    if isinstance(node, BNode):
        return ox.BlankNode(str(node))
    raise TermError(f"unsupported RDF term {node!r}")


def graph_of(triples: Iterable[ox.Triple | ox.Quad]) -> Graph:
    """An rdflib Graph of these triples (graph names dropped). Its store is
    rdflib's SimpleMemory: half the cost per triple of the default store, and
    a converted answer needs no contexts."""
    graph = Graph(store=SimpleMemory())
    add = graph.add
    for t in triples:
        add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph
