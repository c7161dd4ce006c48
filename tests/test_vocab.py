"""The vocabularies in vocab/: SKOS schemes, ontology, SHACL shapes, JSON-LD context.

docs/profile.md is the contract. Where it lists something (concept codes,
properties, gpc: terms), these tests read it from the document itself rather
than from a copy, so that the vocabulary files and the document cannot drift
apart unnoticed.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from functools import cache
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, XSD

import vocab
from vocab import ADMS, EU_COUNTRY, EU_LANGUAGE, GPC, SCHEMA, VCARD

PROFILE = Path(__file__).parents[1] / "docs/profile.md"
GPCSH = Namespace("https://w3id.org/gpc/shapes#")
LANGS = ("en", "fr", "de", "it", "es")

# Our own flat schemes: name in the profile's "Concept schemes" table ->
# (key in vocab.SCHEME_FILES, namespace in vocab).
OWN_SCHEMES = {
    "themes": ("theme", vocab.THEME),
    "practice types": ("practice-type", vocab.PRACTICE_TYPE),
    "maturity": ("maturity", vocab.MATURITY),
    "government levels": ("government-level", vocab.GOV_LEVEL),
    "funding programmes": ("programme", vocab.PROGRAMME),
}


# --- Reading docs/profile.md ---------------------------------------------------


@cache
def profile_text() -> str:
    return PROFILE.read_text(encoding="utf-8")


def profile_section(title: str) -> str:
    """The text of one '## title' section of the profile."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", profile_text(), re.M | re.S)
    assert match, f"docs/profile.md has no section '## {title}'"
    return match.group(1)


def table_rows(section: str) -> list[list[str]]:
    """The body rows of the markdown table(s) in a section, as stripped cells."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("- :"):  # the |---|---| separator
            continue
        rows.append(cells)
    return rows[1:] if rows else rows  # drop the header row


@cache
def profile_codes() -> dict[str, tuple[str, list[str]]]:
    """Scheme name -> (URI base, codes) from the 'Concept schemes' table."""
    found = {}
    for name, base, codes in table_rows(profile_section("Concept schemes (in `vocab/`)")):
        base = base.strip("`")
        if base.startswith("https://w3id.org/gpc/"):
            found[name] = (base, [c.strip() for c in codes.split(",")])
    return found


def expand(curie: str) -> URIRef:
    prefix, local = curie.split(":", 1)
    return URIRef(str(vocab.PREFIXES[prefix]) + local)


CURIE = re.compile(r"\b(" + "|".join(vocab.PREFIXES) + r"):([A-Za-z][A-Za-z0-9]*)")


@cache
def profile_properties() -> frozenset[URIRef]:
    """Every property docs/profile.md uses for our data.

    From the Practice, Project and Organisation tables (the property column,
    and the object column, which names the contact point's vCard properties;
    leaving out the super-properties named in parentheses) and from the prose
    of the catalogue-record section. Datatypes (xsd:) and classes (capitalised
    local names) are not properties."""
    found: set[URIRef] = set()
    for section in ("Practice", "Project", "Organisation"):
        for row in table_rows(profile_section(section)):
            cells = re.sub(r"\(.*?\)", "", " ".join(row[1:]))
            found.update(expand(m.group(0)) for m in CURIE.finditer(cells))
    prose = profile_section("Catalogue record and harvest run")
    found.update(expand(m.group(0)) for m in CURIE.finditer(prose))
    return frozenset(p for p in found if not str(p).startswith(str(XSD)) and p.split("/")[-1].split("#")[-1][0].islower())


def test_profile_parsing_finds_what_the_document_says() -> None:
    # Guards the helpers above: if the document's layout changes, the other
    # tests must not silently check against nothing.
    assert set(profile_codes()) == set(OWN_SCHEMES)
    props = profile_properties()
    for expected in (DCTERMS.title, DCAT.theme, GPC.maturity, GPC.grantId, FOAF.name, GPC.contentHash, GPC.skipped):
        assert expected in props
    assert DCTERMS.alternative not in props  # only named as a super-property
    assert len(props) >= 50


# --- Parsing -------------------------------------------------------------------


ALL_TURTLE = sorted({*vocab.SCHEME_FILES.values(), vocab.ONTOLOGY_FILE, vocab.SHAPES_FILE})


@pytest.mark.parametrize("name", ALL_TURTLE)
def test_file_parses_through_the_loader(name: str) -> None:
    graph = vocab.load_graph(name)
    assert len(graph) > 20


def test_loaders() -> None:
    assert (None, RDF.type, SKOS.ConceptScheme) in vocab.schemes()
    assert (GPCSH.PracticeShape, RDF.type, SH.NodeShape) in vocab.shapes()
    assert (URIRef("https://w3id.org/gpc/ns"), RDF.type, OWL.Ontology) in vocab.ontology()
    assert isinstance(vocab.jsonld_context()["@context"], dict)


def test_schemes_hold_exactly_what_rdflib_reads_in_the_files() -> None:
    # schemes() parses with Oxigraph for speed: the triples (literals with
    # their datatypes and language tags included) must be rdflib's own.
    expected = Graph()
    for name in vocab.SCHEME_FILES.values():
        expected += vocab.load_graph(name)
    assert set(vocab.schemes()) == set(expected)
    for name in vocab.SCHEME_FILES.values():
        assert set(vocab.scheme_graph(name)) == set(vocab.load_graph(name))


def test_languages_are_wired_into_the_schemes() -> None:
    assert vocab.SCHEME_FILES["language"] == "languages.ttl"
    assert (EU_LANGUAGE.ITA, SKOS.prefLabel, Literal("italiano", lang="it")) in vocab.schemes()


# --- Concept schemes -------------------------------------------------------------


def scheme_of(graph: Graph) -> URIRef:
    schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 1, f"expected one concept scheme per file, found {schemes}"
    return schemes[0]


def concepts_of(graph: Graph) -> set[URIRef]:
    return set(graph.subjects(RDF.type, SKOS.Concept))


# Flat schemes with labels in LANGS; regions are a hierarchy with one
# national-language name each (test_regions).
FLAT_SCHEMES = sorted(set(vocab.SCHEME_FILES) - {"region"})


@pytest.mark.parametrize("key", FLAT_SCHEMES)
def test_scheme_is_well_formed(key: str) -> None:
    graph = vocab.load_graph(vocab.SCHEME_FILES[key])
    scheme = scheme_of(graph)
    titles = {t.language for t in graph.objects(scheme, DCTERMS.title)}
    assert set(LANGS) <= titles
    concepts = concepts_of(graph)
    assert concepts
    # Flat schemes: every concept is a top concept, both ways round, and
    # nothing is in the scheme without being typed skos:Concept.
    assert set(graph.objects(scheme, SKOS.hasTopConcept)) == concepts
    assert set(graph.subjects(SKOS.topConceptOf, scheme)) == concepts
    assert set(graph.subjects(SKOS.inScheme, None)) == concepts
    notations = []
    for concept in concepts:
        assert list(graph.objects(concept, SKOS.inScheme)) == [scheme], concept
        codes = list(graph.objects(concept, SKOS.notation))
        assert len(codes) == 1, f"{concept} has notations {codes}"
        # The code is the last segment of the concept's URI.
        assert str(concept).rsplit("/", 1)[1] == str(codes[0])
        notations.append(str(codes[0]))
        prefs = list(graph.objects(concept, SKOS.prefLabel))
        by_lang = Counter(p.language for p in prefs)
        missing = set(LANGS) - set(by_lang)
        assert not missing, f"{concept} has no prefLabel in {missing}"
        # SKOS integrity: at most one prefLabel per language, and prefLabel
        # and altLabel disjoint.
        assert all(n == 1 for n in by_lang.values()), f"{concept}: {by_lang}"
        assert not set(prefs) & set(graph.objects(concept, SKOS.altLabel)), concept
        for label in (*prefs, *graph.objects(concept, SKOS.altLabel)):
            assert label.language, f"{concept}: label {label!r} has no language tag"
            assert str(label) == str(label).strip() and str(label), f"{concept}: label {label!r}"
    assert len(notations) == len(set(notations))


@pytest.mark.parametrize("name", sorted(OWN_SCHEMES))
def test_own_scheme_codes_are_the_profile_codes(name: str) -> None:
    key, namespace = OWN_SCHEMES[name]
    base, codes = profile_codes()[name]
    assert base == str(namespace), "vocab/__init__.py and docs/profile.md disagree on the base"
    assert len(codes) == len(set(codes)), f"docs/profile.md lists a code twice for {name}"
    graph = vocab.load_graph(vocab.SCHEME_FILES[key])
    assert scheme_of(graph) == URIRef(base.rstrip("/"))
    assert concepts_of(graph) == {URIRef(base + code) for code in codes}
    assert {str(n) for n in graph.objects(None, SKOS.notation)} == set(codes)


@pytest.mark.parametrize("name", sorted(OWN_SCHEMES))
def test_own_scheme_concepts_have_an_english_definition(name: str) -> None:
    graph = vocab.load_graph(vocab.SCHEME_FILES[OWN_SCHEMES[name][0]])
    for concept in concepts_of(graph):
        definitions = [d for d in graph.objects(concept, SKOS.definition) if d.language == "en"]
        assert len(definitions) == 1, concept
        assert str(definitions[0]).endswith("."), concept


def test_themes() -> None:
    graph = vocab.load_graph("themes.ttl")
    assert len(concepts_of(graph)) >= 15
    # Synonyms a civil servant would type, across languages.
    alt = set(graph.objects(vocab.THEME.participation, SKOS.altLabel))
    for label in (
        Literal("co-creation", lang="en"),
        Literal("participatory budgeting", lang="en"),
        Literal("Bürgerbeteiligung", lang="de"),
        Literal("bilancio partecipativo", lang="it"),
        Literal("presupuestos participativos", lang="es"),
        Literal("participation citoyenne", lang="fr"),
    ):
        assert label in alt
    for concept in concepts_of(graph):
        langs = {a.language for a in graph.objects(concept, SKOS.altLabel)}
        assert len(langs) >= 3, f"{concept} has synonyms in {langs} only"


def test_maturity_ranks() -> None:
    graph = vocab.load_graph("maturity.ttl")
    ranks = {str(c).rsplit("/", 1)[1]: graph.value(c, GPC.rank) for c in concepts_of(graph)}
    assert all(r is not None and r.datatype == XSD.integer for r in ranks.values())
    assert {code: r.toPython() for code, r in ranks.items()} == {
        "idea": 1,
        "pilot": 2,
        "implemented": 3,
        "scaled": 4,
        "discontinued": 0,
    }


EU27 = "AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT ROU SVK SVN ESP SWE"
NEIGHBOURS = "NOR ISL LIE CHE GBR UKR SRB MKD ALB MNE BIH MDA TUR"


def test_countries() -> None:
    graph = vocab.load_graph("countries.ttl")
    assert scheme_of(graph) == URIRef("https://w3id.org/gpc/countries")
    assert concepts_of(graph) == {EU_COUNTRY[c] for c in (EU27 + " " + NEIGHBOURS).split()}
    iso2 = {c: graph.value(c, GPC.iso2) for c in concepts_of(graph)}
    assert all(v is not None and re.fullmatch("[A-Z]{2}", str(v)) for v in iso2.values())
    assert len(set(iso2.values())) == len(iso2)
    # Real ISO 3166-1 alpha-2, not the EU's EL / UK.
    assert str(iso2[EU_COUNTRY.GRC]) == "GR"
    assert str(iso2[EU_COUNTRY.GBR]) == "GB"
    assert str(iso2[EU_COUNTRY.DEU]) == "DE"
    # Names in the country's own language.
    for country, name, lang in (
        ("SVN", "Slovenija", "sl"),
        ("POL", "Polska", "pl"),
        ("EST", "Eesti", "et"),
        ("GRC", "Ελλάδα", "el"),
        ("HUN", "Magyarország", "hu"),
        ("FIN", "Suomi", "fi"),
        ("BEL", "België", "nl"),
    ):
        assert (EU_COUNTRY[country], SKOS.prefLabel, Literal(name, lang=lang)) in graph


def demo_regions() -> set[str]:
    import csv

    path = Path(__file__).parents[1] / "catalogue/demo/practices.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return {code.strip() for row in csv.DictReader(f) for code in row["region"].split(";") if code.strip()}


def test_regions() -> None:
    graph = vocab.load_graph(vocab.SCHEME_FILES["region"])
    scheme = scheme_of(graph)
    assert scheme == URIRef("https://w3id.org/gpc/regions")
    assert set(LANGS) <= {t.language for t in graph.objects(scheme, DCTERMS.title)}
    concepts = concepts_of(graph)
    assert set(graph.subjects(SKOS.inScheme, None)) == concepts
    codes = {}
    for concept in concepts:
        [code] = [str(c) for c in graph.objects(concept, SKOS.notation)]
        assert concept == vocab.NUTS[code] and re.fullmatch(r"[A-Z]{2}[A-Z0-9]{0,3}", code), concept
        codes[code] = concept
        [name] = graph.objects(concept, SKOS.prefLabel)  # one official name
        assert str(name) == str(name).strip() and str(name), concept
        # Tagged with its language, unless it joins two ("Suomi/Finland").
        assert bool(name.language) != ("/" in name), concept
        # Level 0 (the countries) are the top concepts; every other region
        # sits under the code one character shorter.
        if len(code) == 2:
            assert list(graph.objects(concept, SKOS.broader)) == []
            assert (concept, SKOS.topConceptOf, scheme) in graph and (scheme, SKOS.hasTopConcept, concept) in graph
        else:
            assert list(graph.objects(concept, SKOS.broader)) == [vocab.NUTS[code[:-1]]], concept
            assert (concept, SKOS.topConceptOf, scheme) not in graph
    # The 27 member states (NUTS spells Greece EL), their level 1 and 2
    # regions (92 and 242 in NUTS 2021, less the few the file leaves out, see
    # its header), and every region the demo data uses.
    assert {c for c in codes if len(c) == 2} == set(
        "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
    )
    assert sum(len(c) == 3 for c in codes) == 92 - 2
    assert sum(len(c) == 4 for c in codes) == 242 - 2
    assert demo_regions() and demo_regions() <= set(codes)
    for code, name, lang in (
        ("ES21", "País Vasco", "es"),
        ("ES511", "Barcelona", "es"),
        ("AT13", "Wien", "de"),
        ("ITH1", "Provincia Autonoma di Bolzano/Bozen", None),
        ("EL30", "Αττική", "el"),
        ("FI1B", "Helsinki-Uusimaa", "fi"),
    ):
        assert (codes[code], SKOS.prefLabel, Literal(name, lang=lang)) in graph


LANGUAGE_CODES = (
    "ENG FRA DEU ITA SPA NLD POR POL ELL CES SLK SLV HUN RON BUL HRV DAN SWE FIN EST LAV LIT MLT GLE "
    "NOR ISL CAT EUS GLG LTZ"
)


def test_languages() -> None:
    graph = vocab.load_graph("languages.ttl")
    assert scheme_of(graph) == URIRef("https://w3id.org/gpc/languages")
    assert concepts_of(graph) == {EU_LANGUAGE[c] for c in LANGUAGE_CODES.split()}
    iso1 = {c: graph.value(c, GPC.iso6391) for c in concepts_of(graph)}
    assert all(v is not None and re.fullmatch("[a-z]{2}", str(v)) for v in iso1.values())
    assert len(set(iso1.values())) == len(iso1), "ISO 639-1 <-> EU code must be one-to-one"
    assert str(iso1[EU_LANGUAGE.ELL]) == "el"
    assert str(iso1[EU_LANGUAGE.GLE]) == "ga"
    # Each language is named in itself, under its own language tag.
    for concept, code in iso1.items():
        assert any(p.language == str(code) for p in graph.objects(concept, SKOS.prefLabel)), concept
    assert (EU_LANGUAGE.SLV, SKOS.prefLabel, Literal("slovenščina", lang="sl")) in graph


# --- Ontology ------------------------------------------------------------------------


def gpc_terms_in(text: str) -> set[URIRef]:
    return {GPC[m] for m in re.findall(r"\bgpc:([A-Za-z][A-Za-z0-9]*)", text)}


DECLARATION_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}


def test_ontology_declares_every_gpc_term_of_the_profile() -> None:
    ontology = vocab.ontology()
    terms = gpc_terms_in(profile_text()) | {GPC.rank, GPC.iso2, GPC.iso6391, GPC.RecordStatus}
    assert len(terms) > 35
    for term in terms:
        assert set(ontology.objects(term, RDF.type)) & DECLARATION_TYPES, f"{term} is not declared"
        assert ontology.value(term, RDFS.label) is not None, term
        assert any(c.language == "en" for c in ontology.objects(term, RDFS.comment)), term


def test_ontology_coins_nothing_else() -> None:
    ontology = vocab.ontology()
    declared = {s for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(GPC))}
    expected = gpc_terms_in(profile_text()) | {GPC.rank, GPC.iso2, GPC.iso6391, GPC.RecordStatus}
    assert declared == expected


def test_every_gpc_term_used_in_vocab_files_is_declared() -> None:
    # Catches a misspelt gpc: term in a scheme or in the shapes.
    ontology = vocab.ontology()
    for name in ALL_TURTLE:
        graph = vocab.load_graph(name)
        used = {t for triple in graph for t in triple if isinstance(t, URIRef) and str(t).startswith(str(GPC))}
        for term in used:
            assert (term, RDF.type, None) in ontology, f"{name} uses undeclared {term}"


def test_ontology_axioms() -> None:
    ontology = vocab.ontology()
    assert (GPC.Practice, RDFS.subClassOf, ADMS.Asset) in ontology
    assert (GPC.Project, RDFS.subClassOf, FOAF.Project) in ontology
    assert (GPC.HarvestRun, RDFS.subClassOf, PROV.Activity) in ontology
    assert (GPC.acronym, RDFS.subPropertyOf, DCTERMS.alternative) in ontology
    assert (GPC.grantId, RDFS.subPropertyOf, DCTERMS.identifier) in ontology
    for status in (GPC.Active, GPC.Withdrawn):
        assert (status, RDF.type, GPC.RecordStatus) in ontology
    for count in ("seen", "new", "changed", "unchanged", "withdrawn", "failed", "skipped"):
        assert ontology.value(GPC[count], RDFS.range) == XSD.integer
    for prop in ontology.subjects(RDF.type, OWL.DatatypeProperty):
        assert ontology.value(prop, RDFS.range) is not None, f"{prop} has no range"
    assert ontology.value(GPC.totalCost, RDFS.range) == XSD.decimal
    assert ontology.value(GPC.originalUrl, RDFS.range) == XSD.anyURI


# --- SHACL shapes ------------------------------------------------------------------


def test_shapes_graph_is_valid_shacl() -> None:
    # meta_shacl validates the shapes graph against the SHACL-for-SHACL shapes
    # before validating the (empty) data graph against it.
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=vocab.shapes(), meta_shacl=True)
    assert conforms, text


def property_shapes() -> set[URIRef]:
    return set(vocab.shapes().subjects(SH.path, None))


def test_every_property_shape_has_a_name_and_a_message() -> None:
    shapes = vocab.shapes()
    assert len(property_shapes()) > 60
    for shape in property_shapes():
        for prop in (SH.name, SH.message):
            values = list(shapes.objects(shape, prop))
            assert len(values) == 1 and isinstance(values[0], Literal), f"{shape} {prop}"
            assert values[0].language in (None, "en")
        assert (None, SH.property, shape) in shapes, f"{shape} is used by no node shape"


def test_shapes_cover_exactly_the_profile_properties() -> None:
    paths = set(vocab.shapes().objects(None, SH.path))
    assert profile_properties() - paths == set(), "properties of the profile without a shape"
    assert paths - profile_properties() == {RDF.type}, "shapes for properties the profile does not use"


def test_node_shapes_target_the_profile_classes() -> None:
    targets = set(vocab.shapes().objects(None, SH.targetClass))
    assert targets == {GPC.Practice, GPC.Project, FOAF.Organization, DCAT.CatalogRecord, GPC.HarvestRun}


BASE = "https://gpc.example.org"
PRACTICE = URIRef(f"{BASE}/id/practice/open-budget")
CONTACT = URIRef(f"{PRACTICE}#contact")
PROJECT = URIRef(f"{BASE}/id/project/grant-959201")
ORGANISATION = URIRef(f"{BASE}/id/organisation/ita-comune-di-milano")
RECORD = URIRef(f"{BASE}/id/record/demo/42")
RUN = URIRef(f"{BASE}/id/run/demo/20240102T030405000000Z")
SOURCE = URIRef(f"{BASE}/id/source/demo")

VALID = f"""
@prefix adms: <{ADMS}> . @prefix dcat: <{DCAT}> . @prefix dcterms: <{DCTERMS}> .
@prefix foaf: <{FOAF}> . @prefix org: <{ORG}> . @prefix prov: <{PROV}> .
@prefix vcard: <{VCARD}> . @prefix xsd: <{XSD}> . @prefix gpc: <{GPC}> .
@prefix schema: <{SCHEMA}> . @prefix rdfs: <{RDFS}> .

<{PRACTICE}> a adms:Asset, dcat:Resource, gpc:Practice ;
    dcterms:title "Open budget"@en, "Bilancio aperto"@it ;
    dcterms:description "Citizens decide on part of the budget."@en ;
    dcat:keyword "budget"@en, "participation"@en ;
    gpc:problem "Low trust."@en ;
    gpc:technology "Decidim" ;
    dcterms:type <https://w3id.org/gpc/practice-type/method> ;
    dcat:theme <https://w3id.org/gpc/theme/participation>, <https://w3id.org/gpc/theme/public-finance> ;
    gpc:maturity <https://w3id.org/gpc/maturity/scaled> ;
    gpc:governmentLevel <https://w3id.org/gpc/government-level/local> ;
    dcterms:spatial <http://publications.europa.eu/resource/authority/country/ITA>,
        <http://data.europa.eu/nuts/code/ITC4C> ;
    gpc:city "Milano" ;
    dcterms:language <http://publications.europa.eu/resource/authority/language/ITA> ;
    dcterms:publisher <{ORGANISATION}> ;
    gpc:project <{PROJECT}> ;
    dcat:contactPoint <{CONTACT}> ;
    dcat:landingPage <https://example.org/open-budget> ;
    foaf:page <https://example.org/open-budget/report.pdf> ;
    dcterms:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0> ;
    dcterms:issued "2023-05-01"^^xsd:date .

<{CONTACT}> a vcard:Kind ; vcard:fn "Budget office" ;
    vcard:hasEmail <mailto:budget@example.org> ; vcard:hasURL <https://example.org/contact> .

<{PROJECT}> a gpc:Project, foaf:Project ;
    dcterms:title "INTERLINK"@en ; gpc:acronym "INTERLINK" ; gpc:grantId "959201" ;
    gpc:programme <https://w3id.org/gpc/programme/h2020> ;
    schema:startDate "2021-01-01"^^xsd:date ; schema:endDate "2023-12-31"^^xsd:date ;
    gpc:totalCost "4999762.5"^^xsd:decimal ; gpc:euContribution "4999762.5"^^xsd:decimal ;
    gpc:coordinator <{ORGANISATION}> ; gpc:participant <{ORGANISATION}> ;
    dcterms:spatial <http://publications.europa.eu/resource/authority/country/ITA> .

<{ORGANISATION}> a foaf:Organization, org:Organization ;
    foaf:name "Comune di Milano"@it ;
    dcterms:spatial <http://publications.europa.eu/resource/authority/country/ITA> ;
    gpc:governmentLevel <https://w3id.org/gpc/government-level/local> ;
    foaf:homepage <https://www.comune.milano.it> .

<{RECORD}> a dcat:CatalogRecord ;
    foaf:primaryTopic <{PRACTICE}> ; dcterms:source <{SOURCE}> ;
    gpc:originalIdentifier "42" ; gpc:originalUrl "https://source.example.org/42"^^xsd:anyURI ;
    dcterms:issued "2024-01-02T03:04:05Z"^^xsd:dateTime ;
    dcterms:modified "2024-01-02T03:04:05Z"^^xsd:dateTime ;
    gpc:recordStatus gpc:Active ;
    gpc:contentHash "{"ab" * 32}" ;
    prov:wasGeneratedBy <{RUN}> .

<{RUN}> a prov:Activity, gpc:HarvestRun ;
    prov:used <{SOURCE}> ;
    prov:startedAtTime "2024-01-02T03:04:05Z"^^xsd:dateTime ;
    prov:endedAtTime "2024-01-02T03:05:00Z"^^xsd:dateTime ;
    gpc:runStatus "partial" ;
    gpc:seen 2 ; gpc:new 1 ; gpc:failed 1 ; gpc:unchanged 0 ;
    gpc:error <{RUN}#error-1> .

<{RUN}#error-1> rdfs:comment "no title" ; gpc:originalIdentifier "43" .
"""


def valid_graph() -> Graph:
    return Graph().parse(data=VALID, format="turtle")


def violations(graph: Graph) -> set[tuple[URIRef, URIRef]]:
    """(focus node, result path) of each violation; empty when the graph conforms.

    Only the report's top-level results: a failed sh:node (the contact point,
    a run error) is reported on the referring node and property, with the
    nested result as sh:detail."""
    conforms, report, _ = pyshacl.validate(graph, shacl_graph=vocab.shapes())
    found = {
        (report.value(r, SH.focusNode), report.value(r, SH.resultPath))
        for r in report.objects(None, SH.result)
    }
    assert conforms == (not found)
    return found


def test_valid_graph_conforms() -> None:
    assert violations(valid_graph()) == set()


def test_practice_without_title_does_not_conform() -> None:
    graph = valid_graph()
    graph.remove((PRACTICE, DCTERMS.title, None))
    assert violations(graph) == {(PRACTICE, DCTERMS.title)}


def test_practice_with_theme_outside_our_scheme_does_not_conform() -> None:
    graph = valid_graph()
    graph.add((PRACTICE, DCAT.theme, URIRef("http://publications.europa.eu/resource/authority/data-theme/EDUC")))
    assert violations(graph) == {(PRACTICE, DCAT.theme)}


def _lit(value: str, datatype: URIRef | None = None, lang: str | None = None) -> Literal:
    return Literal(value, datatype=datatype, lang=lang)


# (what is wrong, triples to remove (None = wildcard), triples to add, expected (focus, path))
MUTATIONS = [
    ("title without language", [(PRACTICE, DCTERMS.title, None)], [(PRACTICE, DCTERMS.title, _lit("Open budget"))], (PRACTICE, DCTERMS.title)),
    ("two titles in one language", [], [(PRACTICE, DCTERMS.title, _lit("Budget", lang="en"))], (PRACTICE, DCTERMS.title)),
    ("practice not an adms:Asset", [(PRACTICE, RDF.type, ADMS.Asset)], [], (PRACTICE, RDF.type)),
    ("type from another scheme", [], [(PRACTICE, DCTERMS.type, vocab.THEME.health)], (PRACTICE, DCTERMS.type)),
    ("two maturities", [], [(PRACTICE, GPC.maturity, vocab.MATURITY.pilot)], (PRACTICE, GPC.maturity)),
    ("maturity as a literal", [(PRACTICE, GPC.maturity, None)], [(PRACTICE, GPC.maturity, _lit("pilot"))], (PRACTICE, GPC.maturity)),
    ("spatial not a country or NUTS IRI", [], [(PRACTICE, DCTERMS.spatial, URIRef("https://www.geonames.org/3173435"))], (PRACTICE, DCTERMS.spatial)),
    ("language as ISO 639-1 IRI", [], [(PRACTICE, DCTERMS.language, EU_LANGUAGE.it)], (PRACTICE, DCTERMS.language)),
    ("two publishers", [], [(PRACTICE, DCTERMS.publisher, PROJECT)], (PRACTICE, DCTERMS.publisher)),
    ("two landing pages", [], [(PRACTICE, DCAT.landingPage, URIRef("https://example.org/2"))], (PRACTICE, DCAT.landingPage)),
    ("landing page as a literal", [(PRACTICE, DCAT.landingPage, None)], [(PRACTICE, DCAT.landingPage, _lit("https://example.org"))], (PRACTICE, DCAT.landingPage)),
    ("issued as a dateTime", [(PRACTICE, DCTERMS.issued, None)], [(PRACTICE, DCTERMS.issued, _lit("2023-05-01T00:00:00", XSD.dateTime))], (PRACTICE, DCTERMS.issued)),
    ("contact e-mail not mailto", [(CONTACT, VCARD.hasEmail, None)], [(CONTACT, VCARD.hasEmail, URIRef("https://example.org/mail"))], (PRACTICE, DCAT.contactPoint)),
    ("contact not a vcard:Kind", [(CONTACT, RDF.type, None)], [], (PRACTICE, DCAT.contactPoint)),
    ("project without title", [(PROJECT, DCTERMS.title, None)], [], (PROJECT, DCTERMS.title)),
    ("negative total cost", [(PROJECT, GPC.totalCost, None)], [(PROJECT, GPC.totalCost, _lit("-1", XSD.decimal))], (PROJECT, GPC.totalCost)),
    ("cost as a string", [(PROJECT, GPC.totalCost, None)], [(PROJECT, GPC.totalCost, _lit("1000"))], (PROJECT, GPC.totalCost)),
    ("two grant ids", [], [(PROJECT, GPC.grantId, _lit("101"))], (PROJECT, GPC.grantId)),
    ("two coordinators", [], [(PROJECT, GPC.coordinator, PRACTICE)], (PROJECT, GPC.coordinator)),
    ("programme outside the scheme", [(PROJECT, GPC.programme, None)], [(PROJECT, GPC.programme, URIRef("https://example.org/h2020"))], (PROJECT, GPC.programme)),
    ("project with a NUTS region", [], [(PROJECT, DCTERMS.spatial, URIRef("http://data.europa.eu/nuts/code/ITC4C"))], (PROJECT, DCTERMS.spatial)),
    ("organisation without name", [(ORGANISATION, FOAF.name, None)], [], (ORGANISATION, FOAF.name)),
    ("record without status", [(RECORD, GPC.recordStatus, None)], [], (RECORD, GPC.recordStatus)),
    ("unknown record status", [(RECORD, GPC.recordStatus, None)], [(RECORD, GPC.recordStatus, GPC.Deleted)], (RECORD, GPC.recordStatus)),
    ("record issued as a date", [(RECORD, DCTERMS.issued, None)], [(RECORD, DCTERMS.issued, _lit("2024-01-02", XSD.date))], (RECORD, DCTERMS.issued)),
    ("two primary topics", [], [(RECORD, FOAF.primaryTopic, PROJECT)], (RECORD, FOAF.primaryTopic)),
    ("content hash not SHA-256 hex", [(RECORD, GPC.contentHash, None)], [(RECORD, GPC.contentHash, _lit("abc"))], (RECORD, GPC.contentHash)),
    ("record without source", [(RECORD, DCTERMS.source, None)], [], (RECORD, DCTERMS.source)),
    ("run without start", [(RUN, PROV.startedAtTime, None)], [], (RUN, PROV.startedAtTime)),
    ("negative count", [(RUN, GPC.seen, None)], [(RUN, GPC.seen, _lit("-2", XSD.integer))], (RUN, GPC.seen)),
    ("count as a decimal", [(RUN, GPC.new, None)], [(RUN, GPC.new, _lit("1.0", XSD.decimal))], (RUN, GPC.new)),
    ("unknown run status", [(RUN, GPC.runStatus, None)], [(RUN, GPC.runStatus, _lit("done"))], (RUN, GPC.runStatus)),
    ("error without reason", [(URIRef(f"{RUN}#error-1"), RDFS.comment, None)], [], (RUN, GPC.error)),
]


@pytest.mark.parametrize(("remove", "add", "expected"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS])
def test_each_profile_rule_is_enforced(remove: list, add: list, expected: tuple[URIRef, URIRef]) -> None:
    graph = valid_graph()
    for pattern in remove:
        assert (pattern in graph) if None not in pattern else any(graph.triples(pattern)), pattern
        graph.remove(pattern)
    for triple in add:
        graph.add(triple)
    assert violations(graph) == {expected}


# --- JSON-LD context -------------------------------------------------------------


def context() -> dict:
    data = json.loads(vocab.read_text(vocab.CONTEXT_FILE))
    assert set(data) == {"@context"}
    return data["@context"]


def term_iri(ctx: dict, definition: str | dict) -> str:
    iri = definition if isinstance(definition, str) else definition["@id"]
    prefix, _, local = iri.partition(":")
    return ctx[prefix] + local if prefix in ctx and isinstance(ctx[prefix], str) else iri


def test_context_has_the_prefixes() -> None:
    ctx = context()
    assert ctx["@version"] == 1.1
    for prefix, namespace in vocab.PREFIXES.items():
        assert ctx[prefix] == str(namespace), prefix


def test_context_has_a_term_for_every_profile_property() -> None:
    ctx = context()
    iris = {term_iri(ctx, d) for t, d in ctx.items() if not t.startswith("@") and t not in vocab.PREFIXES}
    assert {str(p) for p in profile_properties() - {RDF.type}} <= iris


def parse_jsonld(document: dict) -> Graph:
    with warnings.catch_warnings():
        # rdflib 7.6's JSON-LD parser builds a ConjunctiveGraph internally and
        # warns about it; nothing we can change from here.
        warnings.filterwarnings("ignore", "ConjunctiveGraph is deprecated", DeprecationWarning)
        return Graph().parse(data=json.dumps(document), format="json-ld")


def test_context_reads_a_practice() -> None:
    document = {
        "@context": context(),
        "@graph": [
            {
                "id": str(PRACTICE),
                "type": ["Practice", "Asset", "Resource"],
                "title": {"en": "Open budget", "it": "Bilancio aperto"},
                "keyword": {"en": ["budget", "participation"]},
                "theme": ["https://w3id.org/gpc/theme/participation"],
                "maturity": "https://w3id.org/gpc/maturity/scaled",
                "issued": "2023-05-01",
                "contactPoint": {"id": str(CONTACT), "type": "Kind", "hasEmail": "mailto:budget@example.org"},
            },
            {
                "id": str(RECORD),
                "type": "CatalogRecord",
                "issued": "2024-01-02T03:04:05Z",
                "recordStatus": "Withdrawn",
            },
            {"id": str(RUN), "type": "HarvestRun", "seen": 2, "startedAtTime": "2024-01-02T03:04:05Z"},
        ],
    }
    graph = parse_jsonld(document)
    assert (PRACTICE, DCTERMS.title, Literal("Open budget", lang="en")) in graph
    assert (PRACTICE, DCTERMS.title, Literal("Bilancio aperto", lang="it")) in graph
    assert (PRACTICE, DCAT.keyword, Literal("participation", lang="en")) in graph
    assert (PRACTICE, DCAT.theme, vocab.THEME.participation) in graph
    assert (PRACTICE, GPC.maturity, vocab.MATURITY.scaled) in graph
    assert (PRACTICE, RDF.type, ADMS.Asset) in graph
    assert (CONTACT, VCARD.hasEmail, URIRef("mailto:budget@example.org")) in graph
    assert (RECORD, GPC.recordStatus, GPC.Withdrawn) in graph
    assert (RUN, GPC.seen, Literal(2)) in graph
    # dcterms:issued is an xsd:date on practices and an xsd:dateTime on
    # records: the context says so through type-scoped contexts.
    assert graph.value(PRACTICE, DCTERMS.issued).datatype == XSD.date
    assert graph.value(RECORD, DCTERMS.issued).datatype == XSD.dateTime
    assert graph.value(RUN, PROV.startedAtTime).datatype == XSD.dateTime


def test_context_and_shapes_agree() -> None:
    # A practice written with the context's terms passes the shapes.
    document = {
        "@context": context(),
        "id": str(PRACTICE),
        "type": ["Practice", "Asset", "Resource"],
        "title": {"en": "Open budget"},
        "spatial": ["http://publications.europa.eu/resource/authority/country/ITA"],
        "language": ["http://publications.europa.eu/resource/authority/language/ITA"],
        "issued": "2023-05-01",
        "landingPage": "https://example.org/open-budget",
    }
    assert violations(parse_jsonld(document)) == set()
