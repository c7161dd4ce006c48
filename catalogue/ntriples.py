"""Canonical N-Triples text for rdflib terms.

One line per triple, in a form that is also valid inside SPARQL `INSERT DATA`
and stable across runs, so it serves three uses: content hashes (change
detection), store writes, and exports.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

Triple = tuple[Node, Node, Node]

_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


# Fast paths: most strings and IRIs need no escaping, and a regex says so
# far faster than a loop over characters (it dominated harvest profiles).
_STRING_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')
_IRI_NEEDS_ESCAPE = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def _escape_string(text: str) -> str:
    if not _STRING_NEEDS_ESCAPE.search(text):
        return text
    out = []
    for ch in text:
        esc = _ESCAPES.get(ch)
        if esc is not None:
            out.append(esc)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


_IRI_FORBIDDEN = set('<>"{}|^`\\ ')
_XSD_STRING = str(XSD.string)


def _escape_iri(iri: str) -> str:
    # IRIs from harvested data may contain characters N-Triples forbids:
    # percent-encode them rather than write an unparsable line.
    if _IRI_NEEDS_ESCAPE.search(iri):
        return "".join(f"%{ord(c):02X}" if (c in _IRI_FORBIDDEN or ord(c) <= 0x20) else c for c in iri)
    return iri


def iri(text: str) -> str:
    """An IRI term from its text."""
    return f"<{_escape_iri(text)}>"


def literal(text: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal term from its lexical form (a plain string when neither
    language nor datatype is given; xsd:string is left implicit)."""
    lexical = f'"{_escape_string(text)}"'
    if lang:
        return f"{lexical}@{lang.lower()}"
    if datatype and datatype != _XSD_STRING:
        return f"{lexical}^^<{_escape_iri(datatype)}>"
    return lexical


def term(node: Node) -> str:
    """One term in N-Triples syntax."""
    # Exact type checks first: isinstance over rdflib's class tree showed
    # in harvest profiles.
    kind = type(node)
    if kind is URIRef:
        return iri(str(node))
    if kind is Literal or isinstance(node, Literal):
        datatype = node.datatype  # type: ignore[union-attr]
        return literal(str(node), node.language, str(datatype) if datatype else None)  # type: ignore[union-attr]
    if isinstance(node, URIRef):  # a subclass
        return iri(str(node))
    if isinstance(node, BNode):
        return f"_:{node}"
    raise TypeError(f"not an RDF term: {node!r}")


def line(triple: Triple) -> str:
    s, p, o = triple
    return statement(term(s), term(p), term(o))


def statement(subject: str, predicate: str, obj: str) -> str:
    """One N-Triples line from its three terms, already written."""
    return f"{subject} {predicate} {obj} ."


def lines(triples: Iterable[Triple]) -> list[str]:
    """Sorted, de-duplicated N-Triples lines: the canonical form."""
    return sorted({line(t) for t in triples})


def content_hash(canonical_lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for text in canonical_lines:
        digest.update(text.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()
