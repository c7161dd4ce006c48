"""Contexts by reference are inlined before rdflib parses (no fetch of its own)."""

from __future__ import annotations

import json

import pytest
from rdflib import Literal, URIRef

from harvesters.base import SourceError
from harvesters.dcat import parse_rdf
from harvesters.jsonld_contexts import MAX_DEPTH, ContextLoader

DCT = "http://purl.org/dc/terms/"


def test_lists_imports_and_the_cache() -> None:
    served = {
        "https://c.example/base.jsonld": {"@context": {"dct": DCT}},
        "https://c.example/title.jsonld": {"@context": {"@import": "base.jsonld", "title": "dct:title"}},
    }
    asked: list[str] = []

    def load(url: str) -> bytes:
        asked.append(url)
        return json.dumps(served[url]).encode()

    loader = ContextLoader(load)
    doc = {"@context": ["https://c.example/title.jsonld", {"name": "dct:alternative"}], "@id": "https://x.example/a", "title": "T", "name": "N"}
    for _ in range(2):
        graph = parse_rdf(json.dumps(doc).encode(), "json-ld", "https://s.example/page", loader)
    assert (URIRef("https://x.example/a"), URIRef(DCT + "title"), Literal("T")) in graph
    assert (URIRef("https://x.example/a"), URIRef(DCT + "alternative"), Literal("N")) in graph
    assert asked == ["https://c.example/title.jsonld", "https://c.example/base.jsonld"]  # each once


def test_contexts_naming_themselves_stop() -> None:
    loader = ContextLoader(lambda url: json.dumps({"@context": url}).encode())
    with pytest.raises(SourceError, match=f"nested more than {MAX_DEPTH} deep"):
        loader.inline(b'{"@context": "https://c.example/loop.jsonld"}', "https://s.example/")


def test_a_context_document_without_context_is_refused() -> None:
    loader = ContextLoader(lambda url: b'{"title": "not a context"}')
    with pytest.raises(SourceError, match="has no @context"):
        loader.inline(b'{"@context": "https://c.example/x.jsonld"}', "https://s.example/")
