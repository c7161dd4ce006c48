"""Model -> RDF -> model is the identity, and what we write conforms to our
SHACL shapes (property-based, over generated records)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

import vocab
from catalogue.mapping import MappingError, from_graph, to_triples
from catalogue.models import ContactPoint, Organisation, Practice, Project
from catalogue.uris import Uris

URIS = Uris("https://gpc.test")

keys = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,30}", fullmatch=True)
langs = st.sampled_from(["en", "fr", "de", "it", "es", "sl", "pt-br"])
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"), min_size=1, max_size=80
).map(str.strip).filter(bool)
lang_text = st.dictionaries(langs, text, max_size=3)
urls = st.from_regex(r"https://[a-z]{1,12}\.(eu|org)/[a-z0-9/_-]{0,20}", fullmatch=True)
countries = st.sampled_from(["ITA", "ESP", "FRA", "DEU", "SVN", "EST", "PRT", "BEL"])


def codes(scheme: str) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(vocab.concept_codes(scheme)))


practices = st.builds(
    Practice,
    key=keys,
    title=st.dictionaries(langs, text, min_size=1, max_size=3),
    description=lang_text,
    keywords=st.dictionaries(langs, st.lists(text, max_size=4), max_size=2),
    problem=lang_text,
    solution=lang_text,
    results=lang_text,
    costs=lang_text,
    transfer_conditions=lang_text,
    lessons=lang_text,
    technologies=st.lists(text, max_size=3),
    practice_types=st.lists(codes("practice-type"), max_size=2),
    themes=st.lists(codes("theme"), max_size=3),
    maturity=st.none() | codes("maturity"),
    government_levels=st.lists(codes("government-level"), max_size=2),
    countries=st.lists(countries, max_size=2),
    regions=st.lists(st.sampled_from(["ITH55", "ES511", "SI04", "FR101"]), max_size=2),
    cities=st.lists(text, max_size=2),
    languages=st.lists(st.sampled_from(sorted(vocab.language_codes())), max_size=3),
    publisher=st.none() | keys,
    creators=st.lists(keys, max_size=2),
    reused_by=st.lists(keys, max_size=2),
    projects=st.lists(keys, max_size=2),
    contact=st.none()
    | st.builds(
        ContactPoint,
        name=text,
        email=st.none() | st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.eu", fullmatch=True),
        url=st.none() | urls,
    ),
    landing_page=st.none() | urls,
    documents=st.lists(urls, max_size=2),
    license=st.none() | st.just("http://publications.europa.eu/resource/authority/licence/EUPL_1_2"),
    issued=st.none() | st.dates(),
    modified=st.none() | st.dates(),
)

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
projects = st.builds(
    Project,
    key=keys,
    acronym=st.none() | st.from_regex(r"[A-Z][A-Za-z0-9-]{1,12}", fullmatch=True),
    title=st.dictionaries(langs, text, min_size=1, max_size=2),
    description=lang_text,
    grant_id=st.none() | st.from_regex(r"[0-9]{6,9}", fullmatch=True),
    programme=st.none() | codes("programme"),
    start_date=st.none() | st.dates(),
    end_date=st.none() | st.dates(),
    total_cost=st.none() | amounts,
    eu_contribution=st.none() | amounts,
    coordinator=st.none() | keys,
    participants=st.lists(keys, max_size=3),
    countries=st.lists(countries, max_size=3),
    landing_page=st.none() | urls,
    themes=st.lists(codes("theme"), max_size=2),
)
organisations = st.builds(
    Organisation,
    key=keys,
    name=st.dictionaries(langs, text, min_size=1, max_size=2),
    country=st.none() | countries,
    government_level=st.none() | codes("government-level"),
    homepage=st.none() | urls,
    identifiers=st.lists(text, max_size=2),
)
entities = practices | projects | organisations


def graph_of(entity: Practice | Project | Organisation) -> Graph:
    graph = Graph()
    for triple in to_triples(entity, URIS):
        graph.add(triple)
    return graph


@given(entities)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_model_to_rdf_to_model_is_identity(entity: Practice | Project | Organisation) -> None:
    uri = URIS.entity(entity.kind, entity.key)
    assert from_graph(graph_of(entity), uri, URIS) == entity


@given(entities)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_generated_record_conforms_to_our_shapes(entity: Practice | Project | Organisation) -> None:
    from pyshacl import validate

    conforms, _graph, report = validate(graph_of(entity), shacl_graph=vocab.shapes(), inference="none")
    assert conforms, report


def test_a_graph_without_title_is_a_mapping_error() -> None:
    practice = Practice(key="x", title={"en": "T"})
    graph = graph_of(practice)
    graph.remove((None, DCTERMS.title, None))
    with pytest.raises(MappingError, match="title"):
        from_graph(graph, URIS.practice("x"), URIS)


def test_two_sources_disagreeing_on_a_single_value_read_deterministically() -> None:
    graph = graph_of(Practice(key="x", title={"en": "B"}))
    graph.add((URIRef(URIS.practice("x")), DCTERMS.title, Literal("A", lang="en")))
    assert from_graph(graph, URIS.practice("x"), URIS).title == {"en": "A"}


def test_unknown_codes_are_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="not in the maturity scheme"):
        Practice(key="x", title={"en": "T"}, maturity="very-mature")


@pytest.mark.parametrize(("prop", "value"), [(DCTERMS.issued, "last spring"), (DCTERMS.modified, "2020-13-45")])
def test_an_ill_typed_value_fails_the_record_with_a_reason(prop: URIRef, value: str) -> None:
    graph = graph_of(Practice(key="x", title={"en": "T"}))
    graph.add((URIRef(URIS.practice("x")), prop, Literal(value)))
    with pytest.raises(MappingError, match="is not a date"):
        from_graph(graph, URIS.practice("x"), URIS)
