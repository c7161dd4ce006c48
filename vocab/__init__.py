"""The vocabularies of the catalogue, as RDF files with a thin Python face.

Namespaces used by the application profile, our own concept-scheme bases, and
loaders for the files that live beside this module (ontology, SKOS schemes,
SHACL shapes, JSON-LD context).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SKOS, XSD

from catalogue.rdfterms import graph_of

ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = Namespace("http://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
LOCN = Namespace("http://www.w3.org/ns/locn#")

# Our ontology: only what DCAT-AP / ADMS-AP / DCTERMS / FOAF / ORG / SKOS /
# PROV-O / vCard do not already say.
GPC = Namespace("https://w3id.org/gpc/ns#")

# Our SKOS concept schemes (scheme URI = base without the trailing slash).
THEME = Namespace("https://w3id.org/gpc/theme/")
PRACTICE_TYPE = Namespace("https://w3id.org/gpc/practice-type/")
MATURITY = Namespace("https://w3id.org/gpc/maturity/")
GOV_LEVEL = Namespace("https://w3id.org/gpc/government-level/")
PROGRAMME = Namespace("https://w3id.org/gpc/programme/")

# EU authority tables (Publications Office) and NUTS.
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_LICENCE = Namespace("http://publications.europa.eu/resource/authority/licence/")
NUTS = Namespace("http://data.europa.eu/nuts/code/")

PREFIXES: dict[str, Namespace] = {
    "adms": ADMS,
    "dcat": DCAT,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "org": ORG,
    "prov": PROV,
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "skos": SKOS,
    "vcard": VCARD,
    "xsd": Namespace(str(XSD)),
    "gpc": GPC,
    "locn": LOCN,
    "hydra": HYDRA,
    "schema": SCHEMA,
}

# Files beside this module, by role.
ONTOLOGY_FILE = "ontology.ttl"
SHAPES_FILE = "shapes.ttl"
CONTEXT_FILE = "context.jsonld"
SCHEME_FILES = {
    "theme": "themes.ttl",
    "practice-type": "practice-types.ttl",
    "maturity": "maturity.ttl",
    "government-level": "government-levels.ttl",
    "programme": "programmes.ttl",
    "country": "countries.ttl",
    "language": "languages.ttl",
    "region": "regions.ttl",
}


def read_text(name: str) -> str:
    """The text of one vocabulary file shipped with this package."""
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def load_graph(name: str) -> Graph:
    """One vocabulary file parsed into a fresh rdflib graph."""
    graph = Graph()
    fmt = "json-ld" if name.endswith(".jsonld") else "turtle"
    graph.parse(data=read_text(name), format=fmt)
    return graph


@cache
def _scheme_triples(name: str) -> tuple[ox.Triple, ...]:
    # Oxigraph parses the schemes: every process that shows a label or checks
    # a code pays this, and rdflib's Turtle parser took 0.4 s of it against 0.1.
    return tuple(ox.parse(read_text(name).encode("utf-8"), format=ox.RdfFormat.TURTLE))


@cache
def scheme_graph(name: str) -> Graph:
    """One SKOS scheme file of SCHEME_FILES (cached: read-only use only)."""
    return graph_of(_scheme_triples(name))


@cache
def schemes() -> Graph:
    """All SKOS concept schemes in one graph (cached: read-only use only)."""
    return graph_of(triple for name in SCHEME_FILES.values() for triple in _scheme_triples(name))


@cache
def shapes() -> Graph:
    """The SHACL shapes of our application profile (cached: read-only use)."""
    return load_graph(SHAPES_FILE)


def ontology() -> Graph:
    return load_graph(ONTOLOGY_FILE)


def jsonld_context() -> dict[str, Any]:
    return json.loads(read_text(CONTEXT_FILE))


@cache
def language_codes() -> dict[str, str]:
    """ISO 639-1 code -> EU authority-table language code (en -> ENG)."""
    graph = scheme_graph(SCHEME_FILES["language"])
    codes: dict[str, str] = {}
    for concept, iso1 in graph.subject_objects(GPC.iso6391):
        codes[str(iso1)] = str(concept).rsplit("/", 1)[-1]
    return codes


@cache
def concept_codes(scheme: str) -> frozenset[str]:
    """The codes (skos:notation) of one of our concept schemes, by SCHEME_FILES name."""
    graph = scheme_graph(SCHEME_FILES[scheme])
    return frozenset(str(code) for code in graph.objects(None, SKOS.notation))


@cache
def country_codes() -> dict[str, str]:
    """ISO 3166-1 alpha-2 -> EU authority-table code (IT -> ITA), for our countries."""
    graph = scheme_graph(SCHEME_FILES["country"])
    return {str(iso2): str(c).rsplit("/", 1)[-1] for c, iso2 in graph.subject_objects(GPC.iso2)}
